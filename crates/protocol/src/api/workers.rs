//! The JSON bodies of the worker listing.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Whether a worker is at work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WorkerStatus {
    /// It heartbeated recently.
    Alive,
    /// It has not heartbeated for longer than the server allows; it may have died.
    Dead,
    /// It said it stopped.
    Stopped,
}

/// A worker as monitoring shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkerView {
    /// Unique id of the worker process.
    pub worker_id: String,
    /// Host name of its machine.
    pub hostname: String,
    /// Queues it takes tasks from.
    pub queues: Vec<String>,
    /// Most attempts it runs at once.
    pub concurrency: u32,
    /// Attempts it was running at its last heartbeat.
    pub running: u32,
    /// Attempts it had run to an end at its last heartbeat, since it started.
    pub finished: u64,
    /// Of those, the attempts that failed (whether a retry followed or not).
    pub failed: u64,
    /// Its machine's architecture.
    pub arch: String,
    /// Its labels: the tasks that ask for them may run on it.
    pub labels: Vec<String>,
    /// Weft version it runs.
    pub version: String,
    /// When the process started.
    pub started_at: Timestamp,
    /// Its last heartbeat, by the server's clock.
    pub last_heartbeat: Timestamp,
    /// When it stopped, if it said so.
    pub stopped_at: Option<Timestamp>,
    /// The tenants whose tasks it runs; absent: every tenant's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenants: Option<Vec<String>>,
    /// Alive, dead or stopped.
    pub status: WorkerStatus,
    /// Seconds since its last heartbeat, to the millisecond.
    pub seconds_since_heartbeat: f64,
}

/// The workers that serve the caller's tenant (every worker, for the installation administrator).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkerList {
    /// By id.
    pub workers: Vec<WorkerView>,
}
