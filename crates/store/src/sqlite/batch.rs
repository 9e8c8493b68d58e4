//! Batched statements on SQLite: each change kind is one `UPDATE ... FROM` over a
//! multi-row `VALUES` list (split so no statement binds more than [`MAX_PARAMS`] values),
//! so a batch of a thousand changes is a handful of statements, not a thousand.

use async_trait::async_trait;
use sqlx::sqlite::SqliteArguments;
use sqlx::{AssertSqlSafe, Sqlite, SqliteConnection};

use super::step::Step;
use crate::backend::batch::{Applied, BatchSql, FinishValues, LogPut, XcomPut};
use crate::both_backends::sql_text::sql;
use crate::both_backends::state_sql::TASK_IN_FLIGHT;
use crate::both_backends::ti_columns::{
    ATTEMPT, FINISH_PARAMS, INSERTED, SET, TRY, bind_finished_row, each, finished,
};
use crate::records::{DagRun, NewTaskInstance};
use crate::rows::micros;
use crate::write::{FinishTask, Heartbeat, QueueTask, SetRunState, SetTaskState, StartTask};

/// Bound values per statement (SQLite allows 32,766).
const MAX_PARAMS: usize = 32_000;

/// `template` with `{values}` replaced by `rows` copies of `row`. Built at run time: SQLite
/// has no arrays to bind, so a batch's rows are a `VALUES` list with a row of parameters per
/// change, as many as the chunk holds. (The templates above are whole statements but for
/// that list.)
fn statement(template: &str, row: &str, rows: usize) -> AssertSqlSafe<String> {
    AssertSqlSafe(with_values(template, row, rows))
}

/// `template` with `{values}` replaced by `rows` copies of `row`, as text.
pub(super) fn with_values(template: &str, row: &str, rows: usize) -> String {
    let mut values = String::with_capacity(rows * (row.len() + 2));
    for i in 0..rows {
        if i > 0 {
            values.push_str(", ");
        }
        values.push_str(row);
    }
    template.replacen("{values}", &values, 1)
}

/// Rows per statement for rows of `params` bound values.
pub(super) const fn rows_per_statement(params: usize) -> usize {
    MAX_PARAMS / params
}

/// A statement's rows of type `O`, with arguments.
pub(crate) type Query<'q, O> = sqlx::query::QueryAs<'q, Sqlite, O, SqliteArguments>;

/// What a fenced update returns of each task instance it applied to ([`Applied`]).
const APPLIED: &str = " RETURNING id, run, task_id, try_number";

const INSERT_TIS: &str = sql!(
    "INSERT INTO task_instances (",
    INSERTED,
    ") VALUES {values} RETURNING id, task_id"
);
const TI_ROW: &str = "(?, ?, ?, ?, 'none', 0, ?, ?, ?, ?, 0)";

/// The fenced queue update, without its `RETURNING`; a row of `QUEUE_ROW` per change.
pub(super) const QUEUE: &str = sql!(
    "WITH v (ti, seen_lease, seen_state, new_try, at) AS (VALUES {values}) \
     UPDATE task_instances SET state = 'queued', lease = task_instances.lease + 1, try_number = v.new_try, \
     queued_at = v.at, ",
    each!(ATTEMPT, &[], "{c} = NULL"),
    ", ",
    each!(
        TRY,
        &[],
        "{c} = CASE WHEN v.new_try = task_instances.try_number THEN task_instances.{c} END"
    ),
    ", pokes = CASE WHEN v.new_try = task_instances.try_number THEN task_instances.pokes ELSE 0 END \
     FROM v WHERE task_instances.id = v.ti AND task_instances.lease = v.seen_lease \
     AND task_instances.state = v.seen_state"
);

const START: &str = "WITH v (ti, seen_lease, worker, host, at, expires) AS (VALUES {values}) \
     UPDATE task_instances SET state = 'running', worker_id = v.worker, hostname = v.host, started_at = v.at, \
     lease_expires_at = v.expires \
     FROM v WHERE task_instances.id = v.ti AND task_instances.lease = v.seen_lease \
     AND task_instances.state = 'queued' RETURNING id";

const HEARTBEAT: &str = "WITH v (ti, seen_lease, expires) AS (VALUES {values}) \
     UPDATE task_instances SET lease_expires_at = v.expires \
     FROM v WHERE task_instances.id = v.ti AND task_instances.lease = v.seen_lease \
     AND task_instances.state = 'running' RETURNING id";

/// The fenced finish, without its `RETURNING`; a row of `FINISH_ROW` per change: the task
/// instance, its lease, its new state, when, then the columns an attempt's end sets.
pub(super) const FINISH: &str = sql!(
    "WITH v (ti, seen_lease, new_state, at, ",
    finished!("{c}", "", 0),
    ") AS (VALUES {values}) \
     UPDATE task_instances SET state = v.new_state, ended_at = v.at, lease_expires_at = NULL, ",
    finished!(SET, "task_instances", 0),
    " FROM v WHERE task_instances.id = v.ti AND task_instances.lease = v.seen_lease \
     AND task_instances.state IN ",
    TASK_IN_FLIGHT,
    ""
);
pub(super) const FINISH_ROW: &str = sql!("(?, ?, ?, ?, ", finished!("?", "", 0), ")");
pub(super) const QUEUE_ROW: &str = "(?, ?, ?, ?, ?)";

const SET_TASKS: &str = sql!(
    "WITH v (ti, new_state, at, tries, bump, clearing, finishing) AS (VALUES {values}) \
     UPDATE task_instances SET state = v.new_state, \
     max_tries = COALESCE(v.tries, task_instances.max_tries), lease = task_instances.lease + v.bump, \
     lease_expires_at = CASE WHEN v.new_state = 'running' THEN task_instances.lease_expires_at END, \
     queued_at = CASE WHEN v.clearing THEN NULL ELSE task_instances.queued_at END, \
     ended_at = CASE WHEN v.clearing THEN NULL WHEN v.finishing THEN v.at ELSE task_instances.ended_at END, ",
    each!(
        ATTEMPT,
        &["lease_expires_at", "ended_at"],
        "{c} = CASE WHEN v.clearing THEN NULL ELSE task_instances.{c} END"
    ),
    ", ",
    each!(
        TRY,
        &[],
        "{c} = CASE WHEN v.clearing THEN NULL ELSE task_instances.{c} END"
    ),
    ", pokes = CASE WHEN v.clearing THEN 0 ELSE task_instances.pokes END \
     FROM v WHERE task_instances.id = v.ti"
);

const DELETE_XCOMS: &str = "DELETE FROM xcom WHERE (run, task_id) IN (VALUES {values})";
const PUT_XCOMS: &str = "INSERT INTO xcom (run, task_id, key, value) VALUES {values} \
     ON CONFLICT (run, task_id, key) DO UPDATE SET value = excluded.value";
const PUT_LOGS: &str = "INSERT INTO task_logs (ti, try_number, lease, log) VALUES {values} \
     ON CONFLICT (ti, try_number) DO UPDATE SET log = excluded.log, lease = excluded.lease, \
     live = 0";

/// Insert a run's task instances (state `none`, try 0, lease 0): `(id, task_id)` of each.
pub(crate) async fn insert_task_instances(
    conn: &mut SqliteConnection,
    run: &DagRun,
    tasks: &[NewTaskInstance],
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let mut ids = Vec::with_capacity(tasks.len());
    for chunk in tasks.chunks(rows_per_statement(8)) {
        let mut query =
            sqlx::query_as::<Sqlite, (i64, String)>(statement(INSERT_TIS, TI_ROW, chunk.len()));
        for task in chunk {
            query = query
                .bind(run.id)
                .bind(run.tenant.as_str())
                .bind(run.dag_id.as_str())
                .bind(task.task_id.as_str())
                .bind(i64::from(task.max_tries))
                .bind(task.queue.as_str())
                .bind(task.pool.as_str())
                .bind(i64::from(task.priority_weight));
        }
        ids.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(ids)
}

const INSERT_INSTANCES: &str = sql!(
    "WITH v (task_id, map_index, map_item) AS (VALUES {values}) \
     INSERT INTO task_instances (",
    INSERTED,
    ", map_index, map_item) \
     SELECT p.run, p.tenant, p.dag_id, v.task_id, 'none', 0, p.max_tries, p.queue, p.pool, \
     p.priority_weight, 0, v.map_index, v.map_item FROM task_instances p, v WHERE p.id = ?"
);

/// Insert a mapped task's instances (see [`BatchSql::insert_instances`]), a chunk of rows
/// per statement.
async fn insert_instances(
    conn: &mut SqliteConnection,
    parent: i64,
    task_id: &str,
    items: &[String],
) -> Result<(), sqlx::Error> {
    let chunk_rows = rows_per_statement(3) - 1;
    for (c, chunk) in items.chunks(chunk_rows).enumerate() {
        let mut query = sqlx::query(statement(INSERT_INSTANCES, "(?, ?, ?)", chunk.len()));
        for (k, item) in chunk.iter().enumerate() {
            let index = i64::try_from(c * chunk_rows + k).unwrap_or(i64::MAX);
            query = query
                .bind(weft_model::mapping::instance_id(
                    task_id,
                    u32::try_from(index).unwrap_or(u32::MAX),
                ))
                .bind(index)
                .bind(item.as_str());
        }
        query.bind(parent).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Bind a row of [`QUEUE`] ([`QUEUE_ROW`]), next, to `query`.
pub(super) fn bind_queue<'q, O>(query: Query<'q, O>, item: &'q QueueTask) -> Query<'q, O> {
    query
        .bind(item.ti)
        .bind(item.lease)
        .bind(item.from.as_str())
        .bind(i64::from(item.try_number))
        .bind(micros(item.at))
}

/// Bind a row of [`FINISH`] ([`FINISH_ROW`]), next, to `query`.
pub(super) fn bind_finish<'q, O>(query: Query<'q, O>, item: &'q FinishTask) -> Query<'q, O> {
    let query = query
        .bind(item.ti)
        .bind(item.lease)
        .bind(item.state.as_str())
        .bind(micros(item.at));
    bind_finished_row(query, item)
}

#[async_trait]
impl BatchSql for SqliteConnection {
    async fn queue(&mut self, items: &[&QueueTask]) -> Result<Vec<Applied>, sqlx::Error> {
        let mut applied = Vec::new();
        for chunk in items.chunks(rows_per_statement(5)) {
            let sql = with_values(QUEUE, QUEUE_ROW, chunk.len()) + APPLIED;
            let query = sqlx::query_as::<Sqlite, Applied>(AssertSqlSafe(sql));
            let query = chunk
                .iter()
                .fold(query, |query, item| bind_queue(query, item));
            applied.extend(query.fetch_all(&mut *self).await?);
        }
        Ok(applied)
    }

    async fn start(&mut self, items: &[&StartTask]) -> Result<Vec<i64>, sqlx::Error> {
        let mut applied = Vec::new();
        for chunk in items.chunks(rows_per_statement(6)) {
            let mut query = sqlx::query_scalar::<Sqlite, i64>(statement(
                START,
                "(?, ?, ?, ?, ?, ?)",
                chunk.len(),
            ));
            for item in chunk {
                query = query
                    .bind(item.ti)
                    .bind(item.lease)
                    .bind(item.worker_id.as_str())
                    .bind(item.hostname.as_str())
                    .bind(micros(item.at))
                    .bind(micros(item.lease_expires_at));
            }
            applied.extend(query.fetch_all(&mut *self).await?);
        }
        Ok(applied)
    }

    async fn heartbeat(&mut self, items: &[&Heartbeat]) -> Result<Vec<i64>, sqlx::Error> {
        let mut applied = Vec::new();
        for chunk in items.chunks(rows_per_statement(3)) {
            let mut query =
                sqlx::query_scalar::<Sqlite, i64>(statement(HEARTBEAT, "(?, ?, ?)", chunk.len()));
            for item in chunk {
                query = query
                    .bind(item.ti)
                    .bind(item.lease)
                    .bind(micros(item.lease_expires_at));
            }
            applied.extend(query.fetch_all(&mut *self).await?);
        }
        Ok(applied)
    }

    async fn finish(&mut self, items: &[&FinishTask]) -> Result<Vec<Applied>, sqlx::Error> {
        let mut applied = Vec::new();
        for chunk in items.chunks(rows_per_statement(FINISH_PARAMS)) {
            let sql = with_values(FINISH, FINISH_ROW, chunk.len()) + APPLIED;
            let query = sqlx::query_as::<Sqlite, Applied>(AssertSqlSafe(sql));
            let query = chunk
                .iter()
                .fold(query, |query, item| bind_finish(query, item));
            applied.extend(query.fetch_all(&mut *self).await?);
        }
        Ok(applied)
    }

    /// The step as one script (see [`step`](super::step)).
    async fn step(
        &mut self,
        finish: &[&FinishTask],
        values: Vec<FinishValues>,
        queue: &[&QueueTask],
        set_run: &[SetRunState],
    ) -> Result<(Vec<Applied>, Vec<Applied>), sqlx::Error> {
        let runs: Vec<&SetRunState> = set_run.iter().collect();
        let step = Step {
            finish,
            values: &values,
            queue,
            runs: &runs,
        };
        let ran = step.run(self).await?;
        Ok((ran.finished, ran.queued))
    }

    async fn set_tasks(&mut self, items: &[&SetTaskState]) -> Result<(), sqlx::Error> {
        for chunk in items.chunks(rows_per_statement(7)) {
            let mut query =
                sqlx::query::<Sqlite>(statement(SET_TASKS, "(?, ?, ?, ?, ?, ?, ?)", chunk.len()));
            for item in chunk {
                query = query
                    .bind(item.ti)
                    .bind(item.state.as_str())
                    .bind(micros(item.at))
                    .bind(item.max_tries.map(i64::from))
                    .bind(i64::from(item.bump_lease))
                    .bind(item.state == weft_model::TaskState::None)
                    .bind(item.state.is_finished());
            }
            query.execute(&mut *self).await?;
        }
        Ok(())
    }

    async fn set_run(&mut self, item: &SetRunState) -> Result<(), sqlx::Error> {
        crate::backend::batch::set_run::<Sqlite>(self, item).await
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
        crate::both_backends::notifications_sql::insert::<Sqlite>(self, rows).await
    }

    async fn delete_xcoms(&mut self, tasks: &[(i64, String)]) -> Result<(), sqlx::Error> {
        for chunk in tasks.chunks(rows_per_statement(2)) {
            let mut query = sqlx::query::<Sqlite>(statement(DELETE_XCOMS, "(?, ?)", chunk.len()));
            for (run, task_id) in chunk {
                query = query.bind(*run).bind(task_id.as_str());
            }
            query.execute(&mut *self).await?;
        }
        Ok(())
    }

    async fn put_xcoms(&mut self, rows: Vec<XcomPut>) -> Result<(), sqlx::Error> {
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<XcomPut> = rows.by_ref().take(rows_per_statement(4)).collect();
            let mut query =
                sqlx::query::<Sqlite>(statement(PUT_XCOMS, "(?, ?, ?, ?)", chunk.len()));
            for row in chunk {
                query = query
                    .bind(row.run)
                    .bind(row.task_id)
                    .bind(row.key)
                    .bind(row.value);
            }
            query.execute(&mut *self).await?;
        }
        Ok(())
    }

    async fn put_logs(&mut self, rows: Vec<LogPut>) -> Result<(), sqlx::Error> {
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<LogPut> = rows.by_ref().take(rows_per_statement(4)).collect();
            let mut query = sqlx::query::<Sqlite>(statement(PUT_LOGS, "(?, ?, ?, ?)", chunk.len()));
            for row in chunk {
                query = query
                    .bind(row.ti)
                    .bind(row.try_number)
                    .bind(row.lease)
                    .bind(row.log);
            }
            query.execute(&mut *self).await?;
        }
        Ok(())
    }
}
