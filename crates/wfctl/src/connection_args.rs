//! `--header-timeout`, `--max-connections` and `--max-connections-per-client`: how many
//! connections the API server holds and how long a request's header may take (`server`,
//! `standalone`), so that clients holding connections open cannot starve the others.

use std::time::Duration;

use weft_server::ConnectionLimits;

use crate::exit::Failure;

/// The API server's bounds on connections.
#[derive(Debug, Clone, clap::Args)]
pub struct ConnectionArgs {
    /// Seconds a client may take to send a request's header (an idle kept-alive connection
    /// is closed after as long); a client sending half a header is cut off then.
    #[arg(long, env = "WEFT_HEADER_TIMEOUT", value_name = "SECONDS",
          default_value_t = ConnectionLimits::default().header_read_timeout.as_secs_f64())]
    header_timeout: f64,
    /// Connections the API server holds at once, from all clients; more are closed at once.
    /// Keep it below the process's limit of open files (`ulimit -n`).
    #[arg(long, env = "WEFT_MAX_CONNECTIONS",
          default_value_t = ConnectionLimits::default().max_connections)]
    max_connections: usize,
    /// Connections the API server holds at once from one client address; more are closed
    /// at once. Workers and users behind one address (a NAT, or this machine) share it.
    #[arg(long, env = "WEFT_MAX_CONNECTIONS_PER_CLIENT",
          default_value_t = ConnectionLimits::default().max_connections_per_client)]
    max_connections_per_client: usize,
}

impl ConnectionArgs {
    /// The bounds, checked.
    pub fn limits(&self) -> Result<ConnectionLimits, Failure> {
        let header_read_timeout: Duration =
            crate::services::seconds(self.header_timeout, "--header-timeout")?;
        for (value, flag) in [
            (self.max_connections, "--max-connections"),
            (
                self.max_connections_per_client,
                "--max-connections-per-client",
            ),
        ] {
            if value == 0 {
                return Err(Failure::usage(format!("{flag} must be at least 1")));
            }
        }
        Ok(ConnectionLimits {
            header_read_timeout,
            max_connections: self.max_connections,
            max_connections_per_client: self.max_connections_per_client,
        })
    }
}
