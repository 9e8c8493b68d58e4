//! `GET /dags/{dag_id}/runs/{run_id}?wait_ms=N`: the answer is held until the run ends.

use std::time::Duration;

use serde_json::json;
use tower::ServiceExt as _;
use weft_model::DagRunState;
use weft_server::ServerConfig;
use weft_store::{DEFAULT_TENANT, RunPk, SetRunState, WriteBatch};
use weft_test_guests_artifacts as guests;

use crate::support::{Harness, now};

/// A harness whose waits never look at the store on their own: only announcements wake them.
async fn announcing_only() -> Harness {
    Harness::with_config(ServerConfig {
        run_wait_recheck: Duration::from_secs(3600),
        ..ServerConfig::default()
    })
    .await
}

async fn triggered_run(h: &Harness) -> (String, RunPk) {
    h.deployed(guests::NOOP).await;
    let run_id = h.triggered("noop", json!({"run_id": "r1"})).await;
    let run = h
        .store
        .run_by_id(DEFAULT_TENANT, "noop", &run_id)
        .await
        .expect("store")
        .expect("run");
    (run_id, run.id)
}

async fn end(h: &Harness, run: RunPk) {
    let batch = WriteBatch {
        set_run: vec![SetRunState {
            run,
            state: DagRunState::Success,
            at: now(),
        }],
        ..WriteBatch::default()
    };
    h.store.write(batch).await.expect("write");
}

/// Start a waiting request in the background; its JSON answer.
fn wait_in_background(
    h: &Harness,
    uri: String,
) -> tokio::task::JoinHandle<(axum::http::StatusCode, serde_json::Value)> {
    let app = h.app.clone();
    tokio::spawn(async move {
        let request = axum::http::Request::get(uri)
            .body(axum::body::Body::empty())
            .expect("request");
        let response = app.oneshot(request).await.expect("infallible");
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        (status, serde_json::from_slice(&body).expect("JSON answer"))
    })
}

#[tokio::test]
async fn a_waiting_request_is_answered_when_the_run_is_announced_as_ended() {
    let h = announcing_only().await;
    let (run_id, pk) = triggered_run(&h).await;
    let waiting = wait_in_background(&h, format!("/api/v1/dags/noop/runs/{run_id}?wait_ms=30000"));
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!waiting.is_finished(), "answered before the run ended");
    end(&h, pk).await;
    // Another run's end does not answer it; this run's does.
    h.control.announce_ended(pk + 1000);
    h.control.announce_ended(pk);
    let (status, run) = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("answered once announced")
        .expect("request task");
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["state"], "success", "{run}");
    assert_eq!(run["task_instances"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn a_wait_that_runs_out_shows_the_run_as_it_is() {
    let h = announcing_only().await;
    let (run_id, _) = triggered_run(&h).await;
    let started = tokio::time::Instant::now();
    let run = h
        .get(&format!("/api/v1/dags/noop/runs/{run_id}?wait_ms=150"))
        .await
        .json();
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(run["state"], "queued", "{run}");
}

#[tokio::test]
async fn an_ended_run_is_shown_at_once() {
    let h = announcing_only().await;
    let (run_id, pk) = triggered_run(&h).await;
    end(&h, pk).await;
    let run = tokio::time::timeout(
        Duration::from_secs(10),
        h.get(&format!("/api/v1/dags/noop/runs/{run_id}?wait_ms=60000")),
    )
    .await
    .expect("no wait for a run that has ended")
    .json();
    assert_eq!(run["state"], "success", "{run}");
}

#[tokio::test]
async fn without_announcements_a_wait_reads_the_store() {
    let h = Harness::new().await;
    h.control.stop_announcing();
    let (run_id, pk) = triggered_run(&h).await;
    let waiting = wait_in_background(&h, format!("/api/v1/dags/noop/runs/{run_id}?wait_ms=30000"));
    tokio::time::sleep(Duration::from_millis(50)).await;
    end(&h, pk).await;
    let (status, run) = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("answered once the store says so")
        .expect("request task");
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["state"], "success", "{run}");
}

#[tokio::test]
async fn bad_waits_are_400_and_unknown_runs_404_at_once() {
    let h = announcing_only().await;
    let (run_id, _) = triggered_run(&h).await;
    for (query, words) in [
        (
            "wait_ms=60001",
            "wait_ms 60001 is out of range (0 to 60000)",
        ),
        ("wait_ms=soon", "wait_ms"),
        ("wait_ms=-1", "wait_ms"),
        ("wait=10", "unknown field `wait`"),
    ] {
        let message = h
            .get(&format!("/api/v1/dags/noop/runs/{run_id}?{query}"))
            .await
            .assert_error(axum::http::StatusCode::BAD_REQUEST, "invalid_request");
        assert!(message.contains(words), "{query}: {message}");
    }
    let message = tokio::time::timeout(
        Duration::from_secs(10),
        h.get("/api/v1/dags/noop/runs/r2?wait_ms=60000"),
    )
    .await
    .expect("a 404 does not wait")
    .assert_error(axum::http::StatusCode::NOT_FOUND, "not_found");
    assert!(message.contains("r2"), "{message}");
}
