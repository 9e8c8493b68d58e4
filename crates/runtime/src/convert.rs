//! Conversions between the WIT types of each world version and Weft's own types.

use weft_model as model;

/// Whether a task attempt returned an output or an error, whatever the world version.
pub(crate) enum Returned {
    Output(Vec<u8>),
    Retryable(String),
    Permanent(String),
    Skip(String),
    /// A sensor's "not yet": poke again after this many milliseconds, or its poke interval.
    Reschedule(Option<u64>),
    /// Wait for an event the scheduler watches; run again when it happens if `resume`.
    Defer {
        until: model::WaitCondition,
        resume: bool,
    },
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
                            kind: model::TaskKind::Code,
                            expand: None,
                            outlets: Vec::new(),
                        })
                        .collect(),
                    notifications: model::RunNotifications::default(),
                    end_date: None,
                    assets: Vec::new(),
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
                    sensor: None,
                    max_active_tis: None,
                    notifications: None,
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
        fuel: None,
        ..model::Resources::default()
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
        fuel: None,
        ..model::Resources::default()
    }
}

/// Conversions of a world that orchestrates (0.3.0 and later): the spec's orchestration
/// records, the context's map index and event, and the sensor's answers (`reschedule`,
/// `defer`). `$resources` converts the version's `resources`.
macro_rules! orchestrating_conversions {
    ($v:ident, $resources:path, $timing:path, $outlets:path) => {
        pub(crate) mod $v {
            use weft_model as model;

            use super::Returned;
            use crate::bindings::$v::types as wit;
            use crate::call::{TaskContext, UpstreamOutput};

            /// The DAG spec a component described, as Weft's model type.
            pub(crate) fn spec_from_wit(mut spec: wit::DagSpec) -> model::DagSpec {
                let (end_date, assets) = $timing(&mut spec);
                model::DagSpec {
                    dag_id: spec.dag_id,
                    description: spec.description,
                    schedule: spec.schedule,
                    start_date: spec.start_date,
                    end_date,
                    catchup: spec.catchup,
                    assets,
                    max_active_runs: spec.max_active_runs,
                    max_active_tasks: spec.max_active_tasks,
                    dagrun_timeout_ms: spec.dagrun_timeout_ms,
                    tags: spec.tags,
                    defaults: settings_from_wit(spec.defaults),
                    tasks: spec
                        .tasks
                        .into_iter()
                        .map(|mut t| model::TaskSpec {
                            outlets: $outlets(&mut t),
                            task_id: t.task_id,
                            upstream: t.upstream,
                            trigger_rule: trigger_rule_from_wit(t.trigger_rule),
                            settings: settings_from_wit(t.settings),
                            kind: kind_from_wit(t.kind),
                            expand: t.expand.map(|e| match e {
                                wit::Expand::Upstream(task) => model::Expand::Upstream(task),
                                wit::Expand::Items(items) => model::Expand::Items(
                                    items
                                        .into_iter()
                                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                                        .collect(),
                                ),
                            }),
                        })
                        .collect(),
                    notifications: model::RunNotifications {
                        on_success: notifiers(spec.notifications.on_success),
                        on_failure: notifiers(spec.notifications.on_failure),
                    },
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
                    sensor: s.sensor.map(|x| model::SensorSettings {
                        poke_interval_ms: x.poke_interval_ms,
                        timeout_ms: x.timeout_ms,
                        soft_fail: x.soft_fail,
                        exponential_backoff: x.exponential_backoff,
                        max_poke_interval_ms: x.max_poke_interval_ms,
                    }),
                    max_active_tis: s.max_active_tis,
                    notifications: s.notifications.map(|n| model::TaskNotifications {
                        on_success: notifiers(n.on_success),
                        on_failure: notifiers(n.on_failure),
                        on_retry: notifiers(n.on_retry),
                    }),
                }
            }

            fn notifiers(list: Vec<wit::Notifier>) -> Vec<model::Notifier> {
                list.into_iter()
                    .map(|n| match n {
                        wit::Notifier::Webhook(conn) => model::Notifier::Webhook(conn),
                        wit::Notifier::Email(e) => model::Notifier::Email(model::EmailNotifier {
                            conn_id: e.conn_id,
                            to: e.to,
                        }),
                    })
                    .collect()
            }

            fn kind_from_wit(kind: wit::TaskKind) -> model::TaskKind {
                match kind {
                    wit::TaskKind::Code => model::TaskKind::Code,
                    wit::TaskKind::Branch => model::TaskKind::Branch,
                    wit::TaskKind::Wait(w) => model::TaskKind::Wait(wait_from_wit(w)),
                }
            }

            fn wait_from_wit(w: wit::WaitCondition) -> model::WaitCondition {
                match w {
                    wit::WaitCondition::Until(at) => model::WaitCondition::Until(at),
                    wit::WaitCondition::AfterDataIntervalEndMs(ms) => {
                        model::WaitCondition::AfterDataIntervalEndMs(ms)
                    }
                    wit::WaitCondition::External(e) => {
                        model::WaitCondition::External(model::ExternalWait {
                            dag_id: e.dag_id,
                            run: match e.run {
                                wit::RunSelector::RunId(id) => model::RunSelector::RunId(id),
                                wit::RunSelector::LogicalDateOffsetMs(ms) => {
                                    model::RunSelector::LogicalDateOffsetMs(ms)
                                }
                            },
                            task_id: e.task_id,
                            allowed_states: e.allowed_states.into_iter().map(ended_state).collect(),
                            failed_states: e.failed_states.into_iter().map(ended_state).collect(),
                        })
                    }
                }
            }

            fn ended_state(s: wit::EndedState) -> model::TaskState {
                match s {
                    wit::EndedState::Success => model::TaskState::Success,
                    wit::EndedState::Failed => model::TaskState::Failed,
                    wit::EndedState::Skipped => model::TaskState::Skipped,
                    wit::EndedState::UpstreamFailed => model::TaskState::UpstreamFailed,
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
                    W::AllSkipped => M::AllSkipped,
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
                    map_index: c.map_index,
                    map_item: c.map_item.clone().map(String::into_bytes),
                    event: c.event.clone(),
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
                    Err(wit::TaskError::Reschedule(delay_ms)) => Returned::Reschedule(delay_ms),
                    Err(wit::TaskError::Defer(d)) => Returned::Defer {
                        until: wait_from_wit(d.until),
                        resume: d.resume,
                    },
                }
            }
        }
    };
}

orchestrating_conversions!(
    v0_6,
    super::resources_v0_6,
    super::timing_v0_6,
    super::outlets_v0_6
);
orchestrating_conversions!(
    v0_5,
    super::resources_v0_5,
    super::timing_v0_5,
    super::outlets_v0_5
);
orchestrating_conversions!(
    v0_4,
    super::resources_v0_4,
    super::no_timing,
    super::no_outlets
);
orchestrating_conversions!(
    v0_3,
    super::resources_v0_3,
    super::no_timing,
    super::no_outlets
);

/// A spec's end date and assets (0.5.0 and later), taken out of it.
macro_rules! timing_and_outlets {
    ($timing:ident, $outlets:ident, $v:ident) => {
        fn $timing(
            spec: &mut crate::bindings::$v::types::DagSpec,
        ) -> (Option<String>, Vec<String>) {
            (spec.end_date.take(), std::mem::take(&mut spec.assets))
        }

        /// A task's outlets, taken out of it.
        fn $outlets(task: &mut crate::bindings::$v::types::TaskSpec) -> Vec<String> {
            std::mem::take(&mut task.outlets)
        }
    };
}

timing_and_outlets!(timing_v0_6, outlets_v0_6, v0_6);
timing_and_outlets!(timing_v0_5, outlets_v0_5, v0_5);

/// Worlds before 0.5.0 have no end date and no assets.
fn no_timing<T>(_spec: &mut T) -> (Option<String>, Vec<String>) {
    (None, Vec::new())
}

/// Worlds before 0.5.0 have no outlets.
fn no_outlets<T>(_task: &mut T) -> Vec<String> {
    Vec::new()
}

fn resources_v0_6(r: crate::bindings::v0_6::types::Resources) -> model::Resources {
    model::Resources {
        memory_bytes: r.memory_bytes,
        egress_allowlist: r.egress_allowlist,
        directories: v0_6::directories(r.directories),
        connections: r.connections,
        secrets: r.secrets,
        fuel: r.fuel,
        worker_labels: r.worker_labels,
        arch: r.arch,
    }
}

fn resources_v0_5(r: crate::bindings::v0_5::types::Resources) -> model::Resources {
    model::Resources {
        memory_bytes: r.memory_bytes,
        egress_allowlist: r.egress_allowlist,
        directories: v0_5::directories(r.directories),
        connections: r.connections,
        secrets: r.secrets,
        fuel: r.fuel,
        ..model::Resources::default()
    }
}

fn resources_v0_4(r: crate::bindings::v0_4::types::Resources) -> model::Resources {
    model::Resources {
        memory_bytes: r.memory_bytes,
        egress_allowlist: r.egress_allowlist,
        directories: v0_4::directories(r.directories),
        connections: r.connections,
        secrets: r.secrets,
        fuel: r.fuel,
        ..model::Resources::default()
    }
}

fn resources_v0_3(r: crate::bindings::v0_3::types::Resources) -> model::Resources {
    model::Resources {
        memory_bytes: r.memory_bytes,
        egress_allowlist: r.egress_allowlist,
        directories: v0_3::directories(r.directories),
        connections: r.connections,
        secrets: r.secrets,
        // weft:dag@0.3.0 has no CPU budget of a task's own.
        fuel: None,
        ..model::Resources::default()
    }
}
