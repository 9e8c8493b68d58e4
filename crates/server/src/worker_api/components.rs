//! Components by digest: what a worker fetches before running a task (and then checks
//! against the digest itself).

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use weft_runtime::Digest;

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_component))
}

/// Fetch a component of a tenant by digest.
#[utoipa::path(get, path = "/worker/tenants/{tenant}/components/{digest}", tag = "worker-api",
    params(
        ("tenant" = String, Path, description = "The tenant that deployed it (as in the task's delivery)"),
        ("digest" = String, Path, description = "The component's digest: `sha256:<64 hex digits>` (the prefix may be left out)"),
    ),
    responses(
        (status = 200, description = "The component", body = inline(crate::schemas::ComponentBytes), content_type = "application/wasm"),
        (status = 400, description = "Not a digest", body = ErrorBody),
        (status = 401, description = "No worker token, or not one the server accepts", body = ErrorBody),
        (status = 404, description = "No component with this digest", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(%tenant, %digest))]
async fn get_component(
    State(state): State<AppState>,
    Path((tenant, digest)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let parsed: Digest = digest
        .parse()
        .map_err(|e: weft_runtime::ParseDigestError| ApiError::invalid(e.to_string()))?;
    let canonical = parsed.to_string();
    let bytes = state
        .store
        .component(&tenant, &canonical)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no component {canonical}")))?;
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
