//! The worker API, under `/api/v1/worker/`: what a worker on another machine needs from Weft
//! with no database credentials — components by digest, upstream XCom values, variables —
//! and where it registers and heartbeats. It is a router of its own so that it gets its own
//! authentication: with worker tokens configured, every route needs one (see
//! [`auth`](crate::auth)). Routes act for the default tenant, like the rest of the API.
//!
//! Task results do not come this way: they travel through the queue backend to the scheduler.

pub mod components;
pub mod data;
pub mod registry;

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// Where the worker API is mounted, under [`API_PREFIX`](crate::API_PREFIX).
pub const WORKER_PREFIX: &str = "/worker/";

/// Every route of the worker API.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(components::routes())
        .merge(data::routes())
        .merge(registry::routes())
}
