//! Run completion: a running run whose task instances have all finished gets its final
//! state (from its leaves, as in Airflow), and one that can make no more progress fails;
//! either way it leaves memory.

use jiff::Timestamp;
use weft_model::DagRunState;

use crate::active_run::{ActiveRun, BIG_RUN};
use crate::notify;
use crate::step::Scheduler;

/// Why a deadlocked run failed, as its notifications say.
const DEADLOCKED: &str = "no task can make progress";

/// Free a run that left memory (one that ended, or a stale build): a big one on a blocking
/// thread. Freeing 10,000 task instances (their
/// strings, their outputs) takes milliseconds, which the step would spend before its write,
/// holding up every other run's tasks that the step queues.
pub(crate) fn drop_away(active: ActiveRun) {
    if active.tis.len() >= BIG_RUN && tokio::runtime::Handle::try_current().is_ok() {
        tokio::task::spawn_blocking(move || drop(active));
    }
}

impl Scheduler {
    /// Finish runs whose tasks are all done, and fail deadlocked ones.
    pub(crate) fn complete_runs(&mut self, now: Timestamp) {
        let mut done = Vec::new();
        // Runs of a batch in flight's tenants are left to the step after it lands.
        let apart = self.flight.as_ref().map(|f| f.tenants());
        for (id, active) in self.runs.iter() {
            if active.run.state != DagRunState::Running
                || apart.is_some_and(|a| a.contains(&active.run.tenant))
            {
                continue;
            }
            let (state, error) = match active.final_state() {
                Some(state) => (state, None),
                None if active.deadlocked() => {
                    tracing::warn!(run = %active.run.run_id, dag = %active.run.dag_id, "no task can make progress; failing the run");
                    (DagRunState::Failed, Some(DEADLOCKED))
                }
                None => continue,
            };
            done.push((id, state, error));
        }
        for (id, state, error) in done {
            self.outbox.set_run(id, state, now);
            if let Some(active) = self.runs.get(id) {
                let notifications = notify::of_run_end(&active.dag, &active.run, state, now, error);
                self.outbox.notify(notifications);
            }
            if let Some(active) = self.remove_run(id) {
                self.deferrals.run_ended(&active.run, state);
                tracing::info!(run = %active.run.run_id, dag = %active.run.dag_id, state = state.as_str(), "run finished");
                drop_away(active);
            }
        }
    }
}
