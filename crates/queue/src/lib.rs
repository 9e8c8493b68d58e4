//! Weft's task queue: named queues on which the scheduler puts ready task attempts and from
//! which workers take them, in process ([`MemoryQueue`], for `wfctl standalone`) or in a
//! Redis server shared by machines ([`RedisQueue`]).
//!
//! The queue is a delivery mechanism, not the source of truth (the metadata store is). It
//! delivers at least once: a taken message is leased, and a lease that runs out without an
//! acknowledgement makes the message ready again. Every operation works on batches, so a
//! networked backend serves a whole batch in one round trip. A message may carry a key (the
//! task instance), so that pushing a new attempt replaces any stale one; and a backend's
//! [generation](Queue::generation) tells its users when it lost its contents.
//!
//! A queue named `<scope>/<queue>` belongs to a [scope] (a tenant): its messages, keys
//! and leases are kept apart from every other scope's, so that the Redis backend can serve a
//! worker whose server credentials reach that scope alone. A take of `*/<queue>` covers that
//! queue of every scope, in turns.
//!
//! ```
//! use std::time::Duration;
//! use weft_queue::{MemoryQueue, Message, Queue};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), weft_queue::QueueError> {
//! let queue = MemoryQueue::new();
//! queue
//!     .push(vec![
//!         Message::new("default", "later"),
//!         Message::new("default", "urgent").with_priority(10),
//!     ])
//!     .await?;
//!
//! let queues = ["default".to_owned()];
//! let lease = Duration::from_secs(30);
//! let taken = queue.take(&queues, 10, lease, Duration::from_secs(5)).await?;
//! assert_eq!(&taken[0].payload[..], b"urgent");
//! assert_eq!(taken[0].deliveries, 1);
//!
//! let ids: Vec<_> = taken.iter().map(|d| d.id.clone()).collect();
//! let lost = queue.extend(&ids, lease).await?; // heartbeat
//! assert!(lost.is_empty());
//! let lost = queue.ack(&ids).await?; // done
//! assert!(lost.is_empty());
//! # Ok(())
//! # }
//! ```
//!
//! # Layout
//! - [`queue`]: the [`Queue`] trait and the guarantees every backend keeps.
//! - [`message`]: [`Message`], [`Delivery`], [`DeliveryId`], [`QueueStats`].
//! - [`scope`]: scoped queue names (`<scope>/<queue>`, `*/<queue>` in a take), a tenant's
//!   queues kept apart from every other's.
//! - [`error`]: [`QueueError`], [`BadInput`] and [`NameProblem`]; [`validate`]: the request
//!   checks backends share.
//! - [`memory`]: [`MemoryQueue`], the in-process backend.
//! - [`redis`]: [`RedisQueue`], the Redis backend (Lua scripts in `src/redis/lua/`), on the
//!   shared Redis transport `weft_redis` (which also makes the ACL rules of Redis users
//!   restricted to some scopes).
//! - `testsuite` (cargo feature `testsuite`): the conformance suite every backend passes.
//! - `watched` (cargo feature `watched`): `Watched`, a queue that tells
//!   tests what goes through it.

pub mod error;
pub mod memory;
pub mod message;
pub mod queue;
mod random;
pub mod redis;
pub mod scope;
#[cfg(any(test, feature = "testsuite"))]
pub mod testsuite;
pub mod validate;
#[cfg(feature = "watched")]
pub mod watched;

pub use self::redis::RedisQueue;
pub use error::{BadInput, NameProblem, QueueError};
pub use memory::MemoryQueue;
pub use message::{Delivery, DeliveryId, Message, QueueStats};
pub use queue::Queue;
