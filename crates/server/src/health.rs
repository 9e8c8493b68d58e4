//! Liveness and readiness: the server answers and its store can be read.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use weft_model::tenancy::DEFAULT_TENANT;

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(health))
}

/// The server's health.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// The server's version.
    pub version: String,
}

/// Check that the server is up and can read its store.
#[utoipa::path(get, path = "/health", tag = "health",
    responses(
        (status = 200, description = "Up, and the store answers", body = Health),
        (status = 503, description = "The store does not answer", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
async fn health(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state
        .store
        .pools(DEFAULT_TENANT)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    Ok(Json(Health {
        status: "ok".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    }))
}
