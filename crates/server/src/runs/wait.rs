//! Waiting for a run to end (`GET …/runs/{run_id}?wait_ms=N`): the request is held until
//! the scheduler says the run ended, instead of the client polling.

use std::time::Duration;

use tokio::sync::broadcast::{self, error::RecvError};
use tokio::time::Instant;
use weft_store::{DagRun, RunPk, TaskInstance};

use super::{find_run, no_run};
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::state::AppState;

/// Longest a request may wait, in milliseconds.
pub const MAX_WAIT_MS: u64 = 60_000;
/// How often the store is read when the scheduler cannot announce ended runs at all.
const POLL: Duration = Duration::from_millis(50);

/// The wait a request asked for; a 400 naming the parameter when it is out of range.
pub(super) fn duration(wait_ms: Option<u64>) -> Result<Option<Duration>, ApiError> {
    match wait_ms {
        None => Ok(None),
        Some(ms) if ms <= MAX_WAIT_MS => Ok(Some(Duration::from_millis(ms))),
        Some(ms) => Err(ApiError::invalid(format!(
            "wait_ms {ms} is out of range (0 to {MAX_WAIT_MS})"
        ))),
    }
}

/// The run once it has ended, or as it is after `wait`.
pub(super) async fn until_ended(
    state: &AppState,
    ctx: &RequestContext,
    dag_id: &str,
    run_id: &str,
    wait: Duration,
) -> Result<(DagRun, Vec<TaskInstance>), ApiError> {
    let deadline = Instant::now() + wait;
    // Listen before reading, so an end between the read and the wait is heard.
    let mut ended = state.control.subscribe_ended();
    // The run alone while it goes on; with its task instances once it has been announced
    // as ended, or has ended, or the wait is over.
    let mut run = current(state, ctx, dag_id, run_id).await?;
    while !run.state.is_finished() && Instant::now() < deadline {
        let recheck = if ended.is_some() {
            state.config.run_wait_recheck
        } else {
            POLL
        };
        let until = deadline.min(Instant::now() + recheck);
        if !heard_or_timed_out(&mut ended, run.id, until).await {
            run = current(state, ctx, dag_id, run_id).await?;
            continue;
        }
        let found = read_run(state, ctx, dag_id, run_id, run.id).await?;
        if found.0.state.is_finished() || Instant::now() >= deadline {
            return Ok(found);
        }
        run = found.0;
    }
    read_run(state, ctx, dag_id, run_id, run.id).await
}

/// Run `pk` (`run_id` of `dag_id`) with its task instances; if it was deleted meanwhile
/// (its DAG was), the answer a request without a wait gets.
async fn read_run(
    state: &AppState,
    ctx: &RequestContext,
    dag_id: &str,
    run_id: &str,
    pk: RunPk,
) -> Result<(DagRun, Vec<TaskInstance>), ApiError> {
    match state.store.run(pk).await? {
        Some(found) => Ok(found),
        None => find_run(state, ctx, dag_id, run_id).await,
    }
}

/// Run `run_id` of `dag_id` as stored now, or the 404 for it.
async fn current(
    state: &AppState,
    ctx: &RequestContext,
    dag_id: &str,
    run_id: &str,
) -> Result<DagRun, ApiError> {
    match state.store.run_by_id(&ctx.tenant, dag_id, run_id).await? {
        Some(run) => Ok(run),
        None => Err(no_run(state, ctx, dag_id, run_id).await),
    }
}

/// Wait until `run` is announced as ended (true), announcements were lost, or `until`.
async fn heard_or_timed_out(
    ended: &mut Option<broadcast::Receiver<RunPk>>,
    run: RunPk,
    until: Instant,
) -> bool {
    let sleep = tokio::time::sleep_until(until);
    tokio::pin!(sleep);
    while let Some(receiver) = ended.as_mut() {
        tokio::select! {
            () = &mut sleep => return false,
            heard = receiver.recv() => match heard {
                Ok(pk) if pk == run => return true,
                Ok(_) => {}
                Err(RecvError::Lagged(_)) => return false,
                Err(RecvError::Closed) => *ended = None,
            },
        }
    }
    sleep.await;
    false
}
