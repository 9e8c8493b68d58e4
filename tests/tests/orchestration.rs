//! DAGs that orchestrate, distributed (PostgreSQL, Redis, and the server, scheduler and
//! worker as processes): a branch and its joins; a task that triggers another DAG's run
//! through the worker API; and sensors that free their only slot between pokes, time out,
//! and soft-fail.

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use weft_client::api::runs::TriggerBody;
use weft_client::api::variables::PutVariable;
use weft_e2e::{Api, Cluster, WorkerSpec, process::wait_for};
use weft_model::{Awaited, DagRunState, TaskState};
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
    assert_eq!(run.run.state, DagRunState::Success, "{run:?}");
    for (task, state) in [
        ("pick", "success"),
        ("left", "skipped"),
        ("right", "success"),
        ("join", "success"),
        ("none_ran", "skipped"),
        ("trigger", "success"),
    ] {
        assert_eq!(
            Api::task(&run, task).state.as_str(),
            state,
            "{task}: {run:?}"
        );
    }
    let child = weft_protocol::triggered_run_id("orchestrate", &run_id, "trigger", 0);
    let child_run = api.wait_run("flow", &child, WAIT);
    assert_eq!(child_run.run.state, DagRunState::Success, "{child_run:?}");
    assert_eq!(child_run.run.conf, json!({"x": 1}), "{child_run:?}");

    // A refusal reaches the task through the worker API with its kind.
    let conf = json!({"pick": [], "trigger": [{"dag_id": "nowhere"}]});
    let run_id = api.trigger("orchestrate", conf, None);
    let run = api.wait_run("orchestrate", &run_id, WAIT);
    let trigger = Api::task(&run, "trigger");
    assert_eq!(trigger.state, TaskState::Failed, "{run:?}");
    let error = trigger.error.as_deref().unwrap_or_default();
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
        (ti.pokes >= 2).then_some(())
    });
    // The only slot is free between pokes: another DAG's run gets through meanwhile.
    let other = api.trigger("flow", json!({}), None);
    assert_eq!(
        api.wait_run("flow", &other, WAIT).run.state,
        DagRunState::Success
    );

    let flag = PutVariable {
        value: "up".to_owned(),
        description: None,
    };
    if let Err(e) = api.client().put_variable("sensor_flag", &flag) {
        panic!("PUT /variables/sensor_flag: {e}");
    }
    let run = api.wait_run("sensor", &run_id, WAIT);
    assert_eq!(
        run.run.state,
        DagRunState::Failed,
        "times_out fails the run: {run:?}"
    );
    let done = Api::task(&run, "wait_for_flag");
    assert_eq!(done.state, TaskState::Success, "{run:?}");
    assert_eq!(done.try_number, 1, "{done:?}");
    let timed_out = Api::task(&run, "times_out");
    assert_eq!(timed_out.state, TaskState::Failed, "{run:?}");
    assert_eq!(
        timed_out.error_class.as_deref(),
        Some("sensor_timeout"),
        "{timed_out:?}"
    );
    assert_eq!(Api::task(&run, "soft").state, TaskState::Skipped, "{run:?}");
    assert_eq!(
        Api::task(&run, "after_soft").state,
        TaskState::Skipped,
        "{run:?}"
    );
}

/// Trigger `dag` with `conf` at logical date `at`; the new run's id.
fn trigger_at(api: &Api, dag: &str, conf: serde_json::Value, at: &str) -> String {
    let body = TriggerBody {
        conf: Some(conf),
        logical_date: Some(at.to_owned()),
        run_id: None,
    };
    api.client()
        .trigger(dag, &body)
        .unwrap_or_else(|e| panic!("trigger {dag}: {e}"))
        .run_id
}

#[test]
fn deferred_waits_survive_a_killed_scheduler_and_hold_no_slot() {
    let mut cluster = Cluster::on_shared_redis();
    let _server = cluster.server();
    let mut scheduler = cluster.scheduler("scheduler-1");
    let mut one_slot = WorkerSpec::new("worker-1", "host-1", &["default"]);
    one_slot.concurrency = 1;
    let _worker = cluster.worker(&one_slot);
    let api = cluster.api();
    for guest in [guests::WAITS, guests::WAITS_CHILD, guests::FLOW] {
        api.deploy(Path::new(guest));
    }
    let run_id = api.trigger("waits", json!({}), None);
    let at = api.run("waits", &run_id).run.logical_date.to_string();
    wait_for("the external waits to defer", WAIT, || {
        let run = api.run("waits", &run_id);
        ["on_child", "on_child_task"]
            .iter()
            .all(|t| Api::task(&run, t).state == TaskState::Deferred)
            .then_some(())
    });
    // The API says what a deferred task waits for.
    let run = api.run("waits", &run_id);
    let waiting = Api::task(&run, "on_child");
    let awaited = match waiting.deferral.as_ref().map(|d| &d.wait) {
        Some(Awaited::External(external)) => external.wait.dag_id.as_str(),
        other => panic!("on_child waits for {other:?}: {waiting:?}"),
    };
    assert_eq!(awaited, "waits_child", "{waiting:?}");
    // The only slot is free while they wait.
    let other = api.trigger("flow", json!({}), None);
    assert_eq!(
        api.wait_run("flow", &other, WAIT).run.state,
        DagRunState::Success
    );

    // The scheduler dies with the waits deferred; its successor picks them up.
    scheduler.kill9();
    let _successor = cluster.scheduler("scheduler-2");
    let child = trigger_at(&api, "waits_child", json!({}), &at);
    assert_eq!(
        api.wait_run("waits_child", &child, WAIT).run.state,
        DagRunState::Success
    );
    let run = api.wait_run("waits", &run_id, WAIT);
    assert_eq!(run.run.state, DagRunState::Success, "{run:?}");
    for (task, state) in [
        ("soon", "success"),
        ("after_soon", "success"),
        ("resumes", "success"),
        ("on_child", "success"),
        ("on_child_task", "success"),
        ("never", "skipped"),
    ] {
        assert_eq!(
            Api::task(&run, task).state.as_str(),
            state,
            "{task}: {run:?}"
        );
    }
    assert_eq!(Api::task(&run, "resumes").try_number, 1, "{run:?}");
}
