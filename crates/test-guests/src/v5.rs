//! What the guests of world `weft:dag/dag@0.5.0` share, included by each with
//! `#[path = "../v5.rs"] mod v5;`: the world's raw bindings, generated in every guest (a
//! crate may hold the export glue of one world only), and `dag-spec` helpers for DAGs of
//! assets.

/// Raw bindings of world `weft:dag/dag@0.5.0` from `wit/v0.5`.
#[allow(missing_docs, unsafe_code, clippy::all)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "dag",
        path: "../../wit/v0.5",
        generate_all,
    });
}

use bindings::weft::dag::types::{
    DagSpec, RunNotifications, TaskKind, TaskSettings, TaskSpec, TriggerRule,
};

/// Settings that set nothing.
pub fn no_settings() -> TaskSettings {
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
        sensor: None,
        max_active_tis: None,
        notifications: None,
    }
}

/// A task running code after `upstream`, updating `outlets` when it succeeds.
pub fn task(id: &str, upstream: &[&str], outlets: &[&str]) -> TaskSpec {
    TaskSpec {
        task_id: id.into(),
        upstream: upstream.iter().map(|s| (*s).to_owned()).collect(),
        trigger_rule: TriggerRule::AllSuccess,
        settings: no_settings(),
        kind: TaskKind::Code,
        expand: None,
        outlets: outlets.iter().map(|s| (*s).to_owned()).collect(),
    }
}

/// DAG `dag_id` of `tasks`, started by updates of `assets` (none: only by hand).
pub fn spec(dag_id: &str, description: &str, assets: &[&str], tasks: Vec<TaskSpec>) -> DagSpec {
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
        defaults: no_settings(),
        tasks,
        notifications: RunNotifications {
            on_success: Vec::new(),
            on_failure: Vec::new(),
        },
        end_date: None,
        assets: assets.iter().map(|s| (*s).to_owned()).collect(),
    }
}
