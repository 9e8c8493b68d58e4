//! The in-process backend, [`MemoryQueue`], for `wfctl standalone` and for tests.
//!
//! All state sits behind one mutex that is never held across an `.await`; every operation is
//! a short critical section. A take that finds nothing waits on its queues' [`Notify`]s (woken
//! by push, release and reclaimed leases) and on a timer set to the next lease expiry or its
//! own deadline, whichever comes first: no polling.
//!
//! [`Notify`]: tokio::sync::Notify

mod state;
#[cfg(test)]
mod tests;

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::Poll;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::futures::OwnedNotified;
use tokio::time::Instant;
use tracing::instrument;

use crate::error::QueueError;
use crate::message::{Delivery, DeliveryId, Message, QueueStats};
use crate::queue::Queue;
use crate::random::random_id;
use crate::validate;
use state::State;

/// Named queues held in this process's memory; lost when the process ends.
///
/// Leases are timed with [`tokio::time::Instant`], so tests can run it on paused time. Its
/// [generation](Queue::generation) is a random id fixed when it is created.
#[derive(Debug)]
pub struct MemoryQueue {
    state: Mutex<State>,
    generation: String,
}

impl Default for MemoryQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryQueue {
    /// An empty queue set.
    pub fn new() -> Self {
        Self {
            state: Mutex::default(),
            generation: random_id(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is consistent between operations, and no operation panics midway.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl Queue for MemoryQueue {
    #[instrument(level = "debug", name = "queue.push", skip_all, fields(messages = messages.len()))]
    async fn push(&self, messages: Vec<Message>) -> Result<(), QueueError> {
        validate::check_push(&messages)?;
        if !messages.is_empty() {
            self.lock().push(messages);
        }
        Ok(())
    }

    #[instrument(level = "debug", name = "queue.take", skip_all, fields(?queues, max, ?lease, ?wait))]
    async fn take(
        &self,
        queues: &[String],
        max: usize,
        lease: Duration,
        wait: Duration,
    ) -> Result<Vec<Delivery>, QueueError> {
        validate::check_take(queues, max, lease)?;
        let deadline = Instant::now().checked_add(wait);

        // Fast path: something is ready, or the caller will not wait.
        let (indexes, notifies) = {
            let mut state = self.lock();
            let mut indexes: Vec<usize> = queues.iter().map(|q| state.queue_index(q)).collect();
            indexes.sort_unstable();
            indexes.dedup();
            let now = Instant::now();
            state.reclaim(now);
            let taken = state.take(&indexes, max, now, lease);
            if !taken.is_empty() || wait.is_zero() {
                return Ok(taken);
            }
            let notifies: Vec<_> = indexes.iter().map(|&i| state.notify(i)).collect();
            (indexes, notifies)
        };

        loop {
            // Created before looking, so a push between the look and the wait still wakes us.
            let mut woken: Vec<Pin<Box<OwnedNotified>>> = notifies
                .iter()
                .map(|n| Box::pin(n.clone().notified_owned()))
                .collect();
            let next_expiry = {
                let mut state = self.lock();
                let now = Instant::now();
                state.reclaim(now);
                let taken = state.take(&indexes, max, now, lease);
                if !taken.is_empty() {
                    return Ok(taken);
                }
                if deadline.is_some_and(|d| now >= d) {
                    return Ok(taken);
                }
                state.next_expiry()
            };
            let wake_at = match (deadline, next_expiry) {
                (Some(d), Some(e)) => Some(d.min(e)),
                (d, e) => d.or(e),
            };
            wait_for_any(&mut woken, wake_at).await;
        }
    }

    #[instrument(level = "debug", name = "queue.ack", skip_all, fields(ids = ids.len()))]
    async fn ack(&self, ids: &[DeliveryId]) -> Result<Vec<DeliveryId>, QueueError> {
        let mut state = self.lock();
        state.reclaim(Instant::now());
        Ok(state.ack(ids))
    }

    #[instrument(level = "debug", name = "queue.extend", skip_all, fields(ids = ids.len(), ?lease))]
    async fn extend(
        &self,
        ids: &[DeliveryId],
        lease: Duration,
    ) -> Result<Vec<DeliveryId>, QueueError> {
        validate::check_lease("extend", lease)?;
        let mut state = self.lock();
        let now = Instant::now();
        state.reclaim(now);
        Ok(state.extend(ids, now, lease))
    }

    #[instrument(level = "debug", name = "queue.release", skip_all, fields(ids = ids.len()))]
    async fn release(&self, ids: &[DeliveryId]) -> Result<Vec<DeliveryId>, QueueError> {
        let mut state = self.lock();
        state.reclaim(Instant::now());
        Ok(state.release(ids))
    }

    #[instrument(level = "debug", name = "queue.stats", skip_all)]
    async fn stats(&self) -> Result<Vec<QueueStats>, QueueError> {
        let mut state = self.lock();
        state.reclaim(Instant::now());
        Ok(state.stats())
    }

    async fn generation(&self) -> Result<String, QueueError> {
        Ok(self.generation.clone())
    }
}

/// Waits until any of `woken` fires or, if given, until `at`.
async fn wait_for_any(woken: &mut [Pin<Box<OwnedNotified>>], at: Option<Instant>) {
    let any = poll_fn(|cx| {
        if woken.iter_mut().any(|n| n.as_mut().poll(cx).is_ready()) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    });
    match at {
        Some(at) => {
            tokio::select! {
                () = any => {}
                () = tokio::time::sleep_until(at) => {}
            }
        }
        None => any.await,
    }
}
