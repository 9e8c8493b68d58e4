//! Catching up with what happened behind the scheduler's back: runs and DAG changes it was
//! not told about (a notice lost on the way), and a queue that lost its messages (a Redis
//! server restarted without persistence). Both run on timers; the store stays the truth.

use weft_model::{DagRunState, TaskState};
use weft_store::{RunFilter, RunPk};

use crate::error::SchedulerError;
use crate::step::Scheduler;

/// Most active runs looked at per state and tenant in one resync.
const RESYNC_LIMIT: u32 = 100_000;

/// The queue's generation as last seen: a queue that comes back with another one lost its
/// contents (see [`Queue::generation`](weft_queue::Queue::generation)).
#[derive(Debug, Default)]
pub(crate) struct QueueWatch {
    seen: Option<String>,
}

impl QueueWatch {
    /// The scheduler starts (and queues every queued attempt again): whatever the queue held
    /// before, `generation` is the one to compare with.
    pub(crate) fn start(&mut self, generation: Option<String>) {
        self.seen = generation;
    }

    /// Note the queue's `generation` now; whether it differs from the one seen before
    /// (the queue lost its contents since).
    fn changed(&mut self, generation: String) -> bool {
        let lost = self.seen.as_ref().is_some_and(|seen| *seen != generation);
        self.seen = Some(generation);
        lost
    }
}

impl Scheduler {
    /// Load DAG records again; the queued and running runs the scheduler neither holds nor
    /// has been reading since the last resync, to be read away from the loop (a big run just
    /// created can take 100 ms to read, which the loop would spend holding every other run's
    /// step back).
    pub(crate) async fn resync(&mut self) -> Result<Vec<RunPk>, SchedulerError> {
        self.load_dags().await?;
        let tenants = self.dags.tenants();
        let mut missing = Vec::new();
        for tenant in tenants {
            for state in [DagRunState::Queued, DagRunState::Running] {
                let filter = RunFilter {
                    dag_id: None,
                    state: Some(state),
                    limit: Some(RESYNC_LIMIT),
                };
                for run in self.store.runs(&tenant, &filter).await? {
                    if !self.runs.contains(run.id) && !self.reads.awaits_since_resync(run.id) {
                        missing.push(run.id);
                    }
                }
            }
        }
        self.reads.resynced();
        for &run in &missing {
            tracing::info!(run, "found an active run the scheduler was not told about");
        }
        Ok(missing)
    }

    /// Ask the queue whether it still holds what it was given; if it lost its contents, put
    /// every queued attempt on it again (each under a new lease). A queue that cannot be
    /// reached is left for the next check.
    pub(crate) async fn check_queue(&mut self) -> Result<(), SchedulerError> {
        let generation = match self.queue.generation().await {
            Ok(generation) => generation,
            Err(e) => {
                tracing::warn!(error = %e, "cannot ask the queue for its generation");
                return Ok(());
            }
        };
        if self.queue_watch.changed(generation) {
            let now = self.clock.now();
            let mut requeued = 0usize;
            for active in self.runs.values() {
                for ti in active.tis.iter().filter(|ti| ti.state == TaskState::Queued) {
                    self.outbox.requeue(ti.id, ti.lease, ti.try_number, now);
                    requeued += 1;
                }
            }
            tracing::warn!(
                requeued,
                "the queue lost its contents; queued attempts are queued again"
            );
        }
        Ok(())
    }
}
