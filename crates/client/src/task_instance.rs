//! A task instance, and a run with its task instances, as the server shows them.
//!
//! The server's task instance view is being derived from the model's task instance; until
//! it lives in [`weft_protocol::api`], this is its mirror, read and written in the same JSON
//! form (the client prints it back as `--output json`).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use weft_model::TaskState;
use weft_protocol::api::runs::RunView;

/// A task instance: one task of one run, across its attempts.
// merged with TaskInstanceView
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskInstance {
    /// The task.
    pub task_id: String,
    /// For an instance of a mapped task: its map index, from 0. The mapped task's own task
    /// instance, which sums its instances up, has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_index: Option<u32>,
    /// For a mapped task: how many instances it expanded into, once it has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_count: Option<u32>,
    /// State.
    pub state: TaskState,
    /// Number of the current (or last) attempt; 0 before the first.
    pub try_number: u32,
    /// Attempts allowed in all.
    pub max_tries: u32,
    /// Queue it is sent to.
    pub queue: String,
    /// Pool whose slots it occupies.
    pub pool: String,
    /// Priority weight.
    pub priority_weight: i32,
    /// Worker running (or that ran) the last attempt.
    pub worker_id: Option<String>,
    /// That worker's host name.
    pub hostname: Option<String>,
    /// When the last attempt was queued.
    pub queued_at: Option<Timestamp>,
    /// When the last attempt started.
    pub started_at: Option<Timestamp>,
    /// When the last attempt ended.
    pub ended_at: Option<Timestamp>,
    /// Duration of the last attempt, in milliseconds.
    pub duration_ms: Option<i64>,
    /// When an `up_for_retry` task may be queued again, or an `up_for_reschedule` sensor
    /// pokes again.
    pub next_retry_at: Option<Timestamp>,
    /// Class of the last failure (`timeout`, `trap`, `task_error`, `sensor_timeout`, ...).
    pub error_class: Option<String>,
    /// Message of the last failure.
    pub error: Option<String>,
    /// For a sensor: when its current try first poked (its timeout counts from there).
    pub sensor_started_at: Option<Timestamp>,
    /// For a sensor: how many times its current try rescheduled.
    pub pokes: u32,
    /// For a deferred task: what it waits for (`wait`: a time, or another DAG's run or task),
    /// whether it runs again when the wait ends (`resume`), and then the `event` it sees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deferral: Option<weft_model::Deferral>,
}

/// A run with its task instances, as `GET /dags/{dag_id}/runs/{run_id}` shows it.
// merged with TaskInstanceView
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunDetail {
    /// The run.
    #[serde(flatten)]
    pub run: RunView,
    /// Its task instances.
    pub task_instances: Vec<TaskInstance>,
}
