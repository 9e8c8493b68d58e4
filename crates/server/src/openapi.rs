//! The OpenAPI document of the API, generated from the handlers' annotations as the router
//! is built, so it lists exactly the routes that are served, then completed for the server's
//! configuration: which tokens it takes ([`security`]), the exact form of parameters
//! ([`parameters`]) and the error answers each kind of operation can give ([`responses`]).

mod parameters;
mod responses;
mod security;

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
                       times are RFC 3339. A request that cannot be read (not JSON, a \
                       missing or unknown field, a value of the wrong type or outside its \
                       pattern) is answered 400; one that is read but breaks a rule the store \
                       or the scheduler keeps (a backfill that ends before it starts, a \
                       duration too long to store, a quota of 0) is answered 422 \
                       (`unprocessable`). Each operation declares a token where the server \
                       is configured to take one, required where a request without one is \
                       refused (401); a token of too small a role is refused (403). A \
                       tenant's request past its tenant's API rate is answered 429 \
                       (`rate_limited`) with `Retry-After` in seconds. Integers may be \
                       written as floats with no fraction (`2.0`)."
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

/// The operations of `item`, each with its method in capitals.
fn operations(
    item: &mut utoipa::openapi::PathItem,
) -> impl Iterator<Item = (&'static str, &mut utoipa::openapi::path::Operation)> {
    [
        ("GET", &mut item.get),
        ("PUT", &mut item.put),
        ("POST", &mut item.post),
        ("PATCH", &mut item.patch),
        ("DELETE", &mut item.delete),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.as_mut().map(|o| (method, o)))
}

/// Complete `document` for a server configured with `config`, whose user routes are under
/// `api_prefix` and worker routes under `worker_prefix`.
pub(crate) fn complete(
    document: &mut utoipa::openapi::OpenApi,
    config: &crate::ServerConfig,
    api_prefix: &str,
    worker_prefix: &str,
) {
    security::declare(document, &config.auth, api_prefix, worker_prefix);
    parameters::tighten(document);
    responses::complete(document);
}

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
