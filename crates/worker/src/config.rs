//! Worker settings.

use std::time::Duration;

use weft_runtime::Limits;

/// How a worker runs.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Unique id of this worker process.
    pub worker_id: String,
    /// Host name of its machine.
    pub hostname: String,
    /// Queues it takes tasks from.
    pub queues: Vec<String>,
    /// Most attempts it runs at once.
    pub concurrency: usize,
    /// Lease of a delivery and of a running attempt; heartbeats extend it. A worker that
    /// dies loses its attempts once this passes.
    pub lease: Duration,
    /// How long running attempts may take to finish after shutdown begins.
    pub grace: Duration,
    /// Limits of attempts, before each task's own settings.
    pub limits: Limits,
}

impl WorkerConfig {
    /// The lease asked of the queue for a delivery: twice the attempt's lease, so that when a
    /// worker dies the scheduler sees the attempt's lease run out, and queues the next
    /// attempt (whose message replaces the old one), before the queue would deliver the old
    /// message again.
    pub fn delivery_lease(&self) -> Duration {
        self.lease.saturating_mul(2)
    }

    /// A worker on `queues` with the given id and host name, and default settings.
    pub fn new(
        worker_id: impl Into<String>,
        hostname: impl Into<String>,
        queues: Vec<String>,
    ) -> WorkerConfig {
        WorkerConfig {
            worker_id: worker_id.into(),
            hostname: hostname.into(),
            queues,
            concurrency: std::thread::available_parallelism().map_or(2, |n| n.get()),
            lease: Duration::from_secs(30),
            grace: Duration::from_secs(30),
            limits: Limits::default(),
        }
    }
}
