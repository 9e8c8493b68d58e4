//! Waits the scheduler resolves without running code: a time, a delay after the data
//! interval, another DAG's run or task. Used by [`Dag::wait`](crate::Dag::wait) tasks and by
//! [`TaskError::defer`](crate::TaskError::defer); [`Context::event`] reads what happened.

use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::bindings::weft::dag::types as wit;
use crate::context::{Context, decode};
use crate::error::TaskError;
use crate::settings::millis;

/// Something the scheduler waits for by itself, holding no worker slot (Airflow's triggers).
///
/// ```
/// use std::time::Duration;
/// use weft_sdk::{EndedState, Wait};
///
/// let at = Wait::until("2026-01-01T00:00:00Z");
/// let later = Wait::after_data_interval_end(Duration::from_secs(3600));
/// let sorted: Wait = Wait::external("mall_sort")
///     .logical_date_before(Duration::from_secs(86_400))
///     .task("sort")
///     .allowed([EndedState::Success, EndedState::Skipped])
///     .into();
/// # let _ = (at, later, sorted);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Wait(Condition);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Condition {
    Until(String),
    AfterDataIntervalEnd(u64),
    External(ExternalWait),
}

impl Wait {
    /// Until a point in time, RFC 3339 (`2026-01-01T00:00:00Z`; Airflow's `DateTimeSensor`).
    pub fn until(time: impl Into<String>) -> Self {
        Self(Condition::Until(time.into()))
    }

    /// Until `delay` after the end of the run's data interval (Airflow's `TimeDeltaSensor`).
    pub fn after_data_interval_end(delay: Duration) -> Self {
        Self(Condition::AfterDataIntervalEnd(millis(delay)))
    }

    /// Until a run of DAG `dag_id` (of the same tenant), or one of its tasks, ends (Airflow's
    /// `ExternalTaskSensor`). By default the run of the same logical date, the whole run, and
    /// only `success` satisfies the wait.
    pub fn external(dag_id: impl Into<String>) -> ExternalWait {
        ExternalWait {
            dag_id: dag_id.into(),
            run: RunSelector::LogicalDateOffset(0),
            task_id: None,
            allowed: Vec::new(),
            failed: Vec::new(),
        }
    }

    pub(crate) fn to_wit(&self) -> wit::WaitCondition {
        match &self.0 {
            Condition::Until(time) => wit::WaitCondition::Until(time.clone()),
            Condition::AfterDataIntervalEnd(ms) => wit::WaitCondition::AfterDataIntervalEndMs(*ms),
            Condition::External(external) => wit::WaitCondition::External(external.to_wit()),
        }
    }
}

impl From<ExternalWait> for Wait {
    fn from(external: ExternalWait) -> Self {
        Self(Condition::External(external))
    }
}

/// A wait on a run of another DAG, or on one of its tasks; made by [`Wait::external`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExternalWait {
    dag_id: String,
    run: RunSelector,
    task_id: Option<String>,
    allowed: Vec<EndedState>,
    failed: Vec<EndedState>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum RunSelector {
    RunId(String),
    LogicalDateOffset(i64),
}

impl ExternalWait {
    /// The run with this run id (one this task triggered with
    /// [`Context::trigger_dag`](crate::Context::trigger_dag), say).
    pub fn run_id(mut self, run_id: impl Into<String>) -> Self {
        self.run = RunSelector::RunId(run_id.into());
        self
    }

    /// The run whose logical date is this run's (the default).
    pub fn same_logical_date(mut self) -> Self {
        self.run = RunSelector::LogicalDateOffset(0);
        self
    }

    /// The run whose logical date is `delta` before this run's (Airflow's `execution_delta`).
    pub fn logical_date_before(mut self, delta: Duration) -> Self {
        self.run = RunSelector::LogicalDateOffset(offset(delta).saturating_neg());
        self
    }

    /// The run whose logical date is `delta` after this run's.
    pub fn logical_date_after(mut self, delta: Duration) -> Self {
        self.run = RunSelector::LogicalDateOffset(offset(delta));
        self
    }

    /// Wait for task `task_id` of that run instead of the whole run.
    pub fn task(mut self, task_id: impl Into<String>) -> Self {
        self.task_id = Some(task_id.into());
        self
    }

    /// End states that satisfy the wait (only [`EndedState::Success`] unless set).
    pub fn allowed(mut self, states: impl IntoIterator<Item = EndedState>) -> Self {
        self.allowed.extend(states);
        self
    }

    /// End states that fail the wait (or skip it, with a sensor's `soft_fail`); unless set,
    /// every state not allowed.
    pub fn failed(mut self, states: impl IntoIterator<Item = EndedState>) -> Self {
        self.failed.extend(states);
        self
    }

    fn to_wit(&self) -> wit::ExternalWait {
        wit::ExternalWait {
            dag_id: self.dag_id.clone(),
            run: match &self.run {
                RunSelector::RunId(id) => wit::RunSelector::RunId(id.clone()),
                RunSelector::LogicalDateOffset(ms) => wit::RunSelector::LogicalDateOffsetMs(*ms),
            },
            task_id: self.task_id.clone(),
            allowed_states: self.allowed.iter().map(|s| s.to_wit()).collect(),
            failed_states: self.failed.iter().map(|s| s.to_wit()).collect(),
        }
    }
}

/// Whole milliseconds of `delta` as an offset, saturating at `i64::MAX`.
fn offset(delta: Duration) -> i64 {
    i64::try_from(millis(delta)).unwrap_or(i64::MAX)
}

/// A final state of a task or run, as an [`ExternalWait`] names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndedState {
    /// It succeeded.
    Success,
    /// It failed.
    Failed,
    /// It was skipped.
    Skipped,
    /// An upstream task failed, so it never ran.
    UpstreamFailed,
}

impl EndedState {
    fn to_wit(self) -> wit::EndedState {
        match self {
            EndedState::Success => wit::EndedState::Success,
            EndedState::Failed => wit::EndedState::Failed,
            EndedState::Skipped => wit::EndedState::Skipped,
            EndedState::UpstreamFailed => wit::EndedState::UpstreamFailed,
        }
    }
}

impl Context {
    /// Whether this attempt runs again after a deferral with resume
    /// ([`TaskError::defer_and_resume`]): the awaited event happened.
    pub fn resumed(&self) -> bool {
        self.info().event.is_some()
    }

    /// What happened, after a deferral with resume, decoded from JSON: for an external wait
    /// `{"kind": "external", "dag_id", "run_id", "task_id" (for a task), "state"}`, for a time
    /// `{"kind": "time", "at"}`; none when the attempt was not resumed. An event that does not fit `T` is a permanent error.
    pub fn event<T: DeserializeOwned>(&self) -> Result<Option<T>, TaskError> {
        self.info()
            .event
            .as_deref()
            .map(|event| {
                decode(
                    event.as_bytes(),
                    &format!("the event that resumed task `{}`", self.task_id()),
                )
            })
            .transpose()
    }
}
