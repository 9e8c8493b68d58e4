//! A new run and its task instances on SQLite in one command: `BEGIN IMMEDIATE`, the run's
//! insert, its task instances' insert and `COMMIT` as one script, instead of four commands
//! to the connection's thread (see [`step`](super::step) for why each costs). A run that
//! consumes asset events, has more task instances than one statement binds, or that the
//! script does not insert (its DAG or version is missing, its tenant is over its quota, its
//! id is taken) goes the way of a transaction of several commands, which tells why.

use sqlx::{Arguments as _, AssertSqlSafe, Sqlite};

use super::SqliteStore;
use super::batch::rows_per_statement;
use crate::backend::Backend;
use crate::both_backends::assemble::{bind_new_run, stored_run};
use crate::both_backends::sql;
use crate::both_backends::sql_text::sql;
use crate::both_backends::statement::statement;
use crate::both_backends::ti_columns::INSERTED;
use crate::records::{DagRun, NewRun};

/// Bound values of a task instance.
const TI_PARAMS: usize = 5;
/// A row: `(0, run, "")` for the run, `(1, id, task_id)` for each task instance.
type Row = (i64, i64, String);

/// The task instances' insert: a row of [`TI_PARAMS`] parameters per task instance in
/// `{values}`, into the run that the script's first statement inserted (`$1`-`$3`: its
/// tenant, DAG and run id); none when that statement inserted no row (`changes()` counts
/// its rows until this statement ends), so that a run of that id inserted before never
/// gets them.
const INSERT_TIS: &str = sql!(
    "WITH v (task_id, max_tries, queue, pool, priority_weight) AS \
     (VALUES {values}) INSERT INTO task_instances (",
    INSERTED,
    ") \
     SELECT r.id, $1, $2, v.task_id, 'none', 0, v.max_tries, v.queue, v.pool, \
     v.priority_weight, 0 \
     FROM (SELECT id FROM dag_runs WHERE tenant = $1 AND dag_id = $2 AND run_id = $3 \
     AND changes() = 1) r, v \
     WHERE true RETURNING 1, id, task_id"
);

/// The run as stored and its task instances' `(id, task_id)`, written in one command;
/// `None` when the caller is to write it as a transaction (see the module's page).
pub(super) async fn insert_at_once(
    store: &SqliteStore,
    run: &NewRun,
) -> Result<Option<(DagRun, Vec<(i64, String)>)>, sqlx::Error> {
    let Some(insert_run) = sql::INSERT_RUN.strip_suffix("RETURNING id") else {
        return Ok(None);
    };
    if run.tasks.len() > rows_per_statement(TI_PARAMS) {
        return Ok(None);
    }
    let mut arguments = bind_new_run(statement::<Sqlite>(sql::INSERT_RUN), run).into_arguments()?;
    // The task instances' parameters follow the run's.
    let run_params = arguments.len();
    let mut script = format!("BEGIN IMMEDIATE; {insert_run}RETURNING 0, id, ''");
    if !run.tasks.is_empty() {
        let rows: Vec<String> = (0..run.tasks.len())
            .map(|i| {
                let first = run_params + 1 + i * TI_PARAMS;
                let numbers: Vec<String> = (first..first + TI_PARAMS)
                    .map(|n| format!("${n}"))
                    .collect();
                format!("({})", numbers.join(", "))
            })
            .collect();
        script.push_str("; ");
        script.push_str(&INSERT_TIS.replacen("{values}", &rows.join(", "), 1));
    }
    script.push_str("; COMMIT");
    for task in &run.tasks {
        arguments
            .add(task.task_id.as_str())
            .map_err(sqlx::Error::Encode)?;
        arguments
            .add(i64::from(task.max_tries))
            .map_err(sqlx::Error::Encode)?;
        arguments
            .add(task.queue.as_str())
            .map_err(sqlx::Error::Encode)?;
        arguments
            .add(task.pool.as_str())
            .map_err(sqlx::Error::Encode)?;
        arguments
            .add(i64::from(task.priority_weight))
            .map_err(sqlx::Error::Encode)?;
    }
    let mut conn = store.writer().await?;
    conn.script_begins();
    let rows = sqlx::query_as_with::<Sqlite, Row, _>(AssertSqlSafe(script), arguments)
        .fetch_all(&mut *conn)
        .await;
    let rows = match rows {
        Ok(rows) => rows,
        Err(error) => {
            conn.roll_back_script().await;
            tracing::debug!(%error, run_id = %run.run_id, "a run's insert as one script failed; writing it in a transaction");
            return Ok(None);
        }
    };
    conn.script_ended();
    let mut id = None;
    let mut tis = Vec::with_capacity(run.tasks.len());
    for (kind, row_id, task_id) in rows {
        if kind == 0 {
            id = Some(row_id);
        } else {
            tis.push((row_id, task_id));
        }
    }
    Ok(id.map(|id| (stored_run(run, id), tis)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use jiff::{SignedDuration, Timestamp};
    use serde_json::json;
    use weft_model::{DagRunState, RunType};

    use super::*;
    use crate::both_backends::sql::INSERT_RUN;
    use crate::{DEFAULT_POOL, DEFAULT_TENANT, NewTaskInstance, Store};

    #[test]
    fn the_run_insert_returns_its_id_last() {
        assert!(INSERT_RUN.ends_with(" RETURNING id"), "{INSERT_RUN}");
    }

    fn new_run(run_id: &str, digest: &str, tasks: &[&str]) -> NewRun {
        let now = Timestamp::now();
        NewRun {
            tenant: DEFAULT_TENANT.into(),
            dag_id: "access".into(),
            run_id: run_id.into(),
            run_type: RunType::Manual,
            logical_date: now,
            data_interval_start: now,
            data_interval_end: now,
            conf: json!({}),
            digest: digest.into(),
            state: DagRunState::Queued,
            queued_at: now,
            tasks: tasks
                .iter()
                .map(|t| NewTaskInstance {
                    task_id: (*t).into(),
                    max_tries: 2,
                    queue: "default".into(),
                    pool: DEFAULT_POOL.into(),
                    priority_weight: 3,
                })
                .collect(),
            current_only: false,
        }
    }

    #[tokio::test]
    async fn a_run_goes_in_one_command_and_one_it_cannot_insert_is_left_to_the_transaction() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("insert.db"))
            .await
            .unwrap();
        crate::testing::running_reader_and_other(&store, SignedDuration::from_secs(60)).await;
        let digest = store
            .dag(DEFAULT_TENANT, "access")
            .await
            .unwrap()
            .unwrap()
            .digest;

        let run = new_run("r2", &digest, &["reader", "other"]);
        let (stored, ids) = insert_at_once(&store, &run).await.unwrap().unwrap();
        let (read, tis) = store.run(stored.id).await.unwrap().unwrap();
        assert_eq!(
            (read.run_id.as_str(), read.state),
            ("r2", DagRunState::Queued)
        );
        let read_ids: Vec<(i64, String)> =
            tis.iter().map(|ti| (ti.id, ti.task_id.clone())).collect();
        assert_eq!(ids, read_ids);
        assert!(
            tis.iter()
                .all(|ti| (ti.max_tries, ti.priority_weight) == (2, 3))
        );

        // A run without task instances.
        let (empty, ids) = insert_at_once(&store, &new_run("r3", &digest, &[]))
            .await
            .unwrap()
            .unwrap();
        assert!(ids.is_empty());
        assert!(store.run(empty.id).await.unwrap().is_some());

        // A version the DAG does not have, and a run id taken: left to the transaction,
        // nothing written.
        let unknown = new_run("r4", "sha256:unknown", &["reader"]);
        assert!(insert_at_once(&store, &unknown).await.unwrap().is_none());
        let store_run = |id: &'static str| {
            let store = &store;
            async move { store.run_by_id(DEFAULT_TENANT, "access", id).await.unwrap() }
        };
        assert!(store_run("r4").await.is_none());
        assert!(insert_at_once(&store, &run).await.unwrap().is_none());
        // A taken id whose insert the version check skips (no conflict is raised then), with
        // task ids the taken run does not have.
        let skipped = new_run("r2", "sha256:unknown", &["third"]);
        assert!(insert_at_once(&store, &skipped).await.unwrap().is_none());
        let again = store.run(stored.id).await.unwrap().unwrap().1;
        let task_ids: Vec<&str> = again.iter().map(|ti| ti.task_id.as_str()).collect();
        assert_eq!(
            task_ids,
            ["reader", "other"],
            "the taken run's task instances are as they were"
        );

        // The connection is out of the failed scripts' transactions.
        assert!(
            insert_at_once(&store, &new_run("r5", &digest, &["other"]))
                .await
                .unwrap()
                .is_some()
        );
    }
}
