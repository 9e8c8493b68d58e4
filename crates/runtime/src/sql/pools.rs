//! Connection pools kept by the runtime and shared by the attempts that open the same
//! connection. A pool is keyed by the connection's id, a digest of its whole content
//! (password included, held only in memory) and the checked address it connects to, so
//! attempts with different credentials never share a connection.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;

use futures_util::FutureExt as _;
use sha2::{Digest as _, Sha256};
use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions, MySqlSslMode};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgSslMode};
use sqlx::{Connection as _, Executor as _, MySqlPool, PgPool};
use weft_protocol::Connection;

use super::SqlLimits;

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

/// The runtime's pools.
#[derive(Default)]
pub(crate) struct Pools {
    pools: Mutex<HashMap<PoolKey, DbPool>>,
}

/// Why a connection's settings are not usable.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct BadSettings(pub(crate) String);

impl Pools {
    /// The pool of `conn` connecting to `address`, made on first use. Pools connect lazily:
    /// the first acquire logs in.
    pub(crate) fn get(
        &self,
        dialect: Dialect,
        conn: &Connection,
        address: SocketAddr,
        limits: &SqlLimits,
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
        if let Some(pool) = pools.get(&key) {
            return Ok(pool.clone());
        }
        let pool = build(dialect, conn, address, limits)?;
        pools.insert(key, pool.clone());
        Ok(pool)
    }

    /// How many pools exist (for tests and metrics).
    pub(crate) fn len(&self) -> usize {
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
) -> Result<DbPool, BadSettings> {
    let ip = address.ip().to_string();
    let mode = ssl_mode(conn);
    let bad_mode = |m: &str| {
        BadSettings(format!(
            "connection {:?}: sslmode {m:?} is not one this host knows",
            conn.conn_id
        ))
    };
    Ok(match dialect {
        Dialect::Postgres => {
            let mut options = PgConnectOptions::new_without_pgpass()
                .host(&ip)
                .port(address.port())
                .application_name("weft");
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
                .host(&ip)
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
