//! `POST /dags` and the DAG routes.

use axum::http::{Method, StatusCode, header};
use serde_json::json;
use weft_runtime::Digest;
use weft_scheduler::Notice;
use weft_server::ServerConfig;
use weft_test_guests_artifacts as guests;

use crate::support::{Call, Harness, guest};

#[tokio::test]
async fn deploying_a_component_stores_it_and_tells_the_scheduler() {
    let h = Harness::new().await;
    let bytes = guest(guests::NORMAL);
    let reply = h.deploy(bytes.clone()).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json());
    assert_eq!(reply.headers[header::LOCATION], "/api/v1/dags/normal");
    assert_eq!(
        reply.json(),
        json!({
            "dag_id": "normal",
            "digest": Digest::of(&bytes).to_string(),
            "task_count": 9,
            "created_dag": true,
            "new_version": true,
        })
    );
    assert!(h.has_component(&bytes).await);
    assert_eq!(
        h.notices(),
        vec![Call::Notify(Notice::DagChanged {
            tenant: "default".into(),
            dag_id: "normal".into()
        })]
    );

    let again = h.deploy(bytes).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.json()["created_dag"], false);
    assert_eq!(again.json()["new_version"], false);
}

#[tokio::test]
async fn octet_stream_and_no_content_type_are_accepted() {
    let h = Harness::new().await;
    let reply = h
        .send(
            Method::POST,
            "/api/v1/dags",
            Some("application/octet-stream"),
            guest(guests::NOOP),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json());
    let reply = h
        .send(Method::POST, "/api/v1/dags", None, guest(guests::NOOP))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json());
}

#[tokio::test]
async fn bad_components_are_refused_by_class_and_nothing_changes() {
    let h = Harness::new().await;
    h.deployed(guests::NOOP).await;
    let before = h.stored_dags().await;
    let notices_before = h.notices().len();
    let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        (
            "not wasm",
            guests::NOT_WASM.to_vec(),
            "invalid_component",
            "not a WebAssembly binary",
        ),
        (
            "empty",
            Vec::new(),
            "invalid_component",
            "not a WebAssembly binary",
        ),
        (
            "core module",
            guests::CORE_MODULE.to_vec(),
            "invalid_component",
            "core WebAssembly module",
        ),
        (
            "not a dag",
            guest(guests::NOT_A_DAG),
            "not_a_dag_component",
            "weft:dag",
        ),
        ("cycle", guest(guests::CYCLE), "invalid_dag_spec", "cycle"),
        (
            "unknown upstream",
            guest(guests::UNKNOWN_UPSTREAM),
            "invalid_dag_spec",
            "upstream",
        ),
    ];
    for (name, bytes, code, words) in cases {
        let reply = h.deploy(bytes.clone()).await;
        let message = reply.assert_error(StatusCode::BAD_REQUEST, code);
        assert!(
            message.contains(words),
            "{name}: {message:?} does not mention {words:?}"
        );
        assert!(!h.has_component(&bytes).await, "{name}: component stored");
        assert_eq!(h.stored_dags().await, before, "{name}: stored DAGs changed");
        assert_eq!(
            h.notices().len(),
            notices_before,
            "{name}: scheduler notified"
        );
    }
}

#[tokio::test]
async fn a_component_sent_as_json_is_refused() {
    let h = Harness::new().await;
    let bytes = guest(guests::NOOP);
    let reply = h
        .send(
            Method::POST,
            "/api/v1/dags",
            Some("application/json"),
            bytes.clone(),
        )
        .await;
    let message = reply.assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    assert!(message.contains("application/wasm"), "{message}");
    assert!(!h.has_component(&bytes).await);
    assert!(h.stored_dags().await.is_empty());
}

#[tokio::test]
async fn a_component_over_the_limit_is_refused() {
    let h = Harness::with_config(ServerConfig {
        max_component_bytes: 1024,
        ..ServerConfig::default()
    })
    .await;
    let bytes = guest(guests::NOOP);
    assert!(bytes.len() > 1024);
    h.deploy(bytes.clone())
        .await
        .assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    assert!(!h.has_component(&bytes).await);
    assert!(h.stored_dags().await.is_empty());
}

#[tokio::test]
async fn dags_are_listed_and_shown_with_their_tasks_and_versions() {
    let h = Harness::new().await;
    let deployed = h.deployed(guests::NORMAL).await;
    h.deployed(guests::NOOP).await;

    let list = h.get("/api/v1/dags").await;
    assert_eq!(list.status, StatusCode::OK);
    let ids: Vec<_> = list.json()["dags"]
        .as_array()
        .expect("dags")
        .iter()
        .map(|d| d["dag_id"].clone())
        .collect();
    assert_eq!(ids, vec![json!("noop"), json!("normal")]);

    let dag = h.get("/api/v1/dags/normal").await.json();
    assert_eq!(dag["dag_id"], "normal");
    assert_eq!(dag["paused"], false);
    assert_eq!(dag["digest"], deployed["digest"]);
    assert_eq!(dag["task_count"], 9);
    assert_eq!(dag["created_at"], "2024-06-01T12:00:00Z");
    assert_eq!(dag["spec"]["dag_id"], "normal");
    let tasks = dag["tasks"].as_array().expect("tasks");
    assert_eq!(tasks.len(), 9);
    let upstream = tasks
        .iter()
        .find(|t| t["task_id"] == "upstream")
        .expect("task upstream");
    assert_eq!(upstream["upstream"], json!(["echo_context", "xcom"]));
    assert_eq!(upstream["trigger_rule"], "all_success");
    assert_eq!(upstream["queue"], "default");
    assert_eq!(upstream["pool"], "default_pool");

    let versions = h.get("/api/v1/dags/normal/versions").await.json();
    assert_eq!(versions["dag_id"], "normal");
    assert_eq!(versions["versions"][0]["digest"], deployed["digest"]);
    assert_eq!(versions["versions"][0]["current"], true);
    assert_eq!(versions["versions"][0]["task_count"], 9);
}

#[tokio::test]
async fn unknown_dags_are_404() {
    let h = Harness::new().await;
    for uri in [
        "/api/v1/dags/nope",
        "/api/v1/dags/nope/versions",
        "/api/v1/dags/nope/runs",
    ] {
        let message = h
            .get(uri)
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
        assert!(message.contains("nope"), "{uri}: {message}");
    }
    let reply = h
        .json(Method::PATCH, "/api/v1/dags/nope", json!({"paused": true}))
        .await;
    reply.assert_error(StatusCode::NOT_FOUND, "not_found");
    assert!(h.notices().is_empty());
}

#[tokio::test]
async fn pausing_changes_the_dag_and_tells_the_scheduler() {
    let h = Harness::new().await;
    h.deployed(guests::NOOP).await;
    let reply = h
        .json(Method::PATCH, "/api/v1/dags/noop", json!({"paused": true}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    assert_eq!(reply.json()["paused"], true);
    assert_eq!(h.get("/api/v1/dags/noop").await.json()["paused"], true);
    assert_eq!(h.notices().len(), 2, "deploy and pause each notify");
    let reply = h
        .json(Method::PATCH, "/api/v1/dags/noop", json!({"paused": false}))
        .await;
    assert_eq!(reply.json()["paused"], false);
}

#[tokio::test]
async fn bad_pause_bodies_are_400_and_change_nothing() {
    let h = Harness::new().await;
    h.deployed(guests::NOOP).await;
    let before = h.stored_dags().await;
    for (body, words) in [
        ("{\"paused\": \"yes\"}", "invalid type"),
        ("{}", "missing field `paused`"),
        ("{\"pause\": true}", "unknown field `pause`"),
        ("paused", "JSON object"),
    ] {
        let reply = h.raw_json(Method::PATCH, "/api/v1/dags/noop", body).await;
        let message = reply.assert_error(StatusCode::BAD_REQUEST, "invalid_json");
        assert!(message.contains(words), "{body}: {message}");
    }
    let reply = h
        .send(
            Method::PATCH,
            "/api/v1/dags/noop",
            Some("text/plain"),
            "{\"paused\": true}",
        )
        .await;
    reply.assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    assert_eq!(h.stored_dags().await, before);
    assert_eq!(h.notices().len(), 1);
}
