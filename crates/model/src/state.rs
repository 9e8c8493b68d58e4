//! States of task instances and DAG runs, and how a run's final state follows from its tasks'.

use jiff::Timestamp;

use crate::names::named_enum;

named_enum! {
    /// The state of one task instance (a task in one DAG run), as in Airflow.
    #[derive(Default)]
    pub enum TaskState ("task state") {
        /// Created, not yet considered by the scheduler (the default).
        #[default]
        None => "none",
        /// Its upstream tasks allow it to run; waiting for a slot.
        Scheduled => "scheduled",
        /// Sent to a queue; waiting for a worker.
        Queued => "queued",
        /// A worker is running an attempt.
        Running => "running",
        /// An attempt succeeded.
        Success => "success",
        /// The last allowed attempt failed.
        Failed => "failed",
        /// An attempt failed and another is allowed after the retry delay.
        UpForRetry => "up_for_retry",
        /// Will not run because upstream tasks failed.
        UpstreamFailed => "upstream_failed",
        /// Will not run: skipped by its trigger rule or by the task itself.
        Skipped => "skipped",
        /// The task no longer exists in the DAG.
        Removed => "removed",
        /// A sensor poked and was not satisfied: it gave its slot back and pokes again at its
        /// reschedule time.
        UpForReschedule => "up_for_reschedule",
        /// Waiting, without a slot, for an event the scheduler watches (a time, another run).
        Deferred => "deferred",
    }
}

impl TaskState {
    /// Whether the state is final: success, failed, upstream_failed, skipped or removed.
    pub const fn is_finished(self) -> bool {
        matches!(
            self,
            Self::Success | Self::Failed | Self::UpstreamFailed | Self::Skipped | Self::Removed
        )
    }
}

named_enum! {
    /// The state of a DAG run.
    pub enum DagRunState ("DAG run state") {
        /// Created; waiting for the DAG's `max_active_runs` to allow it.
        Queued => "queued",
        /// Its tasks are being scheduled and run.
        Running => "running",
        /// Every leaf task succeeded or was skipped.
        Success => "success",
        /// A leaf task failed or was upstream-failed, or the run could not go on.
        Failed => "failed",
    }
}

impl DagRunState {
    /// Whether the state is final (success or failed).
    pub const fn is_finished(self) -> bool {
        matches!(self, Self::Success | Self::Failed)
    }
}

named_enum! {
    /// Why a DAG run exists.
    pub enum RunType ("run type") {
        /// Triggered by hand (or through the API).
        Manual => "manual",
        /// Created by the scheduler for a data interval of the DAG's schedule.
        Scheduled => "scheduled",
        /// Created by a backfill over a range of logical dates.
        Backfill => "backfill",
        /// Created by the scheduler when the assets a DAG waits for were all updated.
        AssetTriggered => "asset_triggered",
    }
}

impl RunType {
    /// Airflow's run id for a run of this type at `logical_date`,
    /// e.g. `scheduled__2024-01-01T00:00:00+00:00`.
    pub fn run_id(self, logical_date: Timestamp) -> String {
        // Microseconds appear when there are any, as in Airflow's isoformat().
        let t = if logical_date.subsec_microsecond() == 0 {
            logical_date.strftime("%Y-%m-%dT%H:%M:%S%:z")
        } else {
            logical_date.strftime("%Y-%m-%dT%H:%M:%S%.6f%:z")
        };
        format!("{}__{t}", self.as_str())
    }
}

/// The final state of a DAG run given each task instance's state and whether its task is a
/// leaf (has no downstream tasks), decided as Airflow's `DagRun.update_state` does:
///
/// - any task instance not finished: `None` (the run goes on);
/// - else any leaf `failed` or `upstream_failed`: `Failed`;
/// - else (every leaf `success` or `skipped`): `Success`.
///
/// Tasks in state `removed` are left out, as Airflow leaves out task instances whose task is
/// gone. A run whose unfinished tasks can never become ready (a deadlock) is not detected
/// here: that needs the trigger rules, see [`evaluate`](crate::evaluate).
pub fn run_state(tasks: impl IntoIterator<Item = (TaskState, bool)>) -> Option<DagRunState> {
    let mut leaf_failed = false;
    for (state, is_leaf) in tasks {
        if state == TaskState::Removed {
            continue;
        }
        if !state.is_finished() {
            return None;
        }
        if is_leaf && matches!(state, TaskState::Failed | TaskState::UpstreamFailed) {
            leaf_failed = true;
        }
    }
    Some(if leaf_failed {
        DagRunState::Failed
    } else {
        DagRunState::Success
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use TaskState as S;

    #[test]
    fn names_round_trip_and_match_serde() {
        for &s in TaskState::ALL {
            assert_eq!(s.as_str().parse::<TaskState>(), Ok(s));
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::json!(s.as_str())
            );
            assert_eq!(s.to_string(), s.as_str());
        }
        for &s in DagRunState::ALL {
            assert_eq!(s.as_str().parse::<DagRunState>(), Ok(s));
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::json!(s.as_str())
            );
        }
        for &s in RunType::ALL {
            assert_eq!(s.as_str().parse::<RunType>(), Ok(s));
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::json!(s.as_str())
            );
        }
        assert_eq!(
            serde_json::from_str::<TaskState>("\"up_for_retry\"").unwrap(),
            S::UpForRetry
        );
    }

    #[test]
    fn unknown_names_are_errors_that_list_the_choices() {
        let err = "done".parse::<TaskState>().unwrap_err();
        assert_eq!(err.value, "done");
        let msg = err.to_string();
        assert!(msg.starts_with("unknown task state \"done\""), "{msg}");
        assert!(msg.contains("up_for_retry"), "{msg}");
        assert!("Success".parse::<TaskState>().is_err());
        assert!("".parse::<DagRunState>().is_err());
        assert!("cron".parse::<RunType>().is_err());
    }

    #[test]
    fn finished_states() {
        let finished: Vec<_> = TaskState::ALL.iter().filter(|s| s.is_finished()).collect();
        assert_eq!(
            finished,
            [
                &S::Success,
                &S::Failed,
                &S::UpstreamFailed,
                &S::Skipped,
                &S::Removed
            ]
        );
        assert_eq!(TaskState::default(), S::None);
        assert!(DagRunState::Failed.is_finished());
        assert!(!DagRunState::Queued.is_finished());
    }

    #[test]
    fn run_state_waits_for_every_task() {
        assert_eq!(run_state([(S::Success, true), (S::Running, false)]), None);
        assert_eq!(run_state([(S::Failed, true), (S::UpForRetry, true)]), None);
        assert_eq!(run_state([(S::Success, false), (S::None, true)]), None);
        assert_eq!(run_state([(S::Scheduled, false), (S::Queued, true)]), None);
    }

    #[test]
    fn run_state_judges_leaves() {
        let ok = Some(DagRunState::Success);
        let failed = Some(DagRunState::Failed);
        assert_eq!(run_state([(S::Success, false), (S::Success, true)]), ok);
        assert_eq!(run_state([(S::Success, true), (S::Skipped, true)]), ok);
        assert_eq!(run_state([(S::Skipped, true)]), ok);
        // A failed task that is not a leaf does not fail the run when the leaves are fine.
        assert_eq!(run_state([(S::Failed, false), (S::Success, true)]), ok);
        assert_eq!(run_state([(S::Success, true), (S::Failed, true)]), failed);
        assert_eq!(
            run_state([(S::UpstreamFailed, true), (S::Success, true)]),
            failed
        );
        assert_eq!(
            run_state([(S::Failed, false), (S::UpstreamFailed, true)]),
            failed
        );
    }

    #[test]
    fn run_state_ignores_removed_tasks() {
        assert_eq!(
            run_state([(S::Removed, true), (S::Success, true)]),
            Some(DagRunState::Success)
        );
        assert_eq!(run_state([(S::Removed, true)]), Some(DagRunState::Success));
        assert_eq!(run_state(std::iter::empty()), Some(DagRunState::Success));
    }

    #[test]
    fn run_ids_follow_airflow() {
        let t: Timestamp = "2024-01-02T03:04:05Z".parse().unwrap();
        assert_eq!(
            RunType::Scheduled.run_id(t),
            "scheduled__2024-01-02T03:04:05+00:00"
        );
        assert_eq!(
            RunType::Manual.run_id(t),
            "manual__2024-01-02T03:04:05+00:00"
        );
        assert_eq!(
            RunType::Backfill.run_id(t),
            "backfill__2024-01-02T03:04:05+00:00"
        );
        let precise: Timestamp = "2024-01-02T03:04:05.000123Z".parse().unwrap();
        assert_eq!(
            RunType::Manual.run_id(precise),
            "manual__2024-01-02T03:04:05.000123+00:00"
        );
    }
}
