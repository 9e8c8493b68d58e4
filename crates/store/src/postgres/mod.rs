//! The PostgreSQL store, for distributed deployments: one connection pool shared by every
//! scheduler, worker and API process's operations. Changes are fenced by conditional
//! UPDATEs, which PostgreSQL re-checks against the newest row version when two transactions
//! race, so concurrent writers keep the fencing rules without explicit locks. Leadership is
//! one upsert (`INSERT ... ON CONFLICT DO UPDATE ... WHERE`), atomic under races; a leader's
//! fenced batch share-locks its lease row, so no takeover commits in the middle of it
//! (see [`fence`]).

mod batch;
mod fence;
mod statistics;

use std::str::FromStr as _;
use std::sync::Arc;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{PgConnection, Postgres, Transaction};

use crate::error::{StoreError, StoreResult};

/// The schema, embedded at compile time and applied by [`PostgresStore::connect`].
static MIGRATOR: Migrator = sqlx::migrate!("migrations/postgres");

/// Connections in the pool unless [`PostgresStore::connect_with`] says otherwise.
pub const DEFAULT_CONNECTIONS: u32 = 10;
/// How long an operation waits for a free connection before failing as `Unavailable`.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// A pooled connection idle for longer than this is pinged before it is handed out; one
/// used more recently is handed out at once, saving a round trip per transaction on busy
/// paths. (A connection that died in that window fails one operation, which the caller
/// retries like any other unavailable store.)
const PING_IF_IDLE_FOR: Duration = Duration::from_millis(500);

/// Weft's metadata store in a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    statistics: Arc<statistics::Growth>,
}

impl PostgresStore {
    /// Connect to the database at `url` (`postgres://user@host:port/db`) with
    /// [`DEFAULT_CONNECTIONS`] connections and bring its schema up to date.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        Self::connect_with(url, DEFAULT_CONNECTIONS).await
    }

    /// [`connect`](Self::connect) with a pool of at most `max_connections` connections.
    pub async fn connect_with(url: &str, max_connections: u32) -> StoreResult<Self> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(StoreError::Invalid(
                "a PostgreSQL URL starts with postgres:// or postgresql://".into(),
            ));
        }
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Invalid(format!("bad PostgreSQL URL: {e}")))?;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for > PING_IF_IDLE_FOR {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self {
            pool,
            statistics: Arc::new(statistics::Growth::default()),
        })
    }

    /// Close every connection; later operations fail as `Unavailable`.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    fn read_pool(&self) -> &PgPool {
        &self.pool
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        self.pool.begin().await
    }

    /// A write transaction that, given a fence, goes on only while the fence holds, with the
    /// lease share-locked until it ends; the check travels with the `BEGIN` (see [`fence`]).
    async fn begin_fenced(
        &self,
        fence: Option<&crate::LeaderFence>,
    ) -> StoreResult<Transaction<'static, Postgres>> {
        let Some(fence) = fence else {
            return Ok(self.begin_write().await?);
        };
        self.pool
            .begin_with(sqlx::AssertSqlSafe(fence::begin(fence)))
            .await
            .map_err(|e| fence::begin_error(fence, e))
    }

    /// Count new task instances, and have the table's statistics taken again in the
    /// background when they pass the next mark (see [`statistics`]).
    fn task_instances_created(&self, count: usize) {
        if !self.statistics.count(count) {
            return;
        }
        let pool = self.pool.clone();
        tokio::spawn(async move {
            match sqlx::raw_sql(statistics::ANALYZE).execute(&pool).await {
                Ok(_) => tracing::debug!("task_instances statistics taken again"),
                Err(e) => {
                    tracing::warn!(error = %e, "taking task_instances statistics again failed; autovacuum will");
                }
            }
        });
    }

    /// A read-only transaction with one snapshot for all its reads.
    async fn begin_read(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        self.pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await
    }
}

crate::common::impl_store!(PostgresStore, PgConnection);
