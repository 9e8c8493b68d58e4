//! A running attempt's log lines, sent by its worker as they are written, stored for people
//! to watch before the attempt ends (see `tasks::stream`). The log that comes with the
//! attempt's result replaces them.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use weft_protocol::log::TaskLog;
use weft_protocol::worker_api::{LiveLogLines, MAX_LIVE_LOG_BYTES};
use weft_store::LogAppend;

use crate::error::{ApiError, ErrorBody};
use crate::extract::JsonBody;
use crate::state::AppState;
use crate::worker_api::access::attempt;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(append_log))
}

/// Add lines to the log of a running attempt.
#[utoipa::path(post, path = "/worker/attempts/{ti}/{lease}/logs", tag = "worker-api",
    params(
        ("ti" = i64, Path, description = "The task instance (as in the task's delivery)"),
        ("lease" = i64, Path, description = "The attempt's lease (as in the task's delivery)"),
        ("weft-attempt-key" = Option<String>, Header, description = "The attempt's key, as its task message carried it (required when the server has a secret key)"),
    ),
    request_body = LiveLogLines,
    responses(
        (status = 204, description = "The lines are stored"),
        (status = 400, description = "ti or lease is not a number, or the body is not lines", body = ErrorBody),
        (status = 401, description = "No worker token, or not one the server accepts", body = ErrorBody),
        (status = 403, description = "The attempt no longer holds its lease (stale_attempt), or its key is missing or wrong (attempt_key)", body = ErrorBody),
        (status = 413, description = "The attempt's stored log is full, or the body is too large (payload_too_large)", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(%ti, %lease))]
async fn append_log(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((ti, lease)): Path<(String, String)>,
    JsonBody(body): JsonBody<LiveLogLines>,
) -> Result<StatusCode, ApiError> {
    let attempt = attempt(&state, &headers, &ti, &lease)?;
    if body.lines.is_empty() {
        return Ok(StatusCode::NO_CONTENT);
    }
    let lines = TaskLog {
        lines: body.lines,
        dropped_bytes: 0,
    }
    .encode();
    match state
        .store
        .append_task_log(
            attempt.ti,
            attempt.lease,
            body.first_line > 0,
            lines,
            MAX_LIVE_LOG_BYTES,
        )
        .await?
    {
        LogAppend::Appended => Ok(StatusCode::NO_CONTENT),
        LogAppend::Stale => Err(ApiError::Forbidden {
            code: "stale_attempt",
            message: format!(
                "attempt {} (lease {}) is no longer current: it ended or was taken over",
                attempt.ti, attempt.lease
            ),
        }),
        LogAppend::Full => Err(ApiError::PayloadTooLarge(format!(
            "the log of attempt {} (lease {}) has reached {MAX_LIVE_LOG_BYTES} bytes; \
             its result will carry the rest",
            attempt.ti, attempt.lease
        ))),
    }
}
