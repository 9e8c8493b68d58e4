//! What a running task reads through its worker: upstream XCom values and variables.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use weft_store::RunPk;

use crate::context::RequestContext;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_xcom))
        .routes(routes!(get_variable))
}

/// A variable's value, as a task reads it.
pub use weft_protocol::worker_api::WorkerVariable;

/// A run's primary key from the path.
fn run_pk(text: &str) -> Result<RunPk, ApiError> {
    text.parse().map_err(|_| {
        ApiError::invalid(format!(
            "run_pk must be a run's primary key (a whole number), not {text:?}"
        ))
    })
}

/// Fetch an XCom value of a task of a run.
#[utoipa::path(get, path = "/worker/runs/{run_pk}/tasks/{task_id}/xcom/{key}", tag = "worker-api",
    params(
        ("run_pk" = i64, Path, description = "The run's primary key (as in the task's delivery)"),
        ("task_id" = String, Path, description = "The task that pushed the value"),
        ("key" = String, Path, description = "The XCom key (`return_value` for the task's output)"),
    ),
    responses(
        (status = 200, description = "The value's bytes", body = Vec<u8>, content_type = "application/octet-stream"),
        (status = 400, description = "run_pk is not a number", body = ErrorBody),
        (status = 401, description = "No worker token, or not one the server accepts", body = ErrorBody),
        (status = 404, description = "No such value", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(%run, %task_id, %key))]
async fn get_xcom(
    State(state): State<AppState>,
    Path((run, task_id, key)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let pk = run_pk(&run)?;
    let value = state.store.xcom(pk, &task_id, &key).await?.ok_or_else(|| {
        ApiError::NotFound(format!("no XCom {key:?} of task {task_id} in run {pk}"))
    })?;
    let mut response = value.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    Ok(response)
}

/// Fetch a variable's value.
#[utoipa::path(get, path = "/worker/variables/{key}", tag = "worker-api",
    params(("key" = String, Path, description = "The variable's key")),
    responses(
        (status = 200, description = "The variable", body = WorkerVariable),
        (status = 401, description = "No worker token, or not one the server accepts", body = ErrorBody),
        (status = 404, description = "No such variable", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %key))]
async fn get_variable(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(key): Path<String>,
) -> Result<Json<WorkerVariable>, ApiError> {
    let variable = state
        .store
        .variable(&ctx.tenant, &key)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no variable {key:?}")))?;
    Ok(Json(WorkerVariable {
        key: variable.key,
        value: variable.value,
    }))
}
