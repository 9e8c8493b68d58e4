//! What goes on a queue ([`Message`]), what comes off it ([`Delivery`], named by a
//! [`DeliveryId`]) and what a queue holds ([`QueueStats`]).

use std::fmt;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// A message to put on a named queue.
///
/// Messages with a higher `priority` are delivered first; messages of equal priority are
/// delivered in the order they were pushed.
///
/// A message with a [`key`](Message::key) replaces the message already holding that key, on
/// whichever queue it is, waiting or leased (see [`Queue::push`](crate::Queue::push)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The queue's name; must not be empty.
    pub queue: String,
    /// Higher first; `0` by default.
    pub priority: i32,
    /// The bytes to deliver (opaque to the queue).
    pub payload: Bytes,
    /// What the message stands for (e.g. a task instance): at most one message per key is on
    /// the queues at a time. `None` by default.
    pub key: Option<String>,
}

impl Message {
    /// A message of priority `0` for `queue`.
    pub fn new(queue: impl Into<String>, payload: impl Into<Bytes>) -> Self {
        Self {
            queue: queue.into(),
            priority: 0,
            payload: payload.into(),
            key: None,
        }
    }

    /// The same message with `priority`.
    #[must_use]
    pub fn with_priority(mut self, priority: i32) -> Self {
        self.priority = priority;
        self
    }

    /// The same message with `key`: pushing it removes any message holding the same key.
    #[must_use]
    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }
}

/// Identifies one delivery of one message: the handle to [`ack`](crate::Queue::ack),
/// [`extend`](crate::Queue::extend) or [`release`](crate::Queue::release) it.
///
/// When a lease runs out and the message is delivered again, the new delivery gets a new id,
/// so the holder of the old id can no longer acknowledge, extend or release it. The text is
/// opaque: each backend chooses its own form, and an id that a backend never issued is
/// treated as a lost lease.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DeliveryId(String);

impl DeliveryId {
    /// An id from a backend's own text form.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The id's text form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DeliveryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A message handed to a taker, leased to it until acknowledged, released or expired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// This delivery's id.
    pub id: DeliveryId,
    /// The queue it came from.
    pub queue: String,
    /// The priority it was pushed with.
    pub priority: i32,
    /// The payload it was pushed with.
    pub payload: Bytes,
    /// How many times the message has been delivered, this time included: `1` the first time.
    pub deliveries: u32,
}

/// How many messages a named queue holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueStats {
    /// The queue's name.
    pub queue: String,
    /// Waiting to be taken.
    pub ready: u64,
    /// Taken and not yet acknowledged, released or expired.
    pub leased: u64,
}

impl QueueStats {
    /// The stats of `queue` in `stats`; zeros when it is not listed.
    pub fn find(stats: &[QueueStats], queue: &str) -> QueueStats {
        stats
            .iter()
            .find(|s| s.queue == queue)
            .cloned()
            .unwrap_or_else(|| QueueStats {
                queue: queue.to_owned(),
                ready: 0,
                leased: 0,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_defaults_to_priority_zero() {
        let m = Message::new("default", &b"x"[..]);
        assert_eq!(m.priority, 0);
        assert_eq!(m.key, None);
        let m = m.with_priority(-3).with_key("run-1/extract");
        assert_eq!(m.priority, -3);
        assert_eq!(m.key.as_deref(), Some("run-1/extract"));
    }

    #[test]
    fn delivery_id_serializes_as_its_text() {
        let id = DeliveryId::new("7.2");
        assert_eq!(serde_json::to_string(&id).ok().as_deref(), Some("\"7.2\""));
        assert_eq!(id.to_string(), "7.2");
        assert_eq!(id.as_str(), "7.2");
    }

    #[test]
    fn find_reports_zeros_for_an_unlisted_queue() {
        let a = QueueStats {
            queue: "a".into(),
            ready: 2,
            leased: 1,
        };
        let stats = vec![a.clone()];
        assert_eq!(QueueStats::find(&stats, "a"), a);
        let b = QueueStats::find(&stats, "b");
        assert_eq!((b.queue.as_str(), b.ready, b.leased), ("b", 0, 0));
    }
}
