//! Weft's API server: JSON over HTTP under `/api/v1`, built on axum.
//!
//! Users deploy DAG components (validated in the sandbox before anything is stored), trigger,
//! backfill, clear and inspect runs, read task logs and XCom values, manage variables, pools,
//! connections and secrets (never shown once stored), and watch workers. Workers on any
//! machine use the worker API (`/api/v1/worker/`): components by digest, XCom values,
//! variables, the connections and secrets an attempt declares, registration and heartbeats.
//! Every user request acts in one tenant with one role, both given by its token (see
//! [`context`]); with tokens configured ([`AuthConfig`]) every route but `/health` and
//! `/openapi.json` needs one, and the worker API a worker token.
//! `GET /api/v1/openapi.json` describes every route; the document is generated from the
//! handlers as the router is built, so it cannot drift.
//!
//! ```no_run
//! # async fn demo(state: weft_server::AppState) -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! weft_server::serve(listener, state, async {
//!     let _ = tokio::signal::ctrl_c().await;
//! })
//! .await
//! # }
//! ```
//!
//! # Layout
//! - [`state`]: the shared [`AppState`] and [`ServerConfig`]; [`context`]: who a request acts
//!   for (tenant and role, from its token); [`policy`]: what each route needs of it;
//!   [`auth`]: configured bearer tokens; `token_secrets`: the form of a tenant's tokens;
//! - [`tenants`] (the installation administrator's) and [`tokens`] (a tenant admin's);
//! - one module per resource: [`dags`], [`runs`], [`tasks`], [`variables`],
//!   [`connections`], [`secrets`] (and key rotation), [`pools`],
//!   [`workers`] and [`queues`] (monitoring), [`health`], and `openapi` (the document);
//! - [`notifications`]: listing a run's notifications (`weft-notify` delivers them);
//! - [`worker_api`]: the routes workers call; [`bus_control`]: the scheduler reached over
//!   the bus, for a server in another process than the scheduler;
//! - [`ui`]: the web UI, embedded in the binary and served under `/ui`;
//! - [`error`]: [`ApiError`] and the error body; [`extract`]: body and query extractors;
//! - `serving`: [`serve`] and [`serve_tls`] (and [`spawn_serving`], either in a task),
//!   reading requests with a bound on each header's time; [`admission`]: the bounds on
//!   connections, in all and per client;
//!   [`tls_listener`]: the TLS handshakes.

pub mod admission;
pub mod assets;
pub mod auth;
pub mod bus_control;
mod component_cache;
pub mod connections;
pub mod context;
pub mod dags;
pub mod error;
pub mod extract;
pub mod health;
pub mod metrics;
mod names;
pub mod notifications;
mod openapi;
pub mod policy;
pub mod pools;
pub mod queues;
pub mod rate_limits;
pub mod runs;
mod schemas;
pub mod secrets;
mod serving;
pub mod state;
pub mod tasks;
pub mod tenants;
pub mod tls_listener;
mod token_secrets;
pub mod tokens;
pub mod ui;
pub mod variables;
pub mod worker_api;
pub mod workers;

use std::time::Instant;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{Method, Uri};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::{Extension, Router};
use tracing::Instrument;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;

pub use admission::ConnectionLimits;
pub use auth::AuthConfig;
pub use bus_control::BusControl;
pub use context::RequestContext;
pub use error::{ApiError, ErrorBody, ErrorDetail};
pub use serving::{serve, serve_tls, spawn_serving};
pub use state::{AppState, ServerConfig};

/// Where the API is mounted.
pub const API_PREFIX: &str = "/api/v1";

/// Every route with its OpenAPI description, under [`API_PREFIX`]; with `gate`, the user
/// API's routes check their callers (without, the router only describes them).
fn api(config: &ServerConfig, gate: Option<context::Gate>) -> OpenApiRouter<AppState> {
    let worker_tokens = auth::Tokens::new(&config.auth, auth::Audience::Worker);
    // Route layers: only requests that match a route are checked, so an unknown path is
    // still a 404, whatever its token.
    let mut user_api = OpenApiRouter::new()
        .merge(dags::routes(config))
        .merge(assets::routes())
        .merge(runs::routes())
        .merge(notifications::routes())
        .merge(tasks::routes())
        .merge(variables::routes())
        .merge(connections::routes())
        .merge(secrets::routes())
        .merge(pools::routes())
        .merge(workers::routes())
        .merge(queues::routes())
        .merge(tokens::routes())
        .merge(tenants::routes())
        .merge(health::routes())
        .merge(metrics::routes())
        .merge(openapi::routes());
    if let Some(gate) = gate {
        user_api =
            user_api.route_layer(middleware::from_fn_with_state(gate, context::authenticate));
    }
    let worker_api = worker_api::routes().route_layer(middleware::from_fn_with_state(
        worker_tokens,
        auth::worker_routes,
    ));
    let mut router = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .nest(API_PREFIX, user_api.merge(worker_api));
    openapi::complete(
        router.get_openapi_mut(),
        config,
        API_PREFIX,
        &format!("{API_PREFIX}{}", worker_api::WORKER_PREFIX),
    );
    router
}

/// The OpenAPI document [`app`] serves when it is configured with `config`: the routes are
/// the same for every configuration; which of them need a token is not.
pub fn openapi_for(config: &ServerConfig) -> utoipa::openapi::OpenApi {
    api(config, None).into_openapi()
}

/// The OpenAPI document of a server that has administrator and worker tokens, so that every
/// route but `/health` and `/openapi.json` needs a token.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut config = ServerConfig::default();
    config.auth.api_tokens = vec!["administrator".to_owned()];
    config.auth.worker_tokens = vec!["worker".to_owned()];
    openapi_for(&config)
}

/// The API as a router, ready to serve or to call in tests with `tower::ServiceExt::oneshot`.
pub fn app(state: AppState) -> Router {
    let gate = context::Gate::new(&state);
    let (router, document) = api(&state.config, Some(gate)).split_for_parts();
    let json = document.to_json().unwrap_or_else(|e| {
        tracing::error!(error = %e, "cannot render the OpenAPI document");
        "{}".to_owned()
    });
    router
        .merge(ui::routes())
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(Extension(openapi::Document(json.into())))
        .layer(DefaultBodyLimit::max(state.config.max_json_bytes))
        .layer(middleware::from_fn(names::refuse_nul_in_url))
        .layer(middleware::from_fn(trace_request))
        .with_state(state)
}

/// The protocols the HTTPS server offers in the TLS handshake (ALPN).
pub const ALPN: &[&[u8]] = &[b"http/1.1"];

async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError::NotFound(format!("no route {method} {}", uri.path()))
}

async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    use axum::response::IntoResponse as _;
    let body = ErrorBody {
        error: ErrorDetail {
            code: "method_not_allowed".to_owned(),
            // Bounded like every error's message: the path is the client's.
            message: weft_model::message::shown(format!("{} does not take {method}", uri.path())),
        },
    };
    (axum::http::StatusCode::METHOD_NOT_ALLOWED, axum::Json(body)).into_response()
}

/// A span per request, and a line when it has been answered.
async fn trace_request(request: Request, next: Next) -> Response {
    let span = tracing::info_span!(
        "http",
        method = %request.method(),
        path = %request.uri().path(),
    );
    async move {
        let started = Instant::now();
        let response = next.run(request).await;
        tracing::debug!(
            status = response.status().as_u16(),
            elapsed_us = started.elapsed().as_micros() as u64,
            "request answered"
        );
        response
    }
    .instrument(span)
    .await
}
