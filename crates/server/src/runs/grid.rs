//! A DAG's grid: its latest runs, each with its task instances, in one answer, as the web
//! UI draws runs against tasks.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use weft_store::RunFilter;

use crate::context::RequestContext;
use crate::dags::find_dag;
use crate::error::{ApiError, ErrorBody};
use crate::extract::QueryParams;
use crate::runs::{GridQuery, RunDetail, run_view};
use crate::state::AppState;
use crate::tasks::TaskInstanceView;

/// Runs in a grid when the query names no limit.
pub const DEFAULT_GRID_RUNS: u32 = 25;
/// Most runs in one grid.
pub const MAX_GRID_RUNS: u32 = 100;

/// A DAG's latest runs with their task instances.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Grid {
    /// The DAG.
    pub dag_id: String,
    /// Its runs, newest logical date first, each as `GET /dags/{dag_id}/runs/{run_id}`
    /// shows it.
    pub runs: Vec<RunDetail>,
}

/// Show a DAG's latest runs, each with its task instances.
#[utoipa::path(get, path = "/dags/{dag_id}/grid", tag = "runs",
    params(("dag_id" = String, Path, description = "The DAG's id"), GridQuery),
    responses(
        (status = 200, description = "The latest runs, newest logical date first", body = Grid),
        (status = 400, description = "A bad limit", body = ErrorBody),
        (status = 404, description = "No such DAG", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %dag_id))]
pub(crate) async fn grid(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(dag_id): Path<String>,
    QueryParams(query): QueryParams<GridQuery>,
) -> Result<Json<Grid>, ApiError> {
    let limit = query.limit.unwrap_or(DEFAULT_GRID_RUNS);
    if !(1..=MAX_GRID_RUNS).contains(&limit) {
        return Err(ApiError::invalid(format!(
            "limit {limit} is out of range (1 to {MAX_GRID_RUNS})"
        )));
    }
    find_dag(&state, &ctx, &dag_id).await?;
    let filter = RunFilter {
        dag_id: Some(dag_id.clone()),
        state: None,
        limit: Some(limit),
    };
    let mut runs = Vec::new();
    for run in state.store.runs(&ctx.tenant, &filter).await? {
        // A run deleted since it was listed is left out.
        if let Some((run, tis)) = state.store.run(run.id).await? {
            runs.push(RunDetail {
                run: run_view(run),
                task_instances: tis.into_iter().map(TaskInstanceView::of).collect(),
            });
        }
    }
    Ok(Json(Grid { dag_id, runs }))
}
