//! Conversions between the WIT types of the bindings and Weft's own types.

use weft_model as model;

use crate::bindings::types as wit;
use crate::call::{TaskContext, UpstreamOutput, WorkerInfo};

/// The DAG spec a component described, as Weft's model type.
pub(crate) fn spec_from_wit(spec: wit::DagSpec) -> model::DagSpec {
    model::DagSpec {
        dag_id: spec.dag_id,
        description: spec.description,
        schedule: spec.schedule,
        start_date: spec.start_date,
        catchup: spec.catchup,
        max_active_runs: spec.max_active_runs,
        max_active_tasks: spec.max_active_tasks,
        dagrun_timeout_ms: spec.dagrun_timeout_ms,
        tags: spec.tags,
        defaults: settings_from_wit(spec.defaults),
        tasks: spec
            .tasks
            .into_iter()
            .map(|t| model::TaskSpec {
                task_id: t.task_id,
                upstream: t.upstream,
                trigger_rule: trigger_rule_from_wit(t.trigger_rule),
                settings: settings_from_wit(t.settings),
            })
            .collect(),
    }
}

fn settings_from_wit(s: wit::TaskSettings) -> model::TaskSettings {
    model::TaskSettings {
        queue: s.queue,
        retries: s.retries,
        retry_delay_ms: s.retry_delay_ms,
        retry_exponential_backoff: s.retry_exponential_backoff,
        max_retry_delay_ms: s.max_retry_delay_ms,
        execution_timeout_ms: s.execution_timeout_ms,
        pool: s.pool,
        priority_weight: s.priority_weight,
        resources: s.resources.map(|r| model::Resources {
            memory_bytes: r.memory_bytes,
            // weft:dag@0.1.0 reserved this list and its world has no network to use it on.
            egress_allowlist: Vec::new(),
            directories: r
                .directories
                .into_iter()
                .map(|d| model::DirectoryGrant {
                    guest_path: d.guest_path,
                    writable: d.writable,
                })
                .collect(),
            connections: Vec::new(),
            secrets: Vec::new(),
        }),
    }
}

fn trigger_rule_from_wit(rule: wit::TriggerRule) -> model::TriggerRule {
    use model::TriggerRule as M;
    use wit::TriggerRule as W;
    match rule {
        W::AllSuccess => M::AllSuccess,
        W::AllFailed => M::AllFailed,
        W::AllDone => M::AllDone,
        W::OneSuccess => M::OneSuccess,
        W::OneFailed => M::OneFailed,
        W::OneDone => M::OneDone,
        W::NoneFailed => M::NoneFailed,
        W::NoneFailedMinOneSuccess => M::NoneFailedMinOneSuccess,
        W::NoneSkipped => M::NoneSkipped,
        W::Always => M::Always,
    }
}

pub(crate) fn context_to_wit(c: &TaskContext) -> wit::TaskContext {
    wit::TaskContext {
        dag_id: c.dag_id.clone(),
        task_id: c.task_id.clone(),
        run_id: c.run_id.clone(),
        logical_date: c.logical_date.clone(),
        data_interval_start: c.data_interval_start.clone(),
        data_interval_end: c.data_interval_end.clone(),
        try_number: c.try_number,
        max_tries: c.max_tries,
        conf: c.conf.clone(),
    }
}

pub(crate) fn worker_to_wit(w: &WorkerInfo) -> wit::WorkerInfo {
    wit::WorkerInfo {
        worker_id: w.worker_id.clone(),
        hostname: w.hostname.clone(),
        queue: w.queue.clone(),
    }
}

pub(crate) fn upstream_to_wit(outputs: Vec<UpstreamOutput>) -> Vec<wit::UpstreamOutput> {
    outputs
        .into_iter()
        .map(|o| wit::UpstreamOutput {
            task_id: o.task_id,
            value: o.value,
        })
        .collect()
}
