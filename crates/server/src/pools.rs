//! Pools: slots shared by the tasks that name them.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use weft_model::validate::check_id;
use weft_scheduler::control::Notice;
use weft_store::Pool;

use crate::context::RequestContext;
use crate::error::{ApiError, ErrorBody};
use crate::extract::JsonBody;
use crate::state::AppState;
pub use weft_protocol::api::pools::{PoolList, PoolView, PutPool};

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_pools))
        .routes(routes!(put_pool, delete_pool))
}

/// `pools` of `tenant` as the API shows them: with the slots taken and the task instances
/// waiting, as the store holds them now.
async fn with_usage(
    state: &AppState,
    tenant: &str,
    pools: Vec<Pool>,
) -> Result<Vec<PoolView>, ApiError> {
    let usage = state.store.pool_usage(tenant).await?;
    Ok(pools
        .into_iter()
        .map(|pool| {
            let used = usage.iter().find(|u| u.pool == pool.name);
            PoolView {
                used_slots: used.map_or(0, |u| u.used),
                waiting: used.map_or(0, |u| u.waiting),
                name: pool.name,
                slots: pool.slots,
                description: pool.description,
            }
        })
        .collect())
}

/// List the pools.
#[utoipa::path(get, path = "/pools", tag = "pools",
    responses((status = 200, description = "The tenant's pools, by name", body = PoolList)))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
async fn list_pools(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Json<PoolList>, ApiError> {
    let pools = state.store.pools(&ctx.tenant).await?;
    Ok(Json(PoolList {
        pools: with_usage(&state, &ctx.tenant, pools).await?,
    }))
}

/// Create or resize a pool.
#[utoipa::path(put, path = "/pools/{name}", tag = "pools",
    params(("name" = String, Path, description = "The pool's name")),
    request_body = PutPool,
    responses(
        (status = 200, description = "Resized", body = PoolView),
        (status = 201, description = "Created", body = PoolView),
        (status = 400, description = "Bad JSON, a bad name, negative slots, or NUL in the description", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %name))]
async fn put_pool(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<PutPool>,
) -> Result<(StatusCode, Json<PoolView>), ApiError> {
    check_id(&name).map_err(|issue| ApiError::invalid(format!("pool name {name:?} {issue}")))?;
    if body.slots < 0 {
        return Err(ApiError::invalid(format!(
            "slots must be 0 or more, not {}",
            body.slots
        )));
    }
    if let Some(description) = &body.description {
        crate::names::check_text("the pool's description", description)?;
    }
    let existing = state
        .store
        .pools(&ctx.tenant)
        .await?
        .into_iter()
        .find(|p| p.name == name);
    let status = if existing.is_some() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let pool = Pool {
        description: body
            .description
            .or(existing.map(|p| p.description))
            .unwrap_or_default(),
        name,
        slots: body.slots,
    };
    state.store.set_pool(&ctx.tenant, pool.clone()).await?;
    // The scheduler reads the tenant's pools again, so the new size counts at once.
    state.control.notify(Notice::TenantChanged {
        tenant: ctx.tenant.clone(),
    });
    tracing::info!(slots = pool.slots, "pool set");
    let mut shown = with_usage(&state, &ctx.tenant, vec![pool]).await?;
    let view = shown
        .pop()
        .ok_or_else(|| ApiError::Internal("the pool set is missing".into()))?;
    Ok((status, Json(view)))
}

/// Delete a pool no task instance waits for or runs in. Tasks that still name it wait for
/// slots until a pool of that name is made again.
#[utoipa::path(delete, path = "/pools/{name}", tag = "pools",
    params(("name" = String, Path, description = "The pool's name")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "A bad name", body = ErrorBody),
        (status = 404, description = "No such pool", body = ErrorBody),
        (status = 409, description = "Task instances wait for or hold its slots", body = ErrorBody),
        (status = 422, description = "The default pool, which cannot be deleted", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %name))]
async fn delete_pool(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    check_id(&name).map_err(|issue| ApiError::invalid(format!("pool name {name:?} {issue}")))?;
    if !state.store.delete_pool(&ctx.tenant, &name).await? {
        return Err(ApiError::NotFound(format!("no pool {name:?}")));
    }
    state.control.notify(Notice::TenantChanged {
        tenant: ctx.tenant.clone(),
    });
    tracing::info!("pool deleted");
    Ok(StatusCode::NO_CONTENT)
}
