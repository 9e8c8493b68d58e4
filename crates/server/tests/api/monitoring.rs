//! Watching work in flight: a running attempt's live log (stored from its worker's lines,
//! streamed as server-sent events), a DAG's grid, and queue depths.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use futures_util::StreamExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;
use weft_store::{DEFAULT_TENANT, FinishTask, TaskInstance, WriteBatch};
use weft_test_guests_artifacts as guests;

use crate::support::{Harness, succeeded};

const LOGS: &str = "/api/v1/dags/normal/runs/r1/tasks/echo_context/logs";

/// A run `r1` of DAG `normal` whose task `echo_context` is queued: the task instance and
/// the lease of its attempt.
async fn queued() -> (Harness, TaskInstance, i64) {
    let h = Harness::new().await;
    h.deployed(guests::NORMAL).await;
    h.triggered("normal", json!({"run_id": "r1"})).await;
    let run = h
        .store
        .run_by_id(DEFAULT_TENANT, "normal", "r1")
        .await
        .expect("run")
        .expect("r1");
    let (_, tis) = h.store.run(run.id).await.expect("run").expect("r1");
    let ti = tis
        .into_iter()
        .find(|t| t.task_id == "echo_context")
        .expect("echo_context");
    h.queue_first_try(&ti).await;
    let lease = ti.lease + 1;
    (h, ti, lease)
}

fn line(message: &str) -> Value {
    json!({"offset": {"secs": 0, "nanos": 1000}, "level": "info", "source": "task", "message": message})
}

/// Send `messages` as lines from number `first` on.
async fn send_lines(h: &Harness, ti: i64, lease: i64, first: u64, messages: &[&str]) -> StatusCode {
    let lines: Vec<Value> = messages.iter().map(|m| line(m)).collect();
    let uri = format!("/api/v1/worker/attempts/{ti}/{lease}/logs");
    h.json(
        Method::POST,
        &uri,
        json!({ "first_line": first, "lines": lines }),
    )
    .await
    .status
}

/// Finish the attempt with `log` as its final log.
async fn finish(h: &Harness, ti: i64, lease: i64, messages: &[&str]) {
    let mut log = Vec::new();
    for m in messages {
        log.extend_from_slice(line(m).to_string().as_bytes());
        log.push(b'\n');
    }
    let batch = WriteBatch {
        finish: vec![FinishTask {
            log: Some(log),
            ..succeeded(ti, lease)
        }],
        ..WriteBatch::default()
    };
    assert_eq!(h.store.write(batch).await.expect("finish").finished, [true]);
}

fn messages(log: &Value) -> Vec<String> {
    log["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| l["message"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Reads server-sent events off a response body.
struct Events {
    body: axum::body::BodyDataStream,
    buffer: String,
}

impl Events {
    async fn open(h: &Harness, uri: &str, last_event_id: Option<&str>) -> Events {
        let mut request = Request::get(uri);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = h
            .app
            .clone()
            .oneshot(request.body(Body::empty()).expect("request"))
            .await
            .expect("infallible");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()["content-type"],
            "text/event-stream",
            "{:?}",
            response.headers()
        );
        Events {
            body: response.into_body().into_data_stream(),
            buffer: String::new(),
        }
    }

    /// The next event's type and data; `None` when the stream ends.
    async fn next(&mut self) -> Option<(String, String)> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut event, mut data) = (String::new(), String::new());
                for field in block.lines() {
                    if let Some(v) = field.strip_prefix("event: ") {
                        event = v.to_owned();
                    } else if let Some(v) = field.strip_prefix("data: ") {
                        data = v.to_owned();
                    }
                }
                if !data.is_empty() {
                    return Some((event, data));
                }
                continue;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(10), self.body.next())
                .await
                .expect("an event within 10 s")?
                .expect("body");
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// The messages of the `line` events up to and with `until`.
    async fn lines_until(&mut self, until: &str) -> Vec<String> {
        let mut seen = Vec::new();
        while !seen.iter().any(|m| m == until) {
            let (event, data) = self.next().await.expect("more events");
            assert_eq!(event, "line", "{data}");
            let line: Value = serde_json::from_str(&data).expect("JSON");
            seen.push(line["message"].as_str().unwrap_or_default().to_owned());
        }
        seen
    }
}

#[tokio::test]
async fn a_running_attempts_lines_are_stored_and_streamed_as_they_come() {
    let (h, ti, lease) = queued().await;
    assert_eq!(
        send_lines(&h, ti.id, lease, 0, &["one", "two"]).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(messages(&h.get(LOGS).await.json()), ["one", "two"]);

    let mut events = Events::open(&h, &format!("{LOGS}/stream"), None).await;
    assert_eq!(events.lines_until("two").await, ["one", "two"]);
    assert_eq!(
        send_lines(&h, ti.id, lease, 2, &["three"]).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(events.lines_until("three").await, ["three"]);
    // The final log holds every line; the stream sends the ones it had not, then ends.
    finish(&h, ti.id, lease, &["one", "two", "three", "four"]).await;
    assert_eq!(events.lines_until("four").await, ["four"]);
    let (event, data) = events.next().await.expect("the end");
    assert_eq!(
        (event.as_str(), data.as_str()),
        ("end", r#"{"state":"success"}"#)
    );
    assert!(events.next().await.is_none(), "the stream closes");

    // An ended attempt's stream sends its log at once, after the line a client names.
    let mut again = Events::open(&h, &format!("{LOGS}/stream"), Some("1")).await;
    assert_eq!(again.lines_until("four").await, ["three", "four"]);
    assert_eq!(again.next().await.expect("end").0, "end");
}

#[tokio::test]
async fn lines_from_an_attempt_that_is_not_current_are_refused_and_change_nothing() {
    let (h, ti, lease) = queued().await;
    assert_eq!(
        send_lines(&h, ti.id, lease, 0, &["mine"]).await,
        StatusCode::NO_CONTENT
    );
    let uri = format!("/api/v1/worker/attempts/{}/{}/logs", ti.id, lease + 1);
    h.json(
        Method::POST,
        &uri,
        json!({"first_line": 1, "lines": [line("forged")]}),
    )
    .await
    .assert_error(StatusCode::FORBIDDEN, "stale_attempt");
    let uri = format!("/api/v1/worker/attempts/{}/{lease}/logs", ti.id);
    h.json(
        Method::POST,
        &uri,
        json!({"first_line": 1, "lines": "not lines"}),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "invalid_json");
    h.json(
        Method::POST,
        &uri,
        json!({"first_line": 1, "lines": [{"message": "no level"}]}),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "invalid_json");
    finish(&h, ti.id, lease, &["mine", "final"]).await;
    h.json(
        Method::POST,
        &uri,
        json!({"first_line": 1, "lines": [line("late")]}),
    )
    .await
    .assert_error(StatusCode::FORBIDDEN, "stale_attempt");
    assert_eq!(messages(&h.get(LOGS).await.json()), ["mine", "final"]);
    let request = Request::get(format!("{LOGS}/stream"))
        .header("last-event-id", "x")
        .body(Body::empty())
        .expect("request");
    h.request(request)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
}

#[tokio::test]
async fn the_grid_shows_the_latest_runs_with_their_task_instances() {
    let h = Harness::new().await;
    h.deployed(guests::NORMAL).await;
    for run in ["r1", "r2", "r3"] {
        h.triggered("normal", json!({"run_id": run})).await;
    }
    let grid = h.get("/api/v1/dags/normal/grid?limit=2").await.json();
    assert_eq!(grid["dag_id"], "normal");
    let runs = grid["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 2, "{grid}");
    for run in runs {
        let detail = h
            .get(&format!(
                "/api/v1/dags/normal/runs/{}",
                run["run_id"].as_str().expect("id")
            ))
            .await
            .json();
        assert_eq!(run, &detail, "each run as its own route shows it");
    }
    for limit in ["0", "101", "x"] {
        h.get(&format!("/api/v1/dags/normal/grid?limit={limit}"))
            .await
            .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    }
    h.get("/api/v1/dags/nope/grid")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn queues_count_what_waits_and_runs() {
    let (h, _, _) = queued().await;
    let queues = h.get("/api/v1/queues").await.json();
    let all = queues["queues"].as_array().expect("queues");
    assert_eq!(all.len(), 1, "{queues}");
    assert_eq!(all[0]["queue"], "default");
    assert_eq!(
        (all[0]["queued"].as_u64(), all[0]["running"].as_u64()),
        (Some(1), Some(0))
    );
    assert!(all[0]["oldest_age_seconds"].as_f64().is_some(), "{queues}");
    let pools = h.get("/api/v1/pools").await.json();
    let default = &pools["pools"][0];
    assert_eq!(default["name"], "default_pool");
    assert_eq!(
        (default["used_slots"].as_u64(), default["waiting"].as_u64()),
        (Some(1), Some(0)),
        "a queued task holds a slot: {pools}"
    );
}

#[tokio::test]
async fn a_delivery_run_again_under_the_same_lease_starts_its_log_afresh() {
    let (h, ti, lease) = queued().await;
    assert_eq!(
        send_lines(&h, ti.id, lease, 0, &["a", "b"]).await,
        StatusCode::NO_CONTENT
    );
    // The worker that ran it died before it reported; the delivery runs again.
    assert_eq!(
        send_lines(&h, ti.id, lease, 0, &["a2"]).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        send_lines(&h, ti.id, lease, 1, &["b2"]).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(messages(&h.get(LOGS).await.json()), ["a2", "b2"]);
}
