//! Liveness and readiness: the server answers and its store can be read and written.

use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use jiff::Timestamp;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use weft_model::tenancy::DEFAULT_TENANT;
use weft_store::Store;

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
pub use weft_protocol::api::health::Health;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(health))
}

/// The lease the health check takes and lets go of at once: a write that every server may make
/// (one holder for all, no time to live), so that a store which can be read but not written
/// (a full disk) is not reported healthy.
const PROBE_LEASE: &str = "health-probe";

/// The outcome of the last write probe, kept for [`PROBE_EVERY`]: however often the health
/// route is called (it needs no token), the store sees at most one probe write a second.
#[derive(Debug, Default)]
pub(crate) struct WriteProbe {
    last: tokio::sync::Mutex<Option<(Instant, Probed)>>,
}

/// How long after a write failed for want of disk space the store is reported full, although
/// the probe's small write went through.
const FULL_LATELY: Duration = Duration::from_secs(10);

/// How long a probe's outcome stands.
const PROBE_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
enum Probed {
    Written,
    Full(String),
    Failed(String),
}

impl WriteProbe {
    /// Whether `store` took a write lately (within [`PROBE_EVERY`]), probing it if not.
    async fn check(&self, store: &dyn Store) -> Result<(), ApiError> {
        let mut last = self.last.lock().await;
        let probed = match &*last {
            Some((at, probed)) if at.elapsed() < PROBE_EVERY => probed.clone(),
            _ => {
                let probed = match store
                    .try_lead(PROBE_LEASE, PROBE_LEASE, Timestamp::now(), Duration::ZERO)
                    .await
                {
                    Ok(_) => Probed::Written,
                    Err(e) if e.is_out_of_space() => Probed::Full(e.to_string()),
                    Err(e) => Probed::Failed(e.to_string()),
                };
                *last = Some((Instant::now(), probed.clone()));
                probed
            }
        };
        match probed {
            Probed::Written => match weft_store::out_of_space_within(FULL_LATELY) {
                Some(ago) => Err(ApiError::StoreFull(format!(
                    "a write failed for want of disk space {} ms ago",
                    ago.as_millis()
                ))),
                None => Ok(()),
            },
            Probed::Full(detail) => Err(ApiError::StoreFull(detail)),
            Probed::Failed(detail) => Err(ApiError::Unavailable(detail)),
        }
    }
}

/// Check that the server is up and can read and write its store.
#[utoipa::path(get, path = "/health", tag = "health",
    responses(
        (status = 200, description = "Up, and the store answers reads and writes", body = Health),
        (status = 503, description = "The store does not answer", body = ErrorBody),
        (status = 507, description = "The store's disk is full", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
async fn health(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state
        .store
        .pools(DEFAULT_TENANT)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    state.write_probe.check(&*state.store).await?;
    Ok(Json(Health {
        status: "ok".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    }))
}
