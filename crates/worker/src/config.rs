//! Worker settings.

use std::time::Duration;

use weft_runtime::Limits;

/// Deliveries held beyond the running ones, per slot, unless set otherwise.
pub const DEFAULT_PREFETCH_PER_SLOT: usize = 4;
/// How long a prefetched delivery may wait for a slot, unless set otherwise.
pub const DEFAULT_PREFETCH_HOLD: Duration = Duration::from_secs(2);

/// How a worker runs.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Unique id of this worker process.
    pub worker_id: String,
    /// Host name of its machine.
    pub hostname: String,
    /// Queues it takes tasks from.
    pub queues: Vec<String>,
    /// Its labels (`gpu`, `ssd`): besides the tasks that ask for nothing, it takes those that
    /// ask for some of them, its architecture, or both (see [`weft_model::placement`]).
    pub labels: Vec<String>,
    /// The architecture whose tasks it takes when they ask for one: its own, unless it takes
    /// from a queue that carries every task (`None`: it takes none that asks).
    pub arch: Option<String>,
    /// The tenants whose tasks it runs; `None`: every tenant's. Each tenant's queues are its
    /// own (see [`take_queues`](WorkerConfig::take_queues)), so a worker given a Redis user
    /// limited to its tenants' keys can touch no other tenant's tasks.
    pub tenants: Option<Vec<String>>,
    /// Most attempts it runs at once.
    pub concurrency: usize,
    /// Deliveries it may hold beyond those running, so that a slot that frees starts its
    /// next attempt without a round trip to the queue; `None`:
    /// [`DEFAULT_PREFETCH_PER_SLOT`] per slot. A delivery held longer than
    /// [`prefetch_hold`](WorkerConfig::prefetch_hold) goes back to the queue for other
    /// workers. `Some(0)` takes only what free slots can run at once.
    pub prefetch: Option<usize>,
    /// Longest a prefetched delivery waits for a slot before it is handed back.
    pub prefetch_hold: Duration,
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

    /// The queue names it takes from: each of its queues, under each requirement of labels
    /// and architecture it meets, in each of its tenants, or in every tenant when it serves
    /// all of them.
    pub fn take_queues(&self) -> Vec<String> {
        let served: Vec<String> = self
            .queues
            .iter()
            .flat_map(|queue| {
                weft_model::placement::served_queues(queue, &self.labels, self.arch.as_deref())
            })
            .collect();
        match &self.tenants {
            None => served
                .iter()
                .map(|queue| weft_queue::scope::every_scope(queue))
                .collect(),
            Some(tenants) => tenants
                .iter()
                .flat_map(|tenant| {
                    served
                        .iter()
                        .map(move |queue| weft_queue::scope::scoped(tenant, queue))
                })
                .collect(),
        }
    }

    /// Deliveries held beyond the running ones (see [`prefetch`](WorkerConfig::prefetch)).
    pub fn prefetch(&self) -> usize {
        self.prefetch.unwrap_or_else(|| {
            self.concurrency
                .max(1)
                .saturating_mul(DEFAULT_PREFETCH_PER_SLOT)
        })
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
            labels: Vec::new(),
            arch: Some(std::env::consts::ARCH.to_owned()),
            tenants: None,
            concurrency: std::thread::available_parallelism().map_or(2, |n| n.get()),
            prefetch: None,
            prefetch_hold: DEFAULT_PREFETCH_HOLD,
            lease: Duration::from_secs(30),
            grace: Duration::from_secs(30),
            limits: Limits::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worker_takes_from_its_queues_under_every_requirement_it_meets() {
        let arch = std::env::consts::ARCH;
        let mut config = WorkerConfig::new("w", "h", vec!["default".into(), "etl".into()]);
        assert_eq!(
            config.take_queues(),
            [
                "*/default".to_owned(),
                format!("*/default@arch={arch}"),
                "*/etl".to_owned(),
                format!("*/etl@arch={arch}"),
            ]
        );
        config.labels = vec!["gpu".into()];
        config.tenants = Some(vec!["a".into()]);
        assert_eq!(
            config.take_queues(),
            [
                "a/default".to_owned(),
                "a/default@gpu".to_owned(),
                format!("a/default@arch={arch}"),
                format!("a/default@arch={arch}+gpu"),
                "a/etl".to_owned(),
                "a/etl@gpu".to_owned(),
                format!("a/etl@arch={arch}"),
                format!("a/etl@arch={arch}+gpu"),
            ]
        );
    }
}
