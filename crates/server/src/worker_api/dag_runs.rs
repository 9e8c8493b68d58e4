//! Runs of other DAGs a task triggers (`dag-runs.trigger`): only for the attempt that holds
//! its task instance's lease (403 `stale_attempt` otherwise). A refusal the task should see
//! (an unknown or paused DAG, a bad conf, a taken run id) is a 200 answer that says so.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use weft_protocol::{TriggerAnswer, TriggerRun};
use weft_scheduler::{TriggerFailure, trigger_from_task};

use crate::error::{ApiError, ErrorBody};
use crate::extract::JsonBody;
use crate::state::AppState;
use crate::worker_api::access::{attempt, current_attempt};

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(post_dag_run))
}

/// Create a run of another DAG of the tenant for a current attempt (queued or running).
#[utoipa::path(post, path = "/worker/attempts/{ti}/{lease}/dag-runs", tag = "worker-api",
    params(
        ("ti" = i64, Path, description = "The task instance (as in the task's delivery)"),
        ("lease" = i64, Path, description = "The attempt's lease (as in the task's delivery)"),
        ("weft-attempt-key" = Option<String>, Header, description = "The attempt's key, as its task message carried it (required when the server has a secret key)"),
    ),
    request_body = TriggerRun,
    responses(
        (status = 200, description = "The run created or found again (`triggered`), or why it was refused (`refused`)", body = Object),
        (status = 400, description = "ti or lease is not a number, or the body is not a trigger request", body = ErrorBody),
        (status = 401, description = "No worker token, or not one the server accepts", body = ErrorBody),
        (status = 403, description = "The attempt no longer holds its lease (stale_attempt), or its key is missing or wrong (attempt_key)", body = ErrorBody),
        (status = 503, description = "The scheduler cannot take the run now", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(%ti, %lease, dag = %request.dag_id))]
async fn post_dag_run(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((ti, lease)): Path<(String, String)>,
    JsonBody(request): JsonBody<TriggerRun>,
) -> Result<Json<TriggerAnswer>, ApiError> {
    let attempt = attempt(&state, &headers, &ti, &lease)?;
    // The run is of the attempt's own tenant, whoever asks.
    let tenant = current_attempt(&state, attempt).await?.tenant;
    let answer = trigger_from_task(&*state.store, &*state.control, &tenant, attempt, request).await;
    match answer {
        Ok(Ok(run)) => Ok(Json(TriggerAnswer::Triggered(run))),
        Ok(Err(refusal)) => Ok(Json(TriggerAnswer::Refused(refusal))),
        Err(TriggerFailure::Stale(refusal)) => Err(ApiError::Forbidden {
            code: refusal.code(),
            message: refusal.to_string(),
        }),
        Err(TriggerFailure::Store(e)) => Err(e.into()),
        Err(TriggerFailure::Control(e)) => Err(e.into()),
    }
}
