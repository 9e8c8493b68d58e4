//! DAG runs: trigger, backfill, list, show, clear.

use std::collections::HashSet;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use jiff::Timestamp;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use weft_model::DagRunState;
use weft_scheduler::control::TriggerRequest;
use weft_store::{DagRun, RunFilter, TaskInstance};

use crate::context::RequestContext;
use crate::dags::find_dag;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{JsonBody, QueryParams};
use crate::state::AppState;
use crate::tasks::TaskInstanceView;

mod grid;
mod views;
mod wait;
pub use grid::{DEFAULT_GRID_RUNS, Grid, MAX_GRID_RUNS};
pub use views::*;
pub use wait::MAX_WAIT_MS;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_runs))
        .routes(routes!(trigger, list_dag_runs))
        .routes(routes!(backfill))
        .routes(routes!(get_run))
        .routes(routes!(clear))
        .routes(routes!(grid::grid))
}

/// Runs listed when the query names no limit.
pub const DEFAULT_RUN_LIMIT: u32 = 100;
/// Most runs one request lists.
pub const MAX_RUN_LIMIT: u32 = 1000;

/// `text` as a timestamp, or a 400 naming `field`.
fn timestamp(field: &str, text: &str) -> Result<Timestamp, ApiError> {
    text.parse().map_err(|e| {
        ApiError::invalid(format!(
            "{field} {text:?} is not an RFC 3339 timestamp (like 2024-01-01T00:00:00Z): {e}"
        ))
    })
}

fn run_filter(
    dag_id: Option<String>,
    state: Option<&str>,
    limit: Option<u32>,
) -> Result<RunFilter, ApiError> {
    let state = state
        .map(str::parse::<DagRunState>)
        .transpose()
        .map_err(|e| ApiError::invalid(e.to_string()))?;
    let limit = limit.unwrap_or(DEFAULT_RUN_LIMIT);
    if !(1..=MAX_RUN_LIMIT).contains(&limit) {
        return Err(ApiError::invalid(format!(
            "limit {limit} is out of range (1 to {MAX_RUN_LIMIT})"
        )));
    }
    Ok(RunFilter {
        dag_id,
        state,
        limit: Some(limit),
    })
}

/// The run `run_id` of DAG `dag_id`, with its task instances, or a 404 naming what is missing.
pub(crate) async fn find_run(
    state: &AppState,
    ctx: &RequestContext,
    dag_id: &str,
    run_id: &str,
) -> Result<(DagRun, Vec<TaskInstance>), ApiError> {
    let Some(run) = state.store.run_by_id(&ctx.tenant, dag_id, run_id).await? else {
        return Err(no_run(state, ctx, dag_id, run_id).await);
    };
    let missing = || ApiError::NotFound(format!("DAG {dag_id:?} has no run {run_id:?}"));
    state.store.run(run.id).await?.ok_or_else(missing)
}

/// The error for a run the store does not have: the DAG's, if that is missing too.
pub(crate) async fn no_run(
    state: &AppState,
    ctx: &RequestContext,
    dag_id: &str,
    run_id: &str,
) -> ApiError {
    match find_dag(state, ctx, dag_id).await {
        Ok(_) => ApiError::NotFound(format!("DAG {dag_id:?} has no run {run_id:?}")),
        Err(e) => e,
    }
}

/// List runs of every DAG.
#[utoipa::path(get, path = "/runs", tag = "runs", params(RunsQuery),
    responses(
        (status = 200, description = "Runs, newest logical date first", body = RunList),
        (status = 400, description = "A bad query parameter", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
async fn list_runs(
    State(state): State<AppState>,
    ctx: RequestContext,
    QueryParams(query): QueryParams<RunsQuery>,
) -> Result<Json<RunList>, ApiError> {
    let filter = run_filter(query.dag_id, query.state.as_deref(), query.limit)?;
    let runs = state.store.runs(&ctx.tenant, &filter).await?;
    Ok(Json(RunList {
        runs: runs.into_iter().map(run_view).collect(),
    }))
}

/// List a DAG's runs.
#[utoipa::path(get, path = "/dags/{dag_id}/runs", tag = "runs",
    params(("dag_id" = String, Path, description = "The DAG's id"), DagRunsQuery),
    responses(
        (status = 200, description = "Runs, newest logical date first", body = RunList),
        (status = 400, description = "A bad query parameter", body = ErrorBody),
        (status = 404, description = "No such DAG", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %dag_id))]
async fn list_dag_runs(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(dag_id): Path<String>,
    QueryParams(query): QueryParams<DagRunsQuery>,
) -> Result<Json<RunList>, ApiError> {
    let filter = run_filter(Some(dag_id.clone()), query.state.as_deref(), query.limit)?;
    find_dag(&state, &ctx, &dag_id).await?;
    let runs = state.store.runs(&ctx.tenant, &filter).await?;
    Ok(Json(RunList {
        runs: runs.into_iter().map(run_view).collect(),
    }))
}

/// Trigger a run of a DAG.
#[utoipa::path(post, path = "/dags/{dag_id}/runs", tag = "runs",
    params(("dag_id" = String, Path, description = "The DAG's id")),
    request_body(content = Option<TriggerBody>, description = "Optional; an empty body triggers with defaults."),
    responses(
        (status = 201, description = "The run created", body = RunView),
        (status = 400, description = "Bad JSON, conf not an object, a bad or future logical date", body = ErrorBody),
        (status = 404, description = "No such DAG", body = ErrorBody),
        (status = 409, description = "The run id is taken", body = ErrorBody),
        (status = 429, description = "The run would take the tenant past its `max_queued_tasks` (`quota_exceeded`); nothing was stored", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %dag_id))]
async fn trigger(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(dag_id): Path<String>,
    JsonBody(body): JsonBody<Option<TriggerBody>>,
) -> Result<(StatusCode, Json<RunView>), ApiError> {
    let body = body.unwrap_or_default();
    let conf = match body.conf {
        None | Some(serde_json::Value::Object(_)) => body.conf,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "conf must be a JSON object, not {}",
                json_kind(&other)
            )));
        }
    };
    let logical_date = body
        .logical_date
        .as_deref()
        .map(|text| timestamp("logical_date", text))
        .transpose()?;
    let request = TriggerRequest {
        conf,
        logical_date,
        run_id: body.run_id,
    };
    let run = state.control.trigger(&ctx.tenant, &dag_id, request).await?;
    tracing::info!(run_id = %run.run_id, "run triggered");
    Ok((StatusCode::CREATED, Json(run_view(run))))
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Backfill a DAG over a range of logical dates.
#[utoipa::path(post, path = "/dags/{dag_id}/backfill", tag = "runs",
    params(("dag_id" = String, Path, description = "The DAG's id")),
    request_body = BackfillBody,
    responses(
        (status = 201, description = "The runs created (intervals that had a run are skipped)", body = RunList),
        (status = 400, description = "Bad dates, an empty range, or a DAG without a schedule", body = ErrorBody),
        (status = 404, description = "No such DAG", body = ErrorBody),
        (status = 429, description = "A run would take the tenant past its `max_queued_tasks` (`quota_exceeded`); the runs made before it stay, and a new backfill skips them", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %dag_id))]
async fn backfill(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(dag_id): Path<String>,
    JsonBody(body): JsonBody<BackfillBody>,
) -> Result<(StatusCode, Json<RunList>), ApiError> {
    let start = timestamp("start", &body.start)?;
    let end = timestamp("end", &body.end)?;
    if start > end {
        return Err(ApiError::unprocessable(format!(
            "start {start} is after end {end}"
        )));
    }
    find_dag(&state, &ctx, &dag_id).await?;
    let runs = state
        .control
        .backfill(&ctx.tenant, &dag_id, start, end)
        .await?;
    tracing::info!(created = runs.len(), "backfill");
    Ok((
        StatusCode::CREATED,
        Json(RunList {
            runs: runs.into_iter().map(run_view).collect(),
        }),
    ))
}

/// Show a run and its task instances.
#[utoipa::path(get, path = "/dags/{dag_id}/runs/{run_id}", tag = "runs",
    params(
        ("dag_id" = String, Path, description = "The DAG's id"),
        ("run_id" = String, Path, description = "The run's id"),
        RunQuery,
    ),
    responses(
        (status = 200, description = "The run (once ended, with `wait_ms`, or when the wait is over)", body = RunDetail),
        (status = 400, description = "A bad query parameter", body = ErrorBody),
        (status = 404, description = "No such DAG or run", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %dag_id, %run_id))]
async fn get_run(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path((dag_id, run_id)): Path<(String, String)>,
    QueryParams(query): QueryParams<RunQuery>,
) -> Result<Json<RunDetail>, ApiError> {
    let wait = wait::duration(query.wait_ms)?;
    let (run, tis) = match wait {
        Some(wait) => wait::until_ended(&state, &ctx, &dag_id, &run_id, wait).await?,
        None => find_run(&state, &ctx, &dag_id, &run_id).await?,
    };
    Ok(Json(RunDetail {
        run: run_view(run),
        task_instances: tis.into_iter().map(TaskInstanceView::of).collect(),
    }))
}

/// Clear task instances of a run so they run again.
#[utoipa::path(post, path = "/dags/{dag_id}/runs/{run_id}/clear", tag = "runs",
    params(
        ("dag_id" = String, Path, description = "The DAG's id"),
        ("run_id" = String, Path, description = "The run's id"),
    ),
    request_body(content = Option<ClearBody>, description = "Optional; an empty body clears every task of the run."),
    responses(
        (status = 200, description = "How many were cleared", body = ClearResponse),
        (status = 400, description = "Bad JSON or a task the run does not have", body = ErrorBody),
        (status = 404, description = "No such DAG or run", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %dag_id, %run_id))]
async fn clear(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path((dag_id, run_id)): Path<(String, String)>,
    JsonBody(body): JsonBody<Option<ClearBody>>,
) -> Result<Json<ClearResponse>, ApiError> {
    let body = body.unwrap_or_default();
    let (run, tis) = find_run(&state, &ctx, &dag_id, &run_id).await?;
    let known: HashSet<&str> = tis.iter().map(|ti| ti.task_id.as_str()).collect();
    let unknown: Vec<&str> = body
        .task_ids
        .iter()
        .map(String::as_str)
        .filter(|id| !known.contains(id))
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::unprocessable(format!(
            "run {run_id:?} has no task {}",
            unknown.join(", ")
        )));
    }
    let task_ids = if body.task_ids.is_empty() {
        // Every task; a mapped task cleared expands again, with new instances.
        tis.iter()
            .filter(|ti| ti.map_index.is_none())
            .map(|ti| ti.task_id.clone())
            .collect()
    } else {
        body.task_ids
    };
    let cleared = state
        .control
        .clear(&ctx.tenant, run.id, &task_ids, body.downstream)
        .await?;
    tracing::info!(cleared, "task instances cleared");
    Ok(Json(ClearResponse { cleared }))
}
