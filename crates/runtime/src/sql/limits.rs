//! Per-attempt caps on SQL, set by the operator, and the counters of one attempt.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use crate::bindings::v0_2::weft::dag::sql::SqlError;
use crate::log::{LogBuffer, LogLevel};

/// Limits on one attempt's SQL, and on the pools the runtime keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqlLimits {
    /// Most statements one attempt may run, all sessions together.
    pub max_statements: u32,
    /// Most rows one attempt may receive, all statements together.
    pub max_rows: u64,
    /// Most bytes of values one attempt may receive (the sum of the values' sizes).
    pub max_bytes: u64,
    /// Longest a statement may run before it is cancelled on the server; the attempt's
    /// deadline shortens it.
    pub statement_timeout: Duration,
    /// Longest wait for a connection (TCP, TLS and login).
    pub connect_timeout: Duration,
    /// Most connections of one pool (one connection's content).
    pub pool_size: u32,
    /// How long an unused pooled connection is kept.
    pub pool_idle_timeout: Duration,
}

impl Default for SqlLimits {
    fn default() -> Self {
        SqlLimits {
            max_statements: 10_000,
            max_rows: 10_000_000,
            max_bytes: 1 << 30,
            statement_timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            pool_size: 8,
            pool_idle_timeout: Duration::from_secs(300),
        }
    }
}

/// What one attempt has used of its SQL caps, shared by its sessions and streams.
pub(crate) struct SqlUsage {
    pub(crate) limits: SqlLimits,
    statements: AtomicU32,
    rows: AtomicU64,
    bytes: AtomicU64,
    pub(crate) log: LogBuffer,
}

impl SqlUsage {
    pub(crate) fn new(limits: SqlLimits, log: LogBuffer) -> SqlUsage {
        SqlUsage {
            limits,
            statements: AtomicU32::new(0),
            rows: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            log,
        }
    }

    /// Records a refusal by the egress policy in the attempt's log.
    pub(crate) fn deny(&self, message: &str) {
        tracing::debug!(%message, "sql denied");
        self.log
            .write(LogLevel::Error, &format!("sql denied: {message}"));
    }

    /// Records a statement cancelled at its timeout in the attempt's log.
    pub(crate) fn note_timeout(&self, message: &str) {
        tracing::debug!(%message, "sql timeout");
        self.log
            .write(LogLevel::Warn, &format!("sql timeout: {message}"));
    }

    fn limit(&self, message: String) -> SqlError {
        tracing::debug!(%message, "sql limit");
        self.log
            .write(LogLevel::Warn, &format!("sql limit: {message}"));
        SqlError::Limit(message)
    }

    /// Counts one statement against the cap.
    pub(crate) fn count_statement(&self) -> Result<(), SqlError> {
        let limit = self.limits.max_statements;
        if self.statements.fetch_add(1, Ordering::Relaxed) >= limit {
            return Err(self.limit(format!(
                "the attempt may run at most {limit} statements (max_statements)"
            )));
        }
        Ok(())
    }

    /// Counts one row of `bytes` against the caps.
    pub(crate) fn count_row(&self, bytes: u64) -> Result<(), SqlError> {
        let max_rows = self.limits.max_rows;
        if self.rows.fetch_add(1, Ordering::Relaxed) >= max_rows {
            return Err(self.limit(format!(
                "the attempt may receive at most {max_rows} rows (max_rows)"
            )));
        }
        let max_bytes = self.limits.max_bytes;
        if self.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes > max_bytes {
            return Err(self.limit(format!(
                "the attempt may receive at most {max_bytes} bytes of values (max_bytes)"
            )));
        }
        Ok(())
    }
}
