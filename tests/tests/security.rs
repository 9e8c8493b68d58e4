//! Tokens and digests: a worker with a wrong token is refused, requests need an API token,
//! and a component whose bytes do not match its digest is refused by the worker. And a
//! guest's words: a failure's message it chooses cannot stall the scheduler.

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use weft_e2e::{Api, Cluster, WorkerSpec, example};
use weft_model::{DagRunState, TaskState};
use weft_test_guests_artifacts as guests;

#[test]
fn a_worker_with_a_wrong_token_is_refused() {
    let mut cluster = Cluster::on_shared_redis();
    let _server = cluster.server();
    let mut spec = WorkerSpec::new("intruder", "host-x", &["default"]);
    spec.token = "not-the-token".into();
    let mut worker = cluster.worker(&spec);
    let code = worker.wait_exit(Duration::from_secs(30));
    let output = worker.output();
    assert_eq!(code, Some(2), "{output}");
    assert!(output.contains("refused"), "{output}");
    assert!(
        !output.contains("not-the-token"),
        "tokens are never printed: {output}"
    );

    // The worker API itself refuses it, and refuses no token at all.
    let digest = "sha256:".to_owned() + &"0".repeat(64);
    let path = format!("/worker/attempts/1/1/components/{digest}");
    let (status, _) = Api::new(&cluster.url())
        .with_token("not-the-token")
        .get_raw(&path);
    assert_eq!(status, 401);
    let (status, _) = Api::new(&cluster.url()).get_raw(&path);
    assert_eq!(status, 401);
    // The API token is not a worker token.
    let (status, _) = cluster.api().get_raw(&path);
    assert_eq!(status, 401);
    // Writes and reads need an API token; health does not.
    let (status, body) = Api::new(&cluster.url()).post("/dags/queues/runs", &json!({}));
    assert_eq!(status, 401, "{body}");
    let (status, _) = Api::new(&cluster.url()).get_raw("/dags");
    assert_eq!(status, 401);
    let (status, _) = cluster.api().get_raw("/dags");
    assert_eq!(status, 200);
    let (status, _) = Api::new(&cluster.url()).get_raw("/health");
    assert_eq!(status, 200);
}

#[test]
fn a_component_that_does_not_match_its_digest_is_refused() {
    let mut cluster = Cluster::on_shared_redis();
    let server = cluster.server();
    let _scheduler = cluster.scheduler("scheduler-1");
    let _worker = cluster.worker(&WorkerSpec::new(
        "worker-1",
        "host-1",
        &["default", "vm2_queue", "vm3_queue"],
    ));
    let api = cluster.api();
    let deployed = api.deploy(&example("queues"));
    let digest = deployed.digest;

    // Tamper with the stored bytes behind the server's back.
    let sql = format!(
        "UPDATE component_bytes SET bytes = overlay(bytes placing '\\x00'::bytea from 100 for 1) WHERE digest = '{digest}'"
    );
    weft_testkit::postgres()
        .psql_on(&cluster.database, &sql)
        .expect("tampering works");
    // The server keeps the components it deployed in memory: a new server process reads
    // the tampered bytes from the store.
    drop(server);
    let _server = cluster.server();

    let run_id = api.trigger("queues", json!({}), None);
    let run = api.wait_run("queues", &run_id, Duration::from_secs(60));
    assert_eq!(run.run.state, DagRunState::Failed, "{run:?}");
    for task in ["on_vm2", "on_vm3"] {
        let ti = Api::task(&run, task);
        assert_eq!(ti.state, TaskState::Failed, "{ti:?}");
        assert_eq!(
            ti.error_class.as_deref(),
            Some("invalid_component"),
            "{ti:?}"
        );
        assert!(
            ti.error
                .as_deref()
                .unwrap_or("")
                .contains("do not match its digest"),
            "{ti:?}"
        );
    }
}

/// What a task says when it fails is its own to choose: one that holds NUL (U+0000), which
/// PostgreSQL's text cannot keep, is stored with U+FFFD in its place, and neither its run
/// nor another finishing at the same time is held up by it.
#[test]
fn a_task_failing_with_nul_in_its_message_is_stored_and_holds_nobody_up() {
    let mut cluster = Cluster::on_shared_redis();
    let _services = [cluster.server(), cluster.scheduler("scheduler-1")];
    let _worker = cluster.worker(&WorkerSpec::new("worker-1", "host-1", &["default"]));
    let api = cluster.api();
    api.deploy(Path::new(guests::FLOW));

    let hostile = api.trigger("flow", json!({"fail_join": "bad\u{0}news"}), None);
    let other = api.trigger("flow", json!({}), None);
    let wait = Duration::from_secs(120);
    let run = api.wait_run("flow", &hostile, wait);
    let join = Api::task(&run, "join");
    assert_eq!(join.state, TaskState::Failed, "{run:?}");
    assert_eq!(
        join.error.as_deref(),
        Some("task failed permanently: bad\u{FFFD}news"),
        "{join:?}"
    );
    assert_eq!(
        Api::task(&run, "cleanup").state,
        TaskState::Success,
        "{run:?}"
    );
    assert_eq!(
        run.run.state,
        DagRunState::Success,
        "the leaves succeeded: {run:?}"
    );
    assert_eq!(
        api.wait_run("flow", &other, wait).run.state,
        DagRunState::Success
    );
}
