//! Worker monitoring: every worker that registered, with its queues, load and last
//! heartbeat, and whether it is alive, dead (silent for longer than
//! [`ServerConfig::worker_dead_after`](crate::ServerConfig::worker_dead_after)) or stopped.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use jiff::Timestamp;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use weft_store::WorkerRecord;

use crate::context::RequestContext;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
pub use weft_protocol::api::workers::{WorkerList, WorkerStatus, WorkerView};

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_workers))
}

/// How `worker` looks at `now` when workers silent for `dead_after` count as dead.
pub(crate) fn worker_view(
    worker: WorkerRecord,
    now: Timestamp,
    dead_after: Duration,
) -> WorkerView {
    let silent_us = now
        .as_microsecond()
        .saturating_sub(worker.last_heartbeat.as_microsecond())
        .max(0);
    let dead_after_us = i64::try_from(dead_after.as_micros()).unwrap_or(i64::MAX);
    let status = if worker.stopped_at.is_some() {
        WorkerStatus::Stopped
    } else if silent_us >= dead_after_us {
        WorkerStatus::Dead
    } else {
        WorkerStatus::Alive
    };
    WorkerView {
        worker_id: worker.worker_id,
        hostname: worker.hostname,
        queues: worker.queues,
        concurrency: worker.concurrency,
        running: worker.running,
        finished: worker.finished,
        failed: worker.failed,
        arch: worker.arch,
        labels: worker.labels,
        version: worker.version,
        started_at: worker.started_at,
        last_heartbeat: worker.last_heartbeat,
        stopped_at: worker.stopped_at,
        tenants: worker.tenants,
        status,
        seconds_since_heartbeat: (silent_us / 1_000) as f64 / 1_000.0,
    }
}

/// List the workers that serve the caller's tenant.
#[utoipa::path(get, path = "/workers", tag = "workers",
    responses(
        (status = 200, description = "The workers that serve the caller's tenant (every worker, for the installation administrator), by id", body = WorkerList),
        (status = 503, description = "The store does not answer", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
async fn list_workers(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Json<WorkerList>, ApiError> {
    let now = state.now();
    let dead_after = state.config.worker_dead_after;
    let workers = state.store.workers().await?;
    Ok(Json(WorkerList {
        workers: workers
            .into_iter()
            .filter(|w| ctx.installation_admin || w.serves(&ctx.tenant))
            .map(|w| worker_view(w, now, dead_after))
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn worker(seen: &str, stopped: Option<&str>) -> WorkerRecord {
        let at = |t: &str| t.parse::<Timestamp>().expect("timestamp");
        WorkerRecord {
            worker_id: "w1".into(),
            hostname: "h1".into(),
            queues: vec!["default".into()],
            concurrency: 2,
            running: 1,
            finished: 9,
            failed: 2,
            arch: "x86_64".into(),
            labels: vec!["gpu".into()],
            version: "0.1.0".into(),
            started_at: at("2024-01-01T00:00:00Z"),
            last_heartbeat: at(seen),
            stopped_at: stopped.map(at),
            tenants: None,
        }
    }

    #[test]
    fn status_follows_the_last_heartbeat() {
        let now: Timestamp = "2024-01-01T00:01:00Z".parse().expect("timestamp");
        let dead_after = Duration::from_secs(30);
        let view = |seen, stopped| worker_view(worker(seen, stopped), now, dead_after);
        let alive = view("2024-01-01T00:00:30.5Z", None);
        assert_eq!(alive.status, WorkerStatus::Alive);
        assert_eq!(alive.seconds_since_heartbeat, 29.5);
        assert_eq!(
            view("2024-01-01T00:00:30Z", None).status,
            WorkerStatus::Dead
        );
        let stopped = view("2024-01-01T00:00:00Z", Some("2024-01-01T00:00:00Z"));
        assert_eq!(stopped.status, WorkerStatus::Stopped);
        // A heartbeat from a clock ahead of the server's is not in the future.
        assert_eq!(
            view("2024-01-01T00:02:00Z", None).seconds_since_heartbeat,
            0.0
        );
    }
}
