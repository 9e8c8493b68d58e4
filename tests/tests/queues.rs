//! The `queues` example on two workers that each serve one queue, as two machines would:
//! each task runs on the worker of its queue, and `wfctl workers list` shows both.

use std::time::Duration;

use serde_json::json;
use weft_e2e::{Api, Cluster, WorkerSpec, example, process::wait_for};

#[test]
fn each_task_runs_on_the_worker_of_its_queue() {
    let mut cluster = Cluster::on_shared_redis();
    let _server = cluster.server();
    let _scheduler = cluster.scheduler("scheduler-1");
    let _vm2 = cluster.worker(&WorkerSpec::new("worker-vm2", "vm2", &["vm2_queue"]));
    let mut vm3 = cluster.worker(&WorkerSpec::new("worker-vm3", "vm3", &["vm3_queue"]));
    let api = cluster.api();

    let deployed = api.deploy(&example("queues"));
    assert_eq!(deployed["dag_id"], "queues");

    // Through the CLI, as a user would: trigger and wait for the run.
    let (code, out) = cluster.wfctl(&["dags", "trigger", "queues", "--wait"]);
    assert_eq!(code, 0, "wfctl dags trigger --wait failed:\n{out}");
    let runs = api.get("/runs?dag_id=queues");
    let run_id = runs["runs"][0]["run_id"]
        .as_str()
        .expect("a run")
        .to_owned();
    let run = api.run("queues", &run_id);
    assert_eq!(run["state"], "success", "{run}");

    for (task, worker, host) in [
        ("on_vm2", "worker-vm2", "vm2"),
        ("on_vm3", "worker-vm3", "vm3"),
    ] {
        let ti = Api::task(&run, task);
        assert_eq!(ti["state"], "success", "{ti}");
        assert_eq!(
            ti["worker_id"], worker,
            "{task} ran on the wrong worker: {ti}"
        );
        assert_eq!(ti["hostname"], host, "{ti}");
        assert_eq!(ti["try_number"], 1, "{ti}");
    }
    // The tasks' own output names the worker the sandbox told them about.
    let xcom = api.get(&format!("/dags/queues/runs/{run_id}/xcom"));
    let text = xcom.to_string();
    assert!(
        text.contains("worker-vm2") && text.contains("worker-vm3"),
        "{text}"
    );

    // Monitoring: both workers alive, with their queues.
    let (code, out) = cluster.wfctl(&["workers", "list"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("worker-vm2") && out.contains("vm2_queue"),
        "{out}"
    );
    assert!(
        out.contains("worker-vm3") && out.contains("vm3_queue"),
        "{out}"
    );
    let workers = api.get("/workers");
    let status = |id: &str| {
        workers["workers"]
            .as_array()
            .and_then(|ws| ws.iter().find(|w| w["worker_id"] == id))
            .map(|w| w["status"].clone())
    };
    assert_eq!(status("worker-vm2"), Some(json!("alive")), "{workers}");
    assert_eq!(status("worker-vm3"), Some(json!("alive")), "{workers}");

    // A worker stopped with SIGTERM exits cleanly and shows as stopped.
    assert_eq!(
        vm3.terminate(Duration::from_secs(20)),
        Some(0),
        "{}",
        vm3.output()
    );
    wait_for(
        "worker-vm3 to show as stopped",
        Duration::from_secs(10),
        || {
            let workers = api.get("/workers");
            workers["workers"]
                .as_array()
                .and_then(|ws| ws.iter().find(|w| w["worker_id"] == "worker-vm3"))
                .filter(|w| w["status"] == "stopped")
                .map(|_| ())
        },
    );
    // Its last heartbeat counts the one attempt it ran, which succeeded.
    let workers = api.get("/workers");
    let vm3 = workers["workers"]
        .as_array()
        .and_then(|ws| ws.iter().find(|w| w["worker_id"] == "worker-vm3"))
        .expect("worker-vm3");
    assert_eq!(
        (&vm3["finished"], &vm3["failed"]),
        (&json!(1), &json!(0)),
        "{vm3}"
    );
}
