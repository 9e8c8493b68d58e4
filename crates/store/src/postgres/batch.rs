//! Batched changes on PostgreSQL: each change kind is one statement (see [`statements`])
//! over `UNNEST`ed arrays, one array per column, whatever the batch's size; here they are
//! bound and run, as the connection's [`BatchSql`], and a new run is inserted with its task
//! instances.

use async_trait::async_trait;
use sqlx::{PgConnection, Postgres};

use crate::backend::batch::{Applied, BatchSql, FinishValues, LogPut, XcomPut};
use crate::both_backends::assemble::bind_new_run;
use crate::both_backends::statement::statement;
use crate::both_backends::ti_columns::bind_finished_arrays;
use crate::records::{NewRun, NewTaskInstance};
use crate::rows::micros;
use statements::{
    DELETE_XCOMS, FINISH_WITH_VALUES, HEARTBEAT, INSERT_RUN_AND_TASKS, PUT_LOGS, PUT_XCOMS, QUEUE,
    SET_TASKS, START,
};

use super::{statements, step};
use crate::write::{FinishTask, Heartbeat, QueueTask, SetRunState, SetTaskState, StartTask};

/// Insert `run` and its task instances in one statement (one round trip, committed on its
/// own): the run's id and the `(id, task_id)` of each task instance, or `None` when the
/// run's DAG does not have its digest as a version (as its current one, for a run that asks
/// for that) or the run would take its tenant past `max_queued_tasks`.
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

/// Insert a mapped task's instances (see [`BatchSql::insert_instances`]) in one statement.
async fn insert_instances(
    conn: &mut PgConnection,
    parent: i64,
    task_id: &str,
    items: &[String],
) -> Result<(), sqlx::Error> {
    let ids: Vec<String> = (0..items.len())
        .map(|k| weft_model::mapping::instance_id(task_id, u32::try_from(k).unwrap_or(u32::MAX)))
        .collect();
    let indexes: Vec<i64> = (0..items.len())
        .map(|k| i64::try_from(k).unwrap_or(i64::MAX))
        .collect();
    sqlx::query(statements::INSERT_INSTANCES)
        .bind(parent)
        .bind(ids)
        .bind(indexes)
        .bind(items)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// One column of `items`.
pub(crate) fn column<'a, T, U>(items: &[&'a T], f: impl Fn(&'a T) -> U) -> Vec<U> {
    items.iter().map(|&item| f(item)).collect()
}

/// A statement's rows of type `O`, with arguments.
pub(crate) type Query<'q, O> = sqlx::query::QueryAs<'q, Postgres, O, sqlx::postgres::PgArguments>;

/// Bind the queue update's five arrays, next, to `query`.
pub(super) fn bind_queue<'q, O>(query: Query<'q, O>, items: &[&'q QueueTask]) -> Query<'q, O> {
    query
        .bind(column(items, |i| i.ti))
        .bind(column(items, |i| i.lease))
        .bind(column(items, |i| i.from.as_str()))
        .bind(column(items, |i| i64::from(i.try_number)))
        .bind(column(items, |i| micros(i.at)))
}

/// Bind the finish's first nine arrays (the finishes, their XCom values and logs), next, to
/// `query`; the arrays of the columns it sets ([`bind_finished_arrays`]) come last.
pub(super) fn bind_finish<'q, O>(
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
        let query = bind_finish(sqlx::query_as(FINISH_WITH_VALUES), items, values);
        bind_finished_arrays(query, items)
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
        let rows = step::query(finish, values, queue, &runs, step::Guard::NONE)
            .fetch_all(&mut *self)
            .await?;
        Ok(Applied::split(rows))
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
        crate::backend::batch::set_run::<Postgres>(self, item).await
    }

    async fn insert_instances(
        &mut self,
        parent: i64,
        task_id: &str,
        items: &[String],
    ) -> Result<(), sqlx::Error> {
        insert_instances(self, parent, task_id, items).await
    }

    async fn insert_notifications(
        &mut self,
        rows: &[&crate::notifications::NewNotification],
    ) -> Result<(), sqlx::Error> {
        crate::both_backends::notifications_sql::insert::<Postgres>(self, rows).await
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
        let mut leases = Vec::with_capacity(rows.len());
        let mut logs = Vec::with_capacity(rows.len());
        for row in rows {
            tis.push(row.ti);
            tries.push(row.try_number);
            leases.push(row.lease);
            logs.push(row.log);
        }
        sqlx::query(PUT_LOGS)
            .bind(tis)
            .bind(tries)
            .bind(leases)
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

    /// Prepare `statement` as `name`, its parameters typed where PostgreSQL cannot type them
    /// from their use alone (sqlx binds typed values).
    async fn prepare(conn: &mut PgConnection, name: &str, statement: &str) {
        let types = match name {
            "resolve" => "(bigint, bigint, text, bigint, text, text, text, boolean, bigint)",
            "append_log" => "(bigint, bigint, bytea, bigint, boolean)",
            "defer" => "(bigint, bigint, text, bigint, bigint, bigint, text)",
            "expand" => "(bigint, bigint, text, text, bigint, bigint, boolean, text, text)",
            _ => "",
        };
        run(conn, format!("PREPARE {name}{types} AS {statement}")).await;
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

    /// Whether every read of `task_instances` in `plan` looks each row up by its id through
    /// the primary key, rather than walking the whole table, a whole index, or every active
    /// row through the index on `state`.
    fn keyed(plan: &str) -> bool {
        let lines: Vec<&str> = plan.lines().collect();
        lines.iter().enumerate().all(|(i, line)| {
            !(line.contains("Scan") && line.contains(" on task_instances"))
                || (line.contains("Index Scan using task_instances_pkey on task_instances")
                    && lines
                        .get(i + 1)
                        .is_some_and(|next| next.contains("Index Cond: (id =")))
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
        // The finish's nine arrays, the step's queue, runs and guard, then one array per
        // column the finish sets.
        let fixed = "'{1}', '{1}', '{success}', '{0}', '{}', '{}', '{}', '{}', '{}'";
        let columns = vec!["'{NULL}'"; crate::both_backends::ti_columns::FINISHED.len()].join(", ");
        let finish_args = format!("{fixed}, {columns}");
        let step_args = format!(
            "{fixed}, '{{2}}', '{{0}}', '{{none}}', '{{1}}', '{{0}}', '{{1}}', '{{running}}', \
             '{{0}}', '{{t}}', '{{f}}', NULL, NULL, NULL, NULL, {columns}"
        );
        let statements = [
            ("queue", QUEUE, QUEUE_ARGS),
            ("start", START, "'{1}', '{1}', '{w}', '{h}', '{0}', '{0}'"),
            ("heartbeat", HEARTBEAT, "'{1}', '{1}', '{0}'"),
            (
                "set_tasks",
                SET_TASKS,
                "'{1}', '{success}', '{0}', '{NULL}', '{0}', '{f}', '{f}'",
            ),
            ("step", statements::STEP, step_args.as_str()),
            ("finish", FINISH_WITH_VALUES, finish_args.as_str()),
            // One task instance by its id, in a state the statistics say none is in.
            (
                "resolve",
                crate::both_backends::sql::RESOLVE,
                "1, 1, 'success', 0, NULL, NULL, NULL, TRUE, NULL",
            ),
            (
                "end_mapped",
                crate::both_backends::sql::END_MAPPED,
                "1, 1, 'success', 0",
            ),
            (
                "append_log",
                <Postgres as crate::backend::Sql>::APPEND_LOG,
                "1, 1, '\\x00'::bytea, 10, FALSE",
            ),
            (
                "attempt_is_current",
                crate::both_backends::monitoring_sql::ATTEMPT_IS_CURRENT,
                "1, 1",
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
            prepare(&mut conn, name, statement).await;
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
        // A state given as a parameter: the first plans of a prepared statement are made for
        // its values, where that state is a constant.
        run(
            &mut conn,
            "SET plan_cache_mode = force_custom_plan".to_owned(),
        )
        .await;
        let by_state = [
            (
                "defer",
                crate::both_backends::sql::DEFER,
                "1, 1, 'scheduled', 1, 0, 0, '{}'",
            ),
            (
                "expand",
                crate::both_backends::sql::EXPAND,
                "1, 1, 'running', 'running', 2, 0, FALSE, NULL, NULL",
            ),
        ];
        for (name, statement, arguments) in by_state {
            prepare(&mut conn, name, statement).await;
            let plan = explain(&mut conn, name, arguments).await;
            assert!(keyed(&plan), "{name}: {plan}");
        }
    }
}
