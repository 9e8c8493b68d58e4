//! The worker API, under `/api/v1/worker/`: what a worker on another machine needs from Weft
//! with no database credentials — components by digest, the host calls of its current
//! attempts (XCom values, variables, the connections and secrets they declare, runs they
//! trigger), live logs — and where it registers and heartbeats. It is a router of its own so that it gets its own
//! authentication: with worker tokens configured, every route needs one (see
//! [`auth`](crate::auth)). Each route acts for the tenant of the attempt it names (or, for components,
//! the tenant in its path), never for a tenant the request chooses otherwise.
//!
//! Task results do not come this way: they travel through the queue backend to the scheduler.

pub mod access;
pub mod calls;
pub mod components;
pub mod logs;
pub mod registry;

use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use weft_protocol::envelope::check_version;
use weft_protocol::worker_api::{VERSION_HEADER, VERSION_MISMATCH};

use crate::error::ApiError;
use crate::state::AppState;

/// Where the worker API is mounted, under [`API_PREFIX`](crate::API_PREFIX).
pub const WORKER_PREFIX: &str = "/worker/";

/// Every route of the worker API.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(calls::routes())
        .merge(components::routes())
        .merge(logs::routes())
        .merge(registry::routes())
        .route_layer(middleware::from_fn(protocol_version))
}

/// A worker of another protocol version is told so by name (400, code
/// [`VERSION_MISMATCH`]) before it is answered in terms it cannot read. A call without the
/// header (a person with curl) is served.
async fn protocol_version(request: Request, next: Next) -> Response {
    if let Some(announced) = request.headers().get(VERSION_HEADER) {
        let checked = match announced.to_str() {
            Ok(text) => check_version(text),
            Err(_) => check_version(""),
        };
        if let Err(e) = checked {
            return ApiError::BadRequest {
                code: VERSION_MISMATCH,
                message: e.to_string(),
            }
            .into_response();
        }
    }
    next.run(request).await
}
