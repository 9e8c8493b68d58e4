//! Runs a task triggers (`dag-runs.trigger`): the attempt must hold its task instance's
//! lease; the DAG must exist in the attempt's tenant and not be paused. A call without a run
//! id names its run after the calling task instance and the call's place, so the same call of
//! a retried attempt finds the run made before instead of making a second one. The API
//! server's worker routes and standalone mode's worker both come here.

use jiff::Timestamp;
use weft_protocol::{AttemptRef, TriggerRefusal, TriggerRun, TriggeredRun, triggered_run_id};
use weft_store::grants::{self, Refusal};
use weft_store::{Store, StoreError};

use crate::control::{Control, ControlError, TriggerRequest};

/// Why a trigger call could not be answered at all (as opposed to refused).
#[derive(Debug, thiserror::Error)]
pub enum TriggerFailure {
    /// The attempt is not the task instance's current one.
    #[error("{0}")]
    Stale(#[from] Refusal),
    /// The store failed.
    #[error("reading the store for a triggered run")]
    Store(#[from] StoreError),
    /// The scheduler could not take the run now.
    #[error("creating the triggered run")]
    Control(#[source] ControlError),
}

/// Create the run `request` asks for on behalf of `attempt` of `tenant`.
pub async fn trigger_from_task(
    store: &dyn Store,
    control: &dyn Control,
    tenant: &str,
    attempt: AttemptRef,
    request: TriggerRun,
) -> Result<Result<TriggeredRun, TriggerRefusal>, TriggerFailure> {
    let caller = grants::current(store, tenant, attempt).await??;
    // An id no DAG can have is refused before the store is asked (PostgreSQL could not even
    // compare one holding NUL).
    if let Err(issue) = weft_model::validate::check_id(&request.dag_id) {
        return Ok(Err(TriggerRefusal::Invalid(format!(
            "DAG id {:?} {issue}",
            request.dag_id
        ))));
    }
    let Some(record) = store.dag(tenant, &request.dag_id).await? else {
        return Ok(Err(TriggerRefusal::NotFound(format!(
            "no DAG {:?} is deployed",
            request.dag_id
        ))));
    };
    if record.paused {
        return Ok(Err(TriggerRefusal::Paused(format!(
            "DAG {:?} is paused: unpause it to trigger runs of it",
            request.dag_id
        ))));
    }
    let logical_date = match request.logical_date.as_deref().map(str::parse::<Timestamp>) {
        None => None,
        Some(Ok(at)) => Some(at),
        Some(Err(e)) => {
            return Ok(Err(TriggerRefusal::Invalid(format!(
                "logical date {:?} is not an RFC 3339 time such as 2026-01-01T00:00:00Z: {e}",
                request.logical_date.unwrap_or_default()
            ))));
        }
    };
    let chosen = request.run_id.is_some();
    let run_id = request.run_id.unwrap_or_else(|| {
        triggered_run_id(
            &caller.dag_id,
            &caller.run_id,
            &caller.task_id,
            request.call,
        )
    });
    let asked = TriggerRequest {
        conf: request.conf,
        logical_date,
        run_id: Some(run_id.clone()),
    };
    match control.trigger(tenant, &request.dag_id, asked).await {
        Ok(run) => {
            tracing::info!(dag = %request.dag_id, run = %run.run_id, by_task = %caller.task_id, by_run = %caller.run_id, "run triggered by a task");
            Ok(Ok(TriggeredRun {
                run_id: run.run_id,
                created: true,
            }))
        }
        // The run this task instance's call names exists: an earlier attempt made it.
        Err(ControlError::Conflict(_)) if !chosen => Ok(Ok(TriggeredRun {
            run_id,
            created: false,
        })),
        Err(ControlError::Conflict(m)) => Ok(Err(TriggerRefusal::AlreadyExists(m))),
        Err(ControlError::NotFound(m)) => Ok(Err(TriggerRefusal::NotFound(m))),
        Err(ControlError::Invalid(m)) => Ok(Err(TriggerRefusal::Invalid(m))),
        Err(e) => Err(TriggerFailure::Control(e)),
    }
}
