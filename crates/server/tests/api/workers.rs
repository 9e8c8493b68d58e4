//! The worker API (heartbeats, XCom values, variables) and worker monitoring.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use weft_protocol::host_call::{Bytes, VariableRead, XcomPull};
use weft_protocol::{AttemptRef, HostCall};
use weft_server::ServerConfig;
use weft_store::WorkerRecord;

use crate::support::{Harness, now};
use crate::tasks::ran_once_with;

fn beat() -> Value {
    json!({
        "hostname": "vm2",
        "queues": ["vm2_queue", "default"],
        "concurrency": 4,
        "running": 1,
        "finished": 120,
        "failed": 7,
        "arch": "x86_64",
        "version": "0.1.0",
        "started_at": "2024-06-01T11:00:00Z",
    })
}

async fn heartbeat(h: &Harness, worker_id: &str, body: Value) -> crate::support::Reply {
    h.json(
        Method::PUT,
        &format!("/api/v1/worker/workers/{worker_id}"),
        body,
    )
    .await
}

#[tokio::test]
async fn heartbeats_register_workers_stamped_by_the_server() {
    let h = Harness::new().await;
    assert_eq!(
        h.get("/api/v1/workers").await.json(),
        json!({"workers": []})
    );

    let reply = heartbeat(&h, "w-vm2", beat()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    let expected = json!({
        "worker_id": "w-vm2",
        "hostname": "vm2",
        "queues": ["vm2_queue", "default"],
        "concurrency": 4,
        "running": 1,
        "finished": 120,
        "failed": 7,
        "arch": "x86_64",
        "labels": [],
        "version": "0.1.0",
        "started_at": "2024-06-01T11:00:00Z",
        "last_heartbeat": "2024-06-01T12:00:00Z",
        "stopped_at": null,
        "status": "alive",
        "seconds_since_heartbeat": 0.0,
    });
    assert_eq!(reply.json(), expected);
    assert_eq!(
        h.get("/api/v1/workers").await.json(),
        json!({"workers": [expected]})
    );

    // A later heartbeat replaces the worker's row; another worker gets its own.
    h.clock.advance(Duration::from_secs(5));
    let mut busier = beat();
    busier["running"] = json!(4);
    busier["finished"] = json!(121);
    assert_eq!(heartbeat(&h, "w-vm2", busier).await.status, StatusCode::OK);
    let mut other = beat();
    other["hostname"] = json!("vm3");
    other["queues"] = json!(["vm3_queue"]);
    other["labels"] = json!(["gpu", "ssd"]);
    assert_eq!(heartbeat(&h, "w-vm3", other).await.status, StatusCode::OK);
    let workers = h.store.workers().await.expect("workers");
    let summary: Vec<(&str, &str, u32, u64)> = workers
        .iter()
        .map(|w| {
            (
                w.worker_id.as_str(),
                w.hostname.as_str(),
                w.running,
                w.finished,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [("w-vm2", "vm2", 4, 121), ("w-vm3", "vm3", 1, 120)]
    );
    assert_eq!(workers[1].labels, ["gpu", "ssd"]);
    let listed = h.get("/api/v1/workers").await.json();
    assert_eq!(listed["workers"][1]["labels"], json!(["gpu", "ssd"]));
    assert_eq!(
        workers[0].last_heartbeat,
        now().checked_add(Duration::from_secs(5)).expect("time")
    );
}

/// Each worker's id, status and seconds since its heartbeat, as monitoring shows them.
async fn statuses(h: &Harness) -> Vec<(String, String, f64)> {
    let list = h.get("/api/v1/workers").await.json();
    list["workers"]
        .as_array()
        .expect("workers")
        .iter()
        .map(|w| {
            (
                w["worker_id"].as_str().unwrap_or_default().to_owned(),
                w["status"].as_str().unwrap_or_default().to_owned(),
                w["seconds_since_heartbeat"].as_f64().unwrap_or(-1.0),
            )
        })
        .collect()
}

#[tokio::test]
async fn silent_workers_are_dead_and_stopped_ones_say_so() {
    let h = Harness::with_config(ServerConfig {
        worker_dead_after: Duration::from_secs(20),
        ..ServerConfig::default()
    })
    .await;
    assert_eq!(
        heartbeat(&h, "w-quiet", beat()).await.status,
        StatusCode::OK
    );
    let mut stopping = beat();
    stopping["stopped_at"] = json!("2024-06-01T12:00:00Z");
    stopping["running"] = json!(0);
    assert_eq!(
        heartbeat(&h, "w-stopped", stopping).await.status,
        StatusCode::OK
    );

    h.clock.advance(Duration::from_millis(19_500));
    assert_eq!(
        statuses(&h).await,
        [
            ("w-quiet".to_owned(), "alive".to_owned(), 19.5),
            ("w-stopped".to_owned(), "stopped".to_owned(), 19.5),
        ]
    );
    h.clock.advance(Duration::from_millis(500));
    assert_eq!(
        statuses(&h).await,
        [
            ("w-quiet".to_owned(), "dead".to_owned(), 20.0),
            ("w-stopped".to_owned(), "stopped".to_owned(), 20.0),
        ]
    );
    // A heartbeat brings it back.
    assert_eq!(
        heartbeat(&h, "w-quiet", beat()).await.status,
        StatusCode::OK
    );
    assert_eq!(statuses(&h).await[0].1, "alive");
}

#[tokio::test]
async fn bad_heartbeats_name_the_field_and_store_nothing() {
    let h = Harness::new().await;
    let with = |field: &str, value: Value| {
        let mut body = beat();
        body[field] = value;
        body
    };
    let without = |field: &str| {
        let mut body = beat();
        body.as_object_mut().expect("object").remove(field);
        body
    };
    let cases: Vec<(Value, &str)> = vec![
        (without("hostname"), "missing field `hostname`"),
        (without("started_at"), "missing field `started_at`"),
        (with("concurrency", json!("two")), "field `concurrency`"),
        (
            with("concurrency", json!(0)),
            "field `concurrency`: must be at least 1",
        ),
        (with("running", json!(-1)), "field `running`"),
        (without("finished"), "missing field `finished`"),
        (with("failed", json!(-3)), "field `failed`"),
        (with("finished", json!(1.5)), "field `finished`"),
        (with("queues", json!([])), "field `queues`: lists no queue"),
        (
            with("queues", json!(["ok", "not ok"])),
            "field `queues`: \"not ok\"",
        ),
        (with("queues", json!("default")), "field `queues`"),
        (
            with("hostname", json!("")),
            "field `hostname` must be 1 to 250 characters",
        ),
        (with("arch", json!("x86 64")), "field `arch`"),
        (
            with("labels", json!(["gpu", "fast disk"])),
            "field `labels`: label \"fast disk\" contains ' '",
        ),
        (
            with("labels", json!(["a", "a", "a", "a", "a"])),
            "field `labels`: 5 labels (at most 4)",
        ),
        (with("labels", json!("gpu")), "field `labels`"),
        (with("started_at", json!("yesterday")), "field `started_at`"),
        (with("stopped_at", json!(12)), "field `stopped_at`"),
        (
            with("last_heartbeat", json!("2024-01-01T00:00:00Z")),
            "unknown field `last_heartbeat`",
        ),
        (json!({}), "missing field `hostname`"),
    ];
    for (body, words) in cases {
        let message = heartbeat(&h, "w1", body.clone())
            .await
            .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
        assert!(message.contains(words), "{body}: {message}");
    }
    let message = heartbeat(&h, "w%20one", beat())
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    assert!(message.contains("worker id"), "{message}");
    h.raw_json(Method::PUT, "/api/v1/worker/workers/w1", "{not json")
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_json");
    let message = heartbeat(&h, "w1", json!(["not", "an", "object"]))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_json");
    assert!(message.contains("JSON object"), "{message}");
    assert_eq!(
        h.store.workers().await.expect("workers"),
        Vec::<WorkerRecord>::new()
    );
}

/// The value of `echo_context` under `key`, as the queued attempt `attempt` reads it.
fn echo_value(key: &str) -> XcomPull {
    XcomPull {
        task_id: "echo_context".into(),
        key: key.into(),
    }
}

/// The bytes of an XCom answer (base64 in JSON), or none.
fn bytes_of(answer: Value) -> Option<Vec<u8>> {
    let bytes: Option<Bytes> = serde_json::from_value(answer).expect("an XCom answer");
    bytes.map(|bytes| bytes.0)
}

#[tokio::test]
async fn workers_read_xcom_values_of_their_attempts_run() {
    let (h, ti) = ran_once_with(ServerConfig::default()).await;
    let attempt = h.queued_in_run_of(&ti, "logs").await;
    let answer = h.host_call(attempt, echo_value("return_value")).await;
    assert_eq!(
        bytes_of(answer.answer()).as_deref(),
        Some(br#"{"rows": 3}"#.as_slice())
    );
    let answer = h.host_call(attempt, echo_value("blob")).await;
    assert_eq!(bytes_of(answer.answer()), Some(vec![0xff, 0x00]));
    let answer = h.host_call(attempt, echo_value("missing")).await;
    assert_eq!(bytes_of(answer.answer()), None);
    // The finished attempt of echo_context itself reads nothing any more.
    let finished = AttemptRef {
        ti: ti.id,
        lease: ti.lease + 1,
        key: None,
    };
    h.host_call(finished, echo_value("return_value"))
        .await
        .assert_error(StatusCode::FORBIDDEN, "stale_attempt");
    let call = serde_json::to_value(HostCall::from(echo_value("return_value"))).expect("call");
    let message = h
        .json(Method::POST, "/api/v1/worker/attempts/r1/1/calls", call)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    assert!(message.contains("ti"), "{message}");
}

#[tokio::test]
async fn workers_read_variables_of_their_attempts_tenant() {
    let (h, ti) = ran_once_with(ServerConfig::default()).await;
    h.json(
        Method::PUT,
        "/api/v1/variables/db_url",
        json!({"value": "postgres://x", "description": "not for workers"}),
    )
    .await;
    let attempt = h.queued_in_run_of(&ti, "logs").await;
    let read = |key: &str| VariableRead { key: key.into() };
    let reply = h.host_call(attempt, read("db_url")).await;
    assert_eq!(
        reply.json(),
        json!({"call": "variable", "answer": "postgres://x"})
    );
    let reply = h.host_call(attempt, read("nope")).await;
    assert_eq!(reply.answer(), Value::Null);
}

#[tokio::test]
async fn a_tenant_is_shown_only_the_workers_that_serve_it() {
    let h = Harness::new().await;
    let body = json!({"name": "team-a"});
    let reply = h.json(Method::POST, "/api/v1/tenants", body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json());
    let body = json!({"name": "a viewer", "role": "viewer"});
    let made = h
        .json(Method::POST, "/api/v1/tenants/team-a/tokens", body)
        .await
        .json();
    let token = format!("Bearer {}", made["token"].as_str().expect("token"));
    let serving = |tenants: Value| {
        let mut body = beat();
        if !tenants.is_null() {
            body["tenants"] = tenants;
        }
        body
    };
    for (id, tenants) in [
        ("w-every", Value::Null),
        ("w-a", json!(["team-a"])),
        ("w-b", json!(["team-b"])),
        ("w-ab", json!(["team-b", "team-a"])),
    ] {
        let reply = heartbeat(&h, id, serving(tenants)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    }
    let ids = |reply: crate::support::Reply| -> Vec<String> {
        let list = reply.json();
        list["workers"]
            .as_array()
            .expect("workers")
            .iter()
            .map(|w| w["worker_id"].as_str().expect("id").to_owned())
            .collect()
    };
    // The installation administrator sees every worker, with whom each serves.
    let all = h.get("/api/v1/workers").await;
    assert_eq!(all.json()["workers"][0]["tenants"], json!(["team-a"]));
    assert!(all.json()["workers"][3].get("tenants").is_none());
    assert_eq!(ids(all), ["w-a", "w-ab", "w-b", "w-every"]);
    // Tenant team-a's viewer sees the workers that serve team-a, and not team-b's.
    let mine = h
        .send_as(
            Some(&token),
            Method::GET,
            "/api/v1/workers",
            None,
            axum::body::Body::empty(),
        )
        .await;
    assert_eq!(mine.status, StatusCode::OK);
    assert_eq!(ids(mine), ["w-a", "w-ab", "w-every"]);
    // A heartbeat naming a tenant that is no name is refused and stores nothing.
    let reply = heartbeat(&h, "w-bad", serving(json!(["no such/name"]))).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.json());
    assert_eq!(h.store.workers().await.expect("workers").len(), 4);
}
