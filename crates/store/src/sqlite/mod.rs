//! The SQLite store: one database file, in WAL mode, written through a single connection
//! (SQLite allows one writer at a time; queuing writes for it is cheaper than retrying on
//! `SQLITE_BUSY`) and read through a few read-only connections, which WAL lets run while the
//! writer commits. The store keeps these connections (see [`held`]), and copies the log into
//! the database file beside the writes rather than in them (see [`checkpoint`]).

pub(crate) mod batch;
mod checkpoint;
mod held;
mod insert;
mod step;

use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection as _, Sqlite, SqliteConnection, Transaction};

use crate::apply::deposed;
use crate::backend::Backend;
use crate::both_backends::assemble::{bind_new_run, run_insert_error, stored_run};
use crate::both_backends::assets_sql;
use crate::both_backends::sql;
use crate::both_backends::statement::statement;
use crate::both_backends::transactions::missing_for_run;
use crate::error::{StoreError, StoreResult};
use crate::migrations;
use crate::records::{DagRun, NewRun};
use crate::write::LeaderFence;
use checkpoint::Checkpoints;
use held::{Held, HeldConnection};

/// The schema, embedded at compile time (`crate::migrations`) and applied by [`SqliteStore::open`].
static MIGRATOR: LazyLock<Migrator> = LazyLock::new(|| migrations::migrator(migrations::SQLITE));

/// How long a statement waits for a lock held by another process before failing as
/// [`StoreError::Unavailable`].
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Read-only connections.
const READERS: u32 = 4;
/// A lease's holder and epoch.
const LEADER: &str = "SELECT holder, epoch FROM leaders WHERE name = $1";

/// Weft's metadata store in a SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: Arc<Held>,
    reader: Arc<Held>,
    checkpoints: Arc<Checkpoints>,
    path: PathBuf,
    /// The gate its batches pass.
    #[cfg(any(test, feature = "testing"))]
    held_writes: Arc<crate::held_writes::HeldWrites>,
}

impl SqliteStore {
    /// Open the store at `path`, creating the file (and its parent directories) if needed,
    /// and bring its schema up to date. The file is readable by its owner only (directories
    /// made for it too), and so are SQLite's log files beside it, which take its mode: the
    /// store holds sealed credentials, token hashes, logs and results.
    pub async fn open(path: impl AsRef<Path>) -> StoreResult<Self> {
        Self::open_checkpointing(path.as_ref(), checkpoint::EVERY).await
    }

    /// [`open`](Self::open), with the log copied into the database file every `every`.
    async fn open_checkpointing(path: &Path, every: Duration) -> StoreResult<Self> {
        let path = path.to_path_buf();
        private_file(&path)?;
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .busy_timeout(BUSY_TIMEOUT)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .pragma("cache_size", "-65536");
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .after_connect(|conn, _| Box::pin(step::prepare(conn)))
            .connect_with(
                options
                    .clone()
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // Its commits copy the log into the database file only past the
                    // backstop: the checkpoints below do it, beside them.
                    .pragma("wal_autocheckpoint", checkpoint::BACKSTOP_PAGES.to_string())
                    .pragma("journal_size_limit", checkpoint::LOG_SIZE_LIMIT.to_string()),
            )
            .await
            .map_err(|e| opening(&path, e))?;
        MIGRATOR.run(&writer).await?;
        let checkpointer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await
            .map_err(|e| opening(&path, e))?;
        let reader = SqlitePoolOptions::new()
            .max_connections(READERS)
            .test_before_acquire(false)
            .connect_with(options.read_only(true))
            .await
            .map_err(|e| opening(&path, e))?;
        Ok(Self {
            writer: Arc::new(Held::new(writer, 1)),
            reader: Arc::new(Held::new(reader, READERS as usize)),
            checkpoints: Arc::new(Checkpoints::start(checkpointer, every)),
            path,
            #[cfg(any(test, feature = "testing"))]
            held_writes: Arc::default(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Close every connection; later operations fail as `Unavailable`.
    pub async fn close(&self) {
        // The write connection last: a read-write connection that closes last copies what
        // is left of the log and removes it.
        self.reader.close().await;
        self.checkpoints.stop().await;
        self.writer.close().await;
    }
}

impl Backend for SqliteStore {
    type Db = Sqlite;
    type Conn<'a> = HeldConnection<'a>;

    #[cfg(any(test, feature = "testing"))]
    fn held_writes(&self) -> &Arc<crate::held_writes::HeldWrites> {
        &self.held_writes
    }

    /// A read-only connection.
    async fn reader(&self) -> Result<HeldConnection<'_>, sqlx::Error> {
        self.reader.get().await
    }

    /// The one connection that writes.
    async fn writer(&self) -> Result<HeldConnection<'_>, sqlx::Error> {
        self.writer.get().await
    }

    /// A write transaction that takes SQLite's write lock at once, so it never fails to
    /// upgrade a read lock half-way.
    async fn begin_write<'c>(
        conn: &'c mut Self::Conn<'_>,
    ) -> Result<Transaction<'c, Sqlite>, sqlx::Error> {
        conn.begin_with("BEGIN IMMEDIATE").await
    }

    /// A write transaction that, given a fence, goes on only while the fence holds. SQLite's
    /// write lock, taken at once, keeps any takeover out until the transaction ends.
    async fn begin_fenced<'c>(
        conn: &'c mut Self::Conn<'_>,
        fence: Option<&LeaderFence>,
    ) -> StoreResult<Transaction<'c, Sqlite>> {
        let mut tx = Self::begin_write(conn).await?;
        if let Some(fence) = fence {
            let now: Option<(String, i64)> = sqlx::query_as(LEADER)
                .bind(&fence.name)
                .fetch_optional(&mut *tx)
                .await?;
            match now {
                Some((holder, epoch)) if holder == fence.holder && epoch == fence.epoch => {}
                now => {
                    let now = now
                        .as_ref()
                        .map(|(holder, epoch)| (holder.as_str(), *epoch));
                    return Err(deposed(fence, now));
                }
            }
        }
        Ok(tx)
    }

    /// A step that fits one script (see [`apply::at_once`](crate::apply::at_once)), as one
    /// command to the connection's thread (see [`step`]); `None` when its checks do not
    /// hold.
    async fn write_at_once(
        &self,
        batch: &crate::write::WriteBatch,
    ) -> StoreResult<Option<crate::write::WriteOutcome>> {
        if !crate::apply::at_once(batch) {
            return Ok(None);
        }
        step::write(self, batch).await
    }

    /// A read transaction: one snapshot for all its reads.
    async fn begin_read<'c>(
        conn: &'c mut Self::Conn<'_>,
    ) -> Result<Transaction<'c, Sqlite>, sqlx::Error> {
        conn.begin().await
    }

    /// The run row and its task instances (`(id, task_id)` of each), in one write
    /// transaction.
    async fn insert_run_and_tasks(
        &self,
        run: &NewRun,
        consume: &[i64],
    ) -> StoreResult<(DagRun, Vec<(i64, String)>)> {
        if consume.is_empty()
            && let Some(inserted) = insert::insert_at_once(self, run).await?
        {
            return Ok(inserted);
        }
        let mut conn = self.writer().await?;
        let mut tx = Self::begin_write(&mut conn).await?;
        if !assets_sql::consume::<Sqlite>(&mut tx, &run.tenant, &run.dag_id, consume).await? {
            return Err(assets_sql::already_consumed(run));
        }
        let dag_run = insert_run(&mut tx, run).await?;
        let ids = batch::insert_task_instances(&mut tx, &dag_run, &run.tasks).await?;
        tx.commit().await?;
        Ok((dag_run, ids))
    }

    /// SQLite's planner needs no statistics kept fresh for Weft's statements.
    fn task_instances_created(&self, _count: usize) {}

    /// Its foreign keys cascade from the runs, and its one writer sees no other write
    /// between the count and the delete.
    async fn delete_old_runs(
        tx: &mut Transaction<'_, Sqlite>,
        before: i64,
        last: i64,
    ) -> StoreResult<(u64, u64)> {
        use crate::both_backends::retention_sql::{COUNT_TASK_INSTANCES, DELETE_RUNS};
        let (tis,): (i64,) = sqlx::query_as(COUNT_TASK_INSTANCES)
            .bind(before)
            .bind(last)
            .fetch_one(&mut **tx)
            .await?;
        let runs = sqlx::query(DELETE_RUNS)
            .bind(before)
            .bind(last)
            .execute(&mut **tx)
            .await?
            .rows_affected();
        Ok((runs, u64::try_from(tis).unwrap_or(0)))
    }
}

/// Insert the run row; the run as stored. The DAG must exist with the run's digest as one
/// of its versions (as its current one, for a run that asks for that), and the run id must be
/// new for the DAG.
async fn insert_run(conn: &mut SqliteConnection, run: &NewRun) -> StoreResult<DagRun> {
    let id: Option<i64> = bind_new_run(statement::<Sqlite>(sql::INSERT_RUN), run)
        .fetch_optional_scalar(&mut *conn)
        .await
        .map_err(|e| run_insert_error(run, e))?;
    let Some(id) = id else {
        return Err(missing_for_run::<SqliteStore>(conn, run).await?);
    };
    Ok(stored_run(run, id))
}

fn opening(path: &Path, error: sqlx::Error) -> StoreError {
    StoreError::from(error).context(format_args!("opening {}", path.display()))
}

/// Make `path`'s missing parent directories (owner only: `0700`) and the database file itself
/// if missing, readable and writable by its owner only (`0600`); an existing file readable by
/// others is made private too. SQLite creates its log files (`-wal`, `-shm`) with the
/// database file's mode.
fn private_file(path: &Path) -> StoreResult<()> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    let failed = |what: &str, at: &Path, e: std::io::Error| {
        StoreError::Database(format!("{what} {}: {e}", at.display()))
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(|e| failed("creating directory", parent, e))?;
    }
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map_err(|e| failed("creating", path, e))?;
    let mode = file
        .metadata()
        .map_err(|e| failed("reading the mode of", path, e))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        file.set_permissions(std::fs::Permissions::from_mode(mode & 0o700))
            .map_err(|e| failed("making private", path, e))?;
    }
    Ok(())
}
