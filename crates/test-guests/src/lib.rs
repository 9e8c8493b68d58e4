//! Guest programs that Weft's runtime tests run, each built to a component of world `dag`.
//!
//! Every `src/bin/<name>.rs` is one guest; `weft-test-guests-artifacts` builds them all for
//! `wasm32-wasip2` and hands their paths to host tests. The guests use the raw bindings
//! generated here, not the SDK, so that hostile guests can return any `dag-spec` at all,
//! including invalid ones.
//!
//! # Layout
//! - [`bindings`]: the world's imports, the [`Guest`] trait and the [`export!`] macro.
//! - [`simple_spec`], [`single_task_spec`], [`task`], [`no_settings`]: build a `dag-spec`.
//! - [`conf`], [`conf_str`]: read the run's configuration.
//! - [`json_bytes`], [`io_outcome`]: encode what a task saw as JSON output.
//!
//! - `src/v2.rs`, outside the library: world 0.2.0's raw bindings and `dag-spec` helpers,
//!   included by each guest of that world with `#[path = "../v2.rs"] mod v2;`.
//! - `src/v5.rs`, likewise for world 0.5.0 (assets): its raw bindings and helpers.
//! - `src/v3.rs` and `src/v4.rs`, likewise for worlds 0.3.0 and 0.4.0: their raw bindings and
//!   the `dag-spec` helpers both share (`src/spec_helpers.rs`), included with
//!   `#[path = "../v3.rs"] mod v3;` or `#[path = "../v4.rs"] mod v4;`.
//!
//! A guest exports the world with `weft_test_guests::export!(MyGuest);`. The bindings'
//! exports are only linked into the bins that call it.

use serde_json::{Value, json};

/// Raw bindings of world `weft:dag/dag@0.1.0` from `wit/v0.1/dag.wit`: the guests built on
/// them show that components of that version keep running.
#[allow(missing_docs, unsafe_code, clippy::all)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "dag",
        path: "../../wit/v0.1/dag.wit",
        pub_export_macro: true,
        default_bindings_module: "weft_test_guests::bindings",
    });
}

pub use bindings::Guest;
/// Exports a type implementing [`Guest`] as the component's `describe` and `run-task`.
pub use bindings::export;
pub use bindings::weft::dag::types::{
    DagSpec, TaskContext, TaskError, TaskSettings, TaskSpec, TriggerRule, UpstreamOutput,
};

/// Settings that leave every field to the DAG's defaults.
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
    }
}

/// A task with trigger rule `all-success` and no settings of its own.
pub fn task(task_id: &str, upstream: &[&str]) -> TaskSpec {
    TaskSpec {
        task_id: task_id.to_owned(),
        upstream: upstream.iter().map(|id| (*id).to_owned()).collect(),
        trigger_rule: TriggerRule::AllSuccess,
        settings: no_settings(),
    }
}

/// An unscheduled DAG `dag_id` with no defaults, holding `tasks` as given (not validated).
pub fn simple_spec(dag_id: &str, tasks: Vec<TaskSpec>) -> DagSpec {
    DagSpec {
        dag_id: dag_id.to_owned(),
        description: format!("Weft test guest `{dag_id}`"),
        schedule: None,
        start_date: None,
        catchup: false,
        max_active_runs: None,
        max_active_tasks: None,
        dagrun_timeout_ms: None,
        tags: vec!["weft-test".to_owned()],
        defaults: no_settings(),
        tasks,
    }
}

/// DAG `name` with a single task, also called `name`.
pub fn single_task_spec(name: &str) -> DagSpec {
    simple_spec(name, vec![task(name, &[])])
}

/// The run's configuration (`ctx.conf`) parsed as JSON.
pub fn conf(ctx: &TaskContext) -> Result<Value, TaskError> {
    serde_json::from_str(&ctx.conf)
        .map_err(|e| TaskError::Permanent(format!("conf is not JSON: {e}")))
}

/// The string field `field` of the run's configuration.
pub fn conf_str(ctx: &TaskContext, field: &str) -> Result<String, TaskError> {
    match conf(ctx)?.get(field) {
        Some(Value::String(s)) => Ok(s.clone()),
        _ => Err(TaskError::Permanent(format!(
            "conf has no string field `{field}`"
        ))),
    }
}

/// `value` encoded as JSON bytes, the usual form of a task's output.
pub fn json_bytes(value: &Value) -> Vec<u8> {
    value.to_string().into_bytes()
}

/// `{"ok": true, "error": null}` or `{"ok": false, "error": "<kind>: <message>"}`.
pub fn io_outcome<T>(result: &std::io::Result<T>) -> Value {
    match result {
        Ok(_) => json!({ "ok": true, "error": null }),
        Err(e) => json!({ "ok": false, "error": format!("{:?}: {e}", e.kind()) }),
    }
}

/// The error returned when a guest is asked to run a task it does not have.
pub fn unknown_task(ctx: &TaskContext) -> TaskError {
    TaskError::Permanent(format!("unknown task `{}`", ctx.task_id))
}

/// A benchmark fan: `dag_id` with `tasks` independent no-op tasks `t0`…, no retries, and
/// task and run limits high enough never to bind.
pub fn bench_fan_spec(dag_id: &str, tasks: usize) -> DagSpec {
    let specs = (0..tasks).map(|i| task(&format!("t{i}"), &[])).collect();
    let mut spec = simple_spec(dag_id, specs);
    spec.description = format!("Benchmark: {tasks} independent no-op tasks");
    spec.max_active_tasks = Some(100_000);
    spec.max_active_runs = Some(1_000);
    spec.defaults.retries = Some(0);
    spec
}

/// Run task `t<i>` of a benchmark fan of `tasks`: empty output at once.
pub fn bench_fan_task(ctx: &TaskContext, tasks: usize) -> Result<Vec<u8>, TaskError> {
    match ctx.task_id.strip_prefix('t').map(str::parse::<usize>) {
        Some(Ok(i)) if i < tasks => Ok(Vec::new()),
        _ => Err(unknown_task(ctx)),
    }
}
