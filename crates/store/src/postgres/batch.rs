//! Batched statements on PostgreSQL: each change kind is one statement over `UNNEST`ed
//! arrays, one array per column, whatever the batch's size.

use async_trait::async_trait;
use sqlx::{PgConnection, Postgres};

use crate::apply::{Applied, BatchSql, FinishValues, LogPut, XcomPut};
use crate::common::assemble::bind_new_run;
use crate::common::statement::statement;
use crate::records::{NewRun, NewTaskInstance};
use crate::rows::{micros, micros_opt};
use crate::write::{FinishTask, Heartbeat, QueueTask, SetRunState, SetTaskState, StartTask};

/// The fenced queue update (`$1`-`$5`); [`STEP`] runs the same update as its part `q`.
const QUEUE: &str = "UPDATE task_instances t SET state = 'queued', lease = t.lease + 1, \
     try_number = v.new_try, queued_at = v.at, lease_expires_at = NULL, worker_id = NULL, \
     hostname = NULL, started_at = NULL, ended_at = NULL, duration_ms = NULL, next_retry_at = NULL, \
     error_class = NULL, error = NULL \
     FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[]) \
     AS v (ti, seen_lease, seen_state, new_try, at) \
     WHERE t.id = v.ti AND t.lease = v.seen_lease AND t.state = v.seen_state \
     RETURNING t.id, t.run, t.task_id, t.try_number";

/// A new run (`$1`-`$13`, the shared [`INSERT_RUN`](crate::common::sql::INSERT_RUN) as its
/// part `r`) and its task instances (`$14`-`$18`), in one statement: a row per task instance
/// (`run`, `id`, `task_id`); none when the run was not inserted, and one with no task
/// instance for a run without tasks.
const INSERT_RUN_AND_TASKS: &str = "WITH r AS (INSERT INTO dag_runs (tenant, dag_id, run_id, \
     run_type, logical_date, data_interval_start, data_interval_end, conf, digest, state, \
     queued_at, started_at, ended_at) \
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 \
     WHERE EXISTS (SELECT 1 FROM dag_versions WHERE tenant = $1 AND dag_id = $2 AND digest = $9) \
     RETURNING id), \
     t AS (INSERT INTO task_instances (run, tenant, dag_id, task_id, state, try_number, \
     max_tries, queue, pool, priority_weight, lease) \
     SELECT r.id, $1, $2, v.task_id, 'none', 0, v.max_tries, v.queue, v.pool, v.priority_weight, 0 \
     FROM r, UNNEST($14::text[], $15::bigint[], $16::text[], $17::text[], $18::bigint[]) \
     AS v (task_id, max_tries, queue, pool, priority_weight) RETURNING run, id, task_id) \
     SELECT r.id AS run, t.id, t.task_id FROM r LEFT JOIN t ON t.run = r.id";

/// Insert `run` and its task instances in one statement (one round trip, committed on its
/// own): the run's id and the `(id, task_id)` of each task instance, or `None` when the
/// run's DAG does not have its digest as a version.
pub(crate) async fn insert_run_and_tasks(
    conn: &mut PgConnection,
    run: &NewRun,
) -> Result<Option<(i64, Vec<(i64, String)>)>, sqlx::Error> {
    let tasks: Vec<&NewTaskInstance> = run.tasks.iter().collect();
    let rows: Vec<(i64, Option<i64>, Option<String>)> =
        bind_new_run(statement::<Postgres>(INSERT_RUN_AND_TASKS), run)
            .bind(column(&tasks, |t| t.task_id.as_str()))
            .bind(column(&tasks, |t| i64::from(t.max_tries)))
            .bind(column(&tasks, |t| t.queue.as_str()))
            .bind(column(&tasks, |t| t.pool.as_str()))
            .bind(column(&tasks, |t| i64::from(t.priority_weight)))
            .fetch_all(&mut *conn)
            .await?;
    let Some(&(id, _, _)) = rows.first() else {
        return Ok(None);
    };
    let tis = rows
        .into_iter()
        .filter_map(|(_, ti, task_id)| ti.zip(task_id))
        .collect();
    Ok(Some((id, tis)))
}

const START: &str = "UPDATE task_instances t SET state = 'running', worker_id = v.worker, hostname = v.host, \
     started_at = v.at, lease_expires_at = v.expires \
     FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::bigint[]) \
     AS v (ti, seen_lease, worker, host, at, expires) \
     WHERE t.id = v.ti AND t.lease = v.seen_lease AND t.state = 'queued' RETURNING t.id";

const HEARTBEAT: &str = "UPDATE task_instances t SET lease_expires_at = v.expires \
     FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[]) AS v (ti, seen_lease, expires) \
     WHERE t.id = v.ti AND t.lease = v.seen_lease AND t.state = 'running' RETURNING t.id";

const SET_TASKS: &str = "UPDATE task_instances t SET state = v.new_state, \
     max_tries = COALESCE(v.tries, t.max_tries), lease = t.lease + v.bump, \
     lease_expires_at = CASE WHEN v.new_state = 'running' THEN t.lease_expires_at END, \
     queued_at = CASE WHEN v.clearing THEN NULL ELSE t.queued_at END, \
     started_at = CASE WHEN v.clearing THEN NULL ELSE t.started_at END, \
     ended_at = CASE WHEN v.clearing THEN NULL WHEN v.finishing THEN v.at ELSE t.ended_at END, \
     duration_ms = CASE WHEN v.clearing THEN NULL ELSE t.duration_ms END, \
     next_retry_at = CASE WHEN v.clearing THEN NULL ELSE t.next_retry_at END, \
     worker_id = CASE WHEN v.clearing THEN NULL ELSE t.worker_id END, \
     hostname = CASE WHEN v.clearing THEN NULL ELSE t.hostname END, \
     error_class = CASE WHEN v.clearing THEN NULL ELSE t.error_class END, \
     error = CASE WHEN v.clearing THEN NULL ELSE t.error END \
     FROM UNNEST($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::boolean[], $7::boolean[]) \
     AS v (ti, new_state, at, tries, bump, clearing, finishing) WHERE t.id = v.ti";

/// The fenced finish (`$1`-`$11`) with the applied finishes' XCom values (`$12`-`$14`: task
/// instance, key, value) and logs (`$15`-`$16`: task instance, log), in one statement: the
/// common table expressions `f` (the finishes applied), `x` and `l`. [`STEP`] begins with
/// the same three.
const FINISH_WITH_VALUES: &str = "WITH f AS (UPDATE task_instances t SET state = v.new_state, \
     ended_at = v.at, duration_ms = v.duration, next_retry_at = v.retry_at, \
     error_class = v.failure_class, error = v.failure, worker_id = COALESCE(v.worker, t.worker_id), \
     hostname = COALESCE(v.host, t.hostname), lease_expires_at = NULL, \
     started_at = COALESCE(t.started_at, v.started) \
     FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], \
     $7::text[], $8::text[], $9::text[], $10::text[], $11::bigint[]) \
     AS v (ti, seen_lease, new_state, at, duration, retry_at, failure_class, failure, worker, host, \
     started) \
     WHERE t.id = v.ti AND t.lease = v.seen_lease AND t.state IN ('queued', 'running') \
     RETURNING t.id, t.run, t.task_id, t.try_number), \
     x AS (INSERT INTO xcom (run, task_id, key, value) \
     SELECT f.run, f.task_id, xv.key, xv.value FROM f \
     JOIN UNNEST($12::bigint[], $13::text[], $14::bytea[]) AS xv (ti, key, value) ON xv.ti = f.id \
     ON CONFLICT (run, task_id, key) DO UPDATE SET value = excluded.value), \
     l AS (INSERT INTO task_logs (ti, try_number, log) \
     SELECT f.id, f.try_number, lv.log FROM f \
     JOIN UNNEST($15::bigint[], $16::bytea[]) AS lv (ti, log) ON lv.ti = f.id \
     ON CONFLICT (ti, try_number) DO UPDATE SET log = excluded.log) \
     SELECT id, run, task_id, try_number FROM f";

/// A scheduler's step in one statement: the finish with its values (`f`, `x`, `l`, as in
/// [`FINISH_WITH_VALUES`]), the queue update `q` (`$17`-`$21`, as in [`QUEUE`]) of other task
/// instances, and the run state changes `s` (`$22`-`$26`: run, state, at, whether running,
/// whether finished; the columns set as [`SET_RUN`](crate::common::sql::SET_RUN) sets them)
/// of distinct runs. Each row returned is a finish or a queue op applied, and says which.
const STEP: &str = "WITH f AS (UPDATE task_instances t SET state = v.new_state, \
     ended_at = v.at, duration_ms = v.duration, next_retry_at = v.retry_at, \
     error_class = v.failure_class, error = v.failure, worker_id = COALESCE(v.worker, t.worker_id), \
     hostname = COALESCE(v.host, t.hostname), lease_expires_at = NULL, \
     started_at = COALESCE(t.started_at, v.started) \
     FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], \
     $7::text[], $8::text[], $9::text[], $10::text[], $11::bigint[]) \
     AS v (ti, seen_lease, new_state, at, duration, retry_at, failure_class, failure, worker, host, \
     started) \
     WHERE t.id = v.ti AND t.lease = v.seen_lease AND t.state IN ('queued', 'running') \
     RETURNING t.id, t.run, t.task_id, t.try_number), \
     x AS (INSERT INTO xcom (run, task_id, key, value) \
     SELECT f.run, f.task_id, xv.key, xv.value FROM f \
     JOIN UNNEST($12::bigint[], $13::text[], $14::bytea[]) AS xv (ti, key, value) ON xv.ti = f.id \
     ON CONFLICT (run, task_id, key) DO UPDATE SET value = excluded.value), \
     l AS (INSERT INTO task_logs (ti, try_number, log) \
     SELECT f.id, f.try_number, lv.log FROM f \
     JOIN UNNEST($15::bigint[], $16::bytea[]) AS lv (ti, log) ON lv.ti = f.id \
     ON CONFLICT (ti, try_number) DO UPDATE SET log = excluded.log), \
     q AS (UPDATE task_instances t SET state = 'queued', lease = t.lease + 1, \
     try_number = v.new_try, queued_at = v.at, lease_expires_at = NULL, worker_id = NULL, \
     hostname = NULL, started_at = NULL, ended_at = NULL, duration_ms = NULL, next_retry_at = NULL, \
     error_class = NULL, error = NULL \
     FROM UNNEST($17::bigint[], $18::bigint[], $19::text[], $20::bigint[], $21::bigint[]) \
     AS v (ti, seen_lease, seen_state, new_try, at) \
     WHERE t.id = v.ti AND t.lease = v.seen_lease AND t.state = v.seen_state \
     RETURNING t.id, t.run, t.task_id, t.try_number), \
     s AS (UPDATE dag_runs d SET state = v.state, \
     started_at = CASE WHEN v.running THEN COALESCE(d.started_at, v.at) \
     WHEN v.state = 'queued' THEN NULL ELSE d.started_at END, \
     ended_at = CASE WHEN v.finished THEN v.at ELSE NULL END \
     FROM UNNEST($22::bigint[], $23::text[], $24::bigint[], $25::boolean[], $26::boolean[]) \
     AS v (run, state, at, running, finished) WHERE d.id = v.run) \
     SELECT true AS finished, id, run, task_id, try_number FROM f \
     UNION ALL SELECT false, id, run, task_id, try_number FROM q";

const DELETE_XCOMS: &str = "DELETE FROM xcom x USING UNNEST($1::bigint[], $2::text[]) AS v (run, task_id) \
     WHERE x.run = v.run AND x.task_id = v.task_id";
const PUT_XCOMS: &str = "INSERT INTO xcom (run, task_id, key, value) \
     SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::bytea[]) \
     ON CONFLICT (run, task_id, key) DO UPDATE SET value = excluded.value";
const PUT_LOGS: &str = "INSERT INTO task_logs (ti, try_number, log) \
     SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::bytea[]) \
     ON CONFLICT (ti, try_number) DO UPDATE SET log = excluded.log";

/// One column of `items`.
fn column<'a, T, U>(items: &[&'a T], f: impl Fn(&'a T) -> U) -> Vec<U> {
    items.iter().map(|&item| f(item)).collect()
}

/// A statement's rows of type `O`, with arguments.
type Query<'q, O> = sqlx::query::QueryAs<'q, Postgres, O, sqlx::postgres::PgArguments>;

/// Bind the queue update's five arrays, next, to `query`.
fn bind_queue<'q, O>(query: Query<'q, O>, items: &[&'q QueueTask]) -> Query<'q, O> {
    query
        .bind(column(items, |i| i.ti))
        .bind(column(items, |i| i.lease))
        .bind(column(items, |i| i.from.as_str()))
        .bind(column(items, |i| i64::from(i.try_number)))
        .bind(column(items, |i| micros(i.at)))
}

/// Bind the finish's sixteen arrays (the finishes, their XCom values and logs), next, to
/// `query`.
fn bind_finish<'q, O>(
    query: Query<'q, O>,
    items: &[&'q FinishTask],
    values: Vec<FinishValues>,
) -> Query<'q, O> {
    let (mut xcom_tis, mut keys, mut xcoms) = (Vec::new(), Vec::new(), Vec::new());
    let (mut log_tis, mut logs) = (Vec::new(), Vec::new());
    for done in values {
        for (key, value) in done.xcom {
            xcom_tis.push(done.ti);
            keys.push(key);
            xcoms.push(value);
        }
        if let Some(log) = done.log {
            log_tis.push(done.ti);
            logs.push(log);
        }
    }
    query
        .bind(column(items, |i| i.ti))
        .bind(column(items, |i| i.lease))
        .bind(column(items, |i| i.state.as_str()))
        .bind(column(items, |i| micros(i.at)))
        .bind(column(items, |i| i.duration_ms))
        .bind(column(items, |i| micros_opt(i.next_retry_at)))
        .bind(column(items, |i| i.error_class.as_deref()))
        .bind(column(items, |i| i.error.as_deref()))
        .bind(column(items, |i| i.worker_id.as_deref()))
        .bind(column(items, |i| i.hostname.as_deref()))
        .bind(column(items, |i| micros_opt(i.started_at)))
        .bind(xcom_tis)
        .bind(keys)
        .bind(xcoms)
        .bind(log_tis)
        .bind(logs)
}

#[async_trait]
impl BatchSql for PgConnection {
    async fn queue(&mut self, items: &[&QueueTask]) -> Result<Vec<Applied>, sqlx::Error> {
        bind_queue(sqlx::query_as(QUEUE), items)
            .fetch_all(&mut *self)
            .await
    }

    async fn start(&mut self, items: &[&StartTask]) -> Result<Vec<i64>, sqlx::Error> {
        sqlx::query_scalar::<Postgres, i64>(START)
            .bind(column(items, |i| i.ti))
            .bind(column(items, |i| i.lease))
            .bind(column(items, |i| i.worker_id.as_str()))
            .bind(column(items, |i| i.hostname.as_str()))
            .bind(column(items, |i| micros(i.at)))
            .bind(column(items, |i| micros(i.lease_expires_at)))
            .fetch_all(&mut *self)
            .await
    }

    async fn heartbeat(&mut self, items: &[&Heartbeat]) -> Result<Vec<i64>, sqlx::Error> {
        sqlx::query_scalar::<Postgres, i64>(HEARTBEAT)
            .bind(column(items, |i| i.ti))
            .bind(column(items, |i| i.lease))
            .bind(column(items, |i| micros(i.lease_expires_at)))
            .fetch_all(&mut *self)
            .await
    }

    async fn finish(&mut self, items: &[&FinishTask]) -> Result<Vec<Applied>, sqlx::Error> {
        self.finish_with_values(items, Vec::new()).await
    }

    async fn finish_with_values(
        &mut self,
        items: &[&FinishTask],
        values: Vec<FinishValues>,
    ) -> Result<Vec<Applied>, sqlx::Error> {
        bind_finish(sqlx::query_as(FINISH_WITH_VALUES), items, values)
            .fetch_all(&mut *self)
            .await
    }

    async fn step(
        &mut self,
        finish: &[&FinishTask],
        values: Vec<FinishValues>,
        queue: &[&QueueTask],
        set_run: &[SetRunState],
    ) -> Result<(Vec<Applied>, Vec<Applied>), sqlx::Error> {
        let runs: Vec<&SetRunState> = set_run.iter().collect();
        let query = bind_queue(bind_finish(sqlx::query_as(STEP), finish, values), queue)
            .bind(column(&runs, |r| r.run))
            .bind(column(&runs, |r| r.state.as_str()))
            .bind(column(&runs, |r| micros(r.at)))
            .bind(column(&runs, |r| {
                r.state == weft_model::DagRunState::Running
            }))
            .bind(column(&runs, |r| r.state.is_finished()));
        let rows: Vec<(bool, i64, i64, String, i64)> = query.fetch_all(&mut *self).await?;
        let (mut finished, mut queued) = (Vec::new(), Vec::new());
        for (was_finish, id, run, task_id, try_number) in rows {
            let applied = Applied {
                id,
                run,
                task_id,
                try_number,
            };
            if was_finish {
                finished.push(applied);
            } else {
                queued.push(applied);
            }
        }
        Ok((finished, queued))
    }

    async fn set_tasks(&mut self, items: &[&SetTaskState]) -> Result<(), sqlx::Error> {
        sqlx::query::<Postgres>(SET_TASKS)
            .bind(column(items, |i| i.ti))
            .bind(column(items, |i| i.state.as_str()))
            .bind(column(items, |i| micros(i.at)))
            .bind(column(items, |i| i.max_tries.map(i64::from)))
            .bind(column(items, |i| i64::from(i.bump_lease)))
            .bind(column(items, |i| i.state == weft_model::TaskState::None))
            .bind(column(items, |i| i.state.is_finished()))
            .execute(&mut *self)
            .await?;
        Ok(())
    }

    async fn set_run(&mut self, item: &SetRunState) -> Result<(), sqlx::Error> {
        crate::apply::set_run::<Postgres>(self, item).await
    }

    async fn delete_xcoms(&mut self, tasks: &[(i64, String)]) -> Result<(), sqlx::Error> {
        let runs: Vec<i64> = tasks.iter().map(|(run, _)| *run).collect();
        let task_ids: Vec<&str> = tasks.iter().map(|(_, task)| task.as_str()).collect();
        sqlx::query(DELETE_XCOMS)
            .bind(runs)
            .bind(task_ids)
            .execute(&mut *self)
            .await?;
        Ok(())
    }

    async fn put_xcoms(&mut self, rows: Vec<XcomPut>) -> Result<(), sqlx::Error> {
        let mut runs = Vec::with_capacity(rows.len());
        let mut task_ids = Vec::with_capacity(rows.len());
        let mut keys = Vec::with_capacity(rows.len());
        let mut values = Vec::with_capacity(rows.len());
        for row in rows {
            runs.push(row.run);
            task_ids.push(row.task_id);
            keys.push(row.key);
            values.push(row.value);
        }
        sqlx::query(PUT_XCOMS)
            .bind(runs)
            .bind(task_ids)
            .bind(keys)
            .bind(values)
            .execute(&mut *self)
            .await?;
        Ok(())
    }

    async fn put_logs(&mut self, rows: Vec<LogPut>) -> Result<(), sqlx::Error> {
        let mut tis = Vec::with_capacity(rows.len());
        let mut tries = Vec::with_capacity(rows.len());
        let mut logs = Vec::with_capacity(rows.len());
        for row in rows {
            tis.push(row.ti);
            tries.push(row.try_number);
            logs.push(row.log);
        }
        sqlx::query(PUT_LOGS)
            .bind(tis)
            .bind(tries)
            .bind(logs)
            .execute(&mut *self)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use sqlx::Row;

    use super::*;
    use crate::PostgresStore;
    use crate::backend::Backend;

    async fn run(conn: &mut PgConnection, sql: String) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut *conn)
            .await
            .unwrap();
    }

    /// The plan of prepared statement `name` run with `arguments`, as `conn` would run it.
    async fn explain(conn: &mut PgConnection, name: &str, arguments: &str) -> String {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "EXPLAIN EXECUTE {name}({arguments})"
        )))
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        rows.iter()
            .map(|row| row.get::<String, _>(0))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// `count` task instances of run `run_id`, written past the foreign keys.
    async fn grow(url: &str, run_id: i64, count: i64) {
        let mut conn = <PgConnection as sqlx::Connection>::connect(url)
            .await
            .unwrap();
        run(
            &mut conn,
            format!(
                "SET session_replication_role = replica; \
                 INSERT INTO task_instances (run, tenant, dag_id, task_id, state, try_number, \
                 max_tries, queue, pool, priority_weight, lease) \
                 SELECT {run_id}, 'default', 'big', 't' || n, 'none', 0, 1, 'default', \
                 'default_pool', 1, 0 FROM generate_series(1, {count}) AS n"
            ),
        )
        .await;
    }

    /// Whether every read of `task_instances` in `plan` looks rows up by an index condition
    /// (by key or state), rather than walking the whole table or a whole index.
    fn keyed(plan: &str) -> bool {
        let lines: Vec<&str> = plan.lines().collect();
        lines.iter().enumerate().all(|(i, line)| {
            !(line.contains("Scan") && line.contains(" on task_instances"))
                || lines.get(i + 1).is_some_and(|next| {
                    next.contains("Index Cond") || next.contains("Recheck Cond")
                })
        })
    }

    const QUEUE_ARGS: &str = "'{1}', '{0}', '{none}', '{1}', '{0}'";

    #[tokio::test]
    async fn batch_plans_look_task_instances_up_by_key_once_the_table_has_grown() {
        let url = tokio::task::spawn_blocking(|| weft_testkit::postgres().fresh_database())
            .await
            .unwrap();
        // One connection, as a pooled connection runs batch after batch.
        let store = PostgresStore::connect_with(&url, 1).await.unwrap();
        let statements = [
            ("queue", QUEUE, QUEUE_ARGS),
            ("start", START, "'{1}', '{1}', '{w}', '{h}', '{0}', '{0}'"),
            ("heartbeat", HEARTBEAT, "'{1}', '{1}', '{0}'"),
            (
                "set_tasks",
                SET_TASKS,
                "'{1}', '{success}', '{0}', '{NULL}', '{0}', '{f}', '{f}'",
            ),
            (
                "step",
                STEP,
                "'{1}', '{1}', '{success}', '{0}', '{0}', '{NULL}', '{NULL}', '{NULL}', \
                 '{NULL}', '{NULL}', '{NULL}', '{}', '{}', '{}', '{}', '{}', '{2}', '{0}', \
                 '{none}', '{1}', '{0}', '{1}', '{running}', '{0}', '{t}', '{f}'",
            ),
            (
                "finish",
                FINISH_WITH_VALUES,
                "'{1}', '{1}', '{success}', '{0}', '{0}', '{NULL}', '{NULL}', '{NULL}', \
                 '{NULL}', '{NULL}', '{NULL}', '{}', '{}', '{}', '{}', '{}'",
            ),
        ];
        // Only the store's ANALYZE may refresh the statistics here, not autovacuum's.
        sqlx::raw_sql("ALTER TABLE task_instances SET (autovacuum_enabled = off)")
            .execute(&store.pool)
            .await
            .unwrap();
        // Early in an installation's life: a small table, statistics that say so, and each
        // statement's one plan for any arguments made then (the queue update's, at least,
        // does not look keys up).
        grow(&url, 1, 20).await;
        sqlx::raw_sql("ANALYZE task_instances")
            .execute(&store.pool)
            .await
            .unwrap();
        let mut conn = store.pool.acquire().await.unwrap();
        run(
            &mut conn,
            "SET plan_cache_mode = force_generic_plan".to_owned(),
        )
        .await;
        for (name, statement, arguments) in statements {
            run(&mut conn, format!("PREPARE {name} AS {statement}")).await;
            explain(&mut conn, name, arguments).await;
        }
        let early = explain(&mut conn, "queue", QUEUE_ARGS).await;
        assert!(!keyed(&early), "{early}");
        // The table grows; the plan stays what it was.
        grow(&url, 2, 50_000).await;
        assert_eq!(explain(&mut conn, "queue", QUEUE_ARGS).await, early);
        drop(conn);

        // The store, told of the new task instances, has statistics taken again...
        store.task_instances_created(50_000);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let rows: f32 = sqlx::query_scalar(
                "SELECT reltuples FROM pg_class WHERE relname = 'task_instances'",
            )
            .fetch_one(&store.pool)
            .await
            .unwrap();
            if rows > 1000.0 {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "no new statistics");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        // ...and every plan made on the old ones is made again, looking keys up.
        let mut conn = store.pool.acquire().await.unwrap();
        for (name, _, arguments) in statements {
            let plan = explain(&mut conn, name, arguments).await;
            assert!(keyed(&plan), "{name}: {plan}");
        }
    }
}
