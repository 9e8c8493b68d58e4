//! Secrets: named values tasks read or send (API tokens, keys). Stored sealed; the API shows
//! their names and descriptions, never their values, which tasks read through the worker API
//! when their task declares them. Also key rotation: `POST /secret-key/rotate` seals every
//! connection and secret again with the server's current key.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use weft_protocol::SecretInfo;

use crate::connections::check_name;
use crate::context::RequestContext;
use crate::error::{ApiError, ErrorBody};
use crate::extract::JsonBody;
use crate::state::AppState;
pub use weft_protocol::api::secrets::{PutSecret, Rotation, SecretList};

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_secrets))
        .routes(routes!(get_secret, put_secret, delete_secret))
        .routes(routes!(rotate_key))
}

/// List the secrets (names and descriptions, never values).
#[utoipa::path(get, path = "/secrets", tag = "secrets",
    responses((status = 200, description = "The tenant's secrets, by name", body = SecretList)))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
async fn list_secrets(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Json<SecretList>, ApiError> {
    let secrets = state.credentials.secret_infos(&ctx.tenant).await?;
    Ok(Json(SecretList { secrets }))
}

/// Show a secret's metadata (never its value).
#[utoipa::path(get, path = "/secrets/{name}", tag = "secrets",
    params(("name" = String, Path, description = "The secret's name")),
    responses(
        (status = 200, description = "The secret, without its value", body = SecretInfo),
        (status = 404, description = "No such secret", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %name))]
async fn get_secret(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(name): Path<String>,
) -> Result<Json<SecretInfo>, ApiError> {
    state
        .credentials
        .secret_info(&ctx.tenant, &name)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no secret {name:?}")))
}

/// Create or replace a secret.
#[utoipa::path(put, path = "/secrets/{name}", tag = "secrets",
    params(("name" = String, Path, description = "The secret's name")),
    request_body = PutSecret,
    responses(
        (status = 200, description = "Replaced", body = SecretInfo),
        (status = 201, description = "Created", body = SecretInfo),
        (status = 400, description = "Bad JSON, a bad name, or NUL in the description", body = ErrorBody),
        (status = 401, description = "No API token, or not one the server accepts", body = ErrorBody),
        (status = 503, description = "The server has no secret key (code no_secret_key)", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %name))]
async fn put_secret(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<PutSecret>,
) -> Result<(StatusCode, Json<SecretInfo>), ApiError> {
    check_name("secret name", &name)?;
    if let Some(description) = &body.description {
        crate::names::check_text("the secret's description", description)?;
    }
    let created = state
        .credentials
        .put_secret(
            &ctx.tenant,
            &name,
            &body.value,
            body.description,
            state.now(),
        )
        .await?;
    let view = state
        .credentials
        .secret_info(&ctx.tenant, &name)
        .await?
        .ok_or_else(|| ApiError::Conflict(format!("secret {name:?} was deleted meanwhile")))?;
    tracing::info!(created, "secret stored");
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(view)))
}

/// Delete a secret.
#[utoipa::path(delete, path = "/secrets/{name}", tag = "secrets",
    params(("name" = String, Path, description = "The secret's name")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No API token, or not one the server accepts", body = ErrorBody),
        (status = 404, description = "No such secret", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %name))]
async fn delete_secret(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    if state.credentials.delete_secret(&ctx.tenant, &name).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("no secret {name:?}")))
    }
}

/// Seal every connection and secret (of every tenant) again with the server's current key
/// (`WEFT_SECRET_KEY`); afterwards the previous keys (`WEFT_SECRET_KEY_PREVIOUS`) can be
/// dropped.
#[utoipa::path(post, path = "/secret-key/rotate", tag = "secrets",
    responses(
        (status = 200, description = "Everything is sealed with the current key", body = Rotation),
        (status = 401, description = "No API token, or not one the server accepts", body = ErrorBody),
        (status = 503, description = "The server has no secret key (code no_secret_key)", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
async fn rotate_key(State(state): State<AppState>) -> Result<Json<Rotation>, ApiError> {
    let outcome = state.credentials.rotate(state.now()).await?;
    let key_id = state
        .credentials
        .current_key_id()
        .map(|id| id.to_string())
        .unwrap_or_default();
    Ok(Json(Rotation {
        key_id,
        resealed: outcome.resealed,
        skipped: outcome.skipped,
        key_ids: outcome.key_ids,
    }))
}
