//! Triggers, backfills, listing and showing runs, clearing.

use axum::http::{Method, StatusCode, header};
use serde_json::json;
use weft_scheduler::{ControlError, TriggerRequest};
use weft_store::StoreError;
use weft_test_guests_artifacts as guests;

use crate::support::{Call, Harness};

#[tokio::test]
async fn trigger_passes_the_request_to_the_scheduler_and_returns_the_run() {
    let h = Harness::new().await;
    h.deployed(guests::NORMAL).await;
    let body =
        json!({"conf": {"rows": 3}, "logical_date": "2024-05-01T00:00:00Z", "run_id": "by_hand"});
    let reply = h.json(Method::POST, "/api/v1/dags/normal/runs", body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json());
    let run = reply.json();
    assert_eq!(run["dag_id"], "normal");
    assert_eq!(run["run_id"], "by_hand");
    assert_eq!(run["run_type"], "manual");
    assert_eq!(run["state"], "queued");
    assert_eq!(run["logical_date"], "2024-05-01T00:00:00Z");
    assert_eq!(run["conf"], json!({"rows": 3}));
    assert_eq!(run["started_at"], json!(null));
    assert_eq!(
        h.commands(),
        vec![Call::Trigger {
            tenant: "default".into(),
            dag_id: "normal".into(),
            request: TriggerRequest {
                conf: Some(json!({"rows": 3})),
                logical_date: Some("2024-05-01T00:00:00Z".parse().expect("date")),
                run_id: Some("by_hand".into()),
            },
        }]
    );
}

#[tokio::test]
async fn trigger_without_a_body_uses_defaults() {
    let h = Harness::new().await;
    h.deployed(guests::NOOP).await;
    let reply = h
        .send(Method::POST, "/api/v1/dags/noop/runs", None, "")
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json());
    assert_eq!(reply.json()["run_id"], "manual__2024-06-01T12:00:00+00:00");
    assert_eq!(
        h.commands(),
        vec![Call::Trigger {
            tenant: "default".into(),
            dag_id: "noop".into(),
            request: TriggerRequest::default()
        }]
    );
}

#[tokio::test]
async fn trigger_of_an_unknown_dag_is_404() {
    let h = Harness::new().await;
    let message = h
        .json(Method::POST, "/api/v1/dags/nope/runs", json!({}))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    assert!(message.contains("no DAG \"nope\""), "{message}");
    let runs = h.get("/api/v1/runs").await.json();
    assert_eq!(runs["runs"], json!([]), "nothing is stored");
}

#[tokio::test]
async fn bad_trigger_bodies_are_400_naming_the_problem() {
    let h = Harness::new().await;
    h.deployed(guests::NOOP).await;
    let cases = [
        ("not json", "invalid_json", "request body"),
        (
            "{\"conf\": [1, 2]}",
            "invalid_request",
            "conf must be a JSON object, not an array",
        ),
        (
            "{\"conf\": \"x=1\"}",
            "invalid_request",
            "conf must be a JSON object, not a string",
        ),
        (
            "{\"logical_date\": \"yesterday\"}",
            "invalid_request",
            "logical_date \"yesterday\"",
        ),
        ("{\"logical_date\": 5}", "invalid_json", "invalid type"),
        ("{\"config\": {}}", "invalid_json", "unknown field `config`"),
    ];
    for (body, code, words) in cases {
        let reply = h
            .raw_json(Method::POST, "/api/v1/dags/noop/runs", body)
            .await;
        let message = reply.assert_error(StatusCode::BAD_REQUEST, code);
        assert!(message.contains(words), "{body}: {message}");
    }
    assert!(h.commands().is_empty());
    assert!(
        h.get("/api/v1/runs").await.json()["runs"]
            .as_array()
            .expect("runs")
            .is_empty()
    );
}

#[tokio::test]
async fn scheduler_refusals_map_to_statuses() {
    let h = Harness::new().await;
    h.deployed(guests::NOOP).await;
    let cases = [
        (
            ControlError::NotFound("DAG \"noop\" not found".into()),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            ControlError::Invalid("logical date is in the future".into()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
        ),
        (
            ControlError::Conflict("run id taken".into()),
            StatusCode::CONFLICT,
            "conflict",
        ),
        (
            ControlError::Store(StoreError::Unavailable("db down".into())),
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
        ),
        (
            ControlError::Store(StoreError::Database("secret table corrupt".into())),
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
        ),
    ];
    for (error, status, code) in cases {
        let shown = error.to_string();
        h.control.refuse_next(error);
        let reply = h
            .json(Method::POST, "/api/v1/dags/noop/runs", json!({}))
            .await;
        let message = reply.assert_error(status, code);
        if status.is_server_error() {
            assert!(
                !message.contains("secret") && !message.contains("db down"),
                "{message}"
            );
        } else {
            assert_eq!(message, shown);
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(reply.headers[header::RETRY_AFTER], "1");
        }
    }
}

#[tokio::test]
async fn a_run_id_used_twice_is_409() {
    let h = Harness::new().await;
    h.deployed(guests::NOOP).await;
    h.triggered("noop", json!({"run_id": "once"})).await;
    let reply = h
        .json(
            Method::POST,
            "/api/v1/dags/noop/runs",
            json!({"run_id": "once"}),
        )
        .await;
    reply.assert_error(StatusCode::CONFLICT, "conflict");
}

#[tokio::test]
async fn backfill_passes_the_range_and_returns_the_runs() {
    let h = Harness::new().await;
    h.deployed(guests::NOOP).await;
    let body = json!({"start": "2024-01-01T00:00:00Z", "end": "2024-01-03T00:00:00Z"});
    let reply = h
        .json(Method::POST, "/api/v1/dags/noop/backfill", body)
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json());
    let runs = reply.json()["runs"].as_array().expect("runs").clone();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["run_type"], "backfill");
    assert_eq!(
        h.commands(),
        vec![Call::Backfill {
            dag_id: "noop".into(),
            start: "2024-01-01T00:00:00Z".parse().expect("date"),
            end: "2024-01-03T00:00:00Z".parse().expect("date"),
        }]
    );
}

#[tokio::test]
async fn bad_backfills_are_refused_before_the_scheduler_sees_them() {
    let h = Harness::new().await;
    h.deployed(guests::NOOP).await;
    let cases = [
        (
            json!({"start": "2024-01-03T00:00:00Z", "end": "2024-01-01T00:00:00Z"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
            "is after end",
        ),
        (
            json!({"start": "2024-01-01", "end": "2024-01-03T00:00:00Z"}),
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "start \"2024-01-01\"",
        ),
        (
            json!({"start": "2024-01-01T00:00:00Z"}),
            StatusCode::BAD_REQUEST,
            "invalid_json",
            "missing field `end`",
        ),
    ];
    for (body, status, code, words) in cases {
        let message = h
            .json(Method::POST, "/api/v1/dags/noop/backfill", body.clone())
            .await
            .assert_error(status, code);
        assert!(message.contains(words), "{body}: {message}");
    }
    let body = json!({"start": "2024-01-01T00:00:00Z", "end": "2024-01-03T00:00:00Z"});
    h.json(Method::POST, "/api/v1/dags/nope/backfill", body)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    assert!(h.commands().is_empty());
}

#[tokio::test]
async fn runs_are_listed_with_filters() {
    let h = Harness::new().await;
    h.deployed(guests::NOOP).await;
    h.deployed(guests::NORMAL).await;
    h.triggered("noop", json!({"logical_date": "2024-01-01T00:00:00Z"}))
        .await;
    h.triggered("noop", json!({"logical_date": "2024-01-02T00:00:00Z"}))
        .await;
    h.triggered("normal", json!({"logical_date": "2024-01-03T00:00:00Z"}))
        .await;

    let ids = |reply: crate::support::Reply| -> Vec<String> {
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
        reply.json()["runs"]
            .as_array()
            .expect("runs")
            .iter()
            .map(|r| r["logical_date"].as_str().expect("date")[..10].to_owned())
            .collect()
    };
    assert_eq!(
        ids(h.get("/api/v1/runs").await),
        ["2024-01-03", "2024-01-02", "2024-01-01"]
    );
    assert_eq!(
        ids(h.get("/api/v1/runs?dag_id=noop").await),
        ["2024-01-02", "2024-01-01"]
    );
    assert_eq!(
        ids(h.get("/api/v1/runs?state=queued&limit=1").await),
        ["2024-01-03"]
    );
    assert!(ids(h.get("/api/v1/runs?state=success").await).is_empty());
    assert_eq!(
        ids(h.get("/api/v1/dags/noop/runs?limit=1").await),
        ["2024-01-02"]
    );
}

#[tokio::test]
async fn bad_run_queries_are_400() {
    let h = Harness::new().await;
    h.deployed(guests::NOOP).await;
    for (uri, words) in [
        ("/api/v1/runs?state=done", "unknown DAG run state \"done\""),
        ("/api/v1/runs?limit=0", "limit 0 is out of range"),
        ("/api/v1/runs?limit=5000", "limit 5000 is out of range"),
        ("/api/v1/runs?limit=ten", "limit"),
        ("/api/v1/runs?dag=noop", "unknown field `dag`"),
        ("/api/v1/dags/noop/runs?state=done", "expected one of"),
    ] {
        let message = h
            .get(uri)
            .await
            .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
        assert!(message.contains(words), "{uri}: {message}");
    }
}

#[tokio::test]
async fn a_run_is_shown_with_its_task_instances() {
    let h = Harness::new().await;
    h.deployed(guests::NORMAL).await;
    let run_id = h.triggered("normal", json!({"run_id": "r1"})).await;
    let reply = h.get(&format!("/api/v1/dags/normal/runs/{run_id}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    let run = reply.json();
    assert_eq!(run["run_id"], "r1");
    let tis = run["task_instances"].as_array().expect("task instances");
    assert_eq!(tis.len(), 9);
    assert!(
        tis.iter()
            .all(|ti| ti["state"] == "none" && ti["try_number"] == 0),
        "{run}"
    );

    let message = h
        .get("/api/v1/dags/normal/runs/r2")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    assert!(message.contains("r2"), "{message}");
    let message = h
        .get("/api/v1/dags/nope/runs/r1")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    assert!(message.contains("DAG \"nope\""), "{message}");
}

#[tokio::test]
async fn clear_names_tasks_or_clears_the_whole_run() {
    let h = Harness::new().await;
    h.deployed(guests::NORMAL).await;
    h.triggered("normal", json!({"run_id": "r1"})).await;
    let uri = "/api/v1/dags/normal/runs/r1/clear";

    let reply = h
        .json(
            Method::POST,
            uri,
            json!({"task_ids": ["xcom"], "downstream": true}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    assert_eq!(reply.json(), json!({"cleared": 1}));

    let reply = h.send(Method::POST, uri, None, "").await;
    assert_eq!(reply.json(), json!({"cleared": 9}));

    let calls = h.commands();
    let Call::Trigger { .. } = &calls[0] else {
        panic!("{calls:?}")
    };
    let Call::Clear {
        task_ids,
        downstream,
        ..
    } = &calls[1]
    else {
        panic!("{calls:?}")
    };
    assert_eq!(
        (task_ids.clone(), *downstream),
        (vec!["xcom".to_owned()], true)
    );
    let Call::Clear {
        task_ids,
        downstream,
        ..
    } = &calls[2]
    else {
        panic!("{calls:?}")
    };
    assert_eq!((task_ids.len(), *downstream), (9, false));
}

#[tokio::test]
async fn bad_clears_are_refused() {
    let h = Harness::new().await;
    h.deployed(guests::NORMAL).await;
    h.triggered("normal", json!({"run_id": "r1"})).await;
    let message = h
        .json(
            Method::POST,
            "/api/v1/dags/normal/runs/r1/clear",
            json!({"task_ids": ["xcom", "ghost"]}),
        )
        .await
        .assert_refused("unprocessable");
    assert!(
        message.contains("ghost") && !message.contains("xcom"),
        "{message}"
    );
    h.raw_json(
        Method::POST,
        "/api/v1/dags/normal/runs/r1/clear",
        "{\"task_ids\": \"xcom\"}",
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "invalid_json");
    // No body clears the whole run; a body of white space is not JSON.
    for blank in ["\n", "  "] {
        h.raw_json(Method::POST, "/api/v1/dags/normal/runs/r1/clear", blank)
            .await
            .assert_error(StatusCode::BAD_REQUEST, "invalid_json");
    }
    h.json(Method::POST, "/api/v1/dags/normal/runs/r9/clear", json!({}))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(
        h.commands().len(),
        1,
        "only the trigger reached the scheduler"
    );
}
