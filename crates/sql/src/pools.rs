//! Connection pools kept by the runtime and shared by the attempts that open the same
//! connection. A pool is keyed by the connection's id, a digest of its whole content
//! (password included, held only in memory) and the checked address it connects to, so
//! attempts with different credentials never share a connection. Pools left without a
//! connection (their idle ones closed after the idle timeout) and not asked for during the
//! idle timeout are dropped when another pool is made, so pools of connections whose content
//! changed do not pile up.
//!
//! A pool connects to the address the egress checks passed, not to the name: the name is
//! not resolved again. The one exception is TLS that verifies the server's name (PostgreSQL
//! `sslmode=verify-full`, MySQL `ssl-mode=verify_identity`), where the certificate must be
//! checked against the name, and the driver can only check the name it connects to: such a
//! pool connects by name. Opening a session then requires every address the name resolves
//! to to pass the checks, not just one (`open`). The driver resolves the name again for each
//! new connection, so a name whose records change to a refused address between the check
//! and the connect (DNS rebinding) could still reach it; there the TLS handshake fails
//! unless the server holds a trusted certificate for the name, so no credentials or
//! statements are sent, but the connection attempt itself is made.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

use futures_util::FutureExt as _;
use sha2::{Digest as _, Sha256};
use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions, MySqlSslMode};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgSslMode};
use sqlx::{Connection as _, Executor as _, MySqlPool, PgPool};
use weft_protocol::Connection;

use crate::SqlLimits;

/// How long resetting a released connection may take before it is closed instead.
const RESET_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// PostgreSQL: whatever a session left (an open or failed transaction, settings, advisory
/// locks, temporary tables, prepared statements, cursors, `LISTEN`) is reset before a
/// connection goes back to its pool; a connection that cannot be reset in time is closed.
/// The driver's own prepared statements go first, since `DISCARD ALL` drops them on the
/// server.
async fn reset_postgres(conn: &mut sqlx::PgConnection) -> bool {
    let reset = async {
        conn.execute("ROLLBACK").await?;
        conn.clear_cached_statements().await?;
        conn.execute("DISCARD ALL").await?;
        Ok::<_, sqlx::Error>(())
    };
    match tokio::time::timeout(RESET_TIMEOUT, reset).await {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "resetting a released PostgreSQL connection; closing it");
            false
        }
        Err(_) => false,
    }
}

/// MySQL and MariaDB: a released connection is rolled back. Sessions that ran statements
/// are closed before they get here (see `session::Conn::release`): the driver cannot reset
/// a session (no `COM_RESET_CONNECTION`), and user variables, named locks, `LOCK TABLES`,
/// temporary tables and session settings would otherwise reach the next attempt.
async fn reset_mysql(conn: &mut sqlx::MySqlConnection) -> bool {
    matches!(
        tokio::time::timeout(RESET_TIMEOUT, conn.execute("ROLLBACK")).await,
        Ok(Ok(_))
    )
}

/// Which database a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Dialect {
    Postgres,
    MySql,
}

impl Dialect {
    /// The dialect of a connection type, if the host can open it.
    pub(crate) fn of(conn_type: &str) -> Option<Dialect> {
        match conn_type.to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" => Some(Dialect::Postgres),
            "mysql" | "mariadb" => Some(Dialect::MySql),
            _ => None,
        }
    }

    pub(crate) fn default_port(self) -> u16 {
        match self {
            Dialect::Postgres => 5432,
            Dialect::MySql => 3306,
        }
    }
}

/// A pool of either database.
#[derive(Clone)]
pub(crate) enum DbPool {
    Postgres(PgPool),
    MySql(MySqlPool),
}

#[derive(PartialEq, Eq, Hash)]
struct PoolKey {
    conn_id: String,
    content: [u8; 32],
    address: SocketAddr,
}

/// The pools a runtime keeps, shared by its attempts.
#[derive(Default)]
pub struct Pools {
    pools: Mutex<HashMap<PoolKey, Kept>>,
    /// The operator's CA certificates (PEM), trusted besides the web roots by connections
    /// whose TLS mode verifies the server.
    ca_pem: Option<Vec<u8>>,
}

/// A pool and when an attempt last asked for it.
struct Kept {
    pool: DbPool,
    used: std::time::Instant,
}

/// Why a connection's settings are not usable.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct BadSettings(pub(crate) String);

impl Pools {
    /// No pools yet; connections that verify their server trust `ca_pem` too.
    pub fn trusting(ca_pem: Option<Vec<u8>>) -> Pools {
        Pools {
            pools: Mutex::default(),
            ca_pem,
        }
    }

    /// The pool of `conn` connecting to `address`, made on first use. Pools connect lazily:
    /// the first acquire logs in.
    pub(crate) fn get(
        &self,
        dialect: Dialect,
        conn: &Connection,
        address: SocketAddr,
        limits: &SqlLimits,
    ) -> Result<DbPool, BadSettings> {
        self.get_at(dialect, conn, address, limits, std::time::Instant::now())
    }

    /// [`Pools::get`] at `now`. A pool is dropped when another is made once it holds no
    /// connection and nobody asked for it for the idle timeout: an attempt that just got it
    /// and has yet to connect keeps it.
    fn get_at(
        &self,
        dialect: Dialect,
        conn: &Connection,
        address: SocketAddr,
        limits: &SqlLimits,
        now: std::time::Instant,
    ) -> Result<DbPool, BadSettings> {
        let key = PoolKey {
            conn_id: conn.conn_id.clone(),
            content: digest(conn),
            address,
        };
        let mut pools = self
            .pools
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(kept) = pools.get_mut(&key) {
            kept.used = now;
            return Ok(kept.pool.clone());
        }
        pools.retain(|_, kept| {
            kept.pool.connections() > 0
                || now.saturating_duration_since(kept.used) < limits.pool_idle_timeout
        });
        let pool = build(dialect, conn, address, limits, self.ca_pem.as_deref())?;
        pools.insert(
            key,
            Kept {
                pool: pool.clone(),
                used: now,
            },
        );
        Ok(pool)
    }

    /// How many pools exist: one per connection content.
    pub fn count(&self) -> usize {
        self.pools
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .len()
    }
}

fn digest(conn: &Connection) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in [
        Some(conn.conn_type.as_str()),
        conn.host.as_deref(),
        conn.schema.as_deref(),
        conn.login.as_deref(),
        conn.password.as_deref(),
    ] {
        // Length-prefixed so that adjacent fields cannot be shifted into each other.
        let part = part.unwrap_or("\u{0}none");
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.update(conn.port.unwrap_or(0).to_le_bytes());
    hasher.update(conn.extra.to_string().as_bytes());
    hasher.finalize().into()
}

impl DbPool {
    /// Connections open, in use or idle.
    fn connections(&self) -> u32 {
        match self {
            DbPool::Postgres(p) => p.size(),
            DbPool::MySql(p) => p.size(),
        }
    }
}

/// Whether pools of `conn` connect by its host name rather than by a checked address: when
/// its TLS mode verifies the server's name and the host is a name (see the module's docs).
pub(crate) fn connects_by_name(dialect: Dialect, conn: &Connection) -> bool {
    by_name(
        dialect,
        ssl_mode(conn).as_deref(),
        conn.host.as_deref().unwrap_or_default(),
    )
}

fn by_name(dialect: Dialect, mode: Option<&str>, name: &str) -> bool {
    let verifies_name = match dialect {
        Dialect::Postgres => mode == Some("verify-full"),
        Dialect::MySql => matches!(mode, Some("verify_identity" | "verify-identity")),
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    verifies_name && !name.is_empty() && name.parse::<IpAddr>().is_err()
}

/// The host a pool connects to: the checked address, or the connection's host name when the
/// TLS mode verifies the server's name.
fn connect_host(dialect: Dialect, mode: Option<&str>, name: &str, ip: IpAddr) -> String {
    if by_name(dialect, mode, name) {
        name.to_owned()
    } else {
        ip.to_string()
    }
}

/// The TLS mode the connection's extra asks for (`sslmode` or `ssl-mode` / `ssl_mode`).
fn ssl_mode(conn: &Connection) -> Option<String> {
    ["sslmode", "ssl-mode", "ssl_mode"]
        .iter()
        .find_map(|k| conn.extra.get(*k).and_then(|v| v.as_str()))
        .map(|s| s.to_ascii_lowercase())
}

fn build(
    dialect: Dialect,
    conn: &Connection,
    address: SocketAddr,
    limits: &SqlLimits,
    ca_pem: Option<&[u8]>,
) -> Result<DbPool, BadSettings> {
    let mode = ssl_mode(conn);
    let host = connect_host(
        dialect,
        mode.as_deref(),
        conn.host.as_deref().unwrap_or_default(),
        address.ip(),
    );
    let bad_mode = |m: &str| {
        BadSettings(format!(
            "connection {:?}: sslmode {m:?} is not one this host knows",
            conn.conn_id
        ))
    };
    Ok(match dialect {
        Dialect::Postgres => {
            let mut options = PgConnectOptions::new_without_pgpass()
                .host(&host)
                .port(address.port())
                .application_name("weft")
                // The server's notices reach no task, and the reset's `ROLLBACK` outside a
                // transaction would log a warning on every release. Set at startup, this
                // is the session's default, which `DISCARD ALL` keeps.
                .options([("client_min_messages", "error")]);
            if let Some(login) = &conn.login {
                options = options.username(login);
            }
            if let Some(password) = &conn.password {
                options = options.password(password);
            }
            if let Some(schema) = &conn.schema {
                options = options.database(schema);
            }
            if let Some(m) = mode {
                let mode: PgSslMode = m.parse().map_err(|_| bad_mode(&m))?;
                options = options.ssl_mode(mode);
            }
            if let Some(pem) = ca_pem {
                options = options.ssl_root_cert_from_pem(pem.to_vec());
            }
            DbPool::Postgres(
                PgPoolOptions::new()
                    .max_connections(limits.pool_size)
                    .idle_timeout(limits.pool_idle_timeout)
                    .acquire_timeout(limits.connect_timeout)
                    .after_release(|conn, _| async move { Ok(reset_postgres(conn).await) }.boxed())
                    .connect_lazy_with(options),
            )
        }
        Dialect::MySql => {
            let mut options = MySqlConnectOptions::new()
                .host(&host)
                .port(address.port())
                .timezone(Some("+00:00".to_owned()));
            if let Some(login) = &conn.login {
                options = options.username(login);
            }
            if let Some(password) = &conn.password {
                options = options.password(password);
            }
            if let Some(schema) = &conn.schema {
                options = options.database(schema);
            }
            if let Some(m) = mode {
                let mode: MySqlSslMode = m.replace('-', "_").parse().map_err(|_| bad_mode(&m))?;
                options = options.ssl_mode(mode);
            }
            if let Some(pem) = ca_pem {
                options = options.ssl_ca_from_pem(pem.to_vec());
            }
            DbPool::MySql(
                MySqlPoolOptions::new()
                    .max_connections(limits.pool_size)
                    .idle_timeout(limits.pool_idle_timeout)
                    .acquire_timeout(limits.connect_timeout)
                    .after_release(|conn, _| async move { Ok(reset_mysql(conn).await) }.boxed())
                    .connect_lazy_with(options),
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_connect_to_the_checked_address_unless_tls_verifies_the_name() {
        let ip: IpAddr = "203.0.113.7".parse().expect("an address");
        let host = |dialect, mode| connect_host(dialect, mode, "db.example.com", ip);
        for (dialect, mode) in [
            (Dialect::Postgres, None),
            (Dialect::Postgres, Some("require")),
            (Dialect::Postgres, Some("verify-ca")),
            (Dialect::MySql, None),
            (Dialect::MySql, Some("required")),
            (Dialect::MySql, Some("verify_ca")),
        ] {
            assert_eq!(host(dialect, mode), "203.0.113.7", "{mode:?}");
        }
        assert_eq!(
            host(Dialect::Postgres, Some("verify-full")),
            "db.example.com"
        );
        assert_eq!(
            host(Dialect::MySql, Some("verify_identity")),
            "db.example.com"
        );
        assert_eq!(
            host(Dialect::MySql, Some("verify-identity")),
            "db.example.com"
        );
        // A host given as an address is that address, whatever the mode.
        assert_eq!(
            connect_host(Dialect::Postgres, Some("verify-full"), "[2001:db8::1]", ip),
            "203.0.113.7"
        );
    }

    fn connection(id: &str, password: &str) -> Connection {
        Connection {
            conn_id: id.to_owned(),
            conn_type: "postgres".to_owned(),
            host: Some("127.0.0.1".to_owned()),
            port: Some(5432),
            schema: None,
            login: Some("weft".to_owned()),
            password: Some(password.to_owned()),
            extra: serde_json::json!({}),
        }
    }

    #[tokio::test]
    async fn a_pool_is_shared_by_equal_connections_and_dropped_once_it_holds_none() {
        let pools = Pools::default();
        let address: SocketAddr = "127.0.0.1:5432".parse().expect("an address");
        let limits = SqlLimits::default();
        let start = std::time::Instant::now();
        let get_at = |conn: &Connection, now| {
            pools
                .get_at(Dialect::Postgres, conn, address, &limits, now)
                .expect("valid settings")
        };
        let get = |conn: &Connection| get_at(conn, start);
        let DbPool::Postgres(first) = get(&connection("db", "one")) else {
            panic!("a PostgreSQL pool");
        };
        let DbPool::Postgres(again) = get(&connection("db", "one")) else {
            panic!("a PostgreSQL pool");
        };
        assert_eq!(pools.count(), 1);
        first.close().await;
        assert!(again.is_closed(), "the same connection gets the same pool");
        // The password changed: a pool of its own. The old one, without connections, is kept
        // for the idle timeout after it was last asked for, then dropped.
        let _rotated = get(&connection("db", "two"));
        assert_eq!(pools.count(), 2, "a pool just handed out is kept");
        let later = start + limits.pool_idle_timeout;
        let _other = get_at(&connection("other", "two"), later);
        assert_eq!(
            pools.count(),
            1,
            "pools unused and without connections do not pile up"
        );
    }
}
