//! Mapped tasks, distributed (PostgreSQL, Redis, and the server, scheduler and worker as
//! processes): a mapped task's instances run across the worker's slots and survive a killed
//! scheduler; the API and the CLI show them by map index; one instance retries on its own;
//! no items skip the mapped task; `max_map_length` is the scheduler's setting.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use weft_e2e::{Api, Cluster, WorkerSpec, process::wait_for};
use weft_model::{DagRunState, TaskState};
use weft_test_guests_artifacts as guests;

const WAIT: Duration = Duration::from_secs(120);

/// The value of `task`'s output (`return_value`) in the run's XCom listing.
fn output(api: &Api, run_id: &str, task: &str) -> Value {
    let xcoms = api.xcoms("mapping", run_id);
    Api::output(&xcoms, task)
        .map(|x| x.value.clone())
        .unwrap_or_else(|| panic!("no output of {task}: {xcoms:?}"))
}

#[test]
fn mapped_instances_survive_a_killed_scheduler_and_show_by_map_index() {
    let mut cluster = Cluster::on_shared_redis();
    cluster.set_env("WEFT_MAX_MAP_LENGTH", "1000");
    let _server = cluster.server();
    let mut scheduler = cluster.scheduler("scheduler-1");
    let _worker = cluster.worker(&WorkerSpec::new("worker-1", "host-1", &["default"]));
    let api = cluster.api();
    api.deploy(Path::new(guests::MAPPING));

    // 1,000 instances of `square`, then 1,000 of `again` over their outputs; the scheduler
    // dies once some have run, its successor finishes them.
    let run_id = api.trigger("mapping", json!({"items": 1000}), None);
    wait_for("some instances to succeed", WAIT, || {
        let run = api.run("mapping", &run_id);
        let done = Api::instances(&run, "square")
            .iter()
            .filter(|ti| ti.state == TaskState::Success)
            .count();
        (done >= 20).then_some(())
    });
    scheduler.kill9();
    let _successor = cluster.scheduler("scheduler-2");
    let run = api.wait_run("mapping", &run_id, WAIT);
    assert_eq!(run.run.state, DagRunState::Success, "{run:?}");
    let square = Api::task(&run, "square");
    assert_eq!(square.map_count, Some(1000), "{square:?}");
    let each = Api::instances(&run, "square");
    assert_eq!(each.len(), 1000);
    for (k, ti) in each.iter().enumerate() {
        assert_eq!(ti.map_index.map(|i| i as usize), Some(k), "{ti:?}");
        assert_eq!(ti.state, TaskState::Success, "{ti:?}");
    }
    let squares = output(&api, &run_id, "square");
    assert_eq!(squares.as_array().map(Vec::len), Some(1000));
    assert_eq!(squares[999], json!(999 * 999));
    let again = output(&api, &run_id, "again");
    assert_eq!(again[999], json!(999 * 999 + 1));
    let sum: i64 = (0..1000i64).map(|n| n * n).sum();
    assert_eq!(output(&api, &run_id, "total")["sum"], sum);

    // One item is one instance.
    let one = api.trigger("mapping", json!({"items": [5]}), None);
    let run = api.wait_run("mapping", &one, WAIT);
    assert_eq!(run.run.state, DagRunState::Success, "{run:?}");
    assert_eq!(Api::instances(&run, "square").len(), 1, "{run:?}");
    assert_eq!(output(&api, &one, "again"), json!([26]));

    // Over the scheduler's limit: the mapped task fails saying so.
    let over = api.trigger("mapping", json!({"items": 1001}), None);
    let run = api.wait_run("mapping", &over, WAIT);
    assert_eq!(run.run.state, DagRunState::Failed, "{run:?}");
    let square = Api::task(&run, "square");
    assert_eq!(
        square.error.as_deref(),
        Some("1001 items to expand over, more than max_map_length (1000)"),
        "{square:?}"
    );
}

#[test]
fn one_instance_retries_on_its_own_and_the_cli_names_it() {
    let mut cluster = Cluster::on_shared_redis();
    let _server = cluster.server();
    let _scheduler = cluster.scheduler("scheduler-1");
    let _worker = cluster.worker(&WorkerSpec::new("worker-1", "host-1", &["default"]));
    let api = cluster.api();
    api.deploy(Path::new(guests::MAPPING));

    let conf = json!({"items": [2, 3, 4], "fail_index": 1, "flaky": true});
    let run_id = api.trigger("mapping", conf, None);
    let run = api.wait_run("mapping", &run_id, WAIT);
    assert_eq!(run.run.state, DagRunState::Success, "{run:?}");
    let tries: Vec<u32> = Api::instances(&run, "square")
        .iter()
        .map(|ti| ti.try_number)
        .collect();
    assert_eq!(tries, vec![1, 2, 1], "{run:?}");
    assert_eq!(output(&api, &run_id, "square"), json!([4, 9, 16]));
    assert_eq!(
        output(&api, &run_id, "total"),
        json!({"sum": 29, "labels": ["0:a", "1:b", "2:c"], "squares": 3})
    );

    let (code, shown) = cluster.wfctl(&["runs", "show", "mapping", &run_id]);
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains("mapped over 3 items"), "{shown}");
    assert!(
        shown
            .lines()
            .any(|l| l.contains("square[1]") && l.contains("success")),
        "{shown}"
    );
    // Each try of an instance has its log, found by map index.
    let (code, log) = cluster.wfctl(&[
        "tasks",
        "logs",
        "mapping",
        &run_id,
        "square",
        "--map-index",
        "1",
        "--try",
        "1",
    ]);
    assert_eq!(code, 0, "{log}");
    let (code, refused) = cluster.wfctl(&["tasks", "logs", "mapping", &run_id, "square"]);
    assert_ne!(code, 0, "{refused}");
    assert!(refused.contains("name one with map_index"), "{refused}");

    // No items: the mapped task is skipped, and so is what needs it.
    let empty = api.trigger("mapping", json!({"items": []}), None);
    let run = api.wait_run("mapping", &empty, WAIT);
    assert_eq!(run.run.state, DagRunState::Success, "{run:?}");
    assert_eq!(
        Api::task(&run, "square").state,
        TaskState::Skipped,
        "{run:?}"
    );
    assert!(Api::instances(&run, "square").is_empty(), "{run:?}");
    assert_eq!(
        Api::task(&run, "total").state,
        TaskState::Skipped,
        "{run:?}"
    );
}
