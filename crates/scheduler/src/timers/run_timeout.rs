//! DAG run timeouts (Airflow's `dagrun_timeout`). A running run whose DAG sets a timeout is
//! failed once that much time has passed since it started: its queued, running and
//! waiting-to-retry task instances fail, the ones that have not started are skipped, and the
//! run fails.
//!
//! Every task instance of a timed-out run has its lease bumped, so whatever an attempt in
//! flight reports later (start, heartbeat, result) is rejected by the store.
//!
//! Timeouts are a timer, not a poll: each step folds the earliest deadline of the running
//! runs into the scheduler's wake-up time.

use jiff::{SignedDuration, Timestamp};
use weft_model::{DagRunState, TaskState, TaskStateClass};
use weft_store::RunPk;

use crate::active_run::ActiveRun;
use crate::notify;
use crate::step::Scheduler;

impl Scheduler {
    /// Fail every running run whose deadline is at or before `now`, and wake the scheduler at
    /// the earliest deadline still ahead.
    pub(crate) fn fail_timed_out_runs(&mut self, now: Timestamp) {
        let mut due = Vec::new();
        let mut next: Option<Timestamp> = None;
        for (id, active) in self.runs.iter() {
            match deadline(active) {
                Some(at) if at <= now => due.push(id),
                Some(at) => next = Some(next.map_or(at, |n| n.min(at))),
                None => {}
            }
        }
        for id in due {
            self.fail_timed_out_run(id, now);
        }
        if let Some(at) = next {
            self.wake.no_later_than(at);
        }
    }

    /// Drop run `id` from memory, freeing its slots, and write its unfinished task instances'
    /// final states (fencing their attempts) and the run's failure.
    fn fail_timed_out_run(&mut self, id: RunPk, now: Timestamp) {
        let Some(active) = self.remove_run(id) else {
            return;
        };
        let started = active.run.started_at.map(|t| t.to_string());
        tracing::warn!(
            run = %active.run.run_id,
            dag = %active.run.dag_id,
            started = started.as_deref().unwrap_or("?"),
            "run exceeded its dagrun_timeout; failing it"
        );
        for ti in &active.tis {
            let Some(state) = timed_out_state(ti.state) else {
                continue;
            };
            if ti.state.is(TaskStateClass::InFlight) {
                self.admission.release(ti);
            }
            self.outbox.end_task_fenced(ti.id, state, now);
            self.deferrals.task_ended(&active.run, &ti.task_id, state);
        }
        self.outbox.set_run(id, DagRunState::Failed, now);
        self.deferrals.run_ended(&active.run, DagRunState::Failed);
        let notifications = notify::of_run_end(
            &active.dag,
            &active.run,
            DagRunState::Failed,
            now,
            Some("the run exceeded its dagrun_timeout"),
        );
        self.outbox.notify(notifications);
    }
}

/// When a running run times out: its start plus its DAG's run timeout. None when the run is
/// not running, its DAG sets no timeout, or the deadline lies past the end of time.
fn deadline(active: &ActiveRun) -> Option<Timestamp> {
    if active.run.state != DagRunState::Running {
        return None;
    }
    let timeout = SignedDuration::try_from(active.dag.dagrun_timeout()?).ok()?;
    active.run.started_at?.checked_add(timeout).ok()
}

/// The state a task instance of a timed-out run ends in; none when it has finished already.
fn timed_out_state(state: TaskState) -> Option<TaskState> {
    match state {
        TaskState::None | TaskState::Scheduled => Some(TaskState::Skipped),
        // An attempt in flight is cut off; one waiting to retry loses its retry, a sensor
        // waiting to poke again or deferred loses its wait.
        TaskState::Queued
        | TaskState::Running
        | TaskState::UpForRetry
        | TaskState::UpForReschedule
        | TaskState::Deferred => Some(TaskState::Failed),
        TaskState::Success
        | TaskState::Failed
        | TaskState::UpstreamFailed
        | TaskState::Skipped
        | TaskState::Removed => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfinished_states_end_as_airflow_ends_them() {
        assert_eq!(timed_out_state(TaskState::None), Some(TaskState::Skipped));
        assert_eq!(
            timed_out_state(TaskState::Scheduled),
            Some(TaskState::Skipped)
        );
        for state in [
            TaskState::Queued,
            TaskState::Running,
            TaskState::UpForRetry,
            TaskState::UpForReschedule,
            TaskState::Deferred,
        ] {
            assert_eq!(timed_out_state(state), Some(TaskState::Failed), "{state:?}");
        }
        for state in [
            TaskState::Success,
            TaskState::Failed,
            TaskState::UpstreamFailed,
            TaskState::Skipped,
            TaskState::Removed,
        ] {
            assert_eq!(timed_out_state(state), None, "{state:?}");
        }
    }
}
