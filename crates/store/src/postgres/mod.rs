//! The PostgreSQL store, for distributed deployments: one connection pool shared by every
//! scheduler, worker and API process's operations. Changes are fenced by conditional
//! UPDATEs, which PostgreSQL re-checks against the newest row version when two transactions
//! race, so concurrent writers keep the fencing rules without explicit locks. Leadership is
//! one upsert (`INSERT ... ON CONFLICT DO UPDATE ... WHERE`), atomic under races; a leader's
//! fenced batch share-locks its lease row, so no takeover commits in the middle of it
//! (see [`fence`]).

pub(crate) mod batch;
mod fence;
mod statements;
mod statistics;
mod step;
mod stepper;

use std::str::FromStr as _;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Connection as _, PgConnection, Postgres, Transaction};

use crate::backend::Backend;
use crate::both_backends::assemble::{run_insert_error, stored_run};
use crate::both_backends::assets_sql;
use crate::both_backends::transactions::missing_for_run;
use crate::error::{StoreError, StoreResult};
use crate::migrations;
use crate::records::{DagRun, NewRun};
use crate::write::LeaderFence;

/// The schema, embedded at compile time (`crate::migrations`) and applied by [`PostgresStore::connect`].
static MIGRATOR: LazyLock<Migrator> = LazyLock::new(|| migrations::migrator(migrations::POSTGRES));

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
    /// The connection steps are written on.
    stepper: Arc<stepper::Stepper>,
    /// The gate its batches pass.
    #[cfg(any(test, feature = "testing"))]
    held_writes: Arc<crate::held_writes::HeldWrites>,
}

impl PostgresStore {
    /// Connect to the database at `url` (`postgres://user@host:port/db`) with
    /// [`DEFAULT_CONNECTIONS`] connections and bring its schema up to date.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        Self::connect_with(url, DEFAULT_CONNECTIONS).await
    }

    /// [`connect`](Self::connect) with a pool of at most `max_connections` connections.
    pub async fn connect_with(url: &str, max_connections: u32) -> StoreResult<Self> {
        Self::connect_trusting(url, max_connections, None).await
    }

    /// [`connect_with`](Self::connect_with), trusting the PEM certificates `ca_pem` (an
    /// installation's own CA) besides the web roots when the URL's `sslmode` verifies the
    /// server (`verify-ca`, `verify-full`); they replace the URL's `sslrootcert`.
    pub async fn connect_trusting(
        url: &str,
        max_connections: u32,
        ca_pem: Option<&[u8]>,
    ) -> StoreResult<Self> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(StoreError::Invalid(
                "a PostgreSQL URL starts with postgres:// or postgresql://".into(),
            ));
        }
        let mut options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Invalid(format!("bad PostgreSQL URL: {e}")))?;
        if let Some(pem) = ca_pem {
            options = options.ssl_root_cert_from_pem(pem.to_vec());
        }
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
            stepper: Arc::default(),
            #[cfg(any(test, feature = "testing"))]
            held_writes: Arc::default(),
        })
    }

    /// Close every connection; later operations fail as `Unavailable`.
    pub async fn close(&self) {
        self.pool.close().await;
        self.stepper.close().await;
    }
}

impl Backend for PostgresStore {
    type Db = Postgres;
    type Conn<'a> = Conn;

    #[cfg(any(test, feature = "testing"))]
    fn held_writes(&self) -> &Arc<crate::held_writes::HeldWrites> {
        &self.held_writes
    }

    /// A connection for reads.
    async fn reader(&self) -> Result<Conn, sqlx::Error> {
        Ok(Conn {
            conn: self.pool.acquire().await?,
            beginning: false,
        })
    }

    /// A connection for a write transaction.
    async fn writer(&self) -> Result<Conn, sqlx::Error> {
        self.reader().await
    }

    async fn begin_write<'c>(
        conn: &'c mut Self::Conn<'_>,
    ) -> Result<Transaction<'c, Postgres>, sqlx::Error> {
        conn.begin_with("BEGIN".to_owned()).await
    }

    /// A write transaction that, given a fence, goes on only while the fence holds, with the
    /// lease share-locked until it ends; the check travels with the `BEGIN` (see [`fence`]).
    async fn begin_fenced<'c>(
        conn: &'c mut Self::Conn<'_>,
        fence: Option<&LeaderFence>,
    ) -> StoreResult<Transaction<'c, Postgres>> {
        let Some(fence) = fence else {
            return Ok(Self::begin_write(conn).await?);
        };
        conn.begin_with(fence::begin(fence))
            .await
            .map_err(|e| fence::begin_error(fence, e))
    }

    /// A scheduler's usual step as one autocommitted statement (see [`step`]).
    async fn write_at_once(
        &self,
        batch: &crate::write::WriteBatch,
    ) -> StoreResult<Option<crate::write::WriteOutcome>> {
        step::write_at_once(self, batch).await
    }

    /// A read-only transaction with one snapshot for all its reads.
    async fn begin_read<'c>(
        conn: &'c mut Self::Conn<'_>,
    ) -> Result<Transaction<'c, Postgres>, sqlx::Error> {
        conn.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY".to_owned())
            .await
    }

    /// The run row and its task instances (`(id, task_id)` of each), in one statement; in a
    /// transaction with the asset events it consumes, if any.
    async fn insert_run_and_tasks(
        &self,
        run: &NewRun,
        consume: &[i64],
    ) -> StoreResult<(DagRun, Vec<(i64, String)>)> {
        let mut conn = self.writer().await?;
        if consume.is_empty() {
            let inserted = batch::insert_run_and_tasks(&mut conn, run)
                .await
                .map_err(|e| run_insert_error(run, e))?;
            return match inserted {
                Some((id, tis)) => Ok((stored_run(run, id), tis)),
                None => Err(missing_for_run::<Self>(&mut conn, run).await?),
            };
        }
        let mut tx = Self::begin_write(&mut conn).await?;
        if !assets_sql::consume::<Postgres>(&mut tx, &run.tenant, &run.dag_id, consume).await? {
            return Err(assets_sql::already_consumed(run));
        }
        let inserted = batch::insert_run_and_tasks(&mut tx, run)
            .await
            .map_err(|e| run_insert_error(run, e))?;
        match inserted {
            Some((id, tis)) => {
                tx.commit().await?;
                Ok((stored_run(run, id), tis))
            }
            None => Err(missing_for_run::<Self>(&mut tx, run).await?),
        }
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

    async fn delete_old_runs(
        tx: &mut Transaction<'_, Postgres>,
        before: i64,
        last: i64,
    ) -> StoreResult<(u64, u64)> {
        let (runs, tis): (i64, i64) =
            sqlx::query_as(crate::both_backends::retention_sql::DELETE_RUNS_AND_ROWS)
                .bind(before)
                .bind(last)
                .fetch_one(&mut **tx)
                .await?;
        Ok((
            u64::try_from(runs).unwrap_or(0),
            u64::try_from(tis).unwrap_or(0),
        ))
    }
}

/// A pooled connection for one operation. Should a begin on it be given up half-way (the
/// caller dropped), the server may already hold the begun transaction (and, for a fenced
/// write, the lease's share lock), which sqlx counts as no transaction and would not roll
/// back: the connection is then closed, which ends both, instead of going back to the pool
/// where a later operation would run inside that transaction.
pub(crate) struct Conn {
    conn: PoolConnection<Postgres>,
    /// A begin is under way.
    beginning: bool,
}

impl Conn {
    async fn begin_with(
        &mut self,
        statement: String,
    ) -> Result<Transaction<'_, Postgres>, sqlx::Error> {
        let Conn { conn, beginning } = self;
        *beginning = true;
        let begun = conn.begin_with(sqlx::AssertSqlSafe(statement)).await;
        *beginning = false;
        begun
    }
}

impl std::ops::Deref for Conn {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.conn
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        if self.beginning {
            self.conn.close_on_drop();
        }
    }
}
