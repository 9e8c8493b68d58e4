//! Opening a session: the connection's type, the operator's `tcp://HOST:PORT` rule, the
//! addresses its host resolves to, and a connection of its own from the pool.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use tokio::time::{Instant, timeout_at};
use weft_model::egress::{AllowedEgress, EgressRequest, EgressRule, Scheme, address};
use weft_protocol::Connection;

use crate::cancel::Canceller;
use crate::pools::{self, DbPool, Dialect, Pools};
use crate::session::{Conn, Held, Session, Slot};
use crate::{SqlError, SqlUsage, database_error, mysql, postgres};

/// Everything opening a session needs.
pub struct OpenRequest<'a> {
    /// The declared connection, credentials included.
    pub conn: &'a Connection,
    /// What the operator's egress policy allows: its `tcp://` rules and the non-public
    /// address ranges they may reach.
    pub allowed: &'a AllowedEgress,
    /// The rules of the task's tenant, if it has its own.
    pub tenant_rules: Option<&'a [EgressRule]>,
    /// The runtime's pools.
    pub pools: &'a Pools,
    /// The attempt's counters and log.
    pub usage: &'a SqlUsage,
    /// The attempt's deadline.
    pub deadline: Instant,
}

impl OpenRequest<'_> {
    /// A session on the connection, or why not. Refusals are written to the attempt's log.
    pub async fn open(&self) -> Result<Session, SqlError> {
        let conn = self.conn;
        let id = &conn.conn_id;
        let Some(dialect) = Dialect::of(&conn.conn_type) else {
            return Err(SqlError::Unsupported(format!(
                "connection {id:?} is of type {:?}; sql opens postgres, postgresql, mysql and mariadb connections",
                conn.conn_type
            )));
        };
        let Some(host) = conn.host.as_deref().filter(|h| !h.is_empty()) else {
            return Err(SqlError::Unsupported(format!(
                "connection {id:?} has no host"
            )));
        };
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let port = conn.port.unwrap_or(dialect.default_port());
        let endpoint = format!("{host}:{port}");
        let request = EgressRequest {
            method: "",
            scheme: Scheme::Tcp,
            host: &host,
            port,
        };
        if !self.allowed.allows(&request) {
            let message = format!(
                "connection {id:?}: tcp://{endpoint} is not allowed by this host's egress policy (the operator must allow tcp://{endpoint})"
            );
            self.usage.deny(&message);
            return Err(SqlError::Denied(message));
        }
        if let Some(tenant) = self.tenant_rules
            && !tenant.iter().any(|r| r.matches(&request))
        {
            let message =
                format!("connection {id:?}: tcp://{endpoint} is not in the tenant's egress rules");
            self.usage.deny(&message);
            return Err(SqlError::Denied(message));
        }
        let limits = &self.usage.limits;
        let connect_by = (Instant::now() + limits.connect_timeout).min(self.deadline);
        let every_address = pools::connects_by_name(dialect, conn);
        let address = self.resolve(&host, port, connect_by, every_address).await?;
        let pool = self
            .pools
            .get(dialect, conn, address, limits)
            .map_err(|e| SqlError::Unsupported(e.to_string()))?;
        let connect_error = |e: sqlx::Error| match database_error(e, "") {
            SqlError::Database(db) => {
                SqlError::Connect(format!("connection {id:?} ({endpoint}): {}", db.message))
            }
            other => SqlError::Connect(format!("connection {id:?} ({endpoint}): {other:?}")),
        };
        let timed_out = || {
            SqlError::Connect(format!(
                "connection {id:?} ({endpoint}): no connection within {:?}",
                limits.connect_timeout
            ))
        };
        let (conn, backend_id) = timeout_at(connect_by, async {
            match &pool {
                DbPool::Postgres(p) => {
                    let mut c = p.acquire().await?;
                    let backend = postgres::backend_id(&mut c).await?;
                    Ok((Conn::Postgres(c), backend))
                }
                DbPool::MySql(p) => {
                    let mut c = p.acquire().await?;
                    let backend = mysql::backend_id(&mut c).await?;
                    Ok((Conn::MySql(c), backend))
                }
            }
        })
        .await
        .map_err(|_| timed_out())?
        .map_err(connect_error)?;
        let held = Held {
            conn: Some(conn),
            dirty: false,
            runtime: tokio::runtime::Handle::current(),
        };
        Ok(Session {
            conn_id: id.clone(),
            endpoint,
            slot: Arc::new(Mutex::new(Slot::Ready(held))),
            canceller: Arc::new(Canceller {
                pool,
                backend_id,
                connect_timeout: limits.connect_timeout,
                deadline: self.deadline,
            }),
            in_transaction: false,
        })
    }

    /// The first address of `host` that passes the egress address checks: every address
    /// it resolves to is checked, and the pool connects to a checked one. With
    /// `every_address` (a pool that connects by name, see [`pools`]), all of them must pass.
    async fn resolve(
        &self,
        host: &str,
        port: u16,
        by: Instant,
        every_address: bool,
    ) -> Result<SocketAddr, SqlError> {
        let id = &self.conn.conn_id;
        let addresses: Vec<SocketAddr> = match host.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => timeout_at(by, tokio::net::lookup_host((host, port)))
                .await
                .map_err(|_| {
                    SqlError::Connect(format!("connection {id:?}: resolving {host} timed out"))
                })?
                .map_err(|e| {
                    SqlError::Connect(format!("connection {id:?}: resolving {host}: {e}"))
                })?
                .collect(),
        };
        let mut refused = Vec::new();
        let mut passed = None;
        for address in &addresses {
            match address::check(address.ip(), &self.allowed.nets) {
                Ok(()) => {
                    passed.get_or_insert(*address);
                }
                Err(why) => refused.push(why),
            }
        }
        match passed {
            Some(address) if refused.is_empty() || !every_address => return Ok(address),
            Some(_) => {
                let message = format!(
                    "connection {id:?}: its TLS mode verifies the server's name, so the host connects by name and every address {host} resolves to must be allowed; refused: {}",
                    refused.join("; ")
                );
                self.usage.deny(&message);
                return Err(SqlError::Denied(message));
            }
            None => {}
        }
        let message = if refused.is_empty() {
            format!("connection {id:?}: {host} resolves to no address")
        } else {
            format!(
                "connection {id:?}: {host}:{port} resolves only to refused addresses: {}",
                refused.join("; ")
            )
        };
        if refused.is_empty() {
            return Err(SqlError::Connect(message));
        }
        self.usage.deny(&message);
        Err(SqlError::Denied(message))
    }
}
