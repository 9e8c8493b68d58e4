//! Workers register and heartbeat: each call replaces what the server knows of the worker,
//! stamped with the server's own clock.

use axum::Json;
use axum::extract::{Path, State};
use jiff::Timestamp;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
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

use crate::names::check_name;

/// A worker's registration or heartbeat, as the protocol defines it.
pub use weft_protocol::worker_api::WorkerBeat;

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

/// Field `name` of `map`, read as an integer the way every integer of the API is
/// ([`weft_model::integral`]).
fn integer_field<T: weft_model::integral::Integer>(
    map: &mut Map<String, Value>,
    name: &str,
) -> Result<T, ApiError> {
    let value = map
        .remove(name)
        .ok_or_else(|| ApiError::invalid(format!("missing field `{name}`")))?;
    weft_model::integral::required(value).map_err(|e: serde_json::Error| invalid_field(name, e))
}

/// Read and check a beat from a JSON body, naming the field at fault.
pub fn beat_from_json(body: Value) -> Result<WorkerBeat, ApiError> {
    let Value::Object(mut map) = body else {
        return Err(ApiError::invalid("request body must be a JSON object"));
    };
    if let Some(unknown) = map
        .keys()
        .find(|k| !WorkerBeat::FIELDS.contains(&k.as_str()))
    {
        return Err(ApiError::invalid(format!(
            "unknown field `{unknown}`; expected {}",
            WorkerBeat::FIELDS.join(", ")
        )));
    }
    let beat = WorkerBeat {
        hostname: field(&mut map, "hostname")?,
        queues: field(&mut map, "queues")?,
        concurrency: integer_field(&mut map, "concurrency")?,
        running: integer_field(&mut map, "running")?,
        finished: integer_field(&mut map, "finished")?,
        failed: integer_field(&mut map, "failed")?,
        arch: field(&mut map, "arch")?,
        labels: match map.remove("labels") {
            None => Vec::new(),
            Some(value) => serde_json::from_value(value).map_err(|e| invalid_field("labels", e))?,
        },
        version: field(&mut map, "version")?,
        started_at: field(&mut map, "started_at")?,
        stopped_at: match map.remove("stopped_at") {
            None => None,
            Some(value) => {
                serde_json::from_value(value).map_err(|e| invalid_field("stopped_at", e))?
            }
        },
        tenants: match map.remove("tenants") {
            None => None,
            Some(value) => {
                serde_json::from_value(value).map_err(|e| invalid_field("tenants", e))?
            }
        },
    };
    check_beat(&beat)?;
    Ok(beat)
}

fn check_beat(beat: &WorkerBeat) -> Result<(), ApiError> {
    check_name("field `hostname`", &beat.hostname)?;
    check_name("field `arch`", &beat.arch)?;
    check_name("field `version`", &beat.version)?;
    if beat.queues.is_empty() {
        return Err(invalid_field("queues", "lists no queue"));
    }
    for queue in &beat.queues {
        check_id(queue).map_err(|issue| invalid_field("queues", format!("{queue:?} {issue}")))?;
    }
    for tenant in beat.tenants.iter().flatten() {
        weft_model::tenancy::check_tenant_name(tenant)
            .map_err(|issue| invalid_field("tenants", format!("{tenant:?}: {issue}")))?;
    }
    weft_model::placement::check_labels(&beat.labels, weft_model::placement::MAX_WORKER_LABELS)
        .map_err(|issue| invalid_field("labels", issue))?;
    if beat.concurrency == 0 {
        return Err(invalid_field("concurrency", "must be at least 1"));
    }
    Ok(())
}

/// The record of worker `worker_id` heartbeating `beat` at `now`.
pub fn beat_record(beat: WorkerBeat, worker_id: String, now: Timestamp) -> WorkerRecord {
    WorkerRecord {
        worker_id,
        hostname: beat.hostname,
        queues: beat.queues,
        concurrency: beat.concurrency,
        running: beat.running,
        finished: beat.finished,
        failed: beat.failed,
        arch: beat.arch,
        labels: beat.labels,
        version: beat.version,
        started_at: beat.started_at,
        last_heartbeat: now,
        stopped_at: beat.stopped_at,
        tenants: beat.tenants,
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
    let record = beat_record(beat_from_json(body)?, worker_id, now);
    state.store.record_worker(record.clone()).await?;
    Ok(Json(crate::workers::worker_view(
        record,
        now,
        state.config.worker_dead_after,
    )))
}
