//! A scheduler's usual step on SQLite as one script. sqlx runs a SQLite connection on a
//! thread of its own and hands it each statement as a command, so every statement costs two
//! thread wake-ups: a step that ended one attempt and queued the next (`BEGIN`, the leader
//! check, the finish, its XCom values, its log, the queue op, the run's state, `COMMIT`) was
//! eight commands. Here the whole transaction travels as one script, run by the
//! connection's thread in one go: one command a step.
//!
//! The script's statements read nothing back from one another. Its first statement after
//! `BEGIN IMMEDIATE` checks the leader fence and, for a step that needs every finish, that
//! each will apply (the finish's own condition), and raises (through a trigger of the
//! connection's, [`prepare`]) when one does not hold: nothing has been changed then, and the
//! step is written again as a transaction of three commands (`BEGIN`, the script without
//! its checks, `COMMIT` or `ROLLBACK`), which finds the exact outcome or error. The
//! finishes' values are inserted before the finishes, for the task instances they are
//! about to apply to. A step too big for one statement of each kind goes that way too.

use std::collections::{HashMap, HashSet};

use sqlx::{AssertSqlSafe, Sqlite, SqliteConnection};

use super::SqliteStore;
use super::batch::{
    FINISH, FINISH_ROW, QUEUE, QUEUE_ROW, Query, bind_finish, bind_queue, rows_per_statement,
    with_values,
};
use super::held::HeldConnection;
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

/// The connection's check of a step written in one script: inserting a row into the view
/// raises unless the fence holds and no finish the step needs is missing. Made once per
/// connection (temporary objects are the connection's own).
const PREPARE: &str = "CREATE TEMP VIEW weft_step_check (fence_holds, missing) AS SELECT 1, 0; \
     CREATE TEMP TRIGGER weft_step_checked INSTEAD OF INSERT ON weft_step_check BEGIN \
     SELECT CASE WHEN NEW.fence_holds IS NOT 1 THEN RAISE(ABORT, 'weft step: deposed') \
     WHEN NEW.missing <> 0 THEN RAISE(ABORT, 'weft step: refused') END; END";
/// What the check raises with.
const CHECK_FAILED: [&str; 2] = ["weft step: deposed", "weft step: refused"];
/// The check's view, named in the error of a connection that lacks it.
const CHECK_VIEW: &str = "weft_step_check";
/// Whether the fence (`?` name, `?` holder, `?` epoch) holds.
const FENCE_HOLDS: &str =
    "COALESCE((SELECT holder = ? AND epoch = ? FROM leaders WHERE name = ?), 0)";
/// The check, for a step that needs every finish: `?` how many, then a row `(ti, seen
/// lease)` of each.
const CHECK_FINISHES: &str = "WITH v (ti, seen_lease) AS (VALUES {values}) \
     INSERT INTO temp.weft_step_check (fence_holds, missing) SELECT {fence}, ? - \
     (SELECT count(*) FROM v JOIN task_instances t ON t.id = v.ti \
     WHERE t.lease = v.seen_lease AND t.state IN ('queued', 'running'))";
/// The check of the fence alone.
const CHECK_FENCE: &str =
    "INSERT INTO temp.weft_step_check (fence_holds, missing) SELECT {fence}, 0";

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

/// How a step's statements are sent.
#[derive(Clone, Copy)]
enum Shape {
    /// Inside a transaction the caller began and ends, the leader's row first when fenced.
    InTransaction,
    /// As a whole transaction, from `BEGIN IMMEDIATE` to `COMMIT`, its checks first.
    Whole {
        /// Whether the step needs every finish to apply.
        all_finishes: bool,
    },
}

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
#[derive(Default)]
pub(super) struct Ran {
    pub(super) leader: Option<(String, i64)>,
    pub(super) finished: Vec<Applied>,
    pub(super) queued: Vec<Applied>,
}

impl Ran {
    /// Take in the script's rows.
    fn add(&mut self, rows: Vec<Row>) {
        for (kind, id, run, text, number) in rows {
            match kind {
                FENCE => self.leader = Some((text, number)),
                FINISHED | QUEUED => {
                    let applied = Applied {
                        id,
                        run,
                        task_id: text,
                        try_number: number,
                    };
                    if kind == FINISHED {
                        self.finished.push(applied);
                    } else {
                        self.queued.push(applied);
                    }
                }
                _ => {}
            }
        }
    }
}

impl Step<'_> {
    /// Run the step's script on `conn`, inside the caller's transaction. Nothing is sent
    /// for a step with no change and no fence.
    pub(super) async fn run(&self, conn: &mut SqliteConnection) -> Result<Ran, sqlx::Error> {
        let mut ran = Ran::default();
        let Some(query) = self.build(Shape::InTransaction) else {
            return Ok(ran);
        };
        ran.add(query.fetch_all(conn).await?);
        Ok(ran)
    }

    /// The whole transaction as one script, its checks first (see the module's page);
    /// `None` when a kind of change needs more than one statement.
    fn whole(&self, all_finishes: bool) -> Option<Query<'_, Row>> {
        self.build(Shape::Whole { all_finishes })
    }

    /// The script of `shape`, with its arguments in the order its statements bind them;
    /// `None` when it would hold no statement, or is whole and does not fit.
    fn build(&self, shape: Shape) -> Option<Query<'_, Row>> {
        let whole = match shape {
            Shape::InTransaction => None,
            Shape::Whole { all_finishes } => Some(all_finishes),
        };
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
        let fits = xcoms.len() <= rows_per_statement(4)
            && logs.len() <= rows_per_statement(3)
            && self.finish.len() <= rows_per_statement(11)
            && self.queue.len() <= rows_per_statement(5)
            && self.runs.len() <= rows_per_statement(5);
        if whole.is_some() && !fits {
            return None;
        }
        // In a whole script, what the check counts: the finishes, when the step needs all.
        let counted: &[&FinishTask] = match whole {
            Some(true) => self.finish,
            _ => &[],
        };
        let checked_fence = whole.and(self.fence);

        let mut sql = Vec::new();
        if whole.is_some() {
            sql.push("BEGIN IMMEDIATE".to_owned());
            let fence = if checked_fence.is_some() {
                FENCE_HOLDS
            } else {
                "1"
            };
            if !counted.is_empty() {
                let check = with_values(CHECK_FINISHES, "(?, ?)", counted.len());
                sql.push(check.replacen("{fence}", fence, 1));
            } else if checked_fence.is_some() {
                sql.push(CHECK_FENCE.replacen("{fence}", fence, 1));
            }
        } else if self.fence.is_some() {
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
        if whole.is_some() {
            sql.push("COMMIT".to_owned());
        } else if sql.is_empty() {
            return None;
        }

        let mut query = sqlx::query_as::<Sqlite, Row>(AssertSqlSafe(sql.join("; ")));
        // The check's arguments: its rows, then the fence's, then how many finishes.
        for f in counted {
            query = query.bind(f.ti).bind(f.lease);
        }
        if let Some(fence) = checked_fence {
            query = query
                .bind(fence.holder.as_str())
                .bind(fence.epoch)
                .bind(fence.name.as_str());
        }
        if !counted.is_empty() {
            query = query.bind(i64::try_from(counted.len()).unwrap_or(i64::MAX));
        }
        if whole.is_none()
            && let Some(fence) = self.fence
        {
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

/// Make the connection's check of whole steps (see [`PREPARE`]).
pub(super) async fn prepare(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(PREPARE).execute(conn).await.map(|_| ())
}

/// How a whole step's script went.
enum Whole {
    /// Committed: what it applied.
    Done(Ran),
    /// A check did not hold; nothing was written.
    Checked,
}

/// Run a whole step's script on `conn`. After any failure, its transaction is rolled back
/// before this returns; if the script is given up half-way, the connection is replaced
/// before it is used again.
async fn run_whole(
    conn: &mut HeldConnection<'_>,
    script: Query<'_, Row>,
) -> Result<Whole, sqlx::Error> {
    conn.script_begins();
    match script.fetch_all(&mut **conn).await {
        Ok(rows) => {
            conn.script_ended();
            let mut ran = Ran::default();
            ran.add(rows);
            Ok(Whole::Done(ran))
        }
        Err(error) => {
            conn.roll_back_script().await;
            let message = error.to_string();
            if CHECK_FAILED.iter().any(|m| message.contains(m)) {
                tracing::debug!(%message, "a step's check did not hold; writing it in a transaction");
                Ok(Whole::Checked)
            } else if message.contains(CHECK_VIEW) {
                // The connection lacks its check (it should have been made when it opened):
                // the transaction below needs none.
                tracing::warn!(%message, "a SQLite connection has no step check; writing the step in a transaction");
                Ok(Whole::Checked)
            } else {
                Err(error)
            }
        }
    }
}

/// `batch`'s outcome from what its script applied.
fn outcome_of(batch: &WriteBatch, ran: &Ran) -> WriteOutcome {
    let ids = |applied: &[Applied]| applied.iter().map(|a| a.id).collect::<HashSet<i64>>();
    let mut outcome = apply::empty_outcome(batch);
    apply::mark_applied(
        &mut outcome.finished,
        &batch.finish,
        |f| f.ti,
        &ids(&ran.finished),
    );
    apply::mark_applied(
        &mut outcome.queued,
        &batch.queue,
        |q| q.ti,
        &ids(&ran.queued),
    );
    outcome
}

/// Write `batch`, a step that fits one script (see [`apply::at_once`]): as one whole script
/// when its checks hold, else in a write transaction of three commands (`BEGIN IMMEDIATE`,
/// the script, and `COMMIT`, or `ROLLBACK` when the leader fence no longer holds or a finish
/// the step needs did not apply).
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
    // When a check does not hold, the transaction below tells exactly what, and writes
    // nothing.
    if let Some(script) = step.whole(batch.all_finishes)
        && let Whole::Done(ran) = run_whole(&mut conn, script).await?
    {
        return Ok(outcome_of(batch, &ran));
    }
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
    let mut outcome = outcome_of(batch, &ran);
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

#[cfg(test)]
mod tests;
