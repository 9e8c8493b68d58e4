//! Trigger rules: when a task may run, given the states of its direct upstream tasks.
//!
//! [`evaluate`] follows Airflow's `TriggerRuleDep` (with `flag_upstream_failed`, as the
//! scheduler uses it) for tasks that are not mapped:
//!
//! | rule | runs when | skipped when | upstream_failed when |
//! |---|---|---|---|
//! | `all_success` | all succeeded | any skipped (early) | any failed/upstream_failed (early) |
//! | `all_failed` | all failed/upstream_failed | any succeeded or skipped (early) | never |
//! | `all_done` | all finished | never | never |
//! | `one_success` | one succeeded (early) | all finished and all skipped | all finished, none succeeded |
//! | `one_failed` | one failed/upstream_failed (early) | all finished, none failed | never |
//! | `one_done` | one succeeded or failed (early) | all finished, none succeeded or failed | never |
//! | `none_failed` | all succeeded or skipped | never | any failed/upstream_failed (early) |
//! | `none_failed_min_one_success` | all succeeded or skipped | all skipped | any failed/upstream_failed (early) |
//! | `none_skipped` | all finished, none skipped | any skipped (early) | never |
//! | `always` | at once, whatever the upstream states | never | never |
//! | `all_skipped` | all skipped | any succeeded or failed (early) | never |
//!
//! "Early" means without waiting for the other upstream tasks to finish. Upstream tasks in
//! state `removed` count as finished but as neither success, failure nor skip: a rule that
//! needs every upstream to succeed (or fail) then waits, as in Airflow.

use crate::names::named_enum;
use crate::state::TaskState;

named_enum! {
    /// When a task may run, given the final states of its direct upstream tasks (Airflow's
    /// trigger rules, same names and meaning).
    #[derive(Default)]
    pub enum TriggerRule ("trigger rule") {
        /// Every upstream succeeded (the default).
        #[default]
        AllSuccess => "all_success",
        /// Every upstream failed or was upstream-failed.
        AllFailed => "all_failed",
        /// Every upstream finished, whatever its state.
        AllDone => "all_done",
        /// At least one upstream succeeded; does not wait for the others.
        OneSuccess => "one_success",
        /// At least one upstream failed or was upstream-failed; does not wait for the others.
        OneFailed => "one_failed",
        /// At least one upstream succeeded or failed; does not wait for the others.
        OneDone => "one_done",
        /// No upstream failed or was upstream-failed (skipped ones are fine).
        NoneFailed => "none_failed",
        /// No upstream failed or was upstream-failed, and at least one succeeded.
        NoneFailedMinOneSuccess => "none_failed_min_one_success",
        /// No upstream was skipped.
        NoneSkipped => "none_skipped",
        /// Run at once, whatever the upstream states.
        Always => "always",
        /// Every upstream was skipped.
        AllSkipped => "all_skipped",
    }
}

/// Counts of a task's direct upstream task instances by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpstreamSummary {
    /// Number of direct upstream tasks.
    pub total: usize,
    /// How many succeeded.
    pub success: usize,
    /// How many were skipped.
    pub skipped: usize,
    /// How many failed.
    pub failed: usize,
    /// How many were upstream-failed.
    pub upstream_failed: usize,
    /// How many were removed.
    pub removed: usize,
    /// How many finished, in any of the five states above.
    pub done: usize,
}

impl UpstreamSummary {
    /// Counts the given states of a task's direct upstream task instances.
    pub fn from_states(states: impl IntoIterator<Item = TaskState>) -> Self {
        let mut s = Self::default();
        for state in states {
            s.total += 1;
            match state {
                TaskState::Success => s.success += 1,
                TaskState::Skipped => s.skipped += 1,
                TaskState::Failed => s.failed += 1,
                TaskState::UpstreamFailed => s.upstream_failed += 1,
                TaskState::Removed => s.removed += 1,
                _ => {}
            }
            if state.is_finished() {
                s.done += 1;
            }
        }
        s
    }

    /// Whether every upstream task instance has finished.
    pub const fn all_done(&self) -> bool {
        self.done >= self.total
    }
}

impl FromIterator<TaskState> for UpstreamSummary {
    fn from_iter<I: IntoIterator<Item = TaskState>>(iter: I) -> Self {
        Self::from_states(iter)
    }
}

/// What a task instance whose upstream tasks are summed up should do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Readiness {
    /// Not decided yet: wait for more upstream tasks to finish.
    Wait,
    /// The trigger rule is met: the task may run.
    Run,
    /// The task will not run: mark it `skipped`.
    Skip,
    /// The task will not run because of upstream failures: mark it `upstream_failed`.
    UpstreamFailed,
}

/// Decides what a task with trigger rule `rule` should do, given its direct upstream tasks'
/// states. A task without upstream tasks always runs. See the module docs for the table.
pub fn evaluate(rule: TriggerRule, up: &UpstreamSummary) -> Readiness {
    use Readiness::{Run, Skip, UpstreamFailed};
    use TriggerRule as R;

    if up.total == 0 {
        return Run;
    }
    let all_done = up.all_done();
    let failures = up.failed + up.upstream_failed;
    // The order of checks matters: a verdict of skip or upstream_failed comes first, as
    // Airflow sets the new state before it checks whether the rule is met.
    match rule {
        R::Always => Run,
        R::AllSuccess if failures > 0 => UpstreamFailed,
        R::AllSuccess if up.skipped > 0 => Skip,
        R::AllSuccess => ready(up.success >= up.total),
        R::AllFailed if up.success > 0 || up.skipped > 0 => Skip,
        R::AllFailed => ready(failures >= up.total),
        R::AllDone => ready(all_done),
        R::OneSuccess if all_done && up.done == up.skipped => Skip,
        R::OneSuccess if all_done && up.success == 0 => UpstreamFailed,
        R::OneSuccess => ready(up.success > 0),
        R::OneFailed if all_done && failures == 0 => Skip,
        R::OneFailed => ready(failures > 0),
        R::OneDone if all_done && up.success + up.failed == 0 => Skip,
        R::OneDone => ready(up.success + up.failed > 0),
        R::NoneFailed if failures > 0 => UpstreamFailed,
        R::NoneFailed => ready(up.success + up.skipped >= up.total),
        R::NoneFailedMinOneSuccess if failures > 0 => UpstreamFailed,
        R::NoneFailedMinOneSuccess if up.skipped >= up.total => Skip,
        R::NoneFailedMinOneSuccess => ready(up.success + up.skipped >= up.total),
        R::NoneSkipped if up.skipped > 0 => Skip,
        R::NoneSkipped => ready(all_done),
        R::AllSkipped if up.success + failures > 0 => Skip,
        R::AllSkipped => ready(up.skipped >= up.total),
    }
}

const fn ready(met: bool) -> Readiness {
    if met { Readiness::Run } else { Readiness::Wait }
}

#[cfg(test)]
mod tests;
