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
//! step is left to the store's usual write transaction, which finds the exact outcome or
//! error (and runs the step's statements, without the checks, as one script inside it:
//! [`Step::run`]). The finishes' values are inserted before the finishes, for the task
//! instances they are about to apply to. A step too big for one statement of each kind goes
//! that way too.

use std::collections::{HashMap, HashSet};

use sqlx::{AssertSqlSafe, Sqlite, SqliteConnection};

use super::SqliteStore;
use super::batch::{
    FINISH, FINISH_ROW, QUEUE, QUEUE_ROW, Query, bind_finish, bind_queue, rows_per_statement,
    with_values,
};
use super::held::HeldConnection;
use crate::apply;
use crate::backend::Backend as _;
use crate::backend::batch::{Applied, FinishValues};
use crate::both_backends::sql_text::sql;
use crate::both_backends::state_sql::TASK_IN_FLIGHT;
use crate::both_backends::ti_columns::FINISH_PARAMS;
use crate::error::StoreResult;
use crate::rows::micros;
use crate::write::{FinishTask, LeaderFence, QueueTask, SetRunState, WriteBatch, WriteOutcome};

/// A row of the script, an applied change: its kind ([`FINISHED`] or [`QUEUED`]), then
/// `(id, run, task_id, try_number)`.
type Row = (i64, i64, i64, String, i64);

/// A finish applied.
const FINISHED: i64 = 1;
/// A queue op applied.
const QUEUED: i64 = 2;

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
const CHECK_FINISHES: &str = sql!(
    "WITH v (ti, seen_lease) AS (VALUES {values}) \
     INSERT INTO temp.weft_step_check (fence_holds, missing) SELECT {fence}, ? - \
     (SELECT count(*) FROM v JOIN task_instances t ON t.id = v.ti \
     WHERE t.lease = v.seen_lease AND t.state IN ",
    TASK_IN_FLIGHT,
    ")"
);
/// The check of the fence alone.
const CHECK_FENCE: &str =
    "INSERT INTO temp.weft_step_check (fence_holds, missing) SELECT {fence}, 0";

/// XCom values of the finishes that apply; rows `(ti, seen lease, key, value)`.
const XCOMS: &str = sql!(
    "WITH v (ti, seen_lease, key, value) AS (VALUES {values}) \
     INSERT INTO xcom (run, task_id, key, value) \
     SELECT t.run, t.task_id, v.key, v.value FROM v JOIN task_instances t ON t.id = v.ti \
     WHERE t.lease = v.seen_lease AND t.state IN ",
    TASK_IN_FLIGHT,
    " \
     ON CONFLICT (run, task_id, key) DO UPDATE SET value = excluded.value"
);
/// Logs of the finishes that apply, under their try; rows `(ti, seen lease, log)`.
const LOGS: &str = sql!(
    "WITH v (ti, seen_lease, log) AS (VALUES {values}) \
     INSERT INTO task_logs (ti, try_number, lease, log) \
     SELECT t.id, t.try_number, v.seen_lease, v.log FROM v JOIN task_instances t ON t.id = v.ti \
     WHERE t.lease = v.seen_lease AND t.state IN ",
    TASK_IN_FLIGHT,
    " \
     ON CONFLICT (ti, try_number) DO UPDATE SET log = excluded.log, lease = excluded.lease, \
     live = 0"
);
/// Run state changes, the columns set as [`SET_RUN`](crate::both_backends::sql::SET_RUN) sets them;
/// rows `(run, state, at, whether running, whether finished)`.
const RUNS: &str = "WITH v (run, state, at, running, finished) AS (VALUES {values}) \
     UPDATE dag_runs SET state = v.state, \
     started_at = CASE WHEN v.running THEN COALESCE(dag_runs.started_at, v.at) \
     WHEN v.state = 'queued' THEN NULL ELSE dag_runs.started_at END, \
     ended_at = CASE WHEN v.finished THEN v.at ELSE NULL END \
     FROM v WHERE dag_runs.id = v.run";

/// How a step's statements are sent.
#[derive(Clone, Copy)]
enum Shape<'q> {
    /// Inside a transaction the caller began, checked and ends.
    InTransaction,
    /// As a whole transaction, from `BEGIN IMMEDIATE` to `COMMIT`, its checks first.
    Whole {
        /// The leader fence it is written under, if any.
        fence: Option<&'q LeaderFence>,
        /// Whether the step needs every finish to apply.
        all_finishes: bool,
    },
}

/// The step's changes, and the values of its finishes.
pub(super) struct Step<'q> {
    pub(super) finish: &'q [&'q FinishTask],
    pub(super) values: &'q [FinishValues],
    pub(super) queue: &'q [&'q QueueTask],
    pub(super) runs: &'q [&'q SetRunState],
}

/// What the script applied: finishes and queue ops.
#[derive(Default)]
pub(super) struct Ran {
    pub(super) finished: Vec<Applied>,
    pub(super) queued: Vec<Applied>,
}

impl Ran {
    /// Take in the script's rows.
    fn add(&mut self, rows: Vec<Row>) {
        let (finished, queued) =
            Applied::split(rows.into_iter().map(|(kind, id, run, task_id, tries)| {
                (kind == FINISHED, id, run, task_id, tries)
            }));
        self.finished.extend(finished);
        self.queued.extend(queued);
    }
}

impl Step<'_> {
    /// Run the step's script on `conn`, inside the caller's transaction (which checked the
    /// fence). Nothing is sent for a step with no change.
    pub(super) async fn run(&self, conn: &mut SqliteConnection) -> Result<Ran, sqlx::Error> {
        let mut ran = Ran::default();
        let Some(query) = self.build(Shape::InTransaction) else {
            return Ok(ran);
        };
        ran.add(query.fetch_all(conn).await?);
        Ok(ran)
    }

    /// The whole transaction as one script under `fence`, its checks first (see the
    /// module's page); `None` when a kind of change needs more than one statement.
    fn whole<'a>(
        &'a self,
        fence: Option<&'a LeaderFence>,
        all_finishes: bool,
    ) -> Option<Query<'a, Row>> {
        self.build(Shape::Whole {
            fence,
            all_finishes,
        })
    }

    /// The script of `shape`, with its arguments in the order its statements bind them;
    /// `None` when it would hold no statement, or is whole and does not fit.
    fn build<'a>(&'a self, shape: Shape<'a>) -> Option<Query<'a, Row>> {
        let (whole, checked_fence) = match shape {
            Shape::InTransaction => (None, None),
            Shape::Whole {
                fence,
                all_finishes,
            } => (Some(all_finishes), fence),
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
            && self.finish.len() <= rows_per_statement(FINISH_PARAMS)
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
        }
        for chunk in xcoms.chunks(rows_per_statement(4)) {
            sql.push(with_values(XCOMS, "(?, ?, ?, ?)", chunk.len()));
        }
        for chunk in logs.chunks(rows_per_statement(3)) {
            sql.push(with_values(LOGS, "(?, ?, ?)", chunk.len()));
        }
        for chunk in self.finish.chunks(rows_per_statement(FINISH_PARAMS)) {
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

/// Write `batch`, a step that fits one script (see [`apply::at_once`]), as one whole
/// script; `None`, with nothing written, when a check does not hold or the step is too big:
/// the store's write transaction then finds the exact outcome or error.
pub(super) async fn write(
    store: &SqliteStore,
    batch: &WriteBatch,
) -> StoreResult<Option<WriteOutcome>> {
    let finish: Vec<&FinishTask> = batch.finish.iter().collect();
    let values: Vec<FinishValues> = finish.iter().map(|f| apply::values_of(f)).collect();
    let queue: Vec<&QueueTask> = batch.queue.iter().collect();
    let runs: Vec<&SetRunState> = batch.set_run.iter().collect();
    let step = Step {
        finish: &finish,
        values: &values,
        queue: &queue,
        runs: &runs,
    };
    let Some(script) = step.whole(batch.leader.as_ref(), batch.all_finishes) else {
        return Ok(None);
    };
    let mut conn = store.writer().await?;
    Ok(match run_whole(&mut conn, script).await? {
        Whole::Done(ran) => Some(outcome_of(batch, &ran)),
        Whole::Checked => None,
    })
}

#[cfg(test)]
mod tests;
