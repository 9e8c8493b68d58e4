//! The `queues` example on two workers that each serve one queue, as two machines would:
//! each task runs on the worker of its queue, and `wfctl workers list` shows both.

use std::time::Duration;

use weft_client::RunFilter;
use weft_client::api::workers::WorkerStatus;
use weft_e2e::{Api, Cluster, WorkerSpec, example, process::wait_for};
use weft_model::{DagRunState, TaskState};

#[test]
fn each_task_runs_on_the_worker_of_its_queue() {
    let mut cluster = Cluster::on_shared_redis();
    let _server = cluster.server();
    let _scheduler = cluster.scheduler("scheduler-1");
    let _vm2 = cluster.worker(&WorkerSpec::new("worker-vm2", "vm2", &["vm2_queue"]));
    let mut vm3 = cluster.worker(&WorkerSpec::new("worker-vm3", "vm3", &["vm3_queue"]));
    let api = cluster.api();

    let deployed = api.deploy(&example("queues"));
    assert_eq!(deployed.dag_id, "queues");

    // Through the CLI, as a user would: trigger and wait for the run.
    let (code, out) = cluster.wfctl(&["dags", "trigger", "queues", "--wait"]);
    assert_eq!(code, 0, "wfctl dags trigger --wait failed:\n{out}");
    let runs = api.runs(&RunFilter {
        dag_id: Some("queues"),
        ..RunFilter::default()
    });
    let run_id = runs.runs.first().expect("a run").run_id.clone();
    let run = api.run("queues", &run_id);
    assert_eq!(run.run.state, DagRunState::Success, "{run:?}");

    for (task, worker, host) in [
        ("on_vm2", "worker-vm2", "vm2"),
        ("on_vm3", "worker-vm3", "vm3"),
    ] {
        let ti = Api::task(&run, task);
        assert_eq!(ti.state, TaskState::Success, "{ti:?}");
        assert_eq!(
            ti.worker_id.as_deref(),
            Some(worker),
            "{task} ran on the wrong worker: {ti:?}"
        );
        assert_eq!(ti.hostname.as_deref(), Some(host), "{ti:?}");
        assert_eq!(ti.try_number, 1, "{ti:?}");
    }
    // The tasks' own output names the worker the sandbox told them about.
    let xcom = api.xcoms("queues", &run_id);
    let text = serde_json::to_string(&xcom).expect("XCom values as JSON");
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
    let workers = api.workers();
    let status = |id: &str| {
        workers
            .workers
            .iter()
            .find(|w| w.worker_id == id)
            .map(|w| w.status)
    };
    assert_eq!(
        status("worker-vm2"),
        Some(WorkerStatus::Alive),
        "{workers:?}"
    );
    assert_eq!(
        status("worker-vm3"),
        Some(WorkerStatus::Alive),
        "{workers:?}"
    );

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
            api.workers()
                .workers
                .iter()
                .find(|w| w.worker_id == "worker-vm3")
                .filter(|w| w.status == WorkerStatus::Stopped)
                .map(|_| ())
        },
    );
    // Its last heartbeat counts the one attempt it ran, which succeeded.
    let workers = api.workers();
    let vm3 = workers
        .workers
        .iter()
        .find(|w| w.worker_id == "worker-vm3")
        .expect("worker-vm3");
    assert_eq!((vm3.finished, vm3.failed), (1, 0), "{vm3:?}");
}
