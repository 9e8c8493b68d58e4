//! The JSON bodies of the run routes: runs, their listings, triggers, backfills and clears.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use weft_model::{DagRunState, RunType};

/// A DAG run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunView {
    /// The DAG.
    pub dag_id: String,
    /// Id, unique within the DAG (`manual__2024-01-01T00:00:00+00:00`).
    pub run_id: String,
    /// How it came to be.
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schemas::run_type))]
    pub run_type: RunType,
    /// State.
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schemas::run_state))]
    pub state: DagRunState,
    /// Logical date.
    pub logical_date: Timestamp,
    /// Start of the data interval.
    pub data_interval_start: Timestamp,
    /// End of the data interval.
    pub data_interval_end: Timestamp,
    /// Configuration given when it was triggered (`{}` when none).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub conf: serde_json::Value,
    /// The component version the run is pinned to.
    pub digest: String,
    /// When it was created.
    pub queued_at: Timestamp,
    /// When it started running.
    pub started_at: Option<Timestamp>,
    /// When it finished.
    pub ended_at: Option<Timestamp>,
}

/// Runs, newest logical date first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunList {
    /// The runs.
    pub runs: Vec<RunView>,
}

/// Which runs to list.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct RunsQuery {
    /// Only this DAG's runs.
    pub dag_id: Option<String>,
    /// Only runs in this state.
    #[cfg_attr(feature = "openapi", param(schema_with = super::schemas::run_state))]
    pub state: Option<String>,
    /// At most this many (default 100, at most 1000).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000))]
    pub limit: Option<u32>,
}

/// Which runs of a DAG to list.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct DagRunsQuery {
    /// Only runs in this state.
    #[cfg_attr(feature = "openapi", param(schema_with = super::schemas::run_state))]
    pub state: Option<String>,
    /// At most this many (default 100, at most 1000).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000))]
    pub limit: Option<u32>,
}

/// How to show one run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct RunQuery {
    /// Hold the answer until the run has ended (succeeded or failed), or for this many
    /// milliseconds at most (up to 60000); the run is shown as it is then.
    #[cfg_attr(feature = "openapi", param(maximum = 60000))]
    pub wait_ms: Option<u64>,
}

/// A manual trigger. Every field may be left out, and so may the whole body.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TriggerBody {
    /// The run's configuration: a JSON object.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub conf: Option<serde_json::Value>,
    /// The run's logical date, RFC 3339 (default: now).
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub logical_date: Option<String>,
    /// The run's id (default: `manual__<logical date>`): 1 to 250 characters, no control
    /// characters.
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schemas::run_id))]
    pub run_id: Option<String>,
}

/// A range of logical dates to backfill, both ends included.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BackfillBody {
    /// First logical date, RFC 3339.
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub start: String,
    /// Last logical date, RFC 3339.
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub end: String,
}

/// Which task instances of a run to clear.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ClearBody {
    /// The tasks to clear; every task of the run when left out or empty.
    #[serde(default)]
    pub task_ids: Vec<String>,
    /// Clear their downstream tasks too.
    #[serde(default)]
    pub downstream: bool,
}

/// What a clear did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClearResponse {
    /// Number of task instances cleared.
    pub cleared: usize,
}

/// How many runs the grid shows.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct GridQuery {
    /// The latest this many runs (default 25).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 100))]
    pub limit: Option<u32>,
}

/// A run with its task instances.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunDetail {
    /// The run.
    #[serde(flatten)]
    pub run: RunView,
    /// Its task instances.
    pub task_instances: Vec<crate::TaskInstanceView>,
}
