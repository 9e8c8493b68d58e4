//! Every capability checks itself from inside a task: `tests/capabilities` is one Python DAG
//! whose `check_*` modules call the host's interfaces and raise when an answer is not what
//! the capability promises (one module per capability). Here it runs on `wfctl standalone`,
//! beside the outside servers the checks reach (an S3 server for `objects`), and every task
//! must succeed; a failed task's error is shown.

use std::time::Duration;

use serde_json::json;
use weft_client::RunDetail;
use weft_e2e::process::free_port;
use weft_e2e::{Api, S3Server, standalone};
use weft_model::{DagRunState, TaskState};

const DAG: &str = "capabilities";

/// The component `scripts/test.sh` builds from `tests/capabilities`.
fn component() -> std::path::PathBuf {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("capabilities/target/capabilities.wasm");
    assert!(
        path.exists(),
        "{} is missing: build it first (`wfctl build tests/capabilities` or scripts/test.sh)",
        path.display()
    );
    path
}

#[test]
fn every_capability_check_succeeds_inside_a_task() {
    let dir = tempfile::Builder::new()
        .prefix("weft-e2e-capabilities-")
        .tempdir()
        .expect("temp dir");
    // `check_objects`: bucket `capabilities` on an S3 server the operator allows; the
    // connections it checks are registered below.
    let s3 = S3Server::from_env_or_start();
    s3.client("capabilities").create_bucket();
    let egress = format!("GET,HEAD,PUT,POST,DELETE {}", s3.url);
    let (_server, api) = standalone::start(
        dir.path(),
        &[
            ("WEFT_EGRESS_ALLOW", egress.as_str()),
            ("WEFT_EGRESS_ALLOW_NETS", "127.0.0.0/8"),
        ],
    );
    add_connections(&api, &s3);
    let deployed = api.deploy(&component());
    assert_eq!(deployed.dag_id, DAG, "{deployed:?}");
    let tasks: Vec<String> = api
        .read("the DAG", |client| client.dag(DAG))
        .tasks
        .into_iter()
        .map(|t| t.task_id)
        .collect();
    // Each module adds at least one task; a DAG without them would pass vacuously.
    assert!(
        tasks.iter().any(|t| t.starts_with("xcom_")),
        "the DAG's tasks: {tasks:?}"
    );

    // Twice: a check that reads its run's records sees that run's alone.
    for _ in 0..2 {
        let run_id = api.trigger(DAG, json!({}), None);
        let run = api.wait_run(DAG, &run_id, Duration::from_secs(300));
        check_run(&tasks, &run);
    }
}

/// The connections `check_objects` opens: `aws_default` on the S3 server, `aws_no_keys`
/// without keys, `aws_elsewhere` on a loopback port the operator does not allow.
fn add_connections(api: &Api, s3: &S3Server) {
    let elsewhere = format!("http://127.0.0.1:{}", free_port());
    let connections = [
        (
            "aws_default",
            json!({"login": s3.access_key, "password": s3.secret_key, "extra": {"endpoint_url": s3.url}}),
        ),
        ("aws_no_keys", json!({"extra": {"endpoint_url": s3.url}})),
        (
            "aws_elsewhere",
            json!({"login": "key", "password": "secret", "extra": {"endpoint_url": elsewhere}}),
        ),
    ];
    for (id, mut body) in connections {
        body["conn_type"] = json!("aws");
        if let Err(e) = api.client().put_connection(id, &body) {
            panic!("PUT /connections/{id}: {e}");
        }
    }
}

/// Every task of the DAG ran in `run` and succeeded.
fn check_run(tasks: &[String], run: &RunDetail) {
    let instances = &run.task_instances;
    let failed: Vec<String> = instances
        .iter()
        .filter(|ti| ti.state != TaskState::Success)
        .map(|ti| {
            let error = ti.error.as_deref().unwrap_or_default();
            format!("{} is {}: {error}", ti.task_id, ti.state.as_str())
        })
        .collect();
    assert!(
        failed.is_empty(),
        "capability checks that did not succeed:\n{}",
        failed.join("\n")
    );
    let ran: Vec<&str> = instances.iter().map(|ti| ti.task_id.as_str()).collect();
    for task in tasks {
        assert!(
            ran.contains(&task.as_str()),
            "task {task} did not run: {run:?}"
        );
    }
    assert_eq!(run.run.state, DagRunState::Success, "{run:?}");
}
