// The `dag-spec` helpers of the guests of world 0.3.0 and later, included by `v3.rs` and
// `v4.rs` after their `bindings` module: the records they fill are the same in both worlds.

use bindings::weft::dag::types::{
    DagSpec, RunNotifications, SensorSettings, TaskKind, TaskSettings, TaskSpec, TriggerRule,
};

/// Settings that set nothing but `sensor`.
pub fn settings(sensor: Option<SensorSettings>) -> TaskSettings {
    TaskSettings {
        queue: None,
        retries: None,
        retry_delay_ms: None,
        retry_exponential_backoff: None,
        max_retry_delay_ms: None,
        execution_timeout_ms: None,
        pool: None,
        priority_weight: None,
        resources: None,
        sensor,
        max_active_tis: None,
        notifications: None,
    }
}

/// A task of `kind` after `upstream` under `rule`, with no settings of its own.
pub fn task(id: &str, upstream: &[&str], rule: TriggerRule, kind: TaskKind) -> TaskSpec {
    TaskSpec {
        task_id: id.into(),
        upstream: upstream.iter().map(|s| (*s).to_owned()).collect(),
        trigger_rule: rule,
        settings: settings(None),
        kind,
        expand: None,
    }
}

/// An unscheduled DAG `dag_id` of `tasks`, with no defaults and no notifications.
pub fn spec(dag_id: &str, description: &str, tasks: Vec<TaskSpec>) -> DagSpec {
    DagSpec {
        dag_id: dag_id.into(),
        description: description.into(),
        schedule: None,
        start_date: None,
        catchup: false,
        max_active_runs: None,
        max_active_tasks: None,
        dagrun_timeout_ms: None,
        tags: Vec::new(),
        defaults: settings(None),
        tasks,
        notifications: RunNotifications {
            on_success: Vec::new(),
            on_failure: Vec::new(),
        },
    }
}
