//! The [`Queue`] trait: the contract every backend (in-process, Redis) keeps.

use std::time::Duration;

use async_trait::async_trait;

use crate::error::QueueError;
use crate::message::{Delivery, DeliveryId, Message, QueueStats};

/// Named queues of leased messages: at-least-once delivery with redelivery on lease expiry.
///
/// The queue delivers work; it is not the record of it. A message may be delivered more than
/// once (after a lease expires), so takers check the source of truth before acting on it.
///
/// # Guarantees
/// - Order: a take serves the queues of one scope together, highest priority first, then
///   oldest push first, across all of them.
/// - Scopes: queue `<scope>/<queue>` belongs to scope `<scope>` (see [`scope`](crate::scope));
///   unscoped queues are one more scope of their own. A take over several scopes serves them
///   in turns: it starts with the scope after the one that led the last such take, and
///   fills its batch from the following scopes only when that one has no more ready, so a
///   flooded scope cannot starve another. A take of `*/<queue>` covers `<queue>` of every
///   scope anything was pushed to, also one that first appears while the take waits;
///   deliveries name their real queue.
/// - Leases: each delivery is leased to its taker for the lease asked for. A lease that runs
///   out without an [`ack`](Queue::ack) puts the message back where it was (same priority,
///   same place in line) and it is delivered again with [`Delivery::deliveries`] one higher,
///   under a new [`DeliveryId`].
/// - Fencing: once a lease is lost (expired, acknowledged, released), its id can no longer
///   acknowledge, extend or release anything; such ids are reported back, never an error.
///   A lease counts as lost from the moment it expires, even before the message is taken again.
/// - Keys: pushing a message with a [`key`](Message::key) first removes the message holding
///   that key, from whichever queue of the same scope, waiting or leased; the removed
///   message's lease is lost. Scopes do not share keys.
///   Within one pushed batch the last message with a key wins. A key is freed when its
///   message is acknowledged.
/// - Generation: [`generation`](Queue::generation) stays the same while the backend keeps its
///   contents and changes when they were lost (e.g. a Redis server restarted without
///   persistence), so that the source of truth knows when to put its work back.
/// - Batches: every operation takes a batch; a pushed batch is checked as a whole, and a bad
///   one pushes nothing.
/// - Waiting: a take that finds nothing waits, without polling, until a push, a release or a
///   lease expiry makes a message ready, or until its `wait` runs out.
/// - Cancel safety: a `take` future dropped before it completes never loses a message: it
///   leases nothing, or (for a backend whose request was already sent) whatever it leased is
///   delivered again at the latest when that lease runs out. The in-process backend leases
///   nothing.
/// - Bad input (an empty queue name, a bad scope, `*/<queue>` in a push, `max == 0`, a zero
///   lease) is a [`QueueError::BadInput`] naming what is wrong; see
///   [`validate`](crate::validate). An id with a bad or unknown scope is lost, not an error.
#[async_trait]
pub trait Queue: Send + Sync + 'static {
    /// Puts `messages` on their queues (any mix of queues and scopes), in order.
    ///
    /// A message with a key first removes the message already holding that key (waiting or
    /// leased, on any queue of its scope); of several messages of the batch with one key in
    /// one scope, the last stays.
    async fn push(&self, messages: Vec<Message>) -> Result<(), QueueError>;

    /// Takes up to `max` ready messages from `queues` (`*/<queue>`: that queue of every
    /// scope), each leased for `lease`.
    ///
    /// Returns as soon as at least one is ready, waiting up to `wait` (`Duration::ZERO`: do
    /// not wait); returns an empty list if none became ready in time. It never waits to fill
    /// a batch: whatever is ready is returned at once.
    async fn take(
        &self,
        queues: &[String],
        max: usize,
        lease: Duration,
        wait: Duration,
    ) -> Result<Vec<Delivery>, QueueError>;

    /// Acknowledges deliveries: their messages are done and removed for good.
    ///
    /// Returns the ids whose lease was already lost; their messages are left alone.
    async fn ack(&self, ids: &[DeliveryId]) -> Result<Vec<DeliveryId>, QueueError>;

    /// Extends leases (a heartbeat): each live lease now runs out `lease` from now.
    ///
    /// Returns the ids whose lease was already lost: their holder must stop, the message is
    /// (or will be) someone else's.
    async fn extend(
        &self,
        ids: &[DeliveryId],
        lease: Duration,
    ) -> Result<Vec<DeliveryId>, QueueError>;

    /// Hands deliveries back (e.g. on graceful shutdown): their messages are ready again at
    /// once, in their old place in line, and count one more delivery when next taken.
    ///
    /// Returns the ids whose lease was already lost.
    async fn release(&self, ids: &[DeliveryId]) -> Result<Vec<DeliveryId>, QueueError>;

    /// Counts per queue, sorted by queue name: every queue holding a message, and possibly
    /// empty queues the backend knows of.
    async fn stats(&self) -> Result<Vec<QueueStats>, QueueError>;

    /// Which of `keyed`, each a queue name and a message key, no message holds, waiting or
    /// leased, in that queue's scope: their positions (from 0, in order). Whoever pushed
    /// keyed work finds with it what the queue lost without its contents being lost whole
    /// (a Redis server evicting keys under memory pressure), or what was taken and
    /// acknowledged without the taker's report arriving.
    async fn unheld(&self, keyed: &[(String, String)]) -> Result<Vec<usize>, QueueError>;

    /// An opaque id of the backend's contents: the same while it keeps them, different once
    /// they were lost (a restart without persistence, a flush). Whoever pushed work compares
    /// it over time and pushes again what it had queued when it changes.
    async fn generation(&self) -> Result<String, QueueError>;
}
