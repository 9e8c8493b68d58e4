//! One task of a test guest run on a runtime under an egress policy, and what its report
//! says: the setup the egress, TCP and SQL tests share.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use weft_runtime::{
    AllowedEgress, EgressPolicy, Limits, MemoryHost, Runtime, RuntimeConfig, TaskContext,
    TaskOutcome, TaskReport, TaskRequest, WorkerInfo,
};

/// A policy of the operator's `allow` rules, with `nets` opened to the address checks.
pub fn policy(allow: &[&str], nets: &[&str]) -> EgressPolicy {
    EgressPolicy {
        allowed: AllowedEgress {
            rules: allow.iter().map(|r| r.parse().expect("rule")).collect(),
            nets: nets.iter().map(|n| n.parse().expect("net")).collect(),
        },
        ..EgressPolicy::default()
    }
}

/// A runtime under `egress`, running at most `instances` tasks at once.
pub fn runtime(instances: u32, egress: EgressPolicy) -> Runtime {
    Runtime::new(RuntimeConfig {
        max_concurrent_instances: instances,
        egress,
        ..RuntimeConfig::default()
    })
    .expect("runtime")
}

/// One task of a guest.
pub struct Task<'a> {
    /// The guest's component file (a path constant of `weft-test-guests-artifacts`).
    pub guest: &'a str,
    pub dag_id: &'a str,
    pub task_id: &'a str,
    /// The task's conf, as the guest reads it.
    pub conf: Value,
    /// The host's connections and secrets.
    pub host: MemoryHost,
    /// The attempt's timeout.
    pub timeout: Duration,
}

impl Task<'_> {
    /// Loads the guest and runs the task once.
    pub fn run(self, runtime: &Runtime) -> TaskReport {
        self.run_under(runtime, None)
    }

    /// Runs the task once as a task of a tenant whose egress rules are `rules`.
    pub fn run_in_tenant(self, runtime: &Runtime, rules: &[&str]) -> TaskReport {
        let rules = rules
            .iter()
            .map(|r| r.parse().expect("tenant rule"))
            .collect();
        self.run_under(runtime, Some(rules))
    }

    fn run_under(
        self,
        runtime: &Runtime,
        tenant_egress: Option<Arc<[weft_model::egress::EgressRule]>>,
    ) -> TaskReport {
        let bytes = std::fs::read(self.guest).expect("guest");
        let component = runtime.load(&bytes).expect("load");
        let mut context = TaskContext::local(self.dag_id, self.task_id, 1, 1);
        context.conf = self.conf.to_string();
        runtime.run_task(
            &component,
            TaskRequest {
                context,
                upstream: Vec::new(),
                worker: WorkerInfo {
                    worker_id: "w".into(),
                    hostname: "h".into(),
                    queue: "default".into(),
                },
                limits: Limits {
                    timeout: self.timeout,
                    ..Limits::default()
                },
                tenant_egress,
                host: Arc::new(self.host),
            },
        )
    }
}

/// The task's JSON output; panics, with the log, unless it succeeded.
pub fn output(report: &TaskReport) -> Value {
    match &report.outcome {
        TaskOutcome::Success(bytes) => serde_json::from_slice(bytes).expect("json output"),
        other => panic!("expected success, got {other:?}; log: {:?}", report.log),
    }
}

/// The messages of the attempt's log, one a line.
pub fn log_text(report: &TaskReport) -> String {
    report
        .log
        .lines
        .iter()
        .map(|l| l.message.clone())
        .collect::<Vec<_>>()
        .join("\n")
}
