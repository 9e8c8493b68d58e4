//! A worker killed with SIGKILL in the middle of a long task: its lease runs out and the task
//! runs again on the other worker as try 2, and succeeds exactly once.

use std::time::Duration;

use serde_json::json;
use weft_e2e::{Api, Cluster, WorkerSpec, process::wait_for};

#[test]
fn a_killed_workers_task_finishes_on_the_other_worker_as_try_2() {
    let mut cluster = Cluster::on_shared_redis();
    let _server = cluster.server();
    let _scheduler = cluster.scheduler("scheduler-1");
    let mut a = WorkerSpec::new("worker-a", "host-a", &["default"]);
    a.concurrency = 1;
    let mut b = WorkerSpec::new("worker-b", "host-b", &["default"]);
    b.concurrency = 1;
    let mut workers = [cluster.worker(&a), cluster.worker(&b)];
    let api = cluster.api();
    api.deploy(std::path::Path::new(weft_test_guests_artifacts::SLOW_CHAIN));
    let run_id = api.trigger("slow_chain", json!({ "sleep_ms": 4000 }), None);

    // Wait until `slow` runs, and see where.
    let runner = wait_for("slow to start", Duration::from_secs(60), || {
        let run = api.run("slow_chain", &run_id);
        let ti = Api::task(&run, "slow");
        (ti["state"] == "running")
            .then(|| ti["worker_id"].as_str().map(str::to_owned))
            .flatten()
    });
    let (victim, survivor) = if runner == "worker-a" {
        (0, "worker-b")
    } else {
        (1, "worker-a")
    };
    workers[victim].kill9();

    let run = api.wait_run("slow_chain", &run_id, Duration::from_secs(90));
    assert_eq!(run["state"], "success", "{run}");
    let slow = Api::task(&run, "slow");
    assert_eq!(slow["state"], "success", "{slow}");
    assert_eq!(slow["try_number"], 2, "the lost attempt counts: {slow}");
    assert_eq!(slow["worker_id"], survivor, "{slow}");
    for task in ["first", "last"] {
        let ti = Api::task(&run, task);
        assert_eq!(ti["state"], "success", "{ti}");
    }
    // The output recorded is the one of try 2: the killed attempt never reported a result.
    let xcom = api.get(&format!("/dags/slow_chain/runs/{run_id}/xcom"));
    let output = xcom["xcoms"]
        .as_array()
        .and_then(|all| {
            all.iter()
                .find(|x| x["task_id"] == "slow" && x["key"] == "return_value")
        })
        .unwrap_or_else(|| panic!("no output of slow: {xcom}"));
    assert_eq!(output["value"]["try"], 2, "{output}");
}
