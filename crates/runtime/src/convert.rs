//! Conversions between the WIT types of each world version and Weft's own types.

use weft_model as model;

/// Whether a task attempt returned an output or an error, whatever the world version.
pub(crate) enum Returned {
    Output(Vec<u8>),
    Retryable(String),
    Permanent(String),
    Skip(String),
}

macro_rules! conversions {
    ($v:ident, $resources:path) => {
        pub(crate) mod $v {
            use weft_model as model;

            use super::Returned;
            use crate::bindings::$v::types as wit;
            use crate::call::{TaskContext, UpstreamOutput};

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
                    resources: s.resources.map($resources),
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

            pub(crate) fn directories(
                dirs: Vec<wit::DirectoryGrant>,
            ) -> Vec<model::DirectoryGrant> {
                dirs.into_iter()
                    .map(|d| model::DirectoryGrant {
                        guest_path: d.guest_path,
                        writable: d.writable,
                    })
                    .collect()
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

            pub(crate) fn upstream_to_wit(
                outputs: Vec<UpstreamOutput>,
            ) -> Vec<wit::UpstreamOutput> {
                outputs
                    .into_iter()
                    .map(|o| wit::UpstreamOutput {
                        task_id: o.task_id,
                        value: o.value,
                    })
                    .collect()
            }

            pub(crate) fn returned(result: Result<Vec<u8>, wit::TaskError>) -> Returned {
                match result {
                    Ok(output) => Returned::Output(output),
                    Err(wit::TaskError::Retryable(m)) => Returned::Retryable(m),
                    Err(wit::TaskError::Permanent(m)) => Returned::Permanent(m),
                    Err(wit::TaskError::Skip(m)) => Returned::Skip(m),
                }
            }
        }
    };
}

conversions!(v0_2, super::resources_v0_2);
conversions!(v0_1, super::resources_v0_1);

fn resources_v0_2(r: crate::bindings::v0_2::types::Resources) -> model::Resources {
    model::Resources {
        memory_bytes: r.memory_bytes,
        egress_allowlist: r.egress_allowlist,
        directories: v0_2::directories(r.directories),
        connections: r.connections,
        secrets: r.secrets,
    }
}

fn resources_v0_1(r: crate::bindings::v0_1::types::Resources) -> model::Resources {
    model::Resources {
        memory_bytes: r.memory_bytes,
        // weft:dag@0.1.0 reserved this list, and its world has no network to use it on.
        egress_allowlist: Vec::new(),
        directories: v0_1::directories(r.directories),
        connections: Vec::new(),
        secrets: Vec::new(),
    }
}
