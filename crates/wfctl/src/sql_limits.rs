//! The flags that cap tasks' SQL: per attempt, and the host's connection pools.

use clap::Args as ClapArgs;
use weft_runtime::SqlLimits;

use crate::egress::{duration, size};
use crate::exit::Failure;

/// Caps on what one attempt may do through the SQL interface, and on the pools of database
/// connections a worker keeps. The connection's `tcp://HOST:PORT` must also be allowed with
/// `--egress-allow`.
#[derive(Debug, Clone, Default, ClapArgs)]
pub struct SqlLimitArgs {
    /// Most SQL statements one attempt may run (default 10000).
    #[arg(
        long = "sql-max-statements",
        value_name = "N",
        env = "WEFT_SQL_MAX_STATEMENTS"
    )]
    sql_max_statements: Option<u32>,
    /// Most rows one attempt may receive from queries (default 10000000).
    #[arg(long = "sql-max-rows", value_name = "N", env = "WEFT_SQL_MAX_ROWS")]
    sql_max_rows: Option<u64>,
    /// Most bytes of values one attempt may receive from queries, e.g. `256MiB` (default 1GiB).
    #[arg(
        long = "sql-max-received",
        value_name = "SIZE",
        env = "WEFT_SQL_MAX_RECEIVED"
    )]
    sql_max_received: Option<String>,
    /// Longest a statement may run before it is cancelled on the server, e.g. `30s`
    /// (default 60s); a task's deadline shortens it.
    #[arg(
        long = "sql-statement-timeout",
        value_name = "DURATION",
        env = "WEFT_SQL_STATEMENT_TIMEOUT"
    )]
    sql_statement_timeout: Option<String>,
    /// Longest wait for a database connection, TCP, TLS and login (default 10s).
    #[arg(
        long = "sql-connect-timeout",
        value_name = "DURATION",
        env = "WEFT_SQL_CONNECT_TIMEOUT"
    )]
    sql_connect_timeout: Option<String>,
    /// Most pooled connections to one database connection's target (default 8).
    #[arg(long = "sql-pool-size", value_name = "N", env = "WEFT_SQL_POOL_SIZE")]
    sql_pool_size: Option<u32>,
    /// How long an unused pooled connection is kept open (default 5m).
    #[arg(
        long = "sql-pool-idle-timeout",
        value_name = "DURATION",
        env = "WEFT_SQL_POOL_IDLE_TIMEOUT"
    )]
    sql_pool_idle_timeout: Option<String>,
}

impl SqlLimitArgs {
    /// Set in `limits` what the flags give; errors name the flag and value at fault.
    pub fn apply(&self, limits: &mut SqlLimits) -> Result<(), Failure> {
        if let Some(n) = self.sql_max_statements {
            limits.max_statements = n;
        }
        if let Some(n) = self.sql_max_rows {
            limits.max_rows = n;
        }
        if let Some(text) = &self.sql_max_received {
            limits.max_bytes = size(text, "--sql-max-received")?;
        }
        if let Some(text) = &self.sql_statement_timeout {
            limits.statement_timeout = duration(text, "--sql-statement-timeout")?;
        }
        if let Some(text) = &self.sql_connect_timeout {
            limits.connect_timeout = duration(text, "--sql-connect-timeout")?;
        }
        match self.sql_pool_size {
            Some(0) => {
                return Err(Failure::usage(
                    "invalid --sql-pool-size: it must be at least 1",
                ));
            }
            Some(n) => limits.pool_size = n,
            None => {}
        }
        if let Some(text) = &self.sql_pool_idle_timeout {
            limits.pool_idle_timeout = duration(text, "--sql-pool-idle-timeout")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Command {
        #[command(flatten)]
        sql: SqlLimitArgs,
    }

    fn limits(args: &[&str]) -> Result<SqlLimits, Failure> {
        let command = Command::try_parse_from(std::iter::once("wfctl").chain(args.iter().copied()))
            .expect("the flags parse");
        let mut limits = SqlLimits::default();
        command.sql.apply(&mut limits).map(|()| limits)
    }

    #[test]
    fn sql_limits_come_from_the_flags_and_default_otherwise() {
        assert_eq!(limits(&[]).expect("valid"), SqlLimits::default());
        let set = limits(&[
            "--sql-max-statements",
            "5",
            "--sql-max-rows",
            "100",
            "--sql-max-received",
            "1MiB",
            "--sql-statement-timeout",
            "3s",
            "--sql-connect-timeout",
            "2s",
            "--sql-pool-size",
            "2",
            "--sql-pool-idle-timeout",
            "1m",
        ])
        .expect("valid");
        assert_eq!(
            set,
            SqlLimits {
                max_statements: 5,
                max_rows: 100,
                max_bytes: 1 << 20,
                statement_timeout: Duration::from_secs(3),
                connect_timeout: Duration::from_secs(2),
                pool_size: 2,
                pool_idle_timeout: Duration::from_secs(60),
            }
        );
    }

    #[test]
    fn bad_sql_limits_name_their_flag() {
        for (args, flag) in [
            (&["--sql-max-received", "lots"][..], "--sql-max-received"),
            (
                &["--sql-statement-timeout", "0s"][..],
                "--sql-statement-timeout",
            ),
            (&["--sql-pool-size", "0"][..], "--sql-pool-size"),
        ] {
            match limits(args) {
                Err(Failure::Usage(message)) => assert!(message.contains(flag), "{message}"),
                other => panic!("{args:?}: expected a usage error, got {other:?}"),
            }
        }
    }
}
