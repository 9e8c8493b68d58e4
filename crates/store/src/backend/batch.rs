//! The statements a backend runs for a write batch ([`BatchSql`], implemented on its
//! connection type), with the rows they take and return. [`apply`](crate::apply) decides
//! which to run, in which order.
//!
//! A statement that is the same on every backend (one row at a time: pokes, deferrals,
//! waits, mapped tasks' ends) is a generic function here, which `apply` calls directly; the
//! trait holds what each backend writes its own way.

use std::collections::HashMap;

use async_trait::async_trait;
use weft_model::DagRunState;

use super::Sql;
use crate::both_backends::row_macro::row;
use crate::both_backends::sql;
use crate::both_backends::statement::statement;
use crate::notifications::NewNotification;
use crate::rows::micros;
use crate::write::{
    DeferTask, EndMapped, FinishTask, Heartbeat, QueueTask, ResolveDeferral, SensorPoke,
    SetRunState, SetTaskState, StartTask,
};

row! {
    /// A task instance a fenced change was applied to, as the UPDATE returned it.
    #[derive(Debug)]
    pub(crate) struct Applied {
        /// The task instance.
        pub(crate) id: i64,
        /// Its run.
        pub(crate) run: i64,
        /// Its task.
        pub(crate) task_id: String,
        /// Its try number after the change.
        pub(crate) try_number: i64,
    }
}

impl Applied {
    /// The finishes and the queue ops applied, from a step's rows `(was it a finish, id, run,
    /// task_id, try_number)`, in their order.
    pub(crate) fn split(
        rows: impl IntoIterator<Item = (bool, i64, i64, String, i64)>,
    ) -> (Vec<Applied>, Vec<Applied>) {
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
        (finished, queued)
    }
}

/// An XCom value to insert or replace.
#[derive(Debug)]
pub(crate) struct XcomPut {
    pub(crate) run: i64,
    pub(crate) task_id: String,
    pub(crate) key: String,
    pub(crate) value: Vec<u8>,
}

/// An attempt's log to insert or replace.
#[derive(Debug)]
pub(crate) struct LogPut {
    pub(crate) ti: i64,
    pub(crate) try_number: i64,
    /// The attempt whose final log it is.
    pub(crate) lease: i64,
    pub(crate) log: Vec<u8>,
}

/// What a finish stores besides the task instance's state, should it apply: its XCom values
/// (distinct keys, the output last as `return_value`) and its log (never empty).
#[derive(Debug)]
pub(crate) struct FinishValues {
    /// The task instance.
    pub(crate) ti: i64,
    /// `(key, value)`.
    pub(crate) xcom: Vec<(String, Vec<u8>)>,
    /// The attempt's log.
    pub(crate) log: Option<Vec<u8>>,
}

/// The statements a backend runs for batches, on a connection inside a transaction. Each
/// fenced method gets changes for distinct task instances and returns those it applied.
#[async_trait]
pub(crate) trait BatchSql: Send {
    /// Fenced: `from` + lease → `queued`, lease + 1.
    async fn queue(&mut self, items: &[&QueueTask]) -> Result<Vec<Applied>, sqlx::Error>;
    /// Fenced: `queued` + lease → `running`.
    async fn start(&mut self, items: &[&StartTask]) -> Result<Vec<i64>, sqlx::Error>;
    /// Fenced: `running` + lease → new lease end.
    async fn heartbeat(&mut self, items: &[&Heartbeat]) -> Result<Vec<i64>, sqlx::Error>;
    /// Fenced: `queued`/`running` + lease → the attempt's final state.
    async fn finish(&mut self, items: &[&FinishTask]) -> Result<Vec<Applied>, sqlx::Error>;
    /// [`finish`](BatchSql::finish), then the values of those applied (`values` holds at
    /// most one entry per task instance). A backend may do it all in one statement.
    async fn finish_with_values(
        &mut self,
        items: &[&FinishTask],
        values: Vec<FinishValues>,
    ) -> Result<Vec<Applied>, sqlx::Error> {
        let applied = self.finish(items).await?;
        let by_ti: HashMap<i64, &Applied> = applied.iter().map(|a| (a.id, a)).collect();
        let leases: HashMap<i64, i64> = items.iter().map(|f| (f.ti, f.lease)).collect();
        let mut xcoms = Vec::new();
        let mut logs = Vec::new();
        for done in values {
            let Some(a) = by_ti.get(&done.ti) else {
                continue;
            };
            xcoms.extend(done.xcom.into_iter().map(|(key, value)| XcomPut {
                run: a.run,
                task_id: a.task_id.clone(),
                key,
                value,
            }));
            if let Some(log) = done.log {
                logs.push(LogPut {
                    ti: a.id,
                    try_number: a.try_number,
                    lease: leases.get(&a.id).copied().unwrap_or_default(),
                    log,
                });
            }
        }
        if !xcoms.is_empty() {
            self.put_xcoms(xcoms).await?;
        }
        if !logs.is_empty() {
            self.put_logs(logs).await?;
        }
        Ok(applied)
    }
    /// A scheduler's usual step in one go: [`finish_with_values`](BatchSql::finish_with_values),
    /// [`queue`](BatchSql::queue) for other task instances than the finishes', and
    /// [`set_run`](BatchSql::set_run) for distinct runs (any of them may be empty); the
    /// finishes and the queue ops applied. A backend may do it all in one statement.
    async fn step(
        &mut self,
        finish: &[&FinishTask],
        values: Vec<FinishValues>,
        queue: &[&QueueTask],
        set_run: &[SetRunState],
    ) -> Result<(Vec<Applied>, Vec<Applied>), sqlx::Error> {
        let finished = if finish.is_empty() {
            Vec::new()
        } else {
            self.finish_with_values(finish, values).await?
        };
        let queued = if queue.is_empty() {
            Vec::new()
        } else {
            self.queue(queue).await?
        };
        for change in set_run {
            self.set_run(change).await?;
        }
        Ok((finished, queued))
    }
    /// Unfenced state changes.
    async fn set_tasks(&mut self, items: &[&SetTaskState]) -> Result<(), sqlx::Error>;
    /// A run state change.
    async fn set_run(&mut self, item: &SetRunState) -> Result<(), sqlx::Error>;
    /// Insert the instances of mapped task instance `parent` (task `task_id`), one per item
    /// in map index order, each with the parent's settings, in state none.
    async fn insert_instances(
        &mut self,
        parent: i64,
        task_id: &str,
        items: &[String],
    ) -> Result<(), sqlx::Error>;
    /// Delete every XCom value of these `(run, task_id)`s.
    async fn delete_xcoms(&mut self, tasks: &[(i64, String)]) -> Result<(), sqlx::Error>;
    /// Insert or replace XCom values (distinct keys).
    async fn put_xcoms(&mut self, rows: Vec<XcomPut>) -> Result<(), sqlx::Error>;
    /// Insert or replace logs (distinct keys).
    async fn put_logs(&mut self, rows: Vec<LogPut>) -> Result<(), sqlx::Error>;
    /// Insert new notifications.
    async fn insert_notifications(&mut self, rows: &[&NewNotification]) -> Result<(), sqlx::Error>;
}

/// [`BatchSql::set_run`] as both backends run it: one [`SET_RUN`](crate::both_backends::sql::SET_RUN).
pub(crate) async fn set_run<D: Sql>(
    conn: &mut D::Connection,
    item: &SetRunState,
) -> Result<(), sqlx::Error> {
    statement::<D>(sql::SET_RUN)
        .bind(item.run)
        .bind(item.state.as_str())
        .bind(micros(item.at))
        .bind(item.state == DagRunState::Running)
        .bind(item.state.is_finished())
        .execute(conn)
        .await?;
    Ok(())
}

/// Record an attempt's deferral (`SET_DEFERRAL`) on task instance `ti`.
pub(crate) async fn set_deferral<D: Sql>(
    conn: &mut D::Connection,
    ti: i64,
    deferral: &str,
) -> Result<(), sqlx::Error> {
    statement::<D>(sql::SET_DEFERRAL)
        .bind(ti)
        .bind(deferral)
        .execute(conn)
        .await?;
    Ok(())
}

/// A task that runs no code starts waiting (`DEFER`), if it is still as the scheduler saw it.
pub(crate) async fn defer<D: Sql>(
    conn: &mut D::Connection,
    item: &DeferTask,
    deferral: &str,
) -> Result<Option<Applied>, sqlx::Error> {
    statement::<D>(sql::DEFER)
        .bind(item.ti)
        .bind(item.lease)
        .bind(item.from.as_str())
        .bind(i64::from(item.try_number))
        .bind(micros(item.at))
        .bind(item.next_at.map(micros))
        .bind(deferral)
        .fetch_optional::<Applied>(conn)
        .await
}

/// A wait ends (`RESOLVE`), if the task instance is still deferred under the lease.
pub(crate) async fn resolve<D: Sql>(
    conn: &mut D::Connection,
    item: &ResolveDeferral,
    deferral: Option<&str>,
) -> Result<Option<Applied>, sqlx::Error> {
    statement::<D>(sql::RESOLVE)
        .bind(item.ti)
        .bind(item.lease)
        .bind(item.state.as_str())
        .bind(micros(item.at))
        .bind(item.error_class.as_deref())
        .bind(item.error.as_deref())
        .bind(deferral)
        .bind(item.state.is_finished())
        .bind(item.next_retry_at.map(micros))
        .fetch_optional::<Applied>(conn)
        .await
}

/// A mapped task ends (`END_MAPPED`), if still running under the lease.
pub(crate) async fn end_mapped<D: Sql>(
    conn: &mut D::Connection,
    item: &EndMapped,
) -> Result<Option<Applied>, sqlx::Error> {
    statement::<D>(sql::END_MAPPED)
        .bind(item.ti)
        .bind(item.lease)
        .bind(item.state.as_str())
        .bind(micros(item.at))
        .fetch_optional::<Applied>(conn)
        .await
}

/// A cleared mapped task forgets its expansion (`UNEXPAND`), its instances
/// (`DELETE_INSTANCES`, their logs with them) and its and their XCom values.
pub(crate) async fn unexpand<D: Sql>(conn: &mut D::Connection, ti: i64) -> Result<(), sqlx::Error> {
    let Some(parent) = statement::<D>(sql::UNEXPAND)
        .bind(ti)
        .fetch_optional::<Applied>(&mut *conn)
        .await?
    else {
        return Ok(());
    };
    let prefix = format!("{}[", parent.task_id);
    statement::<D>(sql::DELETE_MAPPED_XCOMS)
        .bind(parent.run)
        .bind(parent.task_id.as_str())
        .bind(prefix.as_str())
        .execute(&mut *conn)
        .await?;
    statement::<D>(sql::DELETE_INSTANCES)
        .bind(parent.run)
        .bind(prefix.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

/// The outputs of a mapped task's instances (`MAPPED_OUTPUTS`), in map index order.
pub(crate) async fn mapped_outputs<D: Sql>(
    conn: &mut D::Connection,
    run: i64,
    task_id: &str,
) -> Result<Vec<Option<Vec<u8>>>, sqlx::Error> {
    let prefix = format!("{task_id}[");
    let rows: Vec<(Option<Vec<u8>>,)> = statement::<D>(sql::MAPPED_OUTPUTS)
        .bind(run)
        .bind(prefix.as_str())
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(|(value,)| value).collect())
}

/// Record a sensor's reschedule (`SET_POKE`) on task instance `ti`.
pub(crate) async fn set_poke<D: Sql>(
    conn: &mut D::Connection,
    ti: i64,
    poke: &SensorPoke,
) -> Result<(), sqlx::Error> {
    statement::<D>(sql::SET_POKE)
        .bind(ti)
        .bind(micros(poke.started_at))
        .bind(i64::from(poke.pokes))
        .execute(conn)
        .await?;
    Ok(())
}
