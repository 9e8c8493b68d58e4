//! Starting a scheduler: load everything active from the store and reconcile it with what
//! may have happened while no scheduler ran — attempts that were queued are queued again,
//! and attempts that were running in this process count as lost.

use jiff::Timestamp;
use weft_model::TaskState;
use weft_store::RunPk;

use crate::error::SchedulerError;
use crate::retry;
use crate::step::Scheduler;

impl Scheduler {
    /// Load everything active from the store and reconcile it: attempts that were queued are
    /// queued again (under a new lease), and with `recover_running_on_start` attempts that
    /// were running are counted as lost and retried. Then the first step runs.
    pub async fn start(&mut self) -> Result<(), SchedulerError> {
        // Everything queued is queued again below: whatever the queue held before is moot.
        self.queue_watch.start(self.queue.generation().await.ok());
        self.load_dags().await?;
        let now = self.clock.now();
        for (run, tis) in self.store.active_runs().await? {
            let Some(active) = self.activate(run, tis).await? else {
                continue;
            };
            let id = self.insert_run(active);
            self.reconcile_restarted(id, now);
            // Tasks whose upstream is done (or that never started) become ready again.
            self.evaluate_run(id);
        }
        self.step(Vec::new()).await
    }

    /// After a restart: queue again what was queued, and count running attempts as lost when
    /// they ran in this process.
    fn reconcile_restarted(&mut self, run: RunPk, now: Timestamp) {
        let Some(active) = self.runs.get(run) else {
            return;
        };
        for (i, ti) in active.tis.iter().enumerate() {
            match ti.state {
                TaskState::Queued => self.outbox.requeue(ti.id, ti.lease, ti.try_number, now),
                // A mapped task's own task instance runs nothing: its instances do.
                TaskState::Running
                    if self.config.recover_running_on_start && ti.map_count.is_none() =>
                {
                    let task = active.task(i);
                    self.outbox
                        .finish(retry::lost_attempt(task, ti, &active.run, now));
                }
                _ => {}
            }
        }
    }
}
