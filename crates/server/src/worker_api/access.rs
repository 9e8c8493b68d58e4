//! What the worker API hands to an attempt is scoped by the attempt: the tenant and run it
//! reads in are the attempt's own, found from the task instance and lease in the path, and
//! only while that attempt is current ([`current_attempt`]; 403 `stale_attempt` otherwise).
//!
//! This module serves an attempt's connections and secrets, in plaintext: only what its task
//! declares in its resources (checked by [`weft_store::grants`] against the spec its run is
//! pinned to; 403 `not_declared` otherwise), 404 when the name is declared but not stored.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use weft_protocol::worker_api::ATTEMPT_KEY_HEADER;
use weft_protocol::{AttemptKey, AttemptRef, Connection, SecretValue};
use weft_store::AttemptInfo;
use weft_store::grants::{self, Refusal, Requested};

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_connection))
        .routes(routes!(get_secret))
}

/// The attempt from the path, with the key from the [`ATTEMPT_KEY_HEADER`]: when the server
/// checks attempt keys, a call without the attempt's own key is refused (403
/// `attempt_key`) before anything is read.
pub(crate) fn attempt(
    state: &AppState,
    headers: &HeaderMap,
    ti: &str,
    lease: &str,
) -> Result<AttemptRef, ApiError> {
    let number = |what: &str, text: &str| {
        text.parse::<i64>()
            .map_err(|_| ApiError::invalid(format!("{what} must be a whole number, not {text:?}")))
    };
    let ti = number("ti", ti)?;
    let lease = number("lease", lease)?;
    let key = match headers.get(ATTEMPT_KEY_HEADER) {
        None => None,
        Some(value) => {
            let text = value.to_str().map_err(|_| {
                ApiError::invalid(format!("header {ATTEMPT_KEY_HEADER} is not text"))
            })?;
            let key = text
                .parse::<AttemptKey>()
                .map_err(|e| ApiError::invalid(format!("header {ATTEMPT_KEY_HEADER}: {e}")))?;
            Some(key)
        }
    };
    if let Some(keys) = &state.attempt_keys
        && !key.is_some_and(|key| keys.check(ti, lease, &key))
    {
        tracing::warn!(
            ti,
            lease,
            keyed = key.is_some(),
            "attempt refused: its key is missing or wrong"
        );
        return Err(ApiError::Forbidden {
            code: "attempt_key",
            message: format!(
                "attempt {ti} (lease {lease}) needs its attempt key in header \
                 {ATTEMPT_KEY_HEADER}, as its task message carried it; the one sent is {}",
                if key.is_some() { "wrong" } else { "missing" }
            ),
        });
    }
    Ok(AttemptRef { ti, lease, key })
}

/// What the store holds of `attempt`, when it is current (queued or running, holding its
/// lease); 403 `stale_attempt` when not.
pub(crate) async fn current_attempt(
    state: &AppState,
    attempt: AttemptRef,
) -> Result<AttemptInfo, ApiError> {
    grants::current_of_any(&*state.store, attempt)
        .await?
        .map_err(|refusal| refused(attempt, None, refusal))
}

/// The 403 of a refused attempt, logged.
fn refused(attempt: AttemptRef, requested: Option<Requested<'_>>, refusal: Refusal) -> ApiError {
    match requested {
        Some(requested) => {
            tracing::warn!(ti = attempt.ti, lease = attempt.lease, %requested, %refusal, "access refused");
        }
        None => tracing::warn!(ti = attempt.ti, lease = attempt.lease, %refusal, "attempt refused"),
    }
    ApiError::Forbidden {
        code: refusal.code(),
        message: refusal.to_string(),
    }
}

/// The tenant of the attempt the path names, when it is current and its task declares
/// `requested`; 403 otherwise.
async fn grant(
    state: &AppState,
    headers: &HeaderMap,
    ti: &str,
    lease: &str,
    requested: Requested<'_>,
) -> Result<String, ApiError> {
    let attempt = attempt(state, headers, ti, lease)?;
    let info = current_attempt(state, attempt).await?;
    let tenant = info.tenant.clone();
    grants::declares(&*state.store, info, requested)
        .await?
        .map_err(|refusal| refused(attempt, Some(requested), refusal))?;
    Ok(tenant)
}

/// Fetch a connection, with its password, for a current attempt (queued or running) whose task declares it.
#[utoipa::path(get, path = "/worker/attempts/{ti}/{lease}/connections/{conn_id}", tag = "worker-api",
    params(
        ("ti" = i64, Path, description = "The task instance (as in the task's delivery)"),
        ("lease" = i64, Path, description = "The attempt's lease (as in the task's delivery)"),
        ("weft-attempt-key" = Option<String>, Header, description = "The attempt's key, as its task message carried it (required when the server has a secret key)"),
        ("conn_id" = String, Path, description = "The connection's id"),
    ),
    responses(
        (status = 200, description = "The connection, with its password", body = Connection),
        (status = 400, description = "ti or lease is not a number", body = ErrorBody),
        (status = 401, description = "No worker token, or not one the server accepts", body = ErrorBody),
        (status = 403, description = "The task does not declare it (not_declared), or the attempt no longer holds its lease (stale_attempt), or its key is missing or wrong (attempt_key)", body = ErrorBody),
        (status = 404, description = "No such connection", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(%ti, %lease, %conn_id))]
async fn get_connection(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((ti, lease, conn_id)): Path<(String, String, String)>,
) -> Result<Json<Connection>, ApiError> {
    let tenant = grant(
        &state,
        &headers,
        &ti,
        &lease,
        Requested::Connection(&conn_id),
    )
    .await?;
    let stored = state
        .credentials
        .connection(&tenant, &conn_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no connection {conn_id:?}")))?;
    tracing::debug!("connection handed to its attempt");
    Ok(Json(stored.connection))
}

/// Fetch a secret's value for a current attempt (queued or running) whose task declares it.
#[utoipa::path(get, path = "/worker/attempts/{ti}/{lease}/secrets/{name}", tag = "worker-api",
    params(
        ("ti" = i64, Path, description = "The task instance (as in the task's delivery)"),
        ("lease" = i64, Path, description = "The attempt's lease (as in the task's delivery)"),
        ("weft-attempt-key" = Option<String>, Header, description = "The attempt's key, as its task message carried it (required when the server has a secret key)"),
        ("name" = String, Path, description = "The secret's name"),
    ),
    responses(
        (status = 200, description = "The secret's value", body = SecretValue),
        (status = 400, description = "ti or lease is not a number", body = ErrorBody),
        (status = 401, description = "No worker token, or not one the server accepts", body = ErrorBody),
        (status = 403, description = "The task does not declare it (not_declared), or the attempt no longer holds its lease (stale_attempt), or its key is missing or wrong (attempt_key)", body = ErrorBody),
        (status = 404, description = "No such secret", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(%ti, %lease, %name))]
async fn get_secret(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((ti, lease, name)): Path<(String, String, String)>,
) -> Result<Json<SecretValue>, ApiError> {
    let tenant = grant(&state, &headers, &ti, &lease, Requested::Secret(&name)).await?;
    let value = state
        .credentials
        .secret_value(&tenant, &name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no secret {name:?}")))?;
    tracing::debug!("secret handed to its attempt");
    Ok(Json(SecretValue { name, value }))
}
