//! The JSON shapes of the task instance routes.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use weft_model::TaskState;
use weft_store::{TaskInstance, Xcom};

use crate::schemas;
pub use weft_protocol::api::tasks::{
    LogQuery, LogResponse, MARKABLE, MarkBody, XcomEncoding, XcomList, XcomView,
};

/// A task instance: one task of one run, across its attempts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TaskInstanceView {
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
    #[schema(schema_with = schemas::task_state)]
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
    #[schema(value_type = Option<Object>)]
    pub deferral: Option<weft_model::Deferral>,
}

impl TaskInstanceView {
    pub(crate) fn of(ti: TaskInstance) -> TaskInstanceView {
        let task_id = match ti.map_index {
            Some(_) => weft_model::mapping::split_instance_id(&ti.task_id)
                .0
                .to_owned(),
            None => ti.task_id,
        };
        TaskInstanceView {
            task_id,
            map_index: ti.map_index,
            map_count: ti.map_count,
            state: ti.state,
            try_number: ti.try_number,
            max_tries: ti.max_tries,
            queue: ti.queue,
            pool: ti.pool,
            priority_weight: ti.priority_weight,
            worker_id: ti.worker_id,
            hostname: ti.hostname,
            queued_at: ti.queued_at,
            started_at: ti.started_at,
            ended_at: ti.ended_at,
            duration_ms: ti.duration_ms,
            next_retry_at: ti.next_retry_at,
            error_class: ti.error_class,
            error: ti.error,
            sensor_started_at: ti.sensor_started_at,
            pokes: ti.pokes,
            deferral: ti.deferral,
        }
    }
}

pub(crate) fn xcom_view(xcom: Xcom) -> XcomView {
    let size = xcom.value.len();
    let (encoding, value) = match serde_json::from_slice(&xcom.value) {
        Ok(value) => (XcomEncoding::Json, value),
        Err(_) => match String::from_utf8(xcom.value) {
            Ok(text) => (XcomEncoding::Text, serde_json::Value::String(text)),
            Err(e) => (
                XcomEncoding::Base64,
                serde_json::Value::String(BASE64.encode(e.as_bytes())),
            ),
        },
    };
    let (task_id, map_index) = weft_model::mapping::split_instance_id(&xcom.task_id);
    XcomView {
        task_id: task_id.to_owned(),
        map_index,
        key: xcom.key,
        encoding,
        value,
        size,
    }
}
