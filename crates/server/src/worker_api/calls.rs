//! The host calls of a running task (XCom values of its run, variables of its tenant, the
//! connections and secrets its task declares, runs it triggers), all on one route and served
//! by the same function as in embedded mode ([`weft_scheduler::host_calls`]). Only the
//! attempt that holds its task instance's lease is answered (403 `stale_attempt`
//! otherwise); a connection or secret its task does not declare is refused (403
//! `not_declared`); what does not exist is answered as none.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use weft_protocol::host_call::Caller;
use weft_protocol::{HostAnswer, HostCall};
use weft_scheduler::host_calls::{self, CallFailure, Plane};

use crate::error::{ApiError, ErrorBody};
use crate::extract::JsonBody;
use crate::state::AppState;
use crate::worker_api::access::{attempt, current_attempt};

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(post_call))
}

/// Answer a host call of a current attempt (queued or running).
#[utoipa::path(post, path = "/worker/attempts/{ti}/{lease}/calls", tag = "worker-api",
    params(
        ("ti" = i64, Path, description = "The task instance (as in the task's delivery)"),
        ("lease" = i64, Path, description = "The attempt's lease (as in the task's delivery)"),
        ("weft-attempt-key" = Option<String>, Header, description = "The attempt's key, as its task message carried it (required when the server has a secret key)"),
    ),
    request_body = HostCall,
    responses(
        (status = 200, description = "The answer, `{\"call\": <the call's name>, \"answer\": ...}`: an XCom value (base64) or null, a variable's value or null, a connection with its password or null, a secret `{name, value}` or null, a triggered run (`triggered`) or why it was refused (`refused`)", body = Object),
        (status = 400, description = "ti or lease is not a number, or the body is not a host call", body = ErrorBody),
        (status = 401, description = "No worker token, or not one the server accepts", body = ErrorBody),
        (status = 403, description = "The task does not declare the connection or secret (not_declared), or the attempt no longer holds its lease (stale_attempt), or its key is missing or wrong (attempt_key)", body = ErrorBody),
        (status = 503, description = "The scheduler cannot take a triggered run now", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(%ti, %lease, call = call.name()))]
async fn post_call(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((ti, lease)): Path<(String, String)>,
    JsonBody(call): JsonBody<HostCall>,
) -> Result<Json<HostAnswer>, ApiError> {
    let attempt = attempt(&state, &headers, &ti, &lease)?;
    // The tenant and run are the attempt's own, whoever asks.
    let info = current_attempt(&state, attempt).await?;
    let tenant = info.tenant.clone();
    let caller = Caller {
        tenant: &tenant,
        run: info.run,
        attempt,
    };
    let plane = Plane {
        store: &*state.store,
        control: &*state.control,
        credentials: &state.credentials,
    };
    match host_calls::serve(plane, caller, Some(info), call).await {
        Ok(answer) => Ok(Json(answer)),
        Err(CallFailure::Refused(refusal)) => Err(ApiError::Forbidden {
            code: refusal.code(),
            message: refusal.to_string(),
        }),
        Err(CallFailure::Store(e)) => Err(e.into()),
        Err(CallFailure::Credentials { source, .. }) => Err(source.into()),
        Err(CallFailure::Control(e)) => Err(e.into()),
    }
}
