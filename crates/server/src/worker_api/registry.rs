//! Workers register and heartbeat: each call replaces what the server knows of the worker,
//! stamped with the server's own clock.

use axum::Json;
use axum::extract::{Path, State};
use jiff::Timestamp;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use weft_model::validate::check_id;
use weft_store::WorkerRecord;

use crate::error::{ApiError, ErrorBody};
use crate::extract::JsonBody;
use crate::state::AppState;
use crate::workers::WorkerView;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(put_worker))
}

/// Longest worker id, host name, architecture or version, in bytes.
pub const MAX_NAME_BYTES: usize = 250;

/// A worker's registration or heartbeat: everything about it but its id (in the path) and
/// the time of the heartbeat (the server's clock).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkerBeat {
    /// Host name of its machine.
    pub hostname: String,
    /// Queues it takes tasks from (at least one).
    pub queues: Vec<String>,
    /// Most attempts it runs at once (at least 1).
    #[schema(minimum = 1)]
    pub concurrency: u32,
    /// Attempts it is running now.
    pub running: u32,
    /// Its machine's architecture (`x86_64`, `aarch64`, ...).
    pub arch: String,
    /// Weft version it runs.
    pub version: String,
    /// When the process started.
    pub started_at: Timestamp,
    /// When it stopped, on its last heartbeat before exiting.
    #[serde(default)]
    pub stopped_at: Option<Timestamp>,
}

const FIELDS: &[&str] = &[
    "hostname",
    "queues",
    "concurrency",
    "running",
    "arch",
    "version",
    "started_at",
    "stopped_at",
];

fn invalid_field(name: &str, problem: impl std::fmt::Display) -> ApiError {
    ApiError::invalid(format!("field `{name}`: {problem}"))
}

/// Field `name` of `map`, read as a `T`; an error naming the field when it is missing or of
/// the wrong type.
fn field<T: DeserializeOwned>(map: &mut Map<String, Value>, name: &str) -> Result<T, ApiError> {
    let value = map
        .remove(name)
        .ok_or_else(|| ApiError::invalid(format!("missing field `{name}`")))?;
    serde_json::from_value(value).map_err(|e| invalid_field(name, e))
}

/// A name-like value (`what` says which): 1 to [`MAX_NAME_BYTES`] bytes, no whitespace or
/// control characters.
fn check_name(what: &str, value: &str) -> Result<(), ApiError> {
    if value.is_empty() || value.len() > MAX_NAME_BYTES {
        return Err(ApiError::invalid(format!(
            "{what} must be 1 to {MAX_NAME_BYTES} bytes, not {}",
            value.len()
        )));
    }
    if let Some(c) = value.chars().find(|c| c.is_control() || c.is_whitespace()) {
        return Err(ApiError::invalid(format!(
            "{what} {value:?} contains {c:?}; whitespace and control characters are not allowed"
        )));
    }
    Ok(())
}

impl WorkerBeat {
    /// Read and check a beat from a JSON body, naming the field at fault.
    pub fn from_json(body: Value) -> Result<WorkerBeat, ApiError> {
        let Value::Object(mut map) = body else {
            return Err(ApiError::invalid("request body must be a JSON object"));
        };
        if let Some(unknown) = map.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(ApiError::invalid(format!(
                "unknown field `{unknown}`; expected {}",
                FIELDS.join(", ")
            )));
        }
        let beat = WorkerBeat {
            hostname: field(&mut map, "hostname")?,
            queues: field(&mut map, "queues")?,
            concurrency: field(&mut map, "concurrency")?,
            running: field(&mut map, "running")?,
            arch: field(&mut map, "arch")?,
            version: field(&mut map, "version")?,
            started_at: field(&mut map, "started_at")?,
            stopped_at: match map.remove("stopped_at") {
                None => None,
                Some(value) => {
                    serde_json::from_value(value).map_err(|e| invalid_field("stopped_at", e))?
                }
            },
        };
        beat.check()?;
        Ok(beat)
    }

    fn check(&self) -> Result<(), ApiError> {
        check_name("field `hostname`", &self.hostname)?;
        check_name("field `arch`", &self.arch)?;
        check_name("field `version`", &self.version)?;
        if self.queues.is_empty() {
            return Err(invalid_field("queues", "lists no queue"));
        }
        for queue in &self.queues {
            check_id(queue)
                .map_err(|issue| invalid_field("queues", format!("{queue:?} {issue}")))?;
        }
        if self.concurrency == 0 {
            return Err(invalid_field("concurrency", "must be at least 1"));
        }
        Ok(())
    }

    /// The record of worker `worker_id` heartbeating at `now`.
    pub fn into_record(self, worker_id: String, now: Timestamp) -> WorkerRecord {
        WorkerRecord {
            worker_id,
            hostname: self.hostname,
            queues: self.queues,
            concurrency: self.concurrency,
            running: self.running,
            arch: self.arch,
            version: self.version,
            started_at: self.started_at,
            last_heartbeat: now,
            stopped_at: self.stopped_at,
        }
    }
}

/// Register a worker, or record its heartbeat.
#[utoipa::path(put, path = "/worker/workers/{worker_id}", tag = "worker-api",
    params(("worker_id" = String, Path, description = "Unique id of the worker process")),
    request_body = WorkerBeat,
    responses(
        (status = 200, description = "Recorded; the worker as monitoring shows it", body = WorkerView),
        (status = 400, description = "A bad field, named in the message", body = ErrorBody),
        (status = 401, description = "No worker token, or not one the server accepts", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(%worker_id))]
async fn put_worker(
    State(state): State<AppState>,
    Path(worker_id): Path<String>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<WorkerView>, ApiError> {
    check_name("worker id", &worker_id)?;
    let now = state.now();
    let record = WorkerBeat::from_json(body)?.into_record(worker_id, now);
    state.store.record_worker(record.clone()).await?;
    Ok(Json(WorkerView::new(
        record,
        now,
        state.config.worker_dead_after,
    )))
}
