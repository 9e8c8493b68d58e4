//! [`TaskMessage`]: one attempt as the scheduler puts it on a queue for a worker.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::envelope::{Envelope, Message, ProtocolError};
use crate::ids::{RunPk, TiPk};
use weft_model::tenant_sandbox::AttemptLimits;

/// One attempt to run, as put on a queue. It carries everything a worker needs besides the
/// component (fetched by digest) and, unless carried here, the upstream outputs (fetched
/// by run).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskMessage {
    /// The task instance the attempt belongs to.
    pub ti: TiPk,
    /// The attempt's lease: its fencing token, which every report about it must carry.
    pub lease: i64,
    /// The attempt's key, which every report and worker API call about it must carry too:
    /// only the worker that took this message knows it. None when the scheduler has no
    /// secret key (then nothing checks it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt_key: Option<crate::AttemptKey>,
    /// The run the task instance belongs to, for fetching upstream outputs.
    pub run: RunPk,
    /// The tenant that owns the run; components and variables are looked up in it.
    pub tenant: String,
    /// The DAG's id, shown to the task and in logs.
    pub dag_id: String,
    /// The run's textual id (`manual__...`, `scheduled__...`), shown to the task.
    pub run_id: String,
    /// The task to run, as the component knows it.
    pub task_id: String,
    /// The attempt's number, counting from 1.
    pub try_number: u32,
    /// How many attempts the task may have in all, so the task can tell its last one.
    pub max_tries: u32,
    /// The sha256 digest of the component the run is pinned to.
    pub digest: String,
    /// The queue the attempt was put on.
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
    /// For an attempt that resumes after a deferral: what ended the wait, as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// For an instance of a mapped task: its map index (from 0). `task_id` is the mapped
    /// task's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_index: Option<u32>,
    /// For an instance of a mapped task: the item it runs over, as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_item: Option<String>,
    /// The attempt's limits as its tenant's sandbox policy resolves them (the task's own
    /// settings, else the tenant's defaults, within its ceilings); each one not set leaves
    /// the worker's own.
    #[serde(default, skip_serializing_if = "AttemptLimits::is_empty")]
    pub limits: AttemptLimits,
    /// The tenant's egress rules: a request or connection of the attempt goes out only when
    /// one of them allows it too. Not set: the tenant has none of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_egress: Option<Vec<String>>,
}

impl Message for TaskMessage {
    const NAME: &'static str = "task message";
}

impl TaskMessage {
    /// The message as queue payload bytes, in its [`Envelope`].
    pub fn encode(&self) -> Result<Vec<u8>, ProtocolError> {
        Envelope::encode(self)
    }

    /// The attempt the message is about, with its key, as reports and worker API calls name
    /// it.
    pub fn attempt(&self) -> crate::AttemptRef {
        crate::AttemptRef {
            ti: self.ti,
            lease: self.lease,
            key: self.attempt_key,
        }
    }

    /// A message from queue payload bytes.
    pub fn decode(bytes: &[u8]) -> Result<TaskMessage, ProtocolError> {
        Envelope::decode(bytes)
    }
}
