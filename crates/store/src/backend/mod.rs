//! What a backend provides, as traits the compiler checks: [`Backend`] (its connections, its
//! kinds of transaction, the insert of a new run with its task instances), [`Sql`] (what its
//! database binds and reads for the shared statements) and [`BatchSql`] (its connection's
//! statements for a write batch, in [`batch`]). Every [`Store`](crate::Store) operation is
//! written once, as generic code over `Backend` (`both_backends::store_impl`);
//! [`SqliteStore`](crate::SqliteStore) and [`PostgresStore`](crate::PostgresStore) implement
//! it.
//!
//! `Backend` and `Sql` are resolved at compile time: the shared code is compiled once per
//! backend, as if written for it, with no boxed future and no dynamic dispatch. (`BatchSql`
//! keeps `async_trait`'s boxed futures, one per batched statement, as before.)

pub(crate) mod batch;

use std::future::Future;
use std::ops::DerefMut;

use sqlx::{Database, Postgres, Sqlite, Transaction};

use batch::BatchSql;

use crate::both_backends::sealed_sql::{
    AttemptRow, ConnectionRow, MarkerRow, SealedConnectionRow, SealedSecretRow, SecretRow,
};
use crate::both_backends::statement::{Encodes, Executes, Reads};
use crate::error::StoreResult;
use crate::records::{DagRun, NewRun};
use crate::rows::{
    DagRow, PoolRow, RunRow, RunTiRow, TenantRow, TiRow, TokenRow, VariableRow, VersionRow,
    WorkerRow, XcomRow,
};
use crate::write::LeaderFence;

/// A backend of the store.
pub(crate) trait Backend: Send + Sync + 'static {
    /// The sqlx database it runs on.
    type Db: Sql;

    /// A connection held for one operation.
    type Conn<'a>: DerefMut<Target = Connection<Self>> + Send
    where
        Self: 'a;

    /// The gate its batches pass (see [`HeldWrites`](crate::held_writes::HeldWrites)).
    #[cfg(any(test, feature = "testing"))]
    fn held_writes(&self) -> &std::sync::Arc<crate::held_writes::HeldWrites>;

    /// A connection for reads.
    fn reader(&self) -> impl Future<Output = Result<Self::Conn<'_>, sqlx::Error>> + Send;

    /// A connection for a write transaction.
    fn writer(&self) -> impl Future<Output = Result<Self::Conn<'_>, sqlx::Error>> + Send;

    /// A write transaction on a writer's connection.
    fn begin_write<'c>(
        conn: &'c mut Self::Conn<'_>,
    ) -> impl Future<Output = Result<Transaction<'c, Self::Db>, sqlx::Error>> + Send;

    /// A write transaction that, given a fence, goes on only while the fence holds, failing
    /// with [`StoreError::Conflict`](crate::StoreError::Conflict) (see
    /// [`deposed`](crate::apply::deposed)) otherwise. Nobody can take the fence's lease over
    /// until the transaction ends.
    fn begin_fenced<'c>(
        conn: &'c mut Self::Conn<'_>,
        fence: Option<&LeaderFence>,
    ) -> impl Future<Output = StoreResult<Transaction<'c, Self::Db>>> + Send;

    /// Write `batch` in one go, with its fence and its all-or-nothing rule checked inside,
    /// when the batch is a step that fits (see [`at_once`](crate::apply::at_once)): on
    /// PostgreSQL one autocommitted statement, on SQLite one script of its whole
    /// transaction. `None` otherwise, for the caller to write it in a transaction begun with
    /// [`begin_fenced`](Self::begin_fenced).
    fn write_at_once(
        &self,
        batch: &crate::write::WriteBatch,
    ) -> impl Future<Output = StoreResult<Option<crate::write::WriteOutcome>>> + Send;

    /// A transaction that sees one snapshot across several reads.
    fn begin_read<'c>(
        conn: &'c mut Self::Conn<'_>,
    ) -> impl Future<Output = Result<Transaction<'c, Self::Db>, sqlx::Error>> + Send;

    /// A new run and its task instances, committed together: the run as stored and the
    /// `(id, task_id)` of each task instance. `NotFound` when the DAG or its version is
    /// missing (see [`missing_for_run`](crate::both_backends::transactions::missing_for_run)),
    /// `Conflict` when the run id is taken (see
    /// [`run_insert_error`](crate::both_backends::assemble::run_insert_error)).
    ///
    /// With `consume`, the run is started by these asset events, taken off its DAG's queue
    /// in the same transaction: `Conflict` when one of them is no longer queued.
    fn insert_run_and_tasks(
        &self,
        run: &NewRun,
        consume: &[i64],
    ) -> impl Future<Output = StoreResult<(DagRun, Vec<(i64, String)>)>> + Send;

    /// Told after `count` task instances of a new run are committed.
    fn task_instances_created(&self, count: usize);

    /// In `tx`, delete the runs of a clean's batch (`before` its cut-off in microseconds,
    /// `last` the batch's last run id; see [`retention`](crate::both_backends::retention_sql)) with
    /// their task instances, XCom values, logs and notifications: how many runs and task
    /// instances went.
    fn delete_old_runs(
        tx: &mut Transaction<'_, Self::Db>,
        before: i64,
        last: i64,
    ) -> impl Future<Output = StoreResult<(u64, u64)>> + Send;
}

/// The connection type of backend `B`.
pub(crate) type Connection<B> = <<B as Backend>::Db as Database>::Connection;

/// A sqlx database the shared statements run on: its connections run a write's batched
/// statements ([`BatchSql`]), and it binds every value type and reads every row type the
/// shared code uses (each checked for SQLite and PostgreSQL by the impls below).
pub(crate) trait Sql:
    Database<Connection: BatchSql>
    + Executes
    + Encodes<'static, i64>
    + Encodes<'static, Option<i64>>
    + Encodes<'static, bool>
    + Encodes<'static, String>
    + Encodes<'static, Vec<u8>>
    + Encodes<'static, Option<Vec<u8>>>
    + Encodes<'static, Option<String>>
    + for<'a> Encodes<'a, &'a str>
    + for<'a> Encodes<'a, Option<&'a str>>
    + Reads<(i64,)>
    + Reads<(Option<i64>,)>
    + Reads<(String,)>
    + Reads<(Vec<u8>,)>
    + Reads<(Option<Vec<u8>>,)>
    + Reads<(Option<i64>, i64)>
    + Reads<(Option<i64>, Option<i64>, i64)>
    + Reads<DagRow>
    + Reads<VersionRow>
    + Reads<RunRow>
    + Reads<RunTiRow>
    + Reads<TiRow>
    + Reads<XcomRow>
    + Reads<VariableRow>
    + Reads<PoolRow>
    + Reads<TenantRow>
    + Reads<TokenRow>
    + Reads<WorkerRow>
    + Reads<ConnectionRow>
    + Reads<SecretRow>
    + Reads<MarkerRow>
    + Reads<SealedConnectionRow>
    + Reads<SealedSecretRow>
    + Reads<AttemptRow>
    + Reads<batch::Applied>
    + Reads<crate::both_backends::notifications_sql::NotificationRow>
    + Reads<crate::both_backends::assets_sql::EventRow>
    + Reads<crate::both_backends::assets_sql::ActivityRow>
    + Reads<crate::both_backends::monitoring_sql::QueueRow>
    + Reads<crate::both_backends::monitoring_sql::PoolUsageRow>
    + Reads<crate::both_backends::monitoring_sql::LogTailRow>
{
    /// `$1` ti, `$2` lease, `$3` lines, `$4` most bytes, `$5` whether they follow lines
    /// already sent: add the lines to the live log of the attempt's try while it holds its
    /// lease (one row affected), else nothing. A row that another attempt of the same try
    /// left (a sensor's earlier poke) is replaced, and so is the row when these are the first
    /// lines (the same delivery run again); the final log of this attempt, once written, is
    /// never touched; a live log stays within the limit. The backends differ only in how
    /// they join two byte strings.
    const APPEND_LOG: &'static str;
}

/// [`Sql::APPEND_LOG`] with `$log` the expression joining the stored and the new bytes (the
/// attempt's state checked as a `CASE`, as in [`crate::both_backends::sql`]).
macro_rules! append_log {
    ($log:literal) => {
        $crate::both_backends::sql_text::sql!(
            "INSERT INTO task_logs (ti, try_number, lease, log, live) \
             SELECT id, try_number, lease, $3, TRUE FROM task_instances \
             WHERE id = $1 AND lease = $2 \
             AND CASE WHEN state IN ",
            $crate::both_backends::state_sql::TASK_IN_FLIGHT,
            " THEN TRUE END AND length($3) <= $4 \
             ON CONFLICT (ti, try_number) DO UPDATE SET \
             log = CASE WHEN task_logs.lease = excluded.lease AND $5 THEN ",
            $log,
            " ELSE excluded.log END, lease = excluded.lease, live = TRUE \
             WHERE task_logs.lease IS NULL OR task_logs.lease <> excluded.lease \
             OR (task_logs.live AND length(task_logs.log) + length(excluded.log) <= $4)"
        )
    };
}

impl Sql for Sqlite {
    // `||` makes text of two blobs in SQLite; the cast keeps the column a blob.
    const APPEND_LOG: &'static str = append_log!("CAST(task_logs.log || excluded.log AS BLOB)");
}

impl Sql for Postgres {
    const APPEND_LOG: &'static str = append_log!("task_logs.log || excluded.log");
}
