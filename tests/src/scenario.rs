//! Set-ups several tests share.

use std::time::Duration;

use serde_json::json;
use weft_model::TaskState;

use crate::api::Api;
use crate::cluster::{Cluster, WorkerSpec};
use crate::process::{Proc, wait_for};

/// A server, a scheduler and two workers (`worker-a`, `worker-b`, one attempt at a time
/// each) on `default`, with a run of the `slow_chain` test guest whose `slow` task sleeps
/// `sleep_ms` and has started on one of them.
pub struct SlowOnTwoWorkers {
    /// The installation.
    pub cluster: Cluster,
    /// Its API server and scheduler, kept running.
    pub services: [Proc; 2],
    /// The workers, `worker-a` first.
    pub workers: [Proc; 2],
    /// A client with the API token.
    pub api: Api,
    /// The run.
    pub run_id: String,
    /// Index in `workers` of the worker running `slow`.
    pub runner: usize,
}

impl SlowOnTwoWorkers {
    /// Start everything and wait until `slow` runs.
    pub fn start(sleep_ms: u64) -> SlowOnTwoWorkers {
        let mut cluster = Cluster::on_shared_redis();
        let services = [cluster.server(), cluster.scheduler("scheduler-1")];
        let mut specs = [
            WorkerSpec::new("worker-a", "host-a", &["default"]),
            WorkerSpec::new("worker-b", "host-b", &["default"]),
        ];
        for spec in &mut specs {
            spec.concurrency = 1;
        }
        let workers = [cluster.worker(&specs[0]), cluster.worker(&specs[1])];
        let api = cluster.api();
        api.deploy(std::path::Path::new(weft_test_guests_artifacts::SLOW_CHAIN));
        let run_id = api.trigger("slow_chain", json!({ "sleep_ms": sleep_ms }), None);
        let runner = wait_for("slow to start", Duration::from_secs(60), || {
            let run = api.run("slow_chain", &run_id);
            let ti = Api::task(&run, "slow");
            if ti.state != TaskState::Running {
                return None;
            }
            match ti.worker_id.as_deref() {
                Some("worker-a") => Some(0),
                Some("worker-b") => Some(1),
                _ => None,
            }
        });
        SlowOnTwoWorkers {
            cluster,
            services,
            workers,
            api,
            run_id,
            runner,
        }
    }

    /// The id of the worker that is not running `slow`.
    pub fn other_worker(&self) -> &'static str {
        if self.runner == 0 {
            "worker-b"
        } else {
            "worker-a"
        }
    }
}
