//! Queue monitoring: per queue of the caller's tenant, the task instances waiting for a
//! worker and running on one, and how long the oldest has waited. Counted from the store,
//! so the figures are the same whatever carries the messages.

use axum::Json;
use axum::extract::State;
use jiff::Timestamp;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use weft_store::QueueDepth;

use crate::context::RequestContext;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
pub use weft_protocol::api::queues::{QueueList, QueueView};

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_queues))
}

/// How `depth` looks at `now`.
pub(crate) fn queue_view(depth: QueueDepth, now: Timestamp) -> QueueView {
    let oldest_age_seconds = depth.oldest_queued_at.map(|at| {
        let us = now
            .as_microsecond()
            .saturating_sub(at.as_microsecond())
            .max(0);
        (us / 1000) as f64 / 1000.0
    });
    QueueView {
        queue: depth.queue,
        queued: depth.queued,
        running: depth.running,
        oldest_queued_at: depth.oldest_queued_at,
        oldest_age_seconds,
    }
}

/// List the queues with task instances waiting or running, and the age of the oldest.
#[utoipa::path(get, path = "/queues", tag = "workers",
    responses(
        (status = 200, description = "The queues with work in them", body = QueueList),
        (status = 401, description = "No token, or not one the server accepts", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
async fn list_queues(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Json<QueueList>, ApiError> {
    let now = state.now();
    let depths = state.store.queue_depths(&ctx.tenant).await?;
    Ok(Json(QueueList {
        queues: depths
            .into_iter()
            .map(|depth| queue_view(depth, now))
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_age_is_counted_from_now_and_never_negative() {
        let at: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap_or_default();
        let depth = |oldest| QueueDepth {
            queue: "q".into(),
            queued: 1,
            running: 0,
            oldest_queued_at: oldest,
        };
        let now = at + jiff::SignedDuration::from_millis(1500);
        assert_eq!(
            queue_view(depth(Some(at)), now).oldest_age_seconds,
            Some(1.5)
        );
        assert_eq!(
            queue_view(depth(Some(now)), at).oldest_age_seconds,
            Some(0.0)
        );
        assert_eq!(queue_view(depth(None), now).oldest_age_seconds, None);
    }
}
