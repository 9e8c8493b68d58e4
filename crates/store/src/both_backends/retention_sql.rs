//! [`Store::clean`](crate::Store::clean): its SQL and batches, written once for both
//! backends.
//!
//! A run goes once it has ended (succeeded or failed) before the cut-off, unless it is its
//! DAG's newest run or its latest scheduled one (what the scheduler reads to know where a
//! schedule stands). Deleting a run deletes its task instances, XCom values, logs and
//! notifications with it: on SQLite the foreign keys cascade; on PostgreSQL, where no
//! foreign key ties task instances and XCom values to their run, one statement deletes the
//! runs and those rows of the runs it deleted (see [`Backend::delete_old_runs`]). Each batch
//! is one short transaction that deletes the oldest runs up to an id, so the scheduler's
//! writes go on between batches, and a batch repeated after a failure deletes nothing twice.

use super::statement::statement;
use crate::backend::Backend;
use crate::both_backends::sql_text::sql;
use crate::both_backends::state_sql::RUN_FINISHED;
use crate::error::StoreResult;
use crate::retention::{Clean, Cleaned};
use crate::rows::micros;

/// The runs no clean removes, as a `WITH` clause `keep (id)`: each DAG's newest run, and its
/// latest scheduled one. Computed once per statement, from one pass over the runs and an
/// index lookup per DAG.
macro_rules! keep {
    () => {
        "WITH keep (id) AS (SELECT MAX(id) FROM dag_runs GROUP BY tenant, dag_id \
         UNION SELECT (SELECT s.id FROM dag_runs s WHERE s.tenant = g.tenant \
         AND s.dag_id = g.dag_id AND s.run_type IN ('scheduled', 'backfill') \
         ORDER BY s.logical_date DESC, s.id DESC LIMIT 1) FROM dags g) "
    };
}

/// The runs a clean removes, of `dag_runs d`, with `$1` the cut-off (microseconds), after
/// [`keep!`].
const OLD_RUNS: &str = sql!(
    "d.state IN ",
    RUN_FINISHED,
    " AND d.ended_at IS NOT NULL AND d.ended_at < $1 \
     AND d.id NOT IN (SELECT id FROM keep WHERE id IS NOT NULL)"
);

/// The events no clean removes, as a `WITH` clause `keep_events (id)`: each asset's newest.
macro_rules! keep_events {
    () => {
        "WITH keep_events (id) AS (SELECT MAX(id) FROM asset_events GROUP BY tenant, uri) "
    };
}

/// The asset events a clean removes, of `asset_events e`, with `$1` the cut-off: made before
/// it, waited for by no DAG, and not their asset's newest.
macro_rules! old_events {
    () => {
        "e.created_at < $1 AND NOT EXISTS (SELECT 1 FROM asset_queue q WHERE q.event = e.id) \
         AND e.id NOT IN (SELECT id FROM keep_events)"
    };
}

/// `$1` cut-off, `$2` batch: the id of the last run of the next batch.
const NEXT_RUNS: &str = sql!(
    keep!(),
    "SELECT MAX(id) FROM (SELECT d.id FROM dag_runs d WHERE ",
    OLD_RUNS,
    " ORDER BY d.id LIMIT $2) b"
);
/// `$1` cut-off, `$2` last id: the task instances of the batch's runs.
pub(crate) const COUNT_TASK_INSTANCES: &str = sql!(
    keep!(),
    "SELECT COUNT(*) FROM task_instances t JOIN dag_runs d ON d.id = t.run WHERE d.id <= $2 AND ",
    OLD_RUNS
);
/// `$1` cut-off, `$2` last id: the batch's runs (what refers to them cascades).
pub(crate) const DELETE_RUNS: &str = sql!(
    keep!(),
    "DELETE FROM dag_runs WHERE id IN (SELECT d.id FROM dag_runs d WHERE d.id <= $2 AND ",
    OLD_RUNS,
    ")"
);
/// `$1` cut-off, `$2` last id: the batch's runs, and the XCom values and task instances of
/// the runs deleted (their logs and the runs' notifications cascade), in one statement, so
/// all three go by the same runs; how many runs and task instances went. PostgreSQL.
pub(crate) const DELETE_RUNS_AND_ROWS: &str = sql!(
    keep!(),
    ", gone AS (DELETE FROM dag_runs WHERE id IN (SELECT d.id FROM dag_runs d WHERE d.id <= $2 \
     AND ",
    OLD_RUNS,
    ") RETURNING id), \
     x AS (DELETE FROM xcom WHERE run IN (SELECT id FROM gone)), \
     t AS (DELETE FROM task_instances WHERE run IN (SELECT id FROM gone) RETURNING id) \
     SELECT (SELECT COUNT(*) FROM gone), (SELECT COUNT(*) FROM t)"
);
/// `$1` cut-off: every run and task instance a clean would remove.
const COUNT_OLD_RUNS: &str = sql!(keep!(), "SELECT COUNT(*) FROM dag_runs d WHERE ", OLD_RUNS);
const COUNT_OLD_TASK_INSTANCES: &str = sql!(
    keep!(),
    "SELECT COUNT(*) FROM task_instances t JOIN dag_runs d ON d.id = t.run WHERE ",
    OLD_RUNS
);
/// `$1` cut-off, `$2` batch: the id of the last event of the next batch.
const NEXT_EVENTS: &str = concat!(
    keep_events!(),
    "SELECT MAX(id) FROM (SELECT e.id FROM asset_events e WHERE ",
    old_events!(),
    " ORDER BY e.id LIMIT $2) b"
);
/// `$1` cut-off, `$2` last id.
const DELETE_EVENTS: &str = concat!(
    keep_events!(),
    "DELETE FROM asset_events WHERE id IN (SELECT e.id FROM asset_events e WHERE e.id <= $2 AND ",
    old_events!(),
    ")"
);
const COUNT_OLD_EVENTS: &str = concat!(
    keep_events!(),
    "SELECT COUNT(*) FROM asset_events e WHERE ",
    old_events!()
);

/// DAG versions neither current nor pinned by a run, of `dag_versions v`.
macro_rules! unused_versions {
    () => {
        "NOT EXISTS (SELECT 1 FROM dags g WHERE g.tenant = v.tenant AND g.dag_id = v.dag_id \
         AND g.digest = v.digest) \
         AND NOT EXISTS (SELECT 1 FROM dag_runs r WHERE r.tenant = v.tenant AND r.digest = v.digest)"
    };
}
/// Components nothing refers to, of table alias `c` (with `tenant` and `digest`).
macro_rules! unused_components {
    () => {
        "NOT EXISTS (SELECT 1 FROM dags g WHERE g.tenant = c.tenant AND g.digest = c.digest) \
         AND NOT EXISTS (SELECT 1 FROM dag_versions v WHERE v.tenant = c.tenant \
         AND v.digest = c.digest) \
         AND NOT EXISTS (SELECT 1 FROM dag_runs r WHERE r.tenant = c.tenant AND r.digest = c.digest)"
    };
}
const COUNT_UNUSED_VERSIONS: &str = concat!(
    "SELECT COUNT(*) FROM dag_versions v WHERE ",
    unused_versions!()
);
const DELETE_UNUSED_VERSIONS: &str = concat!(
    "DELETE FROM dag_versions WHERE (tenant, dag_id, digest) IN (SELECT v.tenant, v.dag_id, \
     v.digest FROM dag_versions v WHERE ",
    unused_versions!(),
    ")"
);
/// Components unused once the unused versions are gone (what a dry run reports).
const COUNT_UNUSED_COMPONENTS: &str = concat!(
    "SELECT COUNT(*) FROM components c WHERE ",
    "NOT EXISTS (SELECT 1 FROM dags g WHERE g.tenant = c.tenant AND g.digest = c.digest) \
     AND NOT EXISTS (SELECT 1 FROM dag_versions v WHERE v.tenant = c.tenant \
     AND v.digest = c.digest AND NOT (",
    unused_versions!(),
    ")) AND NOT EXISTS (SELECT 1 FROM dag_runs r WHERE r.tenant = c.tenant AND r.digest = c.digest)"
);
const DELETE_UNUSED_BYTES: &str = concat!(
    "DELETE FROM component_bytes WHERE (tenant, digest) IN (SELECT c.tenant, c.digest \
     FROM components c WHERE ",
    unused_components!(),
    ")"
);
const DELETE_UNUSED_COMPONENTS: &str = concat!(
    "DELETE FROM components WHERE (tenant, digest) IN (SELECT c.tenant, c.digest \
     FROM components c WHERE ",
    unused_components!(),
    ")"
);

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

pub(crate) async fn clean<B: Backend>(store: &B, request: &Clean) -> StoreResult<Cleaned> {
    let before = micros(request.before);
    let batch = i64::from(request.batch.max(1));
    let mut cleaned = Cleaned::default();
    if request.dry_run {
        let mut conn = store.reader().await?;
        let scalar = |sql: &'static str| statement::<B::Db>(sql).bind(before);
        cleaned.runs = count(
            scalar(COUNT_OLD_RUNS)
                .fetch_optional_scalar(&mut *conn)
                .await?
                .unwrap_or(0),
        );
        cleaned.task_instances = count(
            scalar(COUNT_OLD_TASK_INSTANCES)
                .fetch_optional_scalar(&mut *conn)
                .await?
                .unwrap_or(0),
        );
        cleaned.asset_events = count(
            scalar(COUNT_OLD_EVENTS)
                .fetch_optional_scalar(&mut *conn)
                .await?
                .unwrap_or(0),
        );
        if request.components {
            cleaned.versions = count(
                statement::<B::Db>(COUNT_UNUSED_VERSIONS)
                    .fetch_optional_scalar(&mut *conn)
                    .await?
                    .unwrap_or(0),
            );
            cleaned.components = count(
                statement::<B::Db>(COUNT_UNUSED_COMPONENTS)
                    .fetch_optional_scalar(&mut *conn)
                    .await?
                    .unwrap_or(0),
            );
        }
        return Ok(cleaned);
    }
    // Runs, a batch per transaction, oldest first. Each batch is found with a read, so the
    // write transaction (which holds SQLite's one write lock) only deletes.
    loop {
        let last: Option<i64> = statement::<B::Db>(NEXT_RUNS)
            .bind(before)
            .bind(batch)
            .fetch_optional_scalar::<Option<i64>>(&mut *store.reader().await?)
            .await?
            .flatten();
        let Some(last) = last else {
            break;
        };
        let mut conn = store.writer().await?;
        let mut tx = B::begin_write(&mut conn).await?;
        let (runs, tis) = B::delete_old_runs(&mut tx, before, last).await?;
        tx.commit().await?;
        cleaned.runs += runs;
        cleaned.task_instances += tis;
        cleaned.batches += 1;
        if runs == 0 {
            break;
        }
    }
    loop {
        let last: Option<i64> = statement::<B::Db>(NEXT_EVENTS)
            .bind(before)
            .bind(batch)
            .fetch_optional_scalar::<Option<i64>>(&mut *store.reader().await?)
            .await?
            .flatten();
        let Some(last) = last else {
            break;
        };
        let mut conn = store.writer().await?;
        let mut tx = B::begin_write(&mut conn).await?;
        let events = statement::<B::Db>(DELETE_EVENTS)
            .bind(before)
            .bind(last)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        cleaned.asset_events += events;
        cleaned.batches += 1;
        if events == 0 {
            break;
        }
    }
    if request.components {
        let mut conn = store.writer().await?;
        let mut tx = B::begin_write(&mut conn).await?;
        cleaned.versions = statement::<B::Db>(DELETE_UNUSED_VERSIONS)
            .execute(&mut tx)
            .await?;
        statement::<B::Db>(DELETE_UNUSED_BYTES)
            .execute(&mut tx)
            .await?;
        cleaned.components = statement::<B::Db>(DELETE_UNUSED_COMPONENTS)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        cleaned.batches += 1;
    }
    Ok(cleaned)
}
