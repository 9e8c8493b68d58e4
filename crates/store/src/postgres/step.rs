//! A scheduler's step as one statement ([`STEP`](super::statements::STEP)): bound here for
//! both of its uses, inside a write transaction (as [`BatchSql::step`](crate::backend::batch::BatchSql::step)) and on its own,
//! autocommitted, with the leader fence and the all-or-nothing rule checked by the guard at
//! its end ([`write_at_once`]): one round trip instead of the three of `BEGIN`, the
//! statement and `COMMIT`.

use std::collections::HashSet;

use sqlx::postgres::PgDatabaseError;

use super::batch::{Query, bind_finish, bind_queue, column};
use super::statements::STEP;
use super::{PostgresStore, fence};
use crate::apply;
use crate::backend::batch::{Applied, FinishValues};
use crate::both_backends::ti_columns::bind_finished_arrays;
use crate::error::StoreResult;
use crate::rows::micros;
use crate::write::{FinishTask, LeaderFence, QueueTask, SetRunState, WriteBatch, WriteOutcome};

/// The SQLSTATE the guard raises when fewer finishes applied than the step needs.
const FINISH_REFUSED: &str = "WF002";

/// What the statement's guard checks: the leader fence, and how many finishes must apply.
#[derive(Clone, Copy)]
pub(super) struct Guard<'a> {
    pub(super) fence: Option<&'a LeaderFence>,
    pub(super) finishes: Option<usize>,
}

impl Guard<'_> {
    /// No check (a step inside a transaction whose caller checks both).
    pub(super) const NONE: Guard<'static> = Guard {
        fence: None,
        finishes: None,
    };
}

/// A row of the statement: whether it is a finish (else a queue op) and what it applied to.
type Row = (bool, i64, i64, String, i64);

/// The step's statement with every argument bound.
pub(super) fn query<'q>(
    finish: &[&'q FinishTask],
    values: Vec<FinishValues>,
    queue: &[&'q QueueTask],
    runs: &[&'q SetRunState],
    guard: Guard<'q>,
) -> Query<'q, Row> {
    let wanted = guard.finishes.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
    let query = bind_queue(bind_finish(sqlx::query_as(STEP), finish, values), queue)
        .bind(column(runs, |r| r.run))
        .bind(column(runs, |r| r.state.as_str()))
        .bind(column(runs, |r| micros(r.at)))
        .bind(column(runs, |r| {
            r.state == weft_model::DagRunState::Running
        }))
        .bind(column(runs, |r| r.state.is_finished()))
        .bind(guard.fence.map(|f| f.name.as_str()))
        .bind(guard.fence.map(|f| f.holder.as_str()))
        .bind(guard.fence.map(|f| f.epoch))
        .bind(wanted);
    bind_finished_arrays(query, finish)
}

/// Write `batch` as one autocommitted statement when it is a step that fits one (see
/// [`apply::at_once`]), on the store's step connection (see [`stepper`](super::stepper));
/// `None` when it does not fit, for the caller to write it in a transaction.
pub(super) async fn write_at_once(
    store: &PostgresStore,
    batch: &WriteBatch,
) -> StoreResult<Option<WriteOutcome>> {
    if !apply::at_once(batch) {
        return Ok(None);
    }
    let finishes: Vec<&FinishTask> = batch.finish.iter().collect();
    let queues: Vec<&QueueTask> = batch.queue.iter().collect();
    let runs: Vec<&SetRunState> = batch.set_run.iter().collect();
    let values = finishes.iter().map(|f| apply::values_of(f)).collect();
    let guard = Guard {
        fence: batch.leader.as_ref(),
        finishes: batch.all_finishes.then_some(finishes.len()),
    };
    let statement = query(&finishes, values, &queues, &runs, guard);
    let written = match store.stepper.take(&store.pool).await {
        Some(held) => {
            let mut held = held?;
            let written = statement.fetch_all(held.conn()).await;
            held.done(&written);
            written
        }
        // Another step holds the step connection.
        None => statement.fetch_all(&mut *store.pool.acquire().await?).await,
    };
    outcome(batch, written).map(Some)
}

/// What the step's statement applied, or why it wrote nothing.
fn outcome(
    batch: &WriteBatch,
    written: Result<Vec<Row>, sqlx::Error>,
) -> StoreResult<WriteOutcome> {
    let mut outcome = apply::empty_outcome(batch);
    let rows = match written {
        Ok(rows) => rows,
        Err(error) => {
            let Some(applied) = refused_finishes(&error) else {
                return Err(match &batch.leader {
                    Some(fence) => fence::begin_error(fence, error),
                    None => error.into(),
                });
            };
            // Nothing was written; say which finishes would have applied.
            apply::mark_applied(&mut outcome.finished, &batch.finish, |f| f.ti, &applied);
            outcome.refused = true;
            return Ok(outcome);
        }
    };
    let (finished, queued) = Applied::split(rows);
    let finished: HashSet<i64> = finished.iter().map(|a| a.id).collect();
    let queued: HashSet<i64> = queued.iter().map(|a| a.id).collect();
    apply::mark_applied(&mut outcome.finished, &batch.finish, |f| f.ti, &finished);
    apply::mark_applied(&mut outcome.queued, &batch.queue, |q| q.ti, &queued);
    Ok(outcome)
}

/// The task instances whose finishes applied, when `error` is the guard's refusal of a step
/// that needed all of them.
fn refused_finishes(error: &sqlx::Error) -> Option<HashSet<i64>> {
    let sqlx::Error::Database(db) = error else {
        return None;
    };
    let pg = db
        .try_downcast_ref::<PgDatabaseError>()
        .filter(|pg| pg.code() == FINISH_REFUSED)?;
    Some(
        pg.detail()
            .unwrap_or_default()
            .split(',')
            .filter_map(|id| id.parse().ok())
            .collect(),
    )
}
