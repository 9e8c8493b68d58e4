//! States of task instances and DAG runs, and how a run's final state follows from its tasks'.

use jiff::Timestamp;

use crate::names::named_enum;

/// `members(class)`: which of a state enum's `ALL` are in `class` (of type `$class`), by
/// position; for the SQL and UI lists built from the class tables at compile time.
macro_rules! members_fn {
    ($class:ty) => {
        /// Which of [`ALL`](Self::ALL) are in `class`, by position.
        pub const fn members(class: $class) -> [bool; Self::ALL.len()] {
            let mut members = [false; Self::ALL.len()];
            let mut i = 0;
            while i < Self::ALL.len() {
                members[i] = Self::ALL[i].is(class);
                i += 1;
            }
            members
        }
    };
}

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

named_enum! {
    /// A group of task states that the scheduler, the store's queries, the quotas and the UI
    /// treat alike. Which states are in which group is said once, in [`TaskState::classes`];
    /// the SQL lists of states, the UI's lists and its colours by group are made from it.
    pub enum TaskStateClass ("task state class") {
        /// Final: the task instance changes again only when it is cleared or marked.
        Finished => "finished",
        /// Taken up by the scheduler and not finished: it may still change by itself (the
        /// partial index `task_instances_active` of the migrations holds these states).
        Active => "active",
        /// Sent to a worker: an attempt holds its lease, and only that attempt's reports count.
        InFlight => "in_flight",
        /// Uses its pool: holds one of the pool's slots (in flight) or waits for one.
        InPool => "in_pool",
        /// Not started yet, in a queued or running run: counted against the tenant's
        /// `max_queued_tasks`.
        Backlog => "backlog",
    }
}

impl TaskState {
    /// The classes the state is in: the one table of them. A new state gets its row here
    /// (the match makes the compiler ask), and every list of states by class follows.
    pub const fn classes(self) -> &'static [TaskStateClass] {
        use TaskStateClass::{Active, Backlog, Finished, InFlight, InPool};
        match self {
            Self::None => &[Backlog],
            Self::Scheduled => &[Active, InPool, Backlog],
            Self::Queued => &[Active, InFlight, InPool, Backlog],
            Self::Running => &[Active, InFlight, InPool],
            Self::UpForRetry | Self::UpForReschedule => &[Active, Backlog],
            Self::Deferred => &[Active],
            Self::Success | Self::Failed | Self::UpstreamFailed | Self::Skipped | Self::Removed => {
                &[Finished]
            }
        }
    }

    /// Whether the state is in `class`.
    pub const fn is(self, class: TaskStateClass) -> bool {
        let classes = self.classes();
        let mut i = 0;
        while i < classes.len() {
            if classes[i] as u8 == class as u8 {
                return true;
            }
            i += 1;
        }
        false
    }

    /// Whether the state is final: success, failed, upstream_failed, skipped or removed.
    pub const fn is_finished(self) -> bool {
        self.is(TaskStateClass::Finished)
    }

    members_fn!(TaskStateClass);
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

named_enum! {
    /// A group of DAG run states treated alike, as [`TaskStateClass`] is for task states; said
    /// once, in [`DagRunState::class`].
    pub enum RunStateClass ("DAG run state class") {
        /// Final: the run's tasks are not scheduled any more.
        Finished => "finished",
        /// Waiting for its turn or running: the scheduler keeps it in memory.
        Active => "active",
    }
}

impl DagRunState {
    /// The class the state is in: the one table of them.
    pub const fn class(self) -> RunStateClass {
        match self {
            Self::Queued | Self::Running => RunStateClass::Active,
            Self::Success | Self::Failed => RunStateClass::Finished,
        }
    }

    /// Whether the state is in `class`.
    pub const fn is(self, class: RunStateClass) -> bool {
        self.class() as u8 == class as u8
    }

    /// Whether the state is final (success or failed).
    pub const fn is_finished(self) -> bool {
        self.is(RunStateClass::Finished)
    }

    members_fn!(RunStateClass);
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
        let members = TaskState::members(TaskStateClass::Finished);
        let by_members: Vec<_> = TaskState::ALL
            .iter()
            .zip(members)
            .filter(|(_, m)| *m)
            .map(|(s, _)| s)
            .collect();
        assert_eq!(by_members, finished);
        assert!(DagRunState::Failed.is_finished());
        assert!(!DagRunState::Queued.is_finished());
    }

    #[test]
    fn classes_of_states() {
        let of = |class| -> Vec<&str> {
            TaskState::ALL
                .iter()
                .filter(|s| s.is(class))
                .map(|s| s.as_str())
                .collect()
        };
        assert_eq!(of(TaskStateClass::InFlight), ["queued", "running"]);
        assert_eq!(
            of(TaskStateClass::InPool),
            ["scheduled", "queued", "running"]
        );
        assert_eq!(
            of(TaskStateClass::Backlog),
            [
                "none",
                "scheduled",
                "queued",
                "up_for_retry",
                "up_for_reschedule"
            ]
        );
        // Active is every state taken up and not finished.
        for &s in TaskState::ALL {
            assert_eq!(
                s.is(TaskStateClass::Active),
                s != S::None && !s.is_finished(),
                "{s}"
            );
        }
        assert_eq!(
            DagRunState::members(RunStateClass::Active),
            [true, true, false, false]
        );
        assert!(DagRunState::Success.is(RunStateClass::Finished));
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
