//! Components by digest: what a worker fetches before running a task (and then checks
//! against the digest itself), for an attempt it holds, in the attempt's tenant.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use weft_runtime::Digest;

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use crate::worker_api::access::{attempt, current_attempt};

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_component))
}

/// Fetch a component of the attempt's tenant by digest, for a current attempt (queued or running).
#[utoipa::path(get, path = "/worker/attempts/{ti}/{lease}/components/{digest}", tag = "worker-api",
    params(
        ("ti" = i64, Path, description = "The task instance (as in the task's delivery)"),
        ("lease" = i64, Path, description = "The attempt's lease (as in the task's delivery)"),
        ("weft-attempt-key" = Option<String>, Header, description = "The attempt's key, as its task message carried it (required when the server has a secret key)"),
        ("digest" = String, Path, description = "The component's digest: `sha256:<64 hex digits>` (the prefix may be left out)"),
    ),
    responses(
        (status = 200, description = "The component", body = inline(crate::schemas::ComponentBytes), content_type = "application/wasm"),
        (status = 400, description = "Not a digest, or ti or lease is not a number", body = ErrorBody),
        (status = 401, description = "No worker token, or not one the server accepts", body = ErrorBody),
        (status = 403, description = "The attempt no longer holds its lease (stale_attempt), or its key is missing or wrong (attempt_key)", body = ErrorBody),
        (status = 404, description = "No component with this digest in the attempt's tenant", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(%ti, %lease, %digest))]
async fn get_component(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((ti, lease, digest)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let parsed: Digest = digest
        .parse()
        .map_err(|e: weft_runtime::ParseDigestError| ApiError::invalid(e.to_string()))?;
    let canonical = parsed.to_string();
    let tenant = current_attempt(&state, attempt(&state, &headers, &ti, &lease)?)
        .await?
        .tenant;
    let bytes = match state.components.get(&tenant, &canonical) {
        Some(bytes) => bytes,
        None => {
            let bytes = Bytes::from(
                state
                    .store
                    .component(&tenant, &canonical)
                    .await?
                    .ok_or_else(|| ApiError::NotFound(format!("no component {canonical}")))?,
            );
            state.components.put(&tenant, &canonical, bytes.clone());
            bytes
        }
    };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/wasm"),
    );
    // A digest names its bytes forever.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=31536000, immutable"),
    );
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{canonical}\"")) {
        headers.insert(header::ETAG, etag);
    }
    Ok(response)
}
