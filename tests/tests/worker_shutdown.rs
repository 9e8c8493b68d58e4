//! A worker stopped with SIGTERM while it runs a task longer than its grace period: it stops
//! taking tasks, waits out the grace period, hands the task back and exits; the other worker
//! runs it and the run succeeds with one output.

use std::time::{Duration, Instant};

use serde_json::json;
use weft_e2e::{Api, Cluster, WorkerSpec, process::wait_for};

#[test]
fn a_stopping_worker_hands_back_what_outlives_its_grace_period() {
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
    let run_id = api.trigger("slow_chain", json!({ "sleep_ms": 6000 }), None);

    let runner = wait_for("slow to start", Duration::from_secs(60), || {
        let run = api.run("slow_chain", &run_id);
        let ti = Api::task(&run, "slow");
        (ti["state"] == "running")
            .then(|| ti["worker_id"].as_str().map(str::to_owned))
            .flatten()
    });
    let (stopping, other) = if runner == "worker-a" {
        (0, "worker-b")
    } else {
        (1, "worker-a")
    };
    // The harness gives workers a 2 s grace period; the task needs 6 s.
    let asked = Instant::now();
    let code = workers[stopping].terminate(Duration::from_secs(15));
    assert_eq!(code, Some(0), "{}", workers[stopping].output());
    assert!(
        asked.elapsed() < Duration::from_secs(6),
        "the worker waited for the task instead of its grace period: {:?}",
        asked.elapsed()
    );
    assert!(
        workers[stopping]
            .output()
            .contains("handing the remaining attempts back"),
        "{}",
        workers[stopping].output()
    );

    let run = api.wait_run("slow_chain", &run_id, Duration::from_secs(90));
    assert_eq!(run["state"], "success", "{run}");
    let slow = Api::task(&run, "slow");
    assert_eq!(slow["state"], "success", "{slow}");
    assert_eq!(slow["worker_id"], other, "{slow}");
    let xcom = api.get(&format!("/dags/slow_chain/runs/{run_id}/xcom"));
    let outputs = xcom["xcoms"].as_array().map_or(0, |all| {
        all.iter()
            .filter(|x| x["task_id"] == "slow" && x["key"] == "return_value")
            .count()
    });
    assert_eq!(outputs, 1, "{xcom}");
}
