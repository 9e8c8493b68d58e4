//! What a running task reads through its worker: XCom values of its run and variables of its
//! tenant, for the current attempt only (see [`current_attempt`]).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use crate::worker_api::access::{attempt, current_attempt};

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_xcom))
        .routes(routes!(get_variable))
}

/// A variable's value, as a task reads it.
pub use weft_protocol::worker_api::WorkerVariable;

/// Fetch an XCom value of a task of the attempt's run.
#[utoipa::path(get, path = "/worker/attempts/{ti}/{lease}/xcom/{task_id}/{key}", tag = "worker-api",
    params(
        ("ti" = i64, Path, description = "The task instance (as in the task's delivery)"),
        ("lease" = i64, Path, description = "The attempt's lease (as in the task's delivery)"),
        ("weft-attempt-key" = Option<String>, Header, description = "The attempt's key, as its task message carried it (required when the server has a secret key)"),
        ("task_id" = String, Path, description = "The task that pushed the value, in the attempt's run"),
        ("key" = String, Path, description = "The XCom key (`return_value` for the task's output)"),
    ),
    responses(
        (status = 200, description = "The value's bytes", body = Vec<u8>, content_type = "application/octet-stream"),
        (status = 400, description = "ti or lease is not a number", body = ErrorBody),
        (status = 401, description = "No worker token, or not one the server accepts", body = ErrorBody),
        (status = 403, description = "The attempt no longer holds its lease (stale_attempt), or its key is missing or wrong (attempt_key)", body = ErrorBody),
        (status = 404, description = "No such value", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(%ti, %lease, %task_id, %key))]
async fn get_xcom(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((ti, lease, task_id, key)): Path<(String, String, String, String)>,
) -> Result<Response, ApiError> {
    let info = current_attempt(&state, attempt(&state, &headers, &ti, &lease)?).await?;
    let value = state
        .store
        .xcom(info.run, &task_id, &key)
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "no XCom {key:?} of task {task_id} in run {} of DAG {}",
                info.run_id, info.dag_id
            ))
        })?;
    let mut response = value.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    Ok(response)
}

/// Fetch a variable of the attempt's tenant.
#[utoipa::path(get, path = "/worker/attempts/{ti}/{lease}/variables/{key}", tag = "worker-api",
    params(
        ("ti" = i64, Path, description = "The task instance (as in the task's delivery)"),
        ("lease" = i64, Path, description = "The attempt's lease (as in the task's delivery)"),
        ("weft-attempt-key" = Option<String>, Header, description = "The attempt's key, as its task message carried it (required when the server has a secret key)"),
        ("key" = String, Path, description = "The variable's key"),
    ),
    responses(
        (status = 200, description = "The variable", body = WorkerVariable),
        (status = 400, description = "ti or lease is not a number", body = ErrorBody),
        (status = 401, description = "No worker token, or not one the server accepts", body = ErrorBody),
        (status = 403, description = "The attempt no longer holds its lease (stale_attempt), or its key is missing or wrong (attempt_key)", body = ErrorBody),
        (status = 404, description = "No such variable", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(%ti, %lease, %key))]
async fn get_variable(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((ti, lease, key)): Path<(String, String, String)>,
) -> Result<Json<WorkerVariable>, ApiError> {
    let info = current_attempt(&state, attempt(&state, &headers, &ti, &lease)?).await?;
    let variable = state
        .store
        .variable(&info.tenant, &key)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no variable {key:?}")))?;
    Ok(Json(WorkerVariable {
        key: variable.key,
        value: variable.value,
    }))
}
