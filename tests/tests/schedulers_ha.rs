//! Two schedulers at once over 200 runs of a fan-out DAG; the leader is killed with SIGKILL
//! half-way. The standby takes over, and every task instance succeeds exactly once.

use std::time::Duration;

use serde_json::json;
use weft_client::RunFilter;
use weft_e2e::{Cluster, WorkerSpec, example, process::wait_for};
use weft_model::{DagRunState, TaskState};

const RUNS: usize = 200;

#[test]
fn the_standby_takes_over_and_every_task_succeeds_once() {
    let mut cluster = Cluster::on_shared_redis();
    let _server = cluster.server();
    let mut schedulers = [
        cluster.scheduler("scheduler-1"),
        cluster.scheduler("scheduler-2"),
    ];
    let mut worker = WorkerSpec::new("worker-1", "host-1", &["default"]);
    worker.concurrency = 4;
    let _worker = cluster.worker(&worker);
    let api = cluster.api();
    let deployed = api.deploy(&example("hello"));
    let dag = deployed.dag_id.clone();
    let tasks = deployed.task_count;
    assert!(tasks >= 3, "hello fans out: {deployed:?}");

    let run_ids: Vec<String> = (0..RUNS)
        .map(|i| {
            api.trigger(
                &dag,
                json!({ "name": format!("run {i}") }),
                Some(&format!("ha-{i}")),
            )
        })
        .collect();

    // Half-way, kill whichever scheduler leads.
    wait_for(
        "half of the runs to finish",
        Duration::from_secs(180),
        || {
            let done = api.runs(&RunFilter {
                dag_id: Some(&dag),
                state: Some(DagRunState::Success.as_str()),
                limit: Some(1000),
            });
            (done.runs.len() >= RUNS / 2).then_some(())
        },
    );
    let leader = wait_for("a leader", Duration::from_secs(10), || {
        schedulers
            .iter()
            .position(|s| s.output().contains("leading the schedulers"))
    });
    schedulers[leader].kill9();
    let standby = 1 - leader;

    for run_id in &run_ids {
        let run = api.wait_run(&dag, run_id, Duration::from_secs(180));
        assert_eq!(run.run.state, DagRunState::Success, "{run:?}");
        assert_eq!(run.task_instances.len(), tasks, "{run:?}");
        for ti in &run.task_instances {
            assert_eq!(ti.state, TaskState::Success, "{ti:?}");
        }
    }
    assert!(
        schedulers[standby]
            .output()
            .contains("leading the schedulers"),
        "the standby never took the lead:\n{}",
        schedulers[standby].output()
    );
    // Exactly once: each task instance has one output, written by its successful attempt.
    for run_id in run_ids.iter().step_by(20) {
        let xcom = api.xcoms(&dag, run_id);
        let outputs = xcom
            .xcoms
            .iter()
            .filter(|x| x.key == "return_value")
            .count();
        assert_eq!(outputs, tasks, "{xcom:?}");
    }
}
