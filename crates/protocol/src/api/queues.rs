//! The JSON bodies of the queue listing.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// One queue's depth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueView {
    /// The queue.
    pub queue: String,
    /// Task instances sent to it and not yet started by a worker.
    pub queued: u64,
    /// Task instances from it running on a worker.
    pub running: u64,
    /// When the longest-waiting queued task instance was queued.
    pub oldest_queued_at: Option<Timestamp>,
    /// How long it has waited, in seconds to the millisecond.
    pub oldest_age_seconds: Option<f64>,
}

/// The queues with work in them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueList {
    /// By name; a queue with nothing queued or running is not listed.
    pub queues: Vec<QueueView>,
}
