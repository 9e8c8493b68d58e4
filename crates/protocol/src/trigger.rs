//! Runs a task asks to create (`dag-runs.trigger`), as a worker sends them to the API server,
//! and why one may be refused.

use serde::{Deserialize, Serialize};

/// A run of another DAG that a task attempt asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TriggerRun {
    /// The DAG to run, of the attempt's tenant.
    pub dag_id: String,
    /// The run's configuration, a JSON object; none means `{}`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub conf: Option<serde_json::Value>,
    /// The run's logical date (RFC 3339); none means now.
    #[serde(default)]
    pub logical_date: Option<String>,
    /// The run's id; none means one made from the calling task instance and `call`.
    #[serde(default)]
    pub run_id: Option<String>,
    /// The call's place among the attempt's trigger calls, from 0: with the task instance,
    /// it names the run made when no run id is given, so that a retried attempt finds it.
    pub call: u32,
}

/// A run created (or found again) for a trigger call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TriggeredRun {
    /// The run's id.
    pub run_id: String,
    /// Whether this call created it (false: an earlier attempt of the same task instance did).
    pub created: bool,
}

/// The worker API's answer to a trigger call: the run, or why it was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerAnswer {
    /// The run was created, or found again.
    Triggered(TriggeredRun),
    /// The run was refused; the task sees why.
    Refused(TriggerRefusal),
}

/// Why a trigger call was refused; the message says what to change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case", tag = "kind", content = "message")]
pub enum TriggerRefusal {
    /// No such DAG in the tenant.
    #[error("{0}")]
    NotFound(String),
    /// The DAG is paused.
    #[error("{0}")]
    Paused(String),
    /// A bad conf, logical date or run id.
    #[error("{0}")]
    Invalid(String),
    /// The run id is taken by a run this task instance did not make.
    #[error("{0}")]
    AlreadyExists(String),
}

/// The run id a trigger call without one gets: the calling task instance's DAG, run, task
/// and the call's place, so the same call of a retried attempt names the same run.
pub fn triggered_run_id(dag_id: &str, run_id: &str, task_id: &str, call: u32) -> String {
    format!("triggered__{dag_id}__{run_id}__{task_id}__{call}")
}
