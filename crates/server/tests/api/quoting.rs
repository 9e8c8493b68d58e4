//! What an error quotes of the request is bounded: a huge id in a path parameter (60,000
//! characters: a URI holds at most 64 KiB) or in a JSON body (100,000) gets an error body of
//! a few kilobytes at most, never the id whole.

use axum::http::Method;
use serde_json::json;

use crate::support::{Harness, Reply};

#[track_caller]
fn assert_bounded(what: &str, reply: &Reply) {
    let text = String::from_utf8_lossy(&reply.body);
    assert!(
        reply.body.len() < 3_000,
        "{what}: {} bytes, {}",
        reply.body.len(),
        &text[..text.len().min(300)]
    );
}

#[tokio::test]
async fn an_error_never_echoes_a_huge_id_whole() {
    let h = Harness::new().await;
    let id = "x".repeat(60_000);
    let paths = [
        format!("/api/v1/dags/{id}"),
        format!("/api/v1/dags/{id}/runs"),
        format!("/api/v1/dags/d/runs/{id}"),
        format!("/api/v1/dags/d/runs/r/tasks/{id}/logs"),
        format!("/api/v1/dags/d/runs/r/xcom?task_id={id}"),
        format!("/api/v1/variables/{id}"),
        format!("/api/v1/connections/{id}"),
        format!("/api/v1/secrets/{id}"),
        format!("/api/v1/pools/{id}"),
        format!("/api/v1/tenants/{id}"),
        format!("/api/v1/tokens/{id}"),
        format!("/api/v1/worker/attempts/{id}/1/components/k"),
        format!("/api/v1/worker/attempts/1/1/components/{id}"),
        format!("/api/v1/{id}"),
    ];
    for path in paths {
        assert_bounded(&path[..40], &h.get(&path).await);
    }

    let id = "x".repeat(100_000);
    let bodies = [
        ("/api/v1/dags/d/runs", json!({"run_id": id})),
        ("/api/v1/tokens", json!({"name": id, "role": "viewer"})),
        ("/api/v1/tenants", json!({"name": id})),
        ("/api/v1/dags/d/backfill", json!({"start": id, "end": id})),
        ("/api/v1/variables/k", json!({"value": 1, id.clone(): 2})),
        (
            "/api/v1/worker/attempts/1/1/calls",
            json!({"call": "xcom", "request": {"task_id": id, "key": "k"}}),
        ),
        ("/api/v1/worker/attempts/1/1/calls", json!({"call": id})),
    ];
    for (path, body) in bodies {
        let method = if path.starts_with("/api/v1/variables") {
            Method::PUT
        } else {
            Method::POST
        };
        assert_bounded(path, &h.json(method, path, body).await);
    }
}
