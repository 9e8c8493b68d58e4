//! Every capability checks itself from inside a task: `tests/capabilities` is one Python DAG
//! whose `check_*` modules call the host's interfaces and raise when an answer is not what
//! the capability promises (one module per capability). Here it runs on `wfctl standalone`,
//! and every task must succeed; a failed task's error is shown.

use std::time::Duration;

use serde_json::json;
use weft_client::RunDetail;
use weft_e2e::standalone;
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
    let (_server, api) = standalone::start(dir.path(), &[]);
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
