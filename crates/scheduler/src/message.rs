//! What travels between the scheduler and workers: the task message put on a queue, and the
//! reports a worker sends back.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use weft_store::{Heartbeat, RunPk, StartTask, TiPk};

/// One attempt to run, as put on a queue. Carries everything a worker needs besides the
/// component (fetched by digest) and upstream values (fetched by run).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskMessage {
    /// Task instance.
    pub ti: TiPk,
    /// The attempt's lease (fencing token).
    pub lease: i64,
    /// The run's primary key.
    pub run: RunPk,
    /// Owner.
    pub tenant: String,
    /// DAG.
    pub dag_id: String,
    /// The run's textual id.
    pub run_id: String,
    /// Task.
    pub task_id: String,
    /// Attempt number.
    pub try_number: u32,
    /// Attempts allowed.
    pub max_tries: u32,
    /// Component the run is pinned to.
    pub digest: String,
    /// Queue it was put on.
    pub queue: String,
    /// The run's logical date.
    pub logical_date: Timestamp,
    /// Start of the run's data interval.
    pub data_interval_start: Timestamp,
    /// End of the run's data interval.
    pub data_interval_end: Timestamp,
    /// The run's conf, a JSON object.
    pub conf: serde_json::Value,
    /// Direct upstream tasks whose outputs the task receives.
    pub upstream: Vec<String>,
    /// When set, the outputs of every upstream task that has one, `(task id, output)`: the
    /// worker fetches none. When not set, the worker fetches each upstream task's output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_outputs: Option<Vec<(String, Vec<u8>)>>,
}

impl TaskMessage {
    /// The message as queue payload bytes.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// A message from queue payload bytes.
    pub fn decode(bytes: &[u8]) -> Result<TaskMessage, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

/// How an attempt ended, as a worker saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum AttemptOutcome {
    /// The task returned its output.
    Success {
        /// The output.
        output: Vec<u8>,
    },
    /// The task chose to be skipped.
    Skipped {
        /// Why.
        reason: String,
    },
    /// The attempt failed.
    Failed {
        /// Whether a retry may help (only a task's own permanent error says no).
        retryable: bool,
        /// Failure class (`task_error`, `timeout`, `trap`, …).
        class: String,
        /// What happened.
        message: String,
    },
}

/// An attempt's end, reported by the worker that ran it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptResult {
    /// Task instance.
    pub ti: TiPk,
    /// The attempt's lease.
    pub lease: i64,
    /// The run.
    pub run: RunPk,
    /// Attempt number.
    pub try_number: u32,
    /// How it ended.
    pub outcome: AttemptOutcome,
    /// Keyed XCom values it pushed.
    pub xcom: Vec<(String, Vec<u8>)>,
    /// Its log, JSON lines.
    pub log: Vec<u8>,
    /// When it started.
    pub started_at: Timestamp,
    /// When it ended.
    pub ended_at: Timestamp,
    /// Worker.
    pub worker_id: String,
    /// Host name.
    pub hostname: String,
}

/// What a worker tells the scheduler.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Report {
    /// An attempt started.
    Started(StartTask),
    /// An attempt is still running.
    Heartbeat(Heartbeat),
    /// An attempt ended.
    Finished(Box<AttemptResult>),
}
