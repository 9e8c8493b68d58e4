//! The worker loop: take deliveries for the free slots and a few more, run each in its own
//! task, and on shutdown stop taking, hand back what is held and let running attempts finish
//! within the grace period.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;
use weft_queue::{Delivery, Queue, QueueError};
use weft_runtime::Runtime;

use crate::acks::Acks;
use crate::attempt::{Shared, run_delivery};
use crate::config::WorkerConfig;
use crate::held::Held;
use crate::plane::ControlPlane;

/// Longest a stopping worker waits for its last acks to reach the queue.
const ACK_FLUSH_LIMIT: Duration = Duration::from_secs(5);
/// How long one `take` waits for work before looking at shutdown again.
const TAKE_WAIT: Duration = Duration::from_secs(5);
/// The pause after the queue refused this worker's credentials: no retry fixes them, but an
/// operator may (a Redis user's rules change without restarting the worker).
const REFUSED_PAUSE: Duration = Duration::from_secs(5);

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

    /// Attempts it ran to an end since it started (their results taken by the control
    /// plane), and how many of them failed.
    pub fn ended(&self) -> (u64, u64) {
        self.shared.ended.get()
    }

    /// The worker's settings.
    pub fn config(&self) -> &WorkerConfig {
        &self.shared.config
    }
}

/// A worker: runs attempts from its queues in the sandbox.
pub struct Worker {
    shared: Arc<Shared>,
    /// The queue names taken from (see [`WorkerConfig::take_queues`]).
    take_queues: Vec<String>,
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
            take_queues: config.take_queues(),
            shared: Arc::new(Shared {
                config,
                runtime,
                acks: Acks::new(queue.clone()),
                queue,
                plane,
                in_flight: std::sync::Mutex::new(std::collections::HashSet::new()),
                ended: crate::attempt::EndedCounts::default(),
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
    ///
    /// Deliveries are taken for the free slots plus up to `prefetch` more, which wait here
    /// for a slot (at most `prefetch_hold`, then they go back to the queue). While every
    /// slot is busy the worker only takes without waiting, and only once a slot has freed
    /// and half the prefetched deliveries are gone, so that takes are shared by many
    /// attempts.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let config = &self.shared.config;
        let slots = Arc::new(Semaphore::new(config.concurrency.max(1)));
        let mut running = JoinSet::new();
        let mut held = Held::default();
        // Whether a slot freed since the last take without waiting.
        let mut may_refill = true;
        let prefetch = config.prefetch();
        tracing::info!(worker = %config.worker_id, queues = ?config.queues, concurrency = config.concurrency, prefetch, "worker started");
        loop {
            while !held.is_empty() {
                let Ok(slot) = slots.clone().try_acquire_owned() else {
                    break;
                };
                if let Some(delivery) = held.next() {
                    self.spawn(&mut running, delivery, slot);
                    may_refill = true;
                }
            }
            while running.try_join_next().is_some() {}
            let expired = held.expired(Instant::now(), config.prefetch_hold);
            if !expired.is_empty() {
                // Left for other workers: not taken again before a slot of ours frees.
                may_refill = false;
                self.hand_back(expired).await;
            }

            let free = slots.available_permits();
            if free > 0 && !held.is_empty() {
                // A slot freed since the top of the loop (say, during the hand-back): start
                // what is held before taking more.
                continue;
            }
            let room = (free + prefetch).saturating_sub(held.len());
            if free > 0 {
                // Nothing is held (the slots took it): wait for work.
                let taken = tokio::select! {
                    biased;
                    _ = &mut shutdown => break,
                    taken = self.take(room, TAKE_WAIT) => taken,
                };
                held.extend(Instant::now(), taken);
                continue;
            }
            if may_refill && room > 0 && held.len() <= prefetch / 2 {
                may_refill = false;
                let taken = self.take(room, Duration::ZERO).await;
                held.extend(Instant::now(), taken);
                continue;
            }
            // Every slot is busy: wait for one, or for a held delivery's hold to run out.
            let hold_ends = held.next_expiry(config.prefetch_hold);
            tokio::select! {
                biased;
                _ = &mut shutdown => break,
                permit = slots.clone().acquire_owned() => match permit {
                    Ok(slot) => match held.next() {
                        Some(delivery) => {
                            self.spawn(&mut running, delivery, slot);
                            may_refill = true;
                        }
                        None => drop(slot),
                    },
                    Err(_) => break,
                },
                () = sleep_until_some(hold_ends) => {}
            }
        }
        self.hand_back(held.drain_ids()).await;
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
            self.hand_back(ids).await;
        }
        if tokio::time::timeout(ACK_FLUSH_LIMIT, self.shared.acks.flush())
            .await
            .is_err()
        {
            tracing::warn!(
                "acknowledging the last deliveries took too long; they come back when their leases run out"
            );
        }
    }

    /// Take up to `max` deliveries, waiting up to `wait`; none when the queue fails (after
    /// a pause, so that a queue that is down is not hammered; a longer one when the queue
    /// refused this worker's credentials, which only the operator can fix).
    async fn take(&self, max: usize, wait: Duration) -> Vec<Delivery> {
        let config = &self.shared.config;
        match self
            .shared
            .queue
            .take(&self.take_queues, max.max(1), config.delivery_lease(), wait)
            .await
        {
            Ok(deliveries) => deliveries,
            Err(e @ QueueError::Denied { .. }) => {
                tracing::error!(
                    error = %e,
                    queues = ?self.take_queues,
                    "the queue refused this worker's Redis user: serve only the tenants it may \
                     reach (--tenants, see wfctl redis-acl); trying again in {} s",
                    REFUSED_PAUSE.as_secs()
                );
                tokio::time::sleep(REFUSED_PAUSE).await;
                Vec::new()
            }
            Err(e) => {
                tracing::error!(error = %e, "taking from the queue failed; retrying");
                tokio::time::sleep(Duration::from_millis(200)).await;
                Vec::new()
            }
        }
    }

    fn spawn(&self, running: &mut JoinSet<()>, delivery: Delivery, slot: OwnedSemaphorePermit) {
        let shared = self.shared.clone();
        running.spawn(async move {
            run_delivery(shared, delivery).await;
            drop(slot);
        });
    }

    /// Hand deliveries back to the queue, to be taken again at once by any worker.
    async fn hand_back(&self, ids: Vec<weft_queue::DeliveryId>) {
        if ids.is_empty() {
            return;
        }
        if let Err(e) = self.shared.queue.release(&ids).await {
            tracing::warn!(error = %e, count = ids.len(), "could not hand deliveries back; their leases will expire");
        }
    }
}

/// Sleep until `at`, or forever when there is no `at`.
async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
