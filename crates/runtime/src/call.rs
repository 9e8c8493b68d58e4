//! What a caller hands the runtime for one task attempt, and what it gets back.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use weft_protocol::host_call::{Call, HostAnswer, HostCall};

use crate::config::Limits;
use crate::error::TaskFailure;
use crate::log::TaskLog;

/// Which run and attempt a task call belongs to (the WIT `task-context`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskContext {
    /// The DAG's id.
    pub dag_id: String,
    /// The task being run.
    pub task_id: String,
    /// The DAG run's id.
    pub run_id: String,
    /// Logical date of the run (RFC 3339).
    pub logical_date: String,
    /// Start of the run's data interval (RFC 3339).
    pub data_interval_start: String,
    /// End of the run's data interval (RFC 3339).
    pub data_interval_end: String,
    /// Attempt number, from 1.
    pub try_number: u32,
    /// Attempts allowed in all (retries + 1).
    pub max_tries: u32,
    /// The run's configuration, a JSON document.
    pub conf: String,
    /// For an attempt that resumes after a deferral: what ended the wait, as JSON (worlds
    /// 0.3.0 and later see it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// For an instance of a mapped task: its map index, from 0 (worlds 0.3.0 and later see
    /// it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_index: Option<u32>,
    /// For an instance of a mapped task: the item it runs over, as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_item: Option<String>,
}

/// Where an attempt runs (the WIT `worker-info`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerInfo {
    /// Id of the worker process.
    pub worker_id: String,
    /// Host name of its machine.
    pub hostname: String,
    /// The queue the task came from.
    pub queue: String,
}

/// The output of a direct upstream task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpstreamOutput {
    /// The upstream task's id.
    pub task_id: String,
    /// What it returned.
    pub value: Vec<u8>,
}

/// A value a task pushed to XCom under a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct XcomPush {
    /// The key.
    pub key: String,
    /// The value.
    pub value: Vec<u8>,
}

/// Why a [`TaskHost`] call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    /// The call's deadline passed.
    #[error("deadline passed")]
    Timeout,
    /// The service behind the call failed.
    #[error("{0}")]
    Unavailable(String),
}

/// Where a task's host imports reach beyond the sandbox: every request of the control plane
/// (an XCom value of another task, a variable, a connection or secret the task declares, a
/// run to trigger...) is one [`HostCall`]. A call may block; it must give up by `deadline`.
/// The runtime checks the task's declarations before it asks.
pub trait TaskHost: Send + Sync + 'static {
    /// The control plane's answer to `call`.
    fn call(&self, call: HostCall, deadline: Instant) -> Result<HostAnswer, HostError>;
}

impl dyn TaskHost {
    /// Ask `request` of the control plane and take its answer.
    pub fn ask<C: Call>(&self, request: C, deadline: Instant) -> Result<C::Answer, HostError> {
        let call: HostCall = request.into();
        let name = call.name();
        let answer = self.call(call, deadline)?;
        C::answer(answer).ok_or_else(|| {
            HostError::Unavailable(format!(
                "the control plane answered another call than {name:?}"
            ))
        })
    }
}

/// One task attempt to run.
#[derive(Clone)]
pub struct TaskRequest {
    /// Run and attempt identity.
    pub context: TaskContext,
    /// Outputs of the task's direct upstream tasks.
    pub upstream: Vec<UpstreamOutput>,
    /// Where it runs.
    pub worker: WorkerInfo,
    /// Limits of this attempt (see [`Limits::for_task`]).
    pub limits: Limits,
    /// The egress rules of the task's tenant: a request or connection goes out only when one
    /// of them allows it too (besides the task's and the operator's). `None`: the tenant has
    /// none of its own.
    pub tenant_egress: Option<Arc<[weft_model::egress::EgressRule]>>,
    /// XCom and variables.
    pub host: Arc<dyn TaskHost>,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskOutcome {
    /// The task returned its output.
    Success(Vec<u8>),
    /// The task chose to be skipped, with its reason.
    Skipped(String),
    /// A sensor is not satisfied yet: it pokes again after this delay, or after its poke
    /// interval when none.
    Rescheduled(Option<Duration>),
    /// The task waits for an event the scheduler watches; it runs again when the event
    /// happens if `resume`, else the event decides its state.
    Deferred {
        /// What it waits for.
        until: weft_model::WaitCondition,
        /// Whether it runs again.
        resume: bool,
    },
    /// The attempt failed.
    Failed(TaskFailure),
}

/// Everything an attempt produced.
#[derive(Debug, Clone)]
pub struct TaskReport {
    /// How it ended.
    pub outcome: TaskOutcome,
    /// Its log.
    pub log: TaskLog,
    /// What it pushed to XCom, last value per key.
    pub xcom: Vec<XcomPush>,
    /// Data it attached to its outlets' events, by asset (a success's only).
    pub asset_extras: Vec<(String, serde_json::Value)>,
    /// Wall-clock time from sandbox creation to the end of the call.
    pub duration: Duration,
    /// Fuel consumed, when the attempt had a CPU budget.
    pub fuel_used: Option<u64>,
}
