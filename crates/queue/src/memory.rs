//! The in-process backend, [`MemoryQueue`], for `wfctl standalone` and for tests.
//!
//! All state sits behind one mutex that is never held across an `.await`; every operation is
//! a short critical section. A take that finds nothing waits on its queues' [`Notify`]s (woken
//! by push, release and reclaimed leases; a take of `*/<queue>` also on the one woken by a
//! push to a new scope) and on a timer set to the next lease expiry or its own deadline,
//! whichever comes first: no polling.
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
use crate::scope::{self, Target};
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
        let targets: Vec<Target<'_>> = queues.iter().map(|q| scope::target(q)).collect();
        let any_scope = targets.iter().any(|t| matches!(t, Target::AnyScope(_)));
        let deadline = Instant::now().checked_add(wait);
        loop {
            let (mut woken, next_expiry) = {
                let mut state = self.lock();
                let now = Instant::now();
                state.reclaim(now);
                // Looked up each time: `*/<queue>` covers the scopes known now.
                let groups = state.resolve(&targets);
                let taken = state.take_turns(&groups, max, now, lease);
                if !taken.is_empty() || deadline.is_some_and(|d| now >= d) {
                    return Ok(taken);
                }
                // Made under the lock that every push, release and reclaim holds while it
                // notifies: no wake-up between this look and the wait is missed.
                let mut woken: Vec<Pin<Box<OwnedNotified>>> = groups
                    .iter()
                    .flat_map(|(_, indexes)| indexes)
                    .map(|&i| Box::pin(state.notify(i).notified_owned()))
                    .collect();
                if any_scope {
                    woken.push(Box::pin(state.scopes_notify().notified_owned()));
                }
                (woken, state.next_expiry())
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

    #[instrument(level = "debug", name = "queue.unheld", skip_all, fields(keys = keyed.len()))]
    async fn unheld(&self, keyed: &[(String, String)]) -> Result<Vec<usize>, QueueError> {
        Ok(self.lock().unheld(keyed))
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
