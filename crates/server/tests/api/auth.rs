//! Configured bearer tokens: with an administrator token, every route of the user API but
//! health and the document needs a token; the worker API needs a worker token; with no
//! tokens configured nothing is checked. (Tenant tokens and roles: `tenancy.rs`.)

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Method, StatusCode, header};
use serde_json::json;
use weft_protocol::AttemptRef;
use weft_protocol::host_call::VariableRead;
use weft_server::{AuthConfig, ServerConfig};
use weft_store::DEFAULT_TENANT;
use weft_test_guests_artifacts as guests;

use crate::support::{Harness, Reply, guest};

const API: &str = "api-secret-1";
const WORKER: &str = "worker-secret-1";

fn config(api: &[&str], worker: &[&str]) -> ServerConfig {
    ServerConfig {
        auth: AuthConfig {
            api_tokens: api.iter().map(|t| (*t).to_owned()).collect(),
            worker_tokens: worker.iter().map(|t| (*t).to_owned()).collect(),
            open_reads: false,
        },
        ..ServerConfig::default()
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// Assert a 401 with the error body and `WWW-Authenticate: Bearer`; its message.
#[track_caller]
fn assert_unauthorized(reply: &Reply, words: &str) {
    let message = reply.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(reply.headers[header::WWW_AUTHENTICATE], "Bearer");
    assert!(message.contains(words), "{message}");
}

async fn put_variable(h: &Harness, authorization: Option<&str>, key: &str) -> Reply {
    let body = json!({"value": "v"}).to_string();
    let uri = format!("/api/v1/variables/{key}");
    h.send_as(
        authorization,
        Method::PUT,
        &uri,
        Some("application/json"),
        body,
    )
    .await
}

#[tokio::test]
async fn without_tokens_nothing_is_checked() {
    let h = Harness::new().await;
    assert_eq!(
        put_variable(&h, None, "k").await.status,
        StatusCode::CREATED
    );
    // A header of another scheme is no token.
    let reply = put_variable(&h, Some("Basic dXNlcjpwYXNz"), "k").await;
    assert_eq!(reply.status, StatusCode::OK);
    let reply = h
        .get("/api/v1/worker/attempts/1/1/components/sha256:00")
        .await;
    assert_ne!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.json());
}

#[tokio::test]
async fn every_request_needs_a_token_but_health_and_the_document() {
    let h = Harness::with_config(config(&[API, "api-secret-2"], &[WORKER])).await;
    assert_unauthorized(&put_variable(&h, None, "k").await, "missing bearer token");
    assert_unauthorized(
        &put_variable(&h, Some("Basic dXNlcjpwYXNz"), "k").await,
        "missing bearer token",
    );
    assert_unauthorized(
        &put_variable(&h, Some(&bearer("wrong")), "k").await,
        "token not accepted",
    );
    // A worker token is not an API token.
    assert_unauthorized(
        &put_variable(&h, Some(&bearer(WORKER)), "k").await,
        "token not accepted",
    );
    assert!(
        h.store
            .variables(DEFAULT_TENANT)
            .await
            .expect("variables")
            .is_empty()
    );

    // Every configured token is accepted; the scheme's case does not matter.
    let reply = put_variable(&h, Some(&bearer(API)), "k").await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json());
    let reply = put_variable(&h, Some("bearer api-secret-2"), "k2").await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json());

    // Reads need a token too; health and the document do not.
    for uri in [
        "/api/v1/variables",
        "/api/v1/variables/k",
        "/api/v1/dags",
        "/api/v1/workers",
    ] {
        assert_unauthorized(&h.get(uri).await, "missing bearer token");
        let reply = h
            .send_as(Some(&bearer(API)), Method::GET, uri, None, "")
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}");
        assert_eq!(reply.headers["weft-tenant"], "default", "{uri}");
    }
    for uri in ["/api/v1/health", "/api/v1/openapi.json"] {
        assert_eq!(h.get(uri).await.status, StatusCode::OK, "{uri}");
    }
    // HEAD needs what GET needs.
    let head = |token: Option<String>| {
        let h = &h;
        async move {
            h.send_as(token.as_deref(), Method::HEAD, "/api/v1/dags", None, "")
                .await
                .status
        }
    };
    assert_eq!(head(None).await, StatusCode::UNAUTHORIZED);
    assert_eq!(head(Some(bearer(API))).await, StatusCode::OK);
    let reply = h.send(Method::HEAD, "/api/v1/health", None, "").await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn every_kind_of_write_is_checked_before_it_does_anything() {
    let h = Harness::with_config(config(&[API], &[])).await;
    let deploy = h
        .send(
            Method::POST,
            "/api/v1/dags",
            Some("application/wasm"),
            guest(guests::NOOP),
        )
        .await;
    assert_unauthorized(&deploy, "missing bearer token");
    assert!(!h.has_component(&guest(guests::NOOP)).await);
    assert!(h.commands().is_empty(), "{:?}", h.commands());

    let cases = [
        (Method::PATCH, "/api/v1/dags/noop", json!({"paused": true})),
        (Method::POST, "/api/v1/dags/noop/runs", json!({})),
        (Method::PUT, "/api/v1/pools/p", json!({"slots": 1})),
        (Method::DELETE, "/api/v1/variables/k", json!({})),
    ];
    for (method, uri, body) in cases {
        let reply = h.json(method.clone(), uri, body).await;
        assert_unauthorized(&reply, "missing bearer token");
    }
    assert!(h.commands().is_empty(), "{:?}", h.commands());

    // With the token the same deploy goes through.
    let reply = h
        .send_as(
            Some(&bearer(API)),
            Method::POST,
            "/api/v1/dags",
            Some("application/wasm"),
            guest(guests::NOOP),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json());
}

#[tokio::test]
async fn worker_routes_need_a_worker_token() {
    let h = Harness::with_config(config(&[API], &[WORKER])).await;
    let digest = {
        let reply = h
            .send_as(
                Some(&bearer(API)),
                Method::POST,
                "/api/v1/dags",
                Some("application/wasm"),
                guest(guests::NOOP),
            )
            .await;
        reply.json()["digest"].as_str().expect("digest").to_owned()
    };
    let component = format!("/api/v1/worker/attempts/1/1/components/{digest}");
    let beat = json!({
        "hostname": "h", "queues": ["default"], "concurrency": 1, "running": 0,
        "finished": 0, "failed": 0,
        "arch": "x86_64", "version": "0.1.0", "started_at": "2024-06-01T11:00:00Z",
    })
    .to_string();
    for (method, uri) in [
        (Method::GET, component.as_str()),
        (Method::POST, "/api/v1/worker/attempts/1/1/calls"),
        (Method::PUT, "/api/v1/worker/workers/w1"),
    ] {
        let h = &h;
        let beat = &beat;
        let send = |authorization: Option<String>| {
            let method = method.clone();
            async move {
                h.send_as(
                    authorization.as_deref(),
                    method,
                    uri,
                    Some("application/json"),
                    Body::from(beat.clone()),
                )
                .await
            }
        };
        assert_unauthorized(&send(None).await, "missing bearer token for worker routes");
        // An API token is not a worker token, even for reads.
        assert_unauthorized(
            &send(Some(bearer(API))).await,
            "token not accepted for worker routes",
        );
        assert_unauthorized(
            &send(Some(bearer("worker-secret-2"))).await,
            "token not accepted for worker routes",
        );
        let reply = send(Some(bearer(WORKER))).await;
        assert_ne!(reply.status, StatusCode::UNAUTHORIZED, "{method} {uri}");
    }
    assert_eq!(h.store.workers().await.expect("workers").len(), 1);
    // Past the token, what is asked for an attempt is refused for the attempt: 1/1 is none.
    h.send_as(Some(&bearer(WORKER)), Method::GET, &component, None, "")
        .await
        .assert_error(StatusCode::FORBIDDEN, "stale_attempt");
}

#[tokio::test]
async fn each_check_is_off_until_its_tokens_are_set() {
    // Worker tokens only: user writes are open.
    let h = Harness::with_config(config(&[], &[WORKER])).await;
    assert_eq!(
        put_variable(&h, None, "k").await.status,
        StatusCode::CREATED
    );
    assert_unauthorized(
        &h.host_call(nobody(), variable_k()).await,
        "missing bearer token",
    );
    // API tokens only: the worker API is open (no such attempt: refused by the attempt check).
    let h = Harness::with_config(config(&[API], &[])).await;
    assert_unauthorized(&put_variable(&h, None, "k").await, "missing bearer token");
    h.host_call(nobody(), variable_k())
        .await
        .assert_error(StatusCode::FORBIDDEN, "stale_attempt");
}

/// An attempt no task instance has.
fn nobody() -> AttemptRef {
    AttemptRef {
        ti: 1,
        lease: 1,
        key: None,
    }
}

fn variable_k() -> VariableRead {
    VariableRead { key: "k".into() }
}

#[tokio::test]
async fn unknown_routes_are_not_found_whatever_the_token() {
    let h = Harness::with_config(config(&[API], &[WORKER])).await;
    for (method, uri) in [
        (Method::POST, "/api/v1/nothing"),
        (Method::GET, "/api/v1/worker/nothing"),
    ] {
        let reply = h.send(method, uri, None, "").await;
        reply.assert_error(StatusCode::NOT_FOUND, "not_found");
    }
}

/// A log sink shared with the test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log lock").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn tokens_are_never_logged_or_shown() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let h = Harness::with_config(config(&[API], &[WORKER])).await;
    put_variable(&h, Some(&bearer(API)), "k").await;
    put_variable(&h, Some(&bearer("guessed-secret")), "k").await;
    let made = h
        .send_as(
            Some(&bearer(API)),
            Method::POST,
            "/api/v1/tokens",
            Some("application/json"),
            json!({"name": "t", "role": "editor"}).to_string(),
        )
        .await
        .json();
    let tenant_token = made["token"].as_str().expect("token").to_owned();
    put_variable(&h, Some(&bearer(&tenant_token)), "k").await;
    let worker_uri = "/api/v1/worker/attempts/1/1/calls";
    let call = json!({"call": "variable", "request": {"key": "k"}}).to_string();
    for token in [WORKER, API] {
        h.send_as(
            Some(&bearer(token)),
            Method::POST,
            worker_uri,
            Some("application/json"),
            call.clone(),
        )
        .await;
    }

    let logs = String::from_utf8_lossy(&captured.0.lock().expect("log lock")).into_owned();
    assert!(logs.contains(worker_uri), "nothing was logged: {logs}");
    // `wft_<id>_<secret>`: the id is hex, and the secret (URL-safe base64) may hold `_`.
    let secret_part = tenant_token
        .strip_prefix("wft_")
        .and_then(|rest| rest.split_once('_'))
        .expect("wft_<id>_<secret>")
        .1;
    for secret in [API, WORKER, "guessed-secret", &tenant_token, secret_part] {
        assert!(!logs.contains(secret), "{secret} logged: {logs}");
    }
    let shown = format!("{:?} {:?}", h.state.config, h.state);
    for secret in [API, WORKER] {
        assert!(!shown.contains(secret), "{secret} shown: {shown}");
    }
}
