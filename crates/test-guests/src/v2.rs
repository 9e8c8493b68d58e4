//! What the guests of world `weft:dag/dag@0.2.0` share, included by each with
//! `#[path = "../v2.rs"] mod v2;`: the world's raw bindings, generated in every guest (a
//! crate may hold the export glue of one world only, and the library holds 0.1.0's), and a
//! `dag-spec` of tasks with their resources.

/// Raw bindings of world `weft:dag/dag@0.2.0` from `wit/v0.2/`.
#[allow(missing_docs, unsafe_code, clippy::all)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "dag",
        path: "../../wit/v0.2",
        generate_all,
    });
}

use bindings::weft::dag::types::{DagSpec, Resources, TaskSettings, TaskSpec, TriggerRule};

fn settings(resources: Option<Resources>) -> TaskSettings {
    TaskSettings {
        queue: None,
        retries: None,
        retry_delay_ms: None,
        retry_exponential_backoff: None,
        max_retry_delay_ms: None,
        execution_timeout_ms: None,
        pool: None,
        priority_weight: None,
        resources,
    }
}

/// Resources that declare `egress` rules, `connections` and `secrets`, and nothing else.
pub fn resources(egress: &[&str], connections: &[&str], secrets: &[&str]) -> Resources {
    let owned = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect();
    Resources {
        memory_bytes: None,
        egress_allowlist: owned(egress),
        directories: Vec::new(),
        connections: owned(connections),
        secrets: owned(secrets),
    }
}

/// A task with no upstream, trigger rule `all-success` and `resources` as its only setting.
pub fn task(id: &str, resources: Option<Resources>) -> TaskSpec {
    TaskSpec {
        task_id: id.into(),
        upstream: Vec::new(),
        trigger_rule: TriggerRule::AllSuccess,
        settings: settings(resources),
    }
}

/// An unscheduled DAG `dag_id` of `tasks`, with no defaults.
pub fn spec(dag_id: &str, tasks: Vec<TaskSpec>) -> DagSpec {
    DagSpec {
        dag_id: dag_id.into(),
        description: String::new(),
        schedule: None,
        start_date: None,
        catchup: false,
        max_active_runs: None,
        max_active_tasks: None,
        dagrun_timeout_ms: None,
        tags: Vec::new(),
        defaults: settings(None),
        tasks,
    }
}
