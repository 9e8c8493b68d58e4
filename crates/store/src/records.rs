//! The rows the store keeps, as Rust types. Times are [`Timestamp`]s (stored as microseconds
//! since the Unix epoch); JSON documents are [`serde_json::Value`]s.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use weft_model::{DagRunState, DagSpec, RunType, TaskState};

/// Primary keys of run and task instance rows (not Airflow's textual `run_id`), the default
/// tenant, and the XCom key of a task's output: the names messages between processes use.
pub use weft_protocol::ids::{DEFAULT_TENANT, RETURN_VALUE, RunPk, TiPk};
/// The pool a task uses unless it names another, and its slots.
pub const DEFAULT_POOL: &str = "default_pool";
/// Slots of [`DEFAULT_POOL`] when the store is created.
pub const DEFAULT_POOL_SLOTS: i64 = 128;

/// A DAG component to store, with the DAG it describes (validated by the caller).
#[derive(Debug, Clone)]
pub struct Deploy {
    /// Owner.
    pub tenant: String,
    /// `sha256:<hex>` of `bytes`.
    pub digest: String,
    /// The component.
    pub bytes: Vec<u8>,
    /// The DAG's id (from `spec`).
    pub dag_id: String,
    /// The spec `describe` returned.
    pub spec: DagSpec,
    /// When.
    pub at: Timestamp,
}

/// What a deploy changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployOutcome {
    /// The DAG did not exist before.
    pub created_dag: bool,
    /// The digest is new for this DAG (a new version); false when redeploying the current one.
    pub new_version: bool,
}

/// A DAG as the store knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DagRecord {
    /// Owner.
    pub tenant: String,
    /// Id.
    pub dag_id: String,
    /// Paused DAGs get no scheduled runs, and their runs' tasks are not queued.
    pub paused: bool,
    /// Digest of the current version: new runs are pinned to it.
    pub digest: String,
    /// The current version's spec.
    pub spec: DagSpec,
    /// First deploy.
    pub created_at: Timestamp,
    /// Last deploy or pause change.
    pub updated_at: Timestamp,
}

/// One deployed version of a DAG.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DagVersion {
    /// The component's digest.
    pub digest: String,
    /// Size of the component in bytes.
    pub size: i64,
    /// Number of tasks in its spec.
    pub task_count: i64,
    /// When it was first deployed.
    pub created_at: Timestamp,
}

/// A task instance to create with its run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewTaskInstance {
    /// The task.
    pub task_id: String,
    /// Attempts allowed (retries + 1).
    pub max_tries: u32,
    /// Queue it is sent to.
    pub queue: String,
    /// Pool it occupies.
    pub pool: String,
    /// Priority weight.
    pub priority_weight: i32,
}

/// A DAG run to create, with all its task instances (in state `none`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewRun {
    /// Owner.
    pub tenant: String,
    /// The DAG.
    pub dag_id: String,
    /// Airflow-style textual id, unique within the DAG (`manual__2024-01-01T00:00:00+00:00`).
    pub run_id: String,
    /// How it came to be.
    pub run_type: RunType,
    /// Its logical date.
    pub logical_date: Timestamp,
    /// Start of its data interval.
    pub data_interval_start: Timestamp,
    /// End of its data interval.
    pub data_interval_end: Timestamp,
    /// Its configuration (a JSON object).
    pub conf: serde_json::Value,
    /// The component digest the run is pinned to.
    pub digest: String,
    /// Initial state (normally queued).
    pub state: DagRunState,
    /// When it was created.
    pub queued_at: Timestamp,
    /// Its task instances.
    pub tasks: Vec<NewTaskInstance>,
    /// Insert only while `digest` is the DAG's current version (a trigger built from a DAG
    /// read earlier, which a deploy may have superseded since); otherwise any stored version
    /// of the DAG serves (a backfill, a scheduled run).
    #[serde(default)]
    pub current_only: bool,
}

/// A DAG run. Its record is the message that announces a new run (declared in
/// [`weft_protocol::control`]).
pub use weft_protocol::control::DagRun;

/// A task instance: one task of one run, across its attempts. Its fields are declared once,
/// in [`weft_protocol::task_instance`]; the store's row, column lists and finish write are
/// made from that declaration (see `both_backends::ti_columns`).
pub use weft_protocol::task_instance::TaskInstance;

/// A pool: slots shared by the tasks that name it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pool {
    /// Name.
    pub name: String,
    /// Slots.
    pub slots: i64,
    /// Free text.
    pub description: String,
}

/// A variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variable {
    /// Key.
    pub key: String,
    /// Value.
    pub value: String,
    /// Free text.
    pub description: String,
    /// Last change.
    pub updated_at: Timestamp,
}

/// An XCom value of a task instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Xcom {
    /// The task.
    pub task_id: String,
    /// The key; [`RETURN_VALUE`] for the task's output.
    pub key: String,
    /// The value.
    pub value: Vec<u8>,
}

/// Which runs to list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunFilter {
    /// Only this DAG's runs.
    pub dag_id: Option<String>,
    /// Only runs in this state.
    pub state: Option<DagRunState>,
    /// At most this many, newest first (default 100).
    pub limit: Option<u32>,
}

/// A worker process as it last registered or heartbeated with the API server. Workers are
/// shared by every tenant (each task runs in its own sandbox), so a worker has no tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerRecord {
    /// Unique id of the worker process.
    pub worker_id: String,
    /// Host name of its machine.
    pub hostname: String,
    /// Queues it takes tasks from.
    pub queues: Vec<String>,
    /// Most attempts it runs at once.
    pub concurrency: u32,
    /// Attempts it was running at its last heartbeat.
    pub running: u32,
    /// Attempts it had run to an end at its last heartbeat, since it started.
    pub finished: u64,
    /// Of those, the attempts that failed.
    pub failed: u64,
    /// Its machine's architecture (`x86_64`, `aarch64`, ...).
    pub arch: String,
    /// Its labels (`gpu`, `ssd`): the tasks that ask for them may run on it.
    pub labels: Vec<String>,
    /// Weft version it runs.
    pub version: String,
    /// When the process started.
    pub started_at: Timestamp,
    /// Its last heartbeat, by the clock of whoever recorded it (the API server).
    pub last_heartbeat: Timestamp,
    /// When it stopped, if it said so on its way out.
    pub stopped_at: Option<Timestamp>,
    /// The tenants whose tasks it runs; `None`: every tenant's.
    pub tenants: Option<Vec<String>>,
}

impl WorkerRecord {
    /// Whether it runs tasks of `tenant`.
    pub fn serves(&self, tenant: &str) -> bool {
        self.tenants
            .as_ref()
            .is_none_or(|tenants| tenants.iter().any(|t| t == tenant))
    }
}

impl NewTaskInstance {
    /// Task instance `id` of `run` as its run's creation writes it: this task's settings,
    /// state `none`, no attempt yet (every other column as its type's default: none, 0).
    pub fn created(self, run: &DagRun, id: TiPk) -> TaskInstance {
        TaskInstance {
            id,
            run: run.id,
            tenant: run.tenant.clone(),
            dag_id: run.dag_id.clone(),
            run_id: run.run_id.clone(),
            task_id: self.task_id,
            state: TaskState::None,
            try_number: 0,
            max_tries: self.max_tries,
            queue: self.queue,
            pool: self.pool,
            priority_weight: self.priority_weight,
            lease: 0,
            ..TaskInstance::default()
        }
    }
}
