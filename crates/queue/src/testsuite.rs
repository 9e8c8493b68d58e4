//! The conformance suite every [`Queue`] backend passes: one `pub async fn` per guarantee,
//! each taking the queue under test and a [`SuiteClock`] that lets time pass for it.
//!
//! Each check uses queue names (and scopes) of its own (`suite-<check>`) and leaves them
//! empty, so the checks can run one after another on one queue ([`run_all`]) or each on a
//! fresh one.
//! Checks panic with a message on failure, like any test.
//!
//! ```no_run
//! # async fn demo() {
//! use weft_queue::MemoryQueue;
//! use weft_queue::testsuite::{self, PausedClock};
//! // In a `#[tokio::test(start_paused = true)]`:
//! testsuite::run_all(&MemoryQueue::new(), &PausedClock::default()).await;
//! # }
//! ```
//!
//! A backend timed by a server (Redis) runs the suite with [`RealClock`] and a short lease.

mod concurrency;
mod input;
mod keys;
mod leases;
mod order;
mod scopes;
mod turns;
mod waiting;

use std::time::Duration;

use async_trait::async_trait;

use crate::message::{Delivery, DeliveryId, Message};
use crate::queue::Queue;

pub use concurrency::concurrent_clients_deliver_each_message_once;
pub use input::{bad_input_is_rejected, stats_count_ready_and_leased};
pub use keys::{
    generation_is_stable, keyed_batch_last_wins, keyed_push_replaces_a_leased_message,
    keyed_push_replaces_a_waiting_message, keys_are_held_until_acknowledged,
};
pub use leases::{
    expired_lease_is_lost_at_once, extend_keeps_the_lease, lease_expiry_redelivers,
    release_makes_ready_at_once, stale_ids_cannot_touch_a_redelivery,
    unknown_ids_are_reported_lost,
};
pub use order::{batches_of_many, fifo_within_a_priority, multiple_queues, priority_order};
pub use scopes::{bad_scopes_are_rejected, scoped_ids_settle_together, scopes_are_apart};
pub use turns::{
    any_scope_take_wakes_for_a_new_scope, any_scope_takes_every_scope, scopes_take_turns,
};
pub use waiting::{
    cancelled_take_loses_nothing, expiry_wakes_a_waiting_take, push_wakes_a_waiting_take,
    waiting_take_times_out_empty,
};

/// Lets time pass for the queue under test.
#[async_trait]
pub trait SuiteClock: Send + Sync {
    /// Lets `duration` pass.
    async fn pass(&self, duration: Duration);
    /// The lease the checks take messages with: short enough to wait out a few times, long
    /// enough that no operation of a check outlives it by accident.
    fn lease(&self) -> Duration;
}

/// Paused tokio time (`#[tokio::test(start_paused = true)]`): passing time is
/// [`tokio::time::advance`], instant in real time.
#[derive(Debug, Clone, Copy)]
pub struct PausedClock {
    /// The lease the checks use.
    pub lease: Duration,
}

impl Default for PausedClock {
    /// A 30 s lease.
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(30),
        }
    }
}

#[async_trait]
impl SuiteClock for PausedClock {
    async fn pass(&self, duration: Duration) {
        tokio::time::advance(duration).await;
    }
    fn lease(&self) -> Duration {
        self.lease
    }
}

/// Real time, for backends timed by a server: passing time is sleeping.
#[derive(Debug, Clone, Copy)]
pub struct RealClock {
    /// The lease the checks use (e.g. 1 s).
    pub lease: Duration,
}

#[async_trait]
impl SuiteClock for RealClock {
    async fn pass(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
    fn lease(&self) -> Duration {
        self.lease
    }
}

/// Runs every check, one after another, on `queue`.
pub async fn run_all(queue: &dyn Queue, clock: &dyn SuiteClock) {
    priority_order(queue, clock).await;
    fifo_within_a_priority(queue, clock).await;
    multiple_queues(queue, clock).await;
    batches_of_many(queue, clock).await;
    lease_expiry_redelivers(queue, clock).await;
    extend_keeps_the_lease(queue, clock).await;
    stale_ids_cannot_touch_a_redelivery(queue, clock).await;
    expired_lease_is_lost_at_once(queue, clock).await;
    release_makes_ready_at_once(queue, clock).await;
    unknown_ids_are_reported_lost(queue, clock).await;
    push_wakes_a_waiting_take(queue, clock).await;
    waiting_take_times_out_empty(queue, clock).await;
    expiry_wakes_a_waiting_take(queue, clock).await;
    cancelled_take_loses_nothing(queue, clock).await;
    stats_count_ready_and_leased(queue, clock).await;
    bad_input_is_rejected(queue, clock).await;
    keyed_push_replaces_a_waiting_message(queue, clock).await;
    keyed_push_replaces_a_leased_message(queue, clock).await;
    keyed_batch_last_wins(queue, clock).await;
    generation_is_stable(queue, clock).await;
    keys_are_held_until_acknowledged(queue, clock).await;
    scopes_are_apart(queue, clock).await;
    scoped_ids_settle_together(queue, clock).await;
    bad_scopes_are_rejected(queue, clock).await;
    any_scope_takes_every_scope(queue, clock).await;
    any_scope_take_wakes_for_a_new_scope(queue, clock).await;
    scopes_take_turns(queue, clock).await;
}

/// A message of `priority` on `queue`.
fn msg(queue: &str, priority: i32, payload: &str) -> Message {
    Message::new(queue, payload.to_owned()).with_priority(priority)
}

fn names(queues: &[&str]) -> Vec<String> {
    queues.iter().map(|&q| q.to_owned()).collect()
}

async fn push(queue: &dyn Queue, messages: Vec<Message>) {
    queue.push(messages).await.expect("push");
}

/// Takes what is ready now, without waiting.
async fn take_now(
    queue: &dyn Queue,
    queues: &[&str],
    max: usize,
    lease: Duration,
) -> Vec<Delivery> {
    queue
        .take(&names(queues), max, lease, Duration::ZERO)
        .await
        .expect("take")
}

fn payloads(deliveries: &[Delivery]) -> Vec<String> {
    deliveries
        .iter()
        .map(|d| String::from_utf8_lossy(&d.payload).into_owned())
        .collect()
}

fn ids(deliveries: &[Delivery]) -> Vec<DeliveryId> {
    deliveries.iter().map(|d| d.id.clone()).collect()
}

/// Acknowledges `deliveries`, all of which must still be leased.
async fn ack_all(queue: &dyn Queue, deliveries: &[Delivery]) {
    let lost = queue.ack(&ids(deliveries)).await.expect("ack");
    assert!(
        lost.is_empty(),
        "live leases reported lost on ack: {lost:?}"
    );
}

/// Asserts the ready and leased counts of `name`.
async fn assert_counts(queue: &dyn Queue, name: &str, ready: u64, leased: u64) {
    let stats = queue.stats().await.expect("stats");
    let s = crate::message::QueueStats::find(&stats, name);
    assert_eq!(
        (s.ready, s.leased),
        (ready, leased),
        "(ready, leased) of queue {name:?}"
    );
}
