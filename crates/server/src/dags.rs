//! DAGs: deploy a component, list and show DAGs and their versions, pause and unpause.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;
use weft_model::DataInterval;
use weft_model::quotas::{Quota, QuotaExceeded};
use weft_scheduler::control::Notice;
use weft_store::{DagRecord, DagVersion, Deploy};

use crate::context::RequestContext;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{JsonBody, QueryParams, body_error, content_type};
use crate::schemas;
use crate::state::{AppState, ServerConfig};

mod views;
pub use views::*;

pub(crate) fn routes(config: &ServerConfig) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(deploy).layer(DefaultBodyLimit::max(config.max_component_bytes)))
        .routes(routes!(list_dags))
        .routes(routes!(get_dag, patch_dag))
        .routes(routes!(list_versions))
        .routes(routes!(next_runs))
}

/// Upcoming runs listed when the query names no count.
const DEFAULT_NEXT_RUNS: u32 = 10;
/// Most upcoming runs one request may list.
const MAX_NEXT_RUNS: u32 = 100;

/// A DAG's next scheduled runs.
///
/// The runs the scheduler will create next for the DAG's current version, after its latest
/// scheduled run and with its catchup rule, each with its data interval, in UTC and in the
/// DAG's time zone.
#[utoipa::path(get, path = "/dags/{dag_id}/next-runs", tag = "dags",
    params(("dag_id" = String, Path, description = "The DAG's id"), NextRunsQuery),
    responses(
        (status = 200, description = "Its next runs, in order", body = NextRuns),
        (status = 400, description = "`count` out of range", body = ErrorBody),
        (status = 404, description = "No such DAG", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %dag_id))]
async fn next_runs(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(dag_id): Path<String>,
    QueryParams(query): QueryParams<NextRunsQuery>,
) -> Result<Json<NextRuns>, ApiError> {
    let count = query.count.unwrap_or(DEFAULT_NEXT_RUNS);
    if !(1..=MAX_NEXT_RUNS).contains(&count) {
        return Err(ApiError::invalid(format!(
            "count {count} is out of range (1 to {MAX_NEXT_RUNS})"
        )));
    }
    let record = find_dag(&state, &ctx, &dag_id).await?;
    let dag = record.spec.clone().validate().map_err(|e| {
        ApiError::Internal(format!(
            "stored spec of DAG {dag_id:?} no longer validates: {e}"
        ))
    })?;
    let last = state
        .store
        .latest_scheduled_run(&ctx.tenant, &dag_id)
        .await?
        .map(|r| DataInterval {
            start: r.data_interval_start,
            end: r.data_interval_end,
        });
    let runs = dag
        .upcoming(last, state.now(), count as usize)
        .into_iter()
        .map(|interval| NextRun {
            logical_date: interval.logical_date(),
            logical_date_local: interval
                .logical_date()
                .to_zoned(dag.zone().clone())
                .to_string(),
            data_interval_start: interval.start,
            data_interval_end: interval.end,
        })
        .collect();
    Ok(Json(NextRuns {
        timezone: weft_model::time_zone::name_of(dag.zone()),
        continuous: dag.is_continuous(),
        assets: dag.assets().to_vec(),
        schedule: record.spec.schedule,
        paused: record.paused,
        dag_id,
        runs,
    }))
}

/// Deploy a DAG component.
///
/// The component is compiled and its `describe` run in the sandbox; the DAG it describes is
/// validated. Only then is it stored and made the DAG's current version. A refused component
/// changes nothing.
#[utoipa::path(post, path = "/dags", tag = "dags",
    request_body(content = inline(schemas::ComponentBytes), content_type = "application/wasm",
        description = "The DAG component (a WebAssembly component built for the weft:dag world)."),
    responses(
        (status = 201, description = "Stored and current", body = DeployResponse),
        (status = 400, description = "Not a valid DAG component (`code` is the failure's class), or one asking for egress the installation does not allow (`egress_not_allowed`) or for more than the tenant's sandbox policy allows (`tenant_sandbox`)", body = ErrorBody),
        (status = 409, description = "A new component past the tenant's `max_components` (`quota_exceeded`)", body = ErrorBody),
        (status = 413, description = "Larger than the server accepts, or than the tenant's `max_component_bytes` (`quota_exceeded`)", body = ErrorBody),
        (status = 415, description = "Not sent as application/wasm or application/octet-stream", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
async fn deploy(
    State(state): State<AppState>,
    ctx: RequestContext,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, HeaderMap, Json<DeployResponse>), ApiError> {
    if let Some(kind) = content_type(&headers)
        && kind != "application/wasm"
        && kind != "application/octet-stream"
    {
        return Err(ApiError::UnsupportedMediaType(format!(
            "send the component as application/wasm (or application/octet-stream), not {kind}"
        )));
    }
    let bytes = Vec::from(body.map_err(body_error)?);
    // Refused before it costs a compile; the store checks again, with the count, when it
    // stores a new component.
    let tenant = state.store.tenant(&ctx.tenant).await?;
    let (quotas, sandbox) = tenant.map(|t| (t.quotas, t.sandbox)).unwrap_or_default();
    if let Some(limit) = quotas
        .max_component_bytes
        .filter(|&limit| u64::try_from(bytes.len()).unwrap_or(u64::MAX) > limit)
    {
        return Err(ApiError::Quota(QuotaExceeded {
            tenant: ctx.tenant,
            quota: Quota::MaxComponentBytes,
            limit,
            detail: format!("the component is {} bytes; nothing was stored", bytes.len()),
        }));
    }
    let _permit = state
        .deploys
        .acquire()
        .await
        .map_err(|e| ApiError::Internal(format!("deploy queue closed: {e}")))?;
    let runtime = state.runtime.clone();
    let (bytes, loaded) = tokio::task::spawn_blocking(move || {
        let loaded = runtime.load(&bytes);
        (bytes, loaded)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("validating a component: {e}")))?;
    let component = loaded?;
    let outside = state.runtime.config().egress.outside(component.dag());
    if !outside.is_empty() {
        return Err(ApiError::BadRequest {
            code: "egress_not_allowed",
            message: format!(
                "DAG {:?} asks for egress this installation does not allow (see --egress-allow): {}",
                component.dag().id(),
                outside.join("; ")
            ),
        });
    }
    let outside = sandbox.outside(component.dag());
    if !outside.is_empty() {
        return Err(ApiError::BadRequest {
            code: "tenant_sandbox",
            message: format!(
                "DAG {:?} asks for more than tenant {} allows (see `wfctl tenants sandbox`): {}",
                component.dag().id(),
                ctx.tenant,
                outside.join("; ")
            ),
        });
    }
    let dag_id = component.dag().id().to_owned();
    let digest = component.digest().to_string();
    // For the workers, whose first task of the new version fetches it at once.
    let kept = Bytes::copy_from_slice(&bytes);
    let outcome = state
        .store
        .deploy(Deploy {
            tenant: ctx.tenant.clone(),
            digest: digest.clone(),
            bytes,
            dag_id: dag_id.clone(),
            spec: component.spec().clone(),
            at: state.now(),
        })
        .await?;
    state.components.put(&ctx.tenant, &digest, kept);
    state.control.notify(Notice::DagChanged {
        tenant: ctx.tenant,
        dag_id: dag_id.clone(),
    });
    tracing::info!(%dag_id, %digest, created_dag = outcome.created_dag, new_version = outcome.new_version, "DAG deployed");
    let mut headers = HeaderMap::new();
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/dags/{dag_id}")) {
        headers.insert(header::LOCATION, location);
    }
    Ok((
        StatusCode::CREATED,
        headers,
        Json(DeployResponse {
            dag_id,
            digest,
            task_count: component.dag().tasks().len(),
            created_dag: outcome.created_dag,
            new_version: outcome.new_version,
        }),
    ))
}

/// List the DAGs.
#[utoipa::path(get, path = "/dags", tag = "dags",
    responses((status = 200, description = "The tenant's DAGs, by id", body = DagList)))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
async fn list_dags(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Json<DagList>, ApiError> {
    let dags = state.store.dags(&ctx.tenant).await?;
    Ok(Json(DagList {
        dags: dags.iter().map(dag_summary).collect(),
    }))
}

/// The DAG `dag_id`, or a 404 naming it.
pub(crate) async fn find_dag(
    state: &AppState,
    ctx: &RequestContext,
    dag_id: &str,
) -> Result<DagRecord, ApiError> {
    state
        .store
        .dag(&ctx.tenant, dag_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no DAG {dag_id:?}")))
}

/// Show a DAG: its record, spec and tasks.
#[utoipa::path(get, path = "/dags/{dag_id}", tag = "dags",
    params(("dag_id" = String, Path, description = "The DAG's id")),
    responses(
        (status = 200, description = "The DAG", body = DagDetail),
        (status = 404, description = "No such DAG", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %dag_id))]
async fn get_dag(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(dag_id): Path<String>,
) -> Result<Json<DagDetail>, ApiError> {
    let record = find_dag(&state, &ctx, &dag_id).await?;
    let dag = record.spec.clone().validate().map_err(|e| {
        ApiError::Internal(format!(
            "stored spec of DAG {dag_id:?} no longer validates: {e}"
        ))
    })?;
    Ok(Json(DagDetail {
        dag: dag_summary(&record),
        tasks: dag.tasks().iter().map(task_view).collect(),
        spec: record.spec,
    }))
}

/// Pause or unpause a DAG.
#[utoipa::path(patch, path = "/dags/{dag_id}", tag = "dags",
    params(("dag_id" = String, Path, description = "The DAG's id")),
    request_body = PatchDag,
    responses(
        (status = 200, description = "The DAG after the change", body = DagSummary),
        (status = 400, description = "Body is not `{\"paused\": bool}`", body = ErrorBody),
        (status = 404, description = "No such DAG", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %dag_id))]
async fn patch_dag(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(dag_id): Path<String>,
    JsonBody(patch): JsonBody<PatchDag>,
) -> Result<Json<DagSummary>, ApiError> {
    let found = state
        .store
        .set_paused(&ctx.tenant, &dag_id, patch.paused, state.now())
        .await?;
    if !found {
        return Err(ApiError::NotFound(format!("no DAG {dag_id:?}")));
    }
    state.control.notify(Notice::DagChanged {
        tenant: ctx.tenant.clone(),
        dag_id: dag_id.clone(),
    });
    tracing::info!(paused = patch.paused, "DAG pause changed");
    let record = find_dag(&state, &ctx, &dag_id).await?;
    Ok(Json(dag_summary(&record)))
}

/// List a DAG's versions.
#[utoipa::path(get, path = "/dags/{dag_id}/versions", tag = "dags",
    params(("dag_id" = String, Path, description = "The DAG's id")),
    responses(
        (status = 200, description = "Its versions, newest first", body = VersionList),
        (status = 404, description = "No such DAG", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %dag_id))]
async fn list_versions(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(dag_id): Path<String>,
) -> Result<Json<VersionList>, ApiError> {
    let record = find_dag(&state, &ctx, &dag_id).await?;
    let versions = state.store.dag_versions(&ctx.tenant, &dag_id).await?;
    let view = |v: DagVersion| VersionView {
        current: v.digest == record.digest,
        digest: v.digest,
        size: v.size,
        task_count: v.task_count,
        created_at: v.created_at,
    };
    Ok(Json(VersionList {
        dag_id,
        versions: versions.into_iter().map(view).collect(),
    }))
}
