//! A server with a secret key checks the attempt key of every worker API call made for an
//! attempt: a worker that knows (or guesses) a task instance and lease but was not handed the
//! attempt gets nothing, whatever it asks.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use weft_protocol::host_call::{ConnectionRead, SecretRead, VariableRead, XcomPull};
use weft_protocol::worker_api::ATTEMPT_KEY_HEADER;
use weft_protocol::{AttemptKey, AttemptRef, HostCall, RETURN_VALUE, TriggerRun};
use weft_server::ServerConfig;

use crate::support::{Harness, Reply};
use crate::tasks::ran_once_with;

/// A host call, as `(method, path under the attempt, body)`.
fn host_call(call: impl Into<HostCall>) -> (Method, String, Option<String>) {
    let body = serde_json::to_string(&call.into()).expect("a call encodes");
    (Method::POST, "calls".to_owned(), Some(body))
}

/// The upstream output of `echo_context`.
fn echo_output() -> (Method, String, Option<String>) {
    host_call(XcomPull {
        task_id: "echo_context".into(),
        key: RETURN_VALUE.into(),
    })
}

/// Every call a worker makes for an attempt, as `(method, path under the attempt, body)`.
fn calls(digest: &str) -> Vec<(Method, String, Option<String>)> {
    vec![
        (Method::GET, format!("components/{digest}"), None),
        echo_output(),
        host_call(VariableRead {
            key: "greeting".into(),
        }),
        host_call(ConnectionRead {
            conn_id: "warehouse".into(),
        }),
        host_call(SecretRead {
            name: "api_token".into(),
        }),
        host_call(TriggerRun {
            dag_id: "normal".into(),
            conf: None,
            logical_date: None,
            run_id: None,
            call: 0,
        }),
    ]
}

async fn call(
    h: &Harness,
    attempt: AttemptRef,
    key: Option<&str>,
    (method, path, body): &(Method, String, Option<String>),
) -> Reply {
    let uri = format!(
        "/api/v1/worker/attempts/{}/{}/{path}",
        attempt.ti, attempt.lease
    );
    let mut request = Request::builder().method(method.clone()).uri(uri);
    if let Some(key) = key {
        request = request.header(ATTEMPT_KEY_HEADER, key);
    }
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    let body = body.clone().map_or_else(Body::empty, Body::from);
    h.request(request.body(body).expect("request")).await
}

#[tokio::test]
async fn only_the_attempts_own_key_opens_the_worker_api() {
    let (h, ti) = ran_once_with(ServerConfig::default()).await;
    let h = h.with_attempt_keys();
    let attempt = h.queued_in_run_of(&ti, "logs").await;
    let key = attempt.key.expect("a keyed attempt");
    let digest = h
        .store
        .dag(weft_protocol::DEFAULT_TENANT, "normal")
        .await
        .expect("dag")
        .expect("normal")
        .digest;
    // The key of the same task instance under the next lease, and one from another secret.
    let next_lease = h.attempt(attempt.ti, attempt.lease + 1).key.expect("key");
    let foreign = weft_vault::AttemptKeys::new(&weft_vault::Keyring::new(
        weft_vault::SecretKey::generate(),
        Vec::new(),
    ))
    .issue(attempt.ti, attempt.lease);
    for call_spec in calls(&digest) {
        let what = format!("{} {}", call_spec.0, call_spec.1);
        let message = call(&h, attempt, None, &call_spec)
            .await
            .assert_error(StatusCode::FORBIDDEN, "attempt_key");
        assert!(message.contains("missing"), "{what}: {message}");
        assert!(message.contains(ATTEMPT_KEY_HEADER), "{what}: {message}");
        for wrong in [next_lease, foreign, AttemptKey([0; 16])] {
            let message = call(&h, attempt, Some(&wrong.to_hex()), &call_spec)
                .await
                .assert_error(StatusCode::FORBIDDEN, "attempt_key");
            assert!(message.contains("wrong"), "{what}: {message}");
            assert!(!message.contains(&key.to_hex()), "{what}: {message}");
            assert!(!message.contains(&wrong.to_hex()), "{what}: {message}");
        }
        // Not a key at all: named, not repeated.
        let message = call(&h, attempt, Some("not-a-key"), &call_spec)
            .await
            .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
        assert!(message.contains(ATTEMPT_KEY_HEADER), "{what}: {message}");
        assert!(!message.contains("not-a-key"), "{what}: {message}");
        // The right key: past the key check (what follows depends on the call: `logs`
        // declares no connection or secret, so those are refused for that reason instead).
        let reply = call(&h, attempt, Some(&key.to_hex()), &call_spec).await;
        match reply.status {
            StatusCode::FORBIDDEN => {
                reply.assert_error(StatusCode::FORBIDDEN, "not_declared");
            }
            status => assert!(status.is_success(), "{what}: {}", reply.json()),
        }
    }
    // The right key opens what the attempt may read.
    let component = call(&h, attempt, Some(&key.to_hex()), &calls(&digest)[0]).await;
    assert_eq!(component.status, StatusCode::OK);
    let xcom = call(&h, attempt, Some(&key.to_hex()), &calls(&digest)[1]).await;
    assert_eq!(xcom.status, StatusCode::OK);
    // A key for a stale lease is the key of that lease: the lease is what refuses it then.
    let stale = h.attempt(attempt.ti, attempt.lease - 1);
    let stale_key = stale.key.expect("key").to_hex();
    call(&h, stale, Some(&stale_key), &calls(&digest)[1])
        .await
        .assert_error(StatusCode::FORBIDDEN, "stale_attempt");
}

#[tokio::test]
async fn without_a_secret_key_calls_are_taken_on_their_lease() {
    let (h, ti) = ran_once_with(ServerConfig::default()).await;
    let attempt = h.queued_in_run_of(&ti, "logs").await;
    assert_eq!(attempt.key, None);
    let reply = call(&h, attempt, None, &echo_output()).await;
    assert_eq!(reply.status, StatusCode::OK);
}
