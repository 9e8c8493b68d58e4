//! Trigger rules: when a task may run, given its upstream tasks' final states.

use crate::bindings::weft::dag::types as wit;

/// When a task may run, given the final states of its direct upstream tasks (Airflow's trigger
/// rules, with the same meaning).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum TriggerRule {
    /// Every upstream succeeded (the default).
    #[default]
    AllSuccess,
    /// Every upstream failed or was upstream-failed.
    AllFailed,
    /// Every upstream finished, whatever its state.
    AllDone,
    /// At least one upstream succeeded; does not wait for the others.
    OneSuccess,
    /// At least one upstream failed; does not wait for the others.
    OneFailed,
    /// At least one upstream succeeded or failed; does not wait for the others.
    OneDone,
    /// No upstream failed or was upstream-failed (skipped ones are fine).
    NoneFailed,
    /// No upstream failed or was upstream-failed, and at least one succeeded.
    NoneFailedMinOneSuccess,
    /// No upstream was skipped.
    NoneSkipped,
    /// Run regardless of upstream states.
    Always,
    /// Every upstream was skipped.
    AllSkipped,
}

impl TriggerRule {
    pub(crate) fn to_wit(self) -> wit::TriggerRule {
        match self {
            TriggerRule::AllSuccess => wit::TriggerRule::AllSuccess,
            TriggerRule::AllFailed => wit::TriggerRule::AllFailed,
            TriggerRule::AllDone => wit::TriggerRule::AllDone,
            TriggerRule::OneSuccess => wit::TriggerRule::OneSuccess,
            TriggerRule::OneFailed => wit::TriggerRule::OneFailed,
            TriggerRule::OneDone => wit::TriggerRule::OneDone,
            TriggerRule::NoneFailed => wit::TriggerRule::NoneFailed,
            TriggerRule::NoneFailedMinOneSuccess => wit::TriggerRule::NoneFailedMinOneSuccess,
            TriggerRule::NoneSkipped => wit::TriggerRule::NoneSkipped,
            TriggerRule::Always => wit::TriggerRule::Always,
            TriggerRule::AllSkipped => wit::TriggerRule::AllSkipped,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_rules_map_one_to_one() {
        use wit::TriggerRule as W;
        let pairs = [
            (TriggerRule::AllSuccess, W::AllSuccess),
            (TriggerRule::AllFailed, W::AllFailed),
            (TriggerRule::AllDone, W::AllDone),
            (TriggerRule::OneSuccess, W::OneSuccess),
            (TriggerRule::OneFailed, W::OneFailed),
            (TriggerRule::OneDone, W::OneDone),
            (TriggerRule::NoneFailed, W::NoneFailed),
            (
                TriggerRule::NoneFailedMinOneSuccess,
                W::NoneFailedMinOneSuccess,
            ),
            (TriggerRule::NoneSkipped, W::NoneSkipped),
            (TriggerRule::Always, W::Always),
            (TriggerRule::AllSkipped, W::AllSkipped),
        ];
        for (ours, theirs) in pairs {
            assert_eq!(ours.to_wit(), theirs, "{ours:?}");
        }
        assert_eq!(TriggerRule::default(), TriggerRule::AllSuccess);
    }
}
