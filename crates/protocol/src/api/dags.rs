//! The JSON bodies of the DAG routes: deploys, listings, versions, next runs and pauses.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use weft_model::DagSpec;

/// What a deploy did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeployResponse {
    /// The DAG the component describes.
    pub dag_id: String,
    /// The component's digest, `sha256:<hex>`; new runs are pinned to it.
    pub digest: String,
    /// Number of tasks in the DAG.
    pub task_count: usize,
    /// The DAG did not exist before.
    pub created_dag: bool,
    /// The digest is new for this DAG; false when the current version was deployed again.
    pub new_version: bool,
}

/// A DAG as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DagSummary {
    /// Id, unique within the tenant.
    pub dag_id: String,
    /// Free text from the spec.
    pub description: String,
    /// Paused DAGs get no scheduled runs and their runs' tasks are not queued.
    pub paused: bool,
    /// Digest of the current version.
    pub digest: String,
    /// The schedule as written (cron expressions, presets, `@every`, `@continuous`); null
    /// when runs are only triggered.
    pub schedule: Option<String>,
    /// The IANA time zone the schedule is read in, named with the start date (`UTC` when
    /// it names none).
    pub timezone: String,
    /// Labels from the spec.
    pub tags: Vec<String>,
    /// Number of tasks.
    pub task_count: usize,
    /// First deploy.
    pub created_at: Timestamp,
    /// Last deploy or pause change.
    pub updated_at: Timestamp,
}

/// A task of a DAG, with its settings resolved against the DAG's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskView {
    /// Id, unique within the DAG.
    pub task_id: String,
    /// Direct upstream tasks.
    pub upstream: Vec<String>,
    /// Direct downstream tasks.
    pub downstream: Vec<String>,
    /// When the task may run, given its upstream tasks' states.
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schemas::trigger_rule))]
    pub trigger_rule: weft_model::TriggerRule,
    /// Queue it is sent to.
    pub queue: String,
    /// Pool whose slots it occupies.
    pub pool: String,
    /// Higher weights are queued first.
    pub priority_weight: i32,
    /// Retries after a failed attempt.
    pub retries: u32,
    /// Delay before a retry, in milliseconds.
    pub retry_delay_ms: u64,
    /// Whether the delay doubles after each failed attempt.
    pub retry_exponential_backoff: bool,
    /// Wall-clock limit of one attempt, in milliseconds; null for the host's default.
    pub execution_timeout_ms: Option<u64>,
}

/// A DAG with its spec and tasks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DagDetail {
    /// The DAG as listed.
    #[serde(flatten)]
    pub dag: DagSummary,
    /// The current version's spec.
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schemas::dag_spec))]
    pub spec: DagSpec,
    /// The tasks, upstream before downstream.
    pub tasks: Vec<TaskView>,
}

/// The DAGs of the tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DagList {
    /// By id.
    pub dags: Vec<DagSummary>,
}

/// One deployed version of a DAG.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionView {
    /// The component's digest.
    pub digest: String,
    /// Size of the component in bytes.
    pub size: i64,
    /// Number of tasks.
    pub task_count: i64,
    /// When it was first deployed.
    pub created_at: Timestamp,
    /// Whether it is the DAG's current version.
    pub current: bool,
}

/// A DAG's versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionList {
    /// The DAG.
    pub dag_id: String,
    /// Newest first.
    pub versions: Vec<VersionView>,
}

/// One upcoming scheduled run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NextRun {
    /// Its logical date: the start of its data interval.
    pub logical_date: Timestamp,
    /// Its logical date in the DAG's time zone, RFC 9557 (`2024-03-31T03:00:00+02:00[Europe/Berlin]`).
    pub logical_date_local: String,
    /// Start of its data interval.
    pub data_interval_start: Timestamp,
    /// End of its data interval: the run is created once this time has come.
    pub data_interval_end: Timestamp,
}

/// A DAG's next scheduled runs, as the scheduler will create them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NextRuns {
    /// The DAG.
    pub dag_id: String,
    /// The schedule as written; null when runs are only triggered.
    pub schedule: Option<String>,
    /// The IANA time zone the schedule is read in.
    pub timezone: String,
    /// Whether the DAG is paused: it gets none of these runs until it is unpaused.
    pub paused: bool,
    /// Whether the schedule is `@continuous`: a new run as soon as one ends, so none is
    /// listed.
    pub continuous: bool,
    /// The assets whose updates start runs too (none listed here: they follow the data).
    pub assets: Vec<String>,
    /// In order; empty without a schedule, for `@continuous`, and after the last run of
    /// `@once`.
    pub runs: Vec<NextRun>,
}

/// How many upcoming runs to list.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct NextRunsQuery {
    /// At most this many (default 10, at most 100).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 100))]
    pub count: Option<u32>,
}

/// A change to a DAG.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PatchDag {
    /// Pause (true) or unpause (false) the DAG.
    pub paused: bool,
}
