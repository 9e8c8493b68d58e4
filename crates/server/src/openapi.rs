//! The OpenAPI document of the API, generated from the handlers' annotations as the router
//! is built, so it lists exactly the routes that are served.

use std::sync::Arc;

use axum::Extension;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ErrorBody, ErrorDetail};
use crate::state::AppState;

/// The document's fixed parts: title, description, tags and shared schemas.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Weft API",
        description = "Deploy DAG components, trigger and inspect runs, manage variables, \
                       pools, connections and secrets, watch workers. Every error is `{\"error\": {\"code\", \"message\"}}`; \
                       times are RFC 3339. When the server has tokens, writes need \
                       `Authorization: Bearer <api token>` and the worker API a worker token. \
                       A tenant's request past its tenant's API rate is answered 429 \
                       (`rate_limited`) with `Retry-After` in seconds."
    ),
    tags(
        (name = "dags", description = "DAGs and their component versions"),
        (name = "assets", description = "Assets tasks update and DAGs wait for, and their events"),
        (name = "runs", description = "DAG runs: trigger, backfill, inspect, clear"),
        (name = "tasks", description = "Task instances: logs, XCom, marking by hand"),
        (name = "variables", description = "Variables shared by a tenant's DAGs"),
        (name = "connections", description = "Connections to outside systems; passwords and \
                                               extra values are stored sealed and never shown"),
        (name = "secrets", description = "Secrets tasks read; stored sealed, values never \
                                           shown; key rotation"),
        (name = "pools", description = "Pools of task slots"),
        (name = "workers", description = "Worker monitoring: queues, load, last heartbeat"),
        (name = "worker-api", description = "What workers call: components, XCom values, \
                                              variables, an attempt's connections and secrets, \
                                              heartbeats (a worker token when the server \
                                              requires one)"),
        (name = "health", description = "Health and the API's own description"),
    ),
    components(schemas(ErrorBody, ErrorDetail))
)]
pub(crate) struct ApiDoc;

/// The document as served, rendered once.
#[derive(Debug, Clone)]
pub(crate) struct Document(pub(crate) Arc<str>);

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(openapi_json))
}

/// This document: the OpenAPI description of every route.
#[utoipa::path(get, path = "/openapi.json", tag = "health",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json")))]
async fn openapi_json(Extension(Document(json)): Extension<Document>) -> Response {
    let mut response = json.to_string().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
