//! Logs, XCom values and marking task instances.

use axum::http::{Method, StatusCode};
use serde_json::json;
use weft_model::TaskState;
use weft_server::ServerConfig;
use weft_store::{DEFAULT_TENANT, FinishTask, TaskInstance, WriteBatch};
use weft_test_guests_artifacts as guests;

use crate::support::{Call, Harness, now};

/// A run `r1` of DAG `normal` whose task `echo_context` ran once and succeeded, with
/// output `{"rows": 3}` and XCom values `note` (`plain text`) and `blob` (`ff 00`).
async fn ran_once() -> (Harness, TaskInstance) {
    ran_once_with(ServerConfig::default()).await
}

/// [`ran_once`] on a server with `config`.
pub async fn ran_once_with(config: ServerConfig) -> (Harness, TaskInstance) {
    let h = Harness::with_config(config).await;
    h.deployed(guests::NORMAL).await;
    h.triggered("normal", json!({"run_id": "r1"})).await;
    let ti = h
        .ran_once(DEFAULT_TENANT, "normal", "r1", "echo_context")
        .await;
    (h, ti)
}

const LOGS: &str = "/api/v1/dags/normal/runs/r1/tasks/echo_context/logs";

#[tokio::test]
async fn the_latest_log_is_shown_as_json_lines() {
    let (h, _) = ran_once().await;
    for uri in [LOGS.to_owned(), format!("{LOGS}?try=1")] {
        let reply = h.get(&uri).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
        assert_eq!(
            reply.json(),
            json!({
                "task_id": "echo_context",
                "try_number": 1,
                "lines": [
                    {"offset": {"secs": 0, "nanos": 5}, "level": "info", "source": "task", "message": "hello"},
                    "not json",
                ],
            })
        );
    }
}

#[tokio::test]
async fn missing_logs_and_bad_tries_are_refused() {
    let (h, _) = ran_once().await;
    let message = h
        .get(&format!("{LOGS}?try=2"))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    assert!(message.contains("1 attempt"), "{message}");
    h.get(&format!("{LOGS}?try=0"))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    h.get(&format!("{LOGS}?try=last"))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    let message = h
        .get("/api/v1/dags/normal/runs/r1/tasks/logs/logs")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    assert!(message.contains("has not run yet"), "{message}");
    let message = h
        .get("/api/v1/dags/normal/runs/r1/tasks/ghost/logs")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    assert!(message.contains("ghost"), "{message}");
    h.get("/api/v1/dags/normal/runs/r2/tasks/echo_context/logs")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn an_attempt_that_logged_nothing_shows_an_empty_log() {
    let (h, echo) = ran_once().await;
    let (_, tis) = h.store.run(echo.run).await.expect("run").expect("run r1");
    let ti = tis
        .into_iter()
        .find(|t| t.task_id == "logs")
        .expect("task logs");
    h.queue_first_try(&ti).await;
    let finished = WriteBatch {
        finish: vec![FinishTask {
            ti: ti.id,
            lease: ti.lease + 1,
            state: TaskState::Success,
            at: now(),
            duration_ms: 1,
            started_at: Some(now()),
            worker_id: Some("w1".into()),
            hostname: Some("host1".into()),
            log: Some(Vec::new()),
            ..FinishTask::default()
        }],
        ..WriteBatch::default()
    };
    assert_eq!(
        h.store.write(finished).await.expect("finish").finished,
        [true]
    );
    let reply = h.get("/api/v1/dags/normal/runs/r1/tasks/logs/logs").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    assert_eq!(
        reply.json(),
        json!({"task_id": "logs", "try_number": 1, "lines": []})
    );
}

#[tokio::test]
async fn xcom_values_are_shown_by_encoding() {
    let (h, _) = ran_once().await;
    let reply = h.get("/api/v1/dags/normal/runs/r1/xcom").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    let mut xcoms = reply.json()["xcoms"].as_array().expect("xcoms").clone();
    xcoms.sort_by_key(|x| x["key"].as_str().unwrap_or_default().to_owned());
    assert_eq!(
        xcoms,
        vec![
            json!({"task_id": "echo_context", "key": "blob", "encoding": "base64", "value": "/wA=", "size": 2}),
            json!({"task_id": "echo_context", "key": "note", "encoding": "text", "value": "plain text", "size": 10}),
            json!({"task_id": "echo_context", "key": "return_value", "encoding": "json", "value": {"rows": 3}, "size": 11}),
        ]
    );
    h.get("/api/v1/dags/normal/runs/r2/xcom")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn marking_goes_through_the_scheduler() {
    let (h, ti) = ran_once().await;
    let reply = h
        .json(
            Method::POST,
            "/api/v1/dags/normal/runs/r1/tasks/skip/mark",
            json!({"state": "failed"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    assert_eq!(reply.json()["task_id"], "skip");
    assert_eq!(reply.json()["state"], "failed");
    assert!(h.commands().contains(&Call::Mark {
        run: ti.run,
        task_id: "skip".into(),
        state: TaskState::Failed
    }));
}

#[tokio::test]
async fn bad_marks_are_refused() {
    let (h, _) = ran_once().await;
    let uri = "/api/v1/dags/normal/runs/r1/tasks/skip/mark";
    for state in ["running", "bogus", "none"] {
        let message = h
            .json(Method::POST, uri, json!({"state": state}))
            .await
            .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
        assert!(message.contains(state), "{message}");
    }
    h.json(Method::POST, uri, json!({}))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_json");
    h.json(
        Method::POST,
        "/api/v1/dags/normal/runs/r1/tasks/ghost/mark",
        json!({"state": "success"}),
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found");
    assert!(h.commands().iter().all(|c| !matches!(c, Call::Mark { .. })));
}
