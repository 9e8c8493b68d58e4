//! `GET /metrics`: this process's metrics (see [`weft_metrics`]) in Prometheus' text
//! format, for the installation administrator. What only the store knows — task instances
//! per queue, pool slots, live workers — is read from it at each scrape, across tenants.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use weft_metrics::{OPENMETRICS_CONTENT_TYPE, Pool, QueueState, metrics};

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use crate::workers::{WorkerStatus, worker_view};

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(scrape))
}

/// Show the metrics of this process and the installation's queues, pools and workers.
#[utoipa::path(get, path = "/metrics", tag = "health",
    responses(
        (status = 200, description = "Metrics in the OpenMetrics text format", content_type = "application/openmetrics-text", body = String),
        (status = 401, description = "No token, or not one the server accepts", body = ErrorBody),
        (status = 403, description = "Not the installation administrator's token", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
async fn scrape(State(state): State<AppState>) -> Result<Response, ApiError> {
    // One scrape at a time sets the store's gauges and encodes them, so that another's
    // clearing never shows as series missing.
    static SCRAPING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _one = SCRAPING.lock().await;
    read_store(&state).await?;
    Ok((
        [(header::CONTENT_TYPE, OPENMETRICS_CONTENT_TYPE)],
        metrics().encode(),
    )
        .into_response())
}

/// Set the gauges only the store can tell.
async fn read_store(state: &AppState) -> Result<(), ApiError> {
    let m = metrics();
    let now = state.now();
    let mut queues = Vec::new();
    let mut pools = Vec::new();
    for tenant in state.store.tenants().await? {
        for depth in state.store.queue_depths(&tenant.name).await? {
            queues.push((tenant.name.clone(), depth));
        }
        let usage = state.store.pool_usage(&tenant.name).await?;
        for pool in state.store.pools(&tenant.name).await? {
            let used = usage.iter().find(|u| u.pool == pool.name);
            pools.push((
                Pool {
                    tenant: tenant.name.clone(),
                    pool: pool.name,
                },
                pool.slots,
                used.map_or(0, |u| u.used),
                used.map_or(0, |u| u.waiting),
            ));
        }
    }
    let dead_after = state.config.worker_dead_after;
    let alive = state
        .store
        .workers()
        .await?
        .into_iter()
        .filter(|w| worker_view(w.clone(), now, dead_after).status == WorkerStatus::Alive)
        .count();

    // Queues and pools that emptied since the last scrape are dropped, not left at their
    // last value.
    m.queue_tasks.clear();
    m.queue_oldest_seconds.clear();
    for (tenant, depth) in queues {
        let labels = |state: &str| QueueState {
            tenant: tenant.clone(),
            queue: depth.queue.clone(),
            state: state.to_owned(),
        };
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        m.queue_tasks
            .get_or_create(&labels("queued"))
            .set(count(depth.queued));
        m.queue_tasks
            .get_or_create(&labels("running"))
            .set(count(depth.running));
        if let Some(at) = depth.oldest_queued_at {
            let waited = now.duration_since(at).as_secs_f64().max(0.0);
            m.queue_oldest_seconds
                .get_or_create(&labels("queued"))
                .set(waited);
        }
    }
    m.pool_slots.clear();
    m.pool_slots_used.clear();
    m.pool_slots_waiting.clear();
    for (labels, slots, used, waiting) in pools {
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        m.pool_slots.get_or_create(&labels).set(slots);
        m.pool_slots_used.get_or_create(&labels).set(count(used));
        m.pool_slots_waiting
            .get_or_create(&labels)
            .set(count(waiting));
    }
    m.workers_alive
        .set(i64::try_from(alive).unwrap_or(i64::MAX));
    Ok(())
}
