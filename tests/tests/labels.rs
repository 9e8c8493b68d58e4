//! Tasks that ask for worker labels or an architecture (the `labels` example) on an
//! installation whose workers join one by one: each such task waits in its queue until a
//! worker that meets what it asks for comes, and runs there, never on another.

use std::time::Duration;

use serde_json::json;
use weft_client::{Client, TaskInstance};
use weft_e2e::process::{aarch64_wfctl, wait_for};
use weft_e2e::{Api, Cluster, WorkerSpec, example};
use weft_model::{DagRunState, TaskState};

/// Long enough for an emulated aarch64 worker to compile the component and run its task.
const EMULATED_WAIT: Duration = Duration::from_secs(300);
const WAIT: Duration = Duration::from_secs(60);

#[test]
fn a_task_asking_for_labels_waits_for_a_worker_that_has_them() {
    let mut cluster = Cluster::on_shared_redis();
    let _server = cluster.server();
    let _scheduler = cluster.scheduler("scheduler-1");
    let labelled = |id: &str, labels: &str| WorkerSpec {
        env: vec![("WEFT_WORKER_LABELS".to_owned(), labels.to_owned())],
        ..WorkerSpec::new(id, id, &["default"])
    };
    let _plain = cluster.worker(&WorkerSpec::new("plain", "plain", &["default"]));
    let api = cluster.api();
    assert_eq!(api.deploy(&example("labels")).dag_id, "labels");
    api.trigger("labels", json!({}), Some("r1"));

    // The worker without labels runs the task that asks for nothing. It took from the queue
    // while the other three were in it, and took none of them: they wait.
    let ran = wait_state(&api, "anywhere", TaskState::Success, WAIT);
    assert_eq!(ran.hostname.as_deref(), Some("plain"), "{ran:?}");
    for (task, queue) in [
        ("on_gpu", "default@gpu"),
        ("on_gpu_ssd", "default@gpu+ssd"),
        ("on_aarch64", "default@arch=aarch64"),
    ] {
        let ti = task_of(&api, task);
        assert_eq!(ti.state, TaskState::Queued, "{task} did not wait: {ti:?}");
        let waiting = queued(&api, queue);
        assert_eq!(
            waiting,
            Some(1),
            "{queue} in {:?}",
            api.read("the queues", Client::queues)
        );
    }

    // A worker with `gpu` comes: it runs the task that asks for `gpu`, not the one that also
    // asks for `ssd`.
    let _gpu = cluster.worker(&labelled("gpu", "gpu"));
    let ran = wait_state(&api, "on_gpu", TaskState::Success, WAIT);
    assert_eq!(ran.hostname.as_deref(), Some("gpu"), "{ran:?}");
    let ti = task_of(&api, "on_gpu_ssd");
    assert_eq!(ti.state, TaskState::Queued, "{ti:?}");

    // One with `gpu` and `ssd` (and a label nobody asks for) runs it.
    let _both = cluster.worker(&labelled("gpu-ssd", "ssd, gpu,nvme"));
    let ran = wait_state(&api, "on_gpu_ssd", TaskState::Success, WAIT);
    assert_eq!(ran.hostname.as_deref(), Some("gpu-ssd"), "{ran:?}");

    // Three x86_64 workers, none of them takes the task that asks for aarch64; an aarch64
    // worker (the worker machine's build under qemu-aarch64) does, without any label.
    assert_eq!(task_of(&api, "on_aarch64").state, TaskState::Queued);
    let _arm = cluster.worker(&WorkerSpec {
        launcher: aarch64_wfctl(),
        lease_secs: 30.0,
        ..WorkerSpec::new("arm", "arm", &["default"])
    });
    let run = api.wait_run("labels", "r1", EMULATED_WAIT);
    assert_eq!(run.run.state, DagRunState::Success, "{run:?}");
    assert_eq!(
        Api::task(&run, "on_aarch64").hostname.as_deref(),
        Some("arm"),
        "{run:?}"
    );

    // The task saw the queue it was taken from.
    let xcom = api.xcoms("labels", "r1");
    let queue_of = |task: &str| {
        xcom.xcoms
            .iter()
            .find(|x| x.task_id == task)
            .map(|x| x.value["queue"].clone())
    };
    assert_eq!(
        queue_of("on_gpu_ssd"),
        Some(json!("default@gpu+ssd")),
        "{xcom:?}"
    );

    // Each worker's labels are listed beside it.
    let (code, out) = cluster.wfctl(&["workers", "list"]);
    assert_eq!(code, 0, "{out}");
    let line = out
        .lines()
        .find(|l| l.starts_with("gpu-ssd"))
        .unwrap_or_else(|| panic!("no gpu-ssd in:\n{out}"));
    assert!(line.contains("gpu,nvme,ssd"), "{line}");
}

#[test]
fn a_worker_with_bad_labels_is_refused_with_the_label_named() {
    let mut cluster = Cluster::on_shared_redis();
    let _server = cluster.server();
    let mut worker = cluster.worker(&WorkerSpec {
        env: vec![("WEFT_WORKER_LABELS".to_owned(), "gpu,fast disk".to_owned())],
        ..WorkerSpec::new("bad", "bad", &["default"])
    });
    let code = worker.wait_exit(WAIT);
    assert_eq!(code, Some(2), "{}", worker.output());
    assert!(
        worker
            .output()
            .contains("--labels: label \"fast disk\" contains ' '"),
        "{}",
        worker.output()
    );
}

/// Task `task` of run `r1`, once it is in `state`.
fn wait_state(api: &Api, task: &str, state: TaskState, wait: Duration) -> TaskInstance {
    wait_for(&format!("{task} to be {}", state.as_str()), wait, || {
        let ti = task_of(api, task);
        (ti.state == state).then_some(ti)
    })
}

/// Task `task` of run `r1` of `labels`.
fn task_of(api: &Api, task: &str) -> TaskInstance {
    Api::task(&api.run("labels", "r1"), task).clone()
}

/// How many task instances wait in `queue`, when any do.
fn queued(api: &Api, queue: &str) -> Option<u64> {
    api.read("the queues", Client::queues)
        .queues
        .into_iter()
        .find(|q| q.queue == queue)
        .map(|q| q.queued)
}
