//! A remote worker's registration: it announces itself to the API server, heartbeats with
//! its load (for `wfctl workers list` and dead-worker detection), and says when it stops.

use std::future::Future;
use std::time::Duration;

use jiff::Timestamp;
use weft_protocol::worker_api::WorkerBeat;

use crate::api::ApiClient;
use crate::plane::PlaneError;
use crate::worker::WorkerStatus;

/// What a worker says of itself as it heartbeats now.
pub fn beat(status: &WorkerStatus, started_at: Timestamp, stopped: bool) -> WorkerBeat {
    let config = status.config();
    let (finished, failed) = status.ended();
    WorkerBeat {
        hostname: config.hostname.clone(),
        queues: config.queues.clone(),
        concurrency: u32::try_from(config.concurrency).unwrap_or(u32::MAX),
        running: u32::try_from(status.running()).unwrap_or(u32::MAX),
        finished,
        failed,
        arch: std::env::consts::ARCH.to_owned(),
        labels: config.labels.clone(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        started_at,
        stopped_at: stopped.then(Timestamp::now),
        tenants: config.tenants.clone(),
    }
}

/// Register once; an error (a refused token, say) is the caller's to report.
pub async fn register(
    api: &ApiClient,
    status: &WorkerStatus,
    started_at: Timestamp,
) -> Result<(), PlaneError> {
    api.heartbeat(&status.config().worker_id, &beat(status, started_at, false))
        .await
}

/// Heartbeat every `every` until `shutdown` resolves, then record the stop.
pub async fn heartbeats(
    api: ApiClient,
    status: WorkerStatus,
    started_at: Timestamp,
    every: Duration,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = tokio::time::sleep(every) => {}
        }
        if let Err(e) = api
            .heartbeat(
                &status.config().worker_id,
                &beat(&status, started_at, false),
            )
            .await
        {
            tracing::warn!(error = %e, "worker heartbeat failed");
        }
    }
    if let Err(e) = api
        .heartbeat(&status.config().worker_id, &beat(&status, started_at, true))
        .await
    {
        tracing::warn!(error = %e, "could not record the worker's stop");
    }
}
