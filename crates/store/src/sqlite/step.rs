//! A scheduler's usual step on SQLite as one script. sqlx runs a SQLite connection on a
//! thread of its own and hands it each statement as a command, so every statement costs two
//! thread wake-ups: a step that ended one attempt and queued the next (`BEGIN`, the leader
//! check, the finish, its XCom values, its log, the queue op, the run's state, `COMMIT`) was
//! eight commands. Here the statements between `BEGIN` and `COMMIT` travel as one script,
//! run by the connection's thread in one go: three commands a step.
//!
//! The script's statements read nothing back from one another: the finishes' values are
//! inserted first, for the task instances the finish is about to apply to (the finish's own
//! condition), and the leader check and the all-or-nothing rule are judged from its rows
//! before the transaction commits or rolls back.

use std::collections::{HashMap, HashSet};

use sqlx::{AssertSqlSafe, Sqlite, SqliteConnection};

use super::SqliteStore;
use super::batch::{
    FINISH, FINISH_ROW, QUEUE, QUEUE_ROW, Query, bind_finish, bind_queue, rows_per_statement,
    with_values,
};
use crate::apply;
use crate::backend::Backend;
use crate::backend::batch::{Applied, FinishValues};
use crate::error::StoreResult;
use crate::rows::micros;
use crate::write::{FinishTask, LeaderFence, QueueTask, SetRunState, WriteBatch, WriteOutcome};

/// A row of the script: its kind ([`FENCE`], [`FINISHED`] or [`QUEUED`]), then for a fence
/// `(0, 0, holder, epoch)`, for an applied change `(id, run, task_id, try_number)`.
type Row = (i64, i64, i64, String, i64);

/// The leader's row.
const FENCE: i64 = 0;
/// A finish applied.
const FINISHED: i64 = 1;
/// A queue op applied.
const QUEUED: i64 = 2;

const FENCE_SELECT: &str = "SELECT 0, 0, 0, holder, epoch FROM leaders WHERE name = ?";

/// XCom values of the finishes that apply; rows `(ti, seen lease, key, value)`.
const XCOMS: &str = "WITH v (ti, seen_lease, key, value) AS (VALUES {values}) \
     INSERT INTO xcom (run, task_id, key, value) \
     SELECT t.run, t.task_id, v.key, v.value FROM v JOIN task_instances t ON t.id = v.ti \
     WHERE t.lease = v.seen_lease AND t.state IN ('queued', 'running') \
     ON CONFLICT (run, task_id, key) DO UPDATE SET value = excluded.value";
/// Logs of the finishes that apply, under their try; rows `(ti, seen lease, log)`.
const LOGS: &str = "WITH v (ti, seen_lease, log) AS (VALUES {values}) \
     INSERT INTO task_logs (ti, try_number, lease, log) \
     SELECT t.id, t.try_number, v.seen_lease, v.log FROM v JOIN task_instances t ON t.id = v.ti \
     WHERE t.lease = v.seen_lease AND t.state IN ('queued', 'running') \
     ON CONFLICT (ti, try_number) DO UPDATE SET log = excluded.log, lease = excluded.lease, \
     live = 0";
/// Run state changes, the columns set as [`SET_RUN`](crate::common::sql::SET_RUN) sets them;
/// rows `(run, state, at, whether running, whether finished)`.
const RUNS: &str = "WITH v (run, state, at, running, finished) AS (VALUES {values}) \
     UPDATE dag_runs SET state = v.state, \
     started_at = CASE WHEN v.running THEN COALESCE(dag_runs.started_at, v.at) \
     WHEN v.state = 'queued' THEN NULL ELSE dag_runs.started_at END, \
     ended_at = CASE WHEN v.finished THEN v.at ELSE NULL END \
     FROM v WHERE dag_runs.id = v.run";

/// The step's changes, and the values of its finishes.
pub(super) struct Step<'q> {
    pub(super) fence: Option<&'q LeaderFence>,
    pub(super) finish: &'q [&'q FinishTask],
    pub(super) values: &'q [FinishValues],
    pub(super) queue: &'q [&'q QueueTask],
    pub(super) runs: &'q [&'q SetRunState],
}

/// What the script returned: the leader's holder and epoch (when fenced and the lease has
/// been held), and the finishes and queue ops applied.
pub(super) struct Ran {
    pub(super) leader: Option<(String, i64)>,
    pub(super) finished: Vec<Applied>,
    pub(super) queued: Vec<Applied>,
}

impl Step<'_> {
    /// Run the step's script on `conn`, inside the caller's transaction. Nothing is sent
    /// for a step with no change and no fence.
    pub(super) async fn run(&self, conn: &mut SqliteConnection) -> Result<Ran, sqlx::Error> {
        let mut ran = Ran {
            leader: None,
            finished: Vec::new(),
            queued: Vec::new(),
        };
        let Some(query) = self.script() else {
            return Ok(ran);
        };
        for (kind, id, run, text, number) in query.fetch_all(conn).await? {
            let applied = || Applied {
                id,
                run,
                task_id: text.clone(),
                try_number: number,
            };
            match kind {
                FENCE => ran.leader = Some((text.clone(), number)),
                FINISHED => ran.finished.push(applied()),
                _ => ran.queued.push(applied()),
            }
        }
        Ok(ran)
    }

    /// The script with its arguments, in the order its statements bind them; `None` when it
    /// would hold no statement.
    fn script(&self) -> Option<Query<'_, Row>> {
        let leases: HashMap<i64, i64> = self.finish.iter().map(|f| (f.ti, f.lease)).collect();
        // (ti, seen lease, key, value) and (ti, seen lease, log) of every finish's values.
        let xcoms: Vec<(i64, i64, &str, &[u8])> = self
            .values
            .iter()
            .filter_map(|v| leases.get(&v.ti).map(|&lease| (v, lease)))
            .flat_map(|(v, lease)| {
                v.xcom
                    .iter()
                    .map(move |(key, value)| (v.ti, lease, key.as_str(), value.as_slice()))
            })
            .collect();
        let logs: Vec<(i64, i64, &[u8])> = self
            .values
            .iter()
            .filter_map(|v| Some((v.ti, *leases.get(&v.ti)?, v.log.as_deref()?)))
            .collect();

        let mut sql = Vec::new();
        if self.fence.is_some() {
            sql.push(FENCE_SELECT.to_owned());
        }
        for chunk in xcoms.chunks(rows_per_statement(4)) {
            sql.push(with_values(XCOMS, "(?, ?, ?, ?)", chunk.len()));
        }
        for chunk in logs.chunks(rows_per_statement(3)) {
            sql.push(with_values(LOGS, "(?, ?, ?)", chunk.len()));
        }
        for chunk in self.finish.chunks(rows_per_statement(11)) {
            let update = with_values(FINISH, FINISH_ROW, chunk.len());
            sql.push(format!(
                "{update} RETURNING {FINISHED}, id, run, task_id, try_number"
            ));
        }
        for chunk in self.queue.chunks(rows_per_statement(5)) {
            let update = with_values(QUEUE, QUEUE_ROW, chunk.len());
            sql.push(format!(
                "{update} RETURNING {QUEUED}, id, run, task_id, try_number"
            ));
        }
        for chunk in self.runs.chunks(rows_per_statement(5)) {
            sql.push(with_values(RUNS, "(?, ?, ?, ?, ?)", chunk.len()));
        }
        if sql.is_empty() {
            return None;
        }

        let mut query = sqlx::query_as::<Sqlite, Row>(AssertSqlSafe(sql.join("; ")));
        if let Some(fence) = self.fence {
            query = query.bind(fence.name.as_str());
        }
        for (ti, lease, key, value) in xcoms {
            query = query.bind(ti).bind(lease).bind(key).bind(value);
        }
        for (ti, lease, log) in logs {
            query = query.bind(ti).bind(lease).bind(log);
        }
        let query = self.finish.iter().fold(query, |q, f| bind_finish(q, f));
        let query = self.queue.iter().fold(query, |q, item| bind_queue(q, item));
        Some(self.runs.iter().fold(query, |query, r| {
            query
                .bind(r.run)
                .bind(r.state.as_str())
                .bind(micros(r.at))
                .bind(r.state == weft_model::DagRunState::Running)
                .bind(r.state.is_finished())
        }))
    }
}

/// Write `batch`, a step that fits one script (see [`apply::at_once`]), in one write
/// transaction of three commands: `BEGIN IMMEDIATE`, the script, and `COMMIT`, or
/// `ROLLBACK` when the leader fence no longer holds or a finish the step needs did not
/// apply.
pub(super) async fn write(store: &SqliteStore, batch: &WriteBatch) -> StoreResult<WriteOutcome> {
    let finish: Vec<&FinishTask> = batch.finish.iter().collect();
    let values: Vec<FinishValues> = finish.iter().map(|f| apply::values_of(f)).collect();
    let queue: Vec<&QueueTask> = batch.queue.iter().collect();
    let runs: Vec<&SetRunState> = batch.set_run.iter().collect();
    let step = Step {
        fence: batch.leader.as_ref(),
        finish: &finish,
        values: &values,
        queue: &queue,
        runs: &runs,
    };
    let mut conn = store.writer().await?;
    let mut tx = SqliteStore::begin_write(&mut conn).await?;
    let ran = step.run(&mut tx).await?;
    if let Some(fence) = &batch.leader {
        let holds = ran
            .leader
            .as_ref()
            .is_some_and(|(holder, epoch)| *holder == fence.holder && *epoch == fence.epoch);
        if !holds {
            tx.rollback().await?;
            let now = ran
                .leader
                .as_ref()
                .map(|(holder, epoch)| (holder.as_str(), *epoch));
            return Err(apply::deposed(fence, now));
        }
    }
    let mut outcome = apply::empty_outcome(batch);
    mark(
        &mut outcome.finished,
        &batch.finish,
        |f| f.ti,
        &ran.finished,
    );
    mark(&mut outcome.queued, &batch.queue, |q| q.ti, &ran.queued);
    if batch.all_finishes && outcome.finished.contains(&false) {
        // Nothing is written; the outcome says which finishes would have applied.
        tx.rollback().await?;
        outcome.queued.fill(false);
        outcome.refused = true;
        return Ok(outcome);
    }
    tx.commit().await?;
    Ok(outcome)
}

/// `flags[i]`: whether the task instance of `items[i]` is among `applied`.
fn mark<T>(flags: &mut [bool], items: &[T], ti: impl Fn(&T) -> i64, applied: &[Applied]) {
    let applied: HashSet<i64> = applied.iter().map(|a| a.id).collect();
    for (flag, item) in flags.iter_mut().zip(items) {
        *flag = applied.contains(&ti(item));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::RUNS;
    use crate::common::sql::SET_RUN;

    #[test]
    fn the_run_update_sets_the_columns_as_set_run_does() {
        let columns = SET_RUN
            .strip_prefix("UPDATE dag_runs SET ")
            .and_then(|sql| sql.strip_suffix(" WHERE id = $1"))
            .unwrap()
            .replace("$2", "v.state")
            .replace("$3", "v.at")
            .replace("$4", "v.running")
            .replace("$5", "v.finished");
        assert!(
            RUNS.contains(&format!("UPDATE dag_runs SET {columns} FROM v WHERE")),
            "{RUNS}"
        );
    }
}
