//! A deferred task instance's wait as the scheduler holds it: the task's [`WaitCondition`]
//! made concrete for one run (times resolved, the awaited run named), whether the task runs
//! again when it ends, and what happened once it did.
//!
//! Stored as JSON with the task instance, so a scheduler that restarts (or a new leader)
//! picks every wait up where it was.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::orchestration::{ExternalWait, RunSelector, WaitCondition, WaitVerdict};
use crate::state::{DagRunState, TaskState};

/// A deferred task instance's wait.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deferral {
    /// What it waits for.
    pub wait: Awaited,
    /// Queue the task again when the wait ends, with [`event`](Deferral::event) in its
    /// context; when false, the wait's end decides the task's state.
    #[serde(default)]
    pub resume: bool,
    /// What happened, as JSON, once the wait ended and the task is to run again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
}

/// A wait made concrete for one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Awaited {
    /// This point in time.
    Until(Timestamp),
    /// A run of another DAG (or one of its tasks) ending.
    External(AwaitedExternal),
}

/// A wait on another DAG's run, with the run it means named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwaitedExternal {
    /// The wait as the DAG wrote it (allowed and failed states, the task).
    pub wait: ExternalWait,
    /// The run it means.
    pub run: AwaitedRun,
}

/// Which run an external wait means, for one waiting run.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AwaitedRun {
    /// The run with this run id.
    RunId(String),
    /// The run with this logical date.
    LogicalDate(Timestamp),
}

/// What ended a wait, as a task sees it in `task-context.event` and as a wait task's
/// output: JSON with a `kind`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum WaitEvent {
    /// The time came.
    Time {
        /// The time waited for.
        at: Timestamp,
    },
    /// The awaited run or task ended.
    External {
        /// Its DAG.
        dag_id: String,
        /// Its run.
        run_id: String,
        /// The task, for a wait on one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        task_id: Option<String>,
        /// The state it ended in.
        state: TaskState,
    },
}

impl WaitEvent {
    /// The event as JSON text.
    pub fn to_json(&self) -> String {
        // A plain enum of strings and timestamps always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// How a wait ended, for the scheduler to act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitEnd {
    /// The awaited event happened (a time came, an allowed state).
    Satisfied(WaitEvent),
    /// The awaited run or task ended in a failed state: the wait fails (or is skipped with
    /// `soft_fail`).
    Failed(WaitEvent),
}

impl WaitCondition {
    /// The wait made concrete for a run with `logical_date` and `data_interval_end`. An
    /// error says what is wrong (a time that does not parse).
    pub fn resolve(
        &self,
        logical_date: Timestamp,
        data_interval_end: Timestamp,
    ) -> Result<Awaited, String> {
        match self {
            WaitCondition::Until(text) => text
                .parse::<Timestamp>()
                .map(Awaited::Until)
                .map_err(|e| format!("wait until {text:?}: not an RFC 3339 time: {e}")),
            WaitCondition::AfterDataIntervalEndMs(ms) => {
                let delay = SignedDuration::from_millis(i64::try_from(*ms).unwrap_or(i64::MAX));
                Ok(Awaited::Until(
                    data_interval_end
                        .checked_add(delay)
                        .unwrap_or(Timestamp::MAX),
                ))
            }
            WaitCondition::External(wait) => {
                let run = match &wait.run {
                    RunSelector::RunId(id) => AwaitedRun::RunId(id.clone()),
                    RunSelector::LogicalDateOffsetMs(ms) => AwaitedRun::LogicalDate(
                        logical_date
                            .checked_add(SignedDuration::from_millis(*ms))
                            .map_err(|e| {
                                format!(
                                    "wait for DAG {:?}: logical date {logical_date} shifted by {ms} ms is out of range: {e}",
                                    wait.dag_id
                                )
                            })?,
                    ),
                };
                Ok(Awaited::External(AwaitedExternal {
                    wait: wait.clone(),
                    run,
                }))
            }
        }
    }
}

impl std::fmt::Display for Awaited {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Awaited::Until(at) => write!(f, "{at}"),
            Awaited::External(external) => {
                if let Some(task) = &external.wait.task_id {
                    write!(f, "task {task} of ")?;
                }
                write!(f, "DAG {} ", external.wait.dag_id)?;
                match &external.run {
                    AwaitedRun::RunId(id) => write!(f, "run {id}"),
                    AwaitedRun::LogicalDate(at) => write!(f, "run of logical date {at}"),
                }
            }
        }
    }
}

impl Awaited {
    /// When a time wait's time comes; none for an external wait.
    pub fn until(&self) -> Option<Timestamp> {
        match self {
            Awaited::Until(at) => Some(*at),
            Awaited::External(_) => None,
        }
    }

    /// How the wait ends at `now`, as far as time tells: a time wait whose time came.
    pub fn at_time(&self, now: Timestamp) -> Option<WaitEnd> {
        match self {
            Awaited::Until(at) if *at <= now => {
                Some(WaitEnd::Satisfied(WaitEvent::Time { at: *at }))
            }
            _ => None,
        }
    }
}

impl AwaitedExternal {
    /// How the wait ends when the awaited run `run_id` ended in `state` (a wait on the whole
    /// run); none when it waits for a task, or the state neither satisfies nor fails it.
    pub fn on_run_end(&self, run_id: &str, state: DagRunState) -> Option<WaitEnd> {
        if self.wait.task_id.is_some() {
            return None;
        }
        let state = match state {
            DagRunState::Success => TaskState::Success,
            DagRunState::Failed => TaskState::Failed,
            _ => return None,
        };
        self.end(run_id, None, state)
    }

    /// How the wait ends when task `task_id` of the awaited run `run_id` ended in `state`;
    /// none when it waits for another task or the whole run, or the state neither satisfies
    /// nor fails it.
    pub fn on_task_end(&self, run_id: &str, task_id: &str, state: TaskState) -> Option<WaitEnd> {
        if self.wait.task_id.as_deref() != Some(task_id) || !state.is_finished() {
            return None;
        }
        self.end(run_id, Some(task_id), state)
    }

    fn end(&self, run_id: &str, task_id: Option<&str>, state: TaskState) -> Option<WaitEnd> {
        let event = WaitEvent::External {
            dag_id: self.wait.dag_id.clone(),
            run_id: run_id.to_owned(),
            task_id: task_id.map(str::to_owned),
            state,
        };
        match self.wait.verdict(state) {
            WaitVerdict::Satisfied => Some(WaitEnd::Satisfied(event)),
            WaitVerdict::Failed => Some(WaitEnd::Failed(event)),
            WaitVerdict::Pending => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("a timestamp")
    }

    fn external(task_id: Option<&str>, run: RunSelector) -> ExternalWait {
        ExternalWait {
            dag_id: "child".into(),
            run,
            task_id: task_id.map(str::to_owned),
            allowed_states: Vec::new(),
            failed_states: Vec::new(),
        }
    }

    #[test]
    fn conditions_resolve_against_the_run() {
        let logical = ts("2026-01-01T00:00:00Z");
        let end = ts("2026-01-02T00:00:00Z");
        assert_eq!(
            WaitCondition::AfterDataIntervalEndMs(3_600_000).resolve(logical, end),
            Ok(Awaited::Until(ts("2026-01-02T01:00:00Z")))
        );
        assert_eq!(
            WaitCondition::Until("2026-03-01T12:00:00Z".into()).resolve(logical, end),
            Ok(Awaited::Until(ts("2026-03-01T12:00:00Z")))
        );
        let err = WaitCondition::Until("tomorrow".into())
            .resolve(logical, end)
            .expect_err("not a time");
        assert!(err.contains("\"tomorrow\""), "{err}");
        let shifted =
            WaitCondition::External(external(None, RunSelector::LogicalDateOffsetMs(-3_600_000)))
                .resolve(logical, end)
                .expect("resolves");
        let Awaited::External(e) = shifted else {
            panic!("an external wait");
        };
        assert_eq!(e.run, AwaitedRun::LogicalDate(ts("2025-12-31T23:00:00Z")));
    }

    #[test]
    fn waits_say_what_they_wait_for() {
        assert_eq!(
            Awaited::Until(ts("2026-01-01T00:00:00Z")).to_string(),
            "2026-01-01T00:00:00Z"
        );
        let wait = Awaited::External(AwaitedExternal {
            wait: external(Some("sort"), RunSelector::LogicalDateOffsetMs(0)),
            run: AwaitedRun::LogicalDate(ts("2026-01-01T00:00:00Z")),
        });
        assert_eq!(
            wait.to_string(),
            "task sort of DAG child run of logical date 2026-01-01T00:00:00Z"
        );
    }

    #[test]
    fn time_waits_end_when_their_time_comes() {
        let wait = Awaited::Until(ts("2026-01-01T00:00:00Z"));
        assert_eq!(wait.at_time(ts("2025-12-31T23:59:59Z")), None);
        assert_eq!(
            wait.at_time(ts("2026-01-01T00:00:00Z")),
            Some(WaitEnd::Satisfied(WaitEvent::Time {
                at: ts("2026-01-01T00:00:00Z")
            }))
        );
    }

    #[test]
    fn external_waits_end_on_their_run_or_task() {
        let run_wait = AwaitedExternal {
            wait: external(None, RunSelector::RunId("r1".into())),
            run: AwaitedRun::RunId("r1".into()),
        };
        assert!(matches!(
            run_wait.on_run_end("r1", DagRunState::Success),
            Some(WaitEnd::Satisfied(_))
        ));
        assert!(matches!(
            run_wait.on_run_end("r1", DagRunState::Failed),
            Some(WaitEnd::Failed(_))
        ));
        assert_eq!(run_wait.on_task_end("r1", "t", TaskState::Success), None);
        let task_wait = AwaitedExternal {
            wait: external(Some("sort"), RunSelector::RunId("r1".into())),
            run: AwaitedRun::RunId("r1".into()),
        };
        assert_eq!(task_wait.on_run_end("r1", DagRunState::Success), None);
        assert_eq!(
            task_wait.on_task_end("r1", "other", TaskState::Success),
            None
        );
        assert_eq!(
            task_wait.on_task_end("r1", "sort", TaskState::Running),
            None
        );
        let Some(WaitEnd::Satisfied(event)) =
            task_wait.on_task_end("r1", "sort", TaskState::Success)
        else {
            panic!("satisfied");
        };
        let json: serde_json::Value =
            serde_json::from_str(&event.to_json()).expect("the event is JSON");
        assert_eq!(
            json,
            serde_json::json!({"kind": "external", "dag_id": "child", "run_id": "r1",
                "task_id": "sort", "state": "success"})
        );
    }

    #[test]
    fn deferrals_round_trip_as_json() {
        let d = Deferral {
            wait: Awaited::External(AwaitedExternal {
                wait: external(None, RunSelector::LogicalDateOffsetMs(0)),
                run: AwaitedRun::LogicalDate(ts("2026-01-01T00:00:00Z")),
            }),
            resume: true,
            event: Some(r#"{"kind":"time"}"#.into()),
        };
        let text = serde_json::to_string(&d).expect("serializes");
        let back: Deferral = serde_json::from_str(&text).expect("parses");
        assert_eq!(back, d);
    }
}
