//! DAGs that orchestrate, distributed (PostgreSQL, Redis, and the server, scheduler and
//! worker as processes): a branch and its joins; a task that triggers another DAG's run
//! through the worker API; and sensors that free their only slot between pokes, time out,
//! and soft-fail.

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use weft_e2e::{Api, Cluster, WorkerSpec, process::wait_for};
use weft_test_guests_artifacts as guests;

const WAIT: Duration = Duration::from_secs(60);

#[test]
fn branches_and_triggered_runs_across_processes() {
    let mut cluster = Cluster::on_shared_redis();
    let _server = cluster.server();
    let _scheduler = cluster.scheduler("scheduler-1");
    let _worker = cluster.worker(&WorkerSpec::new("worker-1", "host-1", &["default"]));
    let api = cluster.api();
    api.deploy(Path::new(guests::ORCHESTRATE));
    api.deploy(Path::new(guests::FLOW));

    let conf = json!({"pick": ["right"], "trigger": [{"dag_id": "flow", "conf": {"x": 1}}]});
    let run_id = api.trigger("orchestrate", conf, None);
    let run = api.wait_run("orchestrate", &run_id, WAIT);
    assert_eq!(run["state"], "success", "{run}");
    for (task, state) in [
        ("pick", "success"),
        ("left", "skipped"),
        ("right", "success"),
        ("join", "success"),
        ("none_ran", "skipped"),
        ("trigger", "success"),
    ] {
        assert_eq!(Api::task(&run, task)["state"], state, "{task}: {run}");
    }
    let child = weft_protocol::triggered_run_id("orchestrate", &run_id, "trigger", 0);
    let child_run = api.wait_run("flow", &child, WAIT);
    assert_eq!(child_run["state"], "success", "{child_run}");
    assert_eq!(child_run["conf"], json!({"x": 1}), "{child_run}");

    // A refusal reaches the task through the worker API with its kind.
    let conf = json!({"pick": [], "trigger": [{"dag_id": "nowhere"}]});
    let run_id = api.trigger("orchestrate", conf, None);
    let run = api.wait_run("orchestrate", &run_id, WAIT);
    let trigger = Api::task(&run, "trigger");
    assert_eq!(trigger["state"], "failed", "{run}");
    let error = trigger["error"].as_str().unwrap_or_default();
    assert!(error.contains("trigger refused: not-found"), "{error}");
}

#[test]
fn sensors_free_their_slot_between_pokes_across_processes() {
    let mut cluster = Cluster::on_shared_redis();
    let _server = cluster.server();
    let _scheduler = cluster.scheduler("scheduler-1");
    let mut one_slot = WorkerSpec::new("worker-1", "host-1", &["default"]);
    one_slot.concurrency = 1;
    let _worker = cluster.worker(&one_slot);
    let api = cluster.api();
    api.deploy(Path::new(guests::SENSOR));
    api.deploy(Path::new(guests::FLOW));

    let run_id = api.trigger("sensor", json!({}), None);
    wait_for("the sensor to poke twice", WAIT, || {
        let run = api.run("sensor", &run_id);
        let ti = Api::task(&run, "wait_for_flag");
        (ti["pokes"].as_u64() >= Some(2)).then_some(())
    });
    // The only slot is free between pokes: another DAG's run gets through meanwhile.
    let other = api.trigger("flow", json!({}), None);
    assert_eq!(api.wait_run("flow", &other, WAIT)["state"], "success");

    let (status, answer) = api.put("/variables/sensor_flag", &json!({"value": "up"}));
    assert!((200..300).contains(&status), "{status} {answer}");
    let run = api.wait_run("sensor", &run_id, WAIT);
    assert_eq!(run["state"], "failed", "times_out fails the run: {run}");
    let done = Api::task(&run, "wait_for_flag");
    assert_eq!(done["state"], "success", "{run}");
    assert_eq!(done["try_number"], 1, "{done}");
    let timed_out = Api::task(&run, "times_out");
    assert_eq!(timed_out["state"], "failed", "{run}");
    assert_eq!(timed_out["error_class"], "sensor_timeout", "{timed_out}");
    assert_eq!(Api::task(&run, "soft")["state"], "skipped", "{run}");
    assert_eq!(Api::task(&run, "after_soft")["state"], "skipped", "{run}");
}
