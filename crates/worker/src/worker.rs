//! The worker loop: take deliveries while slots are free, run each in its own task, and on
//! shutdown stop taking and let running attempts finish within the grace period.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use weft_queue::Queue;
use weft_runtime::Runtime;

use crate::attempt::{Shared, run_delivery};
use crate::config::WorkerConfig;
use crate::plane::ControlPlane;

/// How long one `take` waits for work before looking at shutdown again.
const TAKE_WAIT: Duration = Duration::from_secs(5);

/// How busy a worker is, readable while it runs.
#[derive(Clone)]
pub struct WorkerStatus {
    shared: Arc<Shared>,
}

impl WorkerStatus {
    /// Attempts running now.
    pub fn running(&self) -> usize {
        self.shared.running()
    }

    /// The worker's settings.
    pub fn config(&self) -> &WorkerConfig {
        &self.shared.config
    }
}

/// A worker: runs attempts from its queues in the sandbox.
pub struct Worker {
    shared: Arc<Shared>,
}

impl Worker {
    /// A worker with `config`, running attempts in `runtime`.
    pub fn new(
        config: WorkerConfig,
        runtime: Arc<Runtime>,
        queue: Arc<dyn Queue>,
        plane: Arc<dyn ControlPlane>,
    ) -> Worker {
        Worker {
            shared: Arc::new(Shared {
                config,
                runtime,
                queue,
                plane,
                in_flight: std::sync::Mutex::new(std::collections::HashSet::new()),
            }),
        }
    }

    /// A view of the worker's load that stays valid while it runs (for heartbeats).
    pub fn status(&self) -> WorkerStatus {
        WorkerStatus {
            shared: self.shared.clone(),
        }
    }

    /// Run until `shutdown` resolves, then wait up to the grace period for running attempts.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let config = &self.shared.config;
        let slots = Arc::new(Semaphore::new(config.concurrency.max(1)));
        let mut running = JoinSet::new();
        tracing::info!(worker = %config.worker_id, queues = ?config.queues, concurrency = config.concurrency, "worker started");
        loop {
            let first = tokio::select! {
                biased;
                _ = &mut shutdown => break,
                permit = slots.clone().acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => break,
                },
            };
            let free = slots.available_permits() + 1;
            let taken = tokio::select! {
                biased;
                _ = &mut shutdown => break,
                taken = self.shared.queue.take(&config.queues, free, config.delivery_lease(), TAKE_WAIT) => taken,
            };
            let deliveries = match taken {
                Ok(deliveries) => deliveries,
                Err(e) => {
                    tracing::error!(error = %e, "taking from the queue failed; retrying");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
            };
            let mut permit = Some(first);
            for delivery in deliveries {
                let slot = match permit.take() {
                    Some(p) => p,
                    None => match slots.clone().try_acquire_owned() {
                        Ok(p) => p,
                        Err(_) => {
                            // More deliveries than slots (cannot happen: we asked for `free`); hand it back.
                            let _ = self
                                .shared
                                .queue
                                .release(std::slice::from_ref(&delivery.id))
                                .await;
                            continue;
                        }
                    },
                };
                let shared = self.shared.clone();
                running.spawn(async move {
                    run_delivery(shared, delivery).await;
                    drop(slot);
                });
            }
            while running.try_join_next().is_some() {}
        }
        tracing::info!(
            running = running.len(),
            "worker stopping; letting running attempts finish"
        );
        let drained = tokio::time::timeout(config.grace, async {
            while running.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            let ids: Vec<_> = self
                .shared
                .in_flight
                .lock()
                .map(|set| set.iter().cloned().collect())
                .unwrap_or_default();
            tracing::warn!(
                left = ids.len(),
                "grace period over; handing the remaining attempts back to the queue"
            );
            running.abort_all();
            if let Err(e) = self.shared.queue.release(&ids).await {
                tracing::warn!(error = %e, "could not hand attempts back; their leases will expire");
            }
        }
    }
}
