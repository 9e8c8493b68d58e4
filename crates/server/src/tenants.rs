//! Tenants, managed by the installation administrator: made with a default pool, listed,
//! weighed in the scheduler's fair sharing of slots, given quotas, deleted while they hold no DAG, and given
//! their first tokens (a tenant's `admin` makes the rest, see [`tokens`](crate::tokens)).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use weft_store::{Quotas, Tenant, TenantDeletion, TenantSandbox};

use weft_scheduler::control::Notice;

use crate::error::{ApiError, ErrorBody};
use crate::extract::JsonBody;
use crate::state::AppState;
use crate::tokens::{CreatedToken, NewToken, make_token};
pub use weft_protocol::api::tenants::{TenantList, TenantView, TenantWeight};

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tenants, post_tenant))
        .routes(routes!(delete_tenant))
        .routes(routes!(put_tenant_weight))
        .routes(routes!(put_tenant_quotas))
        .routes(routes!(put_tenant_sandbox))
        .routes(routes!(post_tenant_token))
}

/// Longest tenant description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 1_000;

pub(crate) fn tenant_view(t: Tenant) -> TenantView {
    TenantView {
        name: t.name,
        description: t.description,
        created_at: t.created_at,
        weight: t.weight,
        quotas: t.quotas,
        sandbox: t.sandbox,
    }
}

/// A tenant to make.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    /// 1 to 63 lowercase letters, digits, `-` and `_`, starting with a letter or digit.
    #[schema(schema_with = crate::schemas::tenant_name)]
    pub name: String,
    /// What it is for: at most 1000 characters, none of them NUL.
    #[serde(default)]
    #[schema(max_length = 1000, pattern = "^[^\\x00]*$")]
    pub description: String,
    /// Its weight in the scheduler's fair sharing of slots: 1 (the default) to 1000. A
    /// tenant of weight 3 gets three slots for every one of a tenant of weight 1 while both
    /// have tasks waiting.
    #[serde(
        default = "default_weight",
        deserialize_with = "weft_model::integral::required"
    )]
    #[schema(minimum = 1, maximum = 1000, default = 1)]
    pub weight: u32,
    /// Its quotas; none by default.
    #[serde(default, deserialize_with = "crate::extract::object")]
    pub quotas: Quotas,
    /// Its egress rules and its tasks' default and largest limits; none by default.
    #[serde(default, deserialize_with = "crate::extract::object")]
    pub sandbox: TenantSandbox,
}

fn default_weight() -> u32 {
    1
}

/// List the tenants.
#[utoipa::path(get, path = "/tenants", tag = "tenants",
    responses(
        (status = 200, description = "Every tenant, by name", body = TenantList),
        (status = 403, description = "The caller is not the installation administrator", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
async fn list_tenants(State(state): State<AppState>) -> Result<Json<TenantList>, ApiError> {
    let tenants = state.store.tenants().await?;
    Ok(Json(TenantList {
        tenants: tenants.into_iter().map(tenant_view).collect(),
    }))
}

/// Make a tenant.
#[utoipa::path(post, path = "/tenants", tag = "tenants",
    request_body = NewTenant,
    responses(
        (status = 201, description = "Made, with its default pool", body = TenantView),
        (status = 400, description = "Bad JSON, name, description or weight", body = ErrorBody),
        (status = 403, description = "The caller is not the installation administrator", body = ErrorBody),
        (status = 409, description = "The name is taken", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %body.name))]
async fn post_tenant(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<NewTenant>,
) -> Result<(StatusCode, Json<TenantView>), ApiError> {
    if body.description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(ApiError::invalid(format!(
            "a tenant's description is at most {MAX_DESCRIPTION_CHARS} characters"
        )));
    }
    crate::names::check_text("the tenant's description", &body.description)?;
    let tenant = Tenant {
        name: body.name,
        description: body.description,
        created_at: state.now(),
        weight: body.weight,
        quotas: body.quotas,
        sandbox: body.sandbox,
    };
    state.store.create_tenant(tenant.clone()).await?;
    state.control.notify(Notice::TenantChanged {
        tenant: tenant.name.clone(),
    });
    tracing::info!("tenant made");
    if state.config.auth.api_tokens.is_empty() {
        tracing::warn!(
            "tenant made on a server without administrator tokens: a request without a token \
             acts as the administrator and sees every tenant; set --api-tokens to keep tenants apart"
        );
    }
    Ok((StatusCode::CREATED, Json(tenant_view(tenant))))
}

/// Set a tenant's weight in the fair sharing of slots. The leading scheduler uses it at once.
#[utoipa::path(put, path = "/tenants/{name}/weight", tag = "tenants",
    params(("name" = String, Path, description = "The tenant's name")),
    request_body = TenantWeight,
    responses(
        (status = 200, description = "The tenant, with its new weight", body = TenantView),
        (status = 400, description = "Bad JSON, or a weight out of range", body = ErrorBody),
        (status = 403, description = "The caller is not the installation administrator", body = ErrorBody),
        (status = 404, description = "No such tenant", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %name, weight = body.weight))]
async fn put_tenant_weight(
    State(state): State<AppState>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<TenantWeight>,
) -> Result<Json<TenantView>, ApiError> {
    let found = state.store.set_tenant_weight(&name, body.weight).await?;
    tracing::info!(found, "tenant weight set");
    changed(&state, &name, found).await
}

/// Set a tenant's quotas, all at once (a limit left out is none). The leading scheduler keeps
/// the running tasks and active runs limits at once, API servers the rate within 5 s (this
/// one at once); triggers and deploys are checked against the new limits at once.
#[utoipa::path(put, path = "/tenants/{name}/quotas", tag = "tenants",
    params(("name" = String, Path, description = "The tenant's name")),
    request_body = Quotas,
    responses(
        (status = 200, description = "The tenant, with its new quotas", body = TenantView),
        (status = 400, description = "Bad JSON, an unknown quota, or a limit below 1", body = ErrorBody),
        (status = 403, description = "The caller is not the installation administrator", body = ErrorBody),
        (status = 404, description = "No such tenant", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %name))]
async fn put_tenant_quotas(
    State(state): State<AppState>,
    Path(name): Path<String>,
    JsonBody(quotas): JsonBody<Quotas>,
) -> Result<Json<TenantView>, ApiError> {
    let found = state.store.set_tenant_quotas(&name, &quotas).await?;
    state.rate_limits.set(&name, &quotas);
    tracing::info!(?quotas, found, "tenant quotas set");
    changed(&state, &name, found).await
}

/// Set a tenant's sandbox policy, all of it at once (a setting left out is none of the
/// tenant's own): the egress rules its tasks may use within the operator's, and the defaults
/// and ceilings of its tasks' timeout, memory and fuel. Deploys are checked against it at
/// once: a DAG whose tasks ask for more is refused. The leading scheduler resolves the limits
/// and egress of the attempts it queues from then on with it; DAGs deployed before run
/// under it too, with anything past a ceiling brought down to it (attempts already on a
/// queue keep what they were given).
#[utoipa::path(put, path = "/tenants/{name}/sandbox", tag = "tenants",
    params(("name" = String, Path, description = "The tenant's name")),
    request_body = TenantSandbox,
    responses(
        (status = 200, description = "The tenant, with its new sandbox policy", body = TenantView),
        (status = 400, description = "Bad JSON, an unknown setting, a limit below 1, a default past its ceiling, or a bad egress rule", body = ErrorBody),
        (status = 403, description = "The caller is not the installation administrator", body = ErrorBody),
        (status = 404, description = "No such tenant", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %name))]
async fn put_tenant_sandbox(
    State(state): State<AppState>,
    Path(name): Path<String>,
    JsonBody(sandbox): JsonBody<TenantSandbox>,
) -> Result<Json<TenantView>, ApiError> {
    let found = state.store.set_tenant_sandbox(&name, &sandbox).await?;
    tracing::info!(?sandbox, found, "tenant sandbox policy set");
    changed(&state, &name, found).await
}

/// Tenant `name` as it is after a change, or a 404 when there was no such tenant to change.
async fn changed(state: &AppState, name: &str, found: bool) -> Result<Json<TenantView>, ApiError> {
    let missing = || ApiError::NotFound(format!("no tenant {name}"));
    if !found {
        return Err(missing());
    }
    state.control.notify(Notice::TenantChanged {
        tenant: name.to_owned(),
    });
    let tenant = state.store.tenant(name).await?.ok_or_else(missing)?;
    Ok(Json(tenant_view(tenant)))
}

/// Delete a tenant that holds no DAG, with its tokens, variables, pools, connections and
/// secrets.
#[utoipa::path(delete, path = "/tenants/{name}", tag = "tenants",
    params(("name" = String, Path, description = "The tenant's name")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 422, description = "The tenant is `default`, which every installation keeps", body = ErrorBody),
        (status = 403, description = "The caller is not the installation administrator", body = ErrorBody),
        (status = 404, description = "No such tenant", body = ErrorBody),
        (status = 409, description = "The tenant still has DAGs", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %name))]
async fn delete_tenant(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    match state.store.delete_tenant(&name).await? {
        TenantDeletion::Deleted => {
            tracing::info!("tenant deleted");
            Ok(StatusCode::NO_CONTENT)
        }
        TenantDeletion::NotFound => Err(ApiError::NotFound(format!("no tenant {name}"))),
        TenantDeletion::HasDags(dags) => Err(ApiError::Conflict(format!(
            "tenant {name} still has DAGs ({}{}); nothing was deleted",
            dags.join(", "),
            if dags.len() >= weft_store::tenancy::DAGS_NAMED_ON_REFUSAL {
                ", ..."
            } else {
                ""
            }
        ))),
    }
}

/// Make a token of a tenant: how a new tenant gets its first `admin`.
#[utoipa::path(post, path = "/tenants/{name}/tokens", tag = "tenants",
    params(("name" = String, Path, description = "The tenant's name")),
    request_body = NewToken,
    responses(
        (status = 201, description = "Made; the answer holds the token, shown this once", body = CreatedToken),
        (status = 400, description = "Bad JSON, name, role or expiry", body = ErrorBody),
        (status = 403, description = "The caller is not the installation administrator", body = ErrorBody),
        (status = 404, description = "No such tenant", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %name))]
async fn post_tenant_token(
    State(state): State<AppState>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<NewToken>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    if state.store.tenant(&name).await?.is_none() {
        return Err(ApiError::NotFound(format!("no tenant {name}")));
    }
    make_token(&state, &name, body).await
}
