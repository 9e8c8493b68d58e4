//! DAG `orchestrate`, world `weft:dag@0.3.0`: a branch, the joins that follow it, and a task
//! that triggers runs of other DAGs.
//!
//! - `pick` (a branch) returns the run's conf `pick` as is (`["left"]`, `"right"`, `[]`, or
//!   anything else to test refusals).
//! - `left` and `right` follow `pick` and return their own ids.
//! - `join` (`none_failed_min_one_success` after `left` and `right`) returns the ids of the
//!   upstream outputs it was given.
//! - `none_ran` (`all_skipped` after `left` and `right`) returns `"none ran"`.
//! - `trigger` (no upstream) calls `dag-runs.trigger` once per entry of conf `trigger`
//!   (`[{"dag_id": ..., "conf": {...}, "run_id": ...}]`) and returns the run ids; a refusal
//!   fails it permanently with `trigger refused: <kind>: <message>`. With conf
//!   `fail_first_try`, its first try fails (retryably) after triggering; it has one retry.

// The export glue generated here is unsafe by nature (it is the component's ABI); the
// world's task-error is as large as WIT makes it.
#![allow(unsafe_code, clippy::result_large_err)]

/// The bindings of world 0.3.0 and the `dag-spec` helpers the 0.3.0 guests share.
#[path = "../v3.rs"]
mod v3;

use serde_json::{Value, json};
use v3::bindings::Guest;
use v3::bindings::weft::dag::dag_runs::{self, TriggerError, TriggerRequest};
use v3::bindings::weft::dag::types::{
    DagSpec, TaskContext, TaskError, TaskKind, TriggerRule, UpstreamOutput,
};
use v3::{spec, task};

struct Orchestrate;

fn conf(ctx: &TaskContext) -> Result<Value, TaskError> {
    serde_json::from_str(&ctx.conf).map_err(|e| TaskError::Permanent(format!("conf: {e}")))
}

fn bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

fn refused(e: TriggerError) -> TaskError {
    let (kind, message) = match e {
        TriggerError::NotFound(m) => ("not-found", m),
        TriggerError::Paused(m) => ("paused", m),
        TriggerError::Invalid(m) => ("invalid", m),
        TriggerError::AlreadyExists(m) => ("already-exists", m),
        TriggerError::Unavailable(m) => ("unavailable", m),
    };
    TaskError::Permanent(format!("trigger refused: {kind}: {message}"))
}

impl Guest for Orchestrate {
    fn describe() -> DagSpec {
        let code = || TaskKind::Code;
        spec(
            "orchestrate",
            "a branch, its joins, and runs of other DAGs",
            vec![
                task("pick", &[], TriggerRule::AllSuccess, TaskKind::Branch),
                task("left", &["pick"], TriggerRule::AllSuccess, code()),
                task("right", &["pick"], TriggerRule::AllSuccess, code()),
                task(
                    "join",
                    &["left", "right"],
                    TriggerRule::NoneFailedMinOneSuccess,
                    code(),
                ),
                task(
                    "none_ran",
                    &["left", "right"],
                    TriggerRule::AllSkipped,
                    code(),
                ),
                {
                    let mut trigger = task("trigger", &[], TriggerRule::AllSuccess, code());
                    trigger.settings.retries = Some(1);
                    trigger.settings.retry_delay_ms = Some(10);
                    trigger
                },
            ],
        )
    }

    fn run_task(ctx: TaskContext, upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        match ctx.task_id.as_str() {
            "pick" => Ok(bytes(conf(&ctx)?.get("pick").unwrap_or(&Value::Null))),
            "left" | "right" => Ok(bytes(&json!(ctx.task_id))),
            "join" => {
                let ids: Vec<&str> = upstream.iter().map(|u| u.task_id.as_str()).collect();
                Ok(bytes(&json!(ids)))
            }
            "none_ran" => Ok(bytes(&json!("none ran"))),
            "trigger" => {
                let conf = conf(&ctx)?;
                let mut runs = Vec::new();
                for asked in conf["trigger"].as_array().into_iter().flatten() {
                    let request = TriggerRequest {
                        dag_id: asked["dag_id"].as_str().unwrap_or_default().to_owned(),
                        conf: asked.get("conf").map(Value::to_string),
                        logical_date: asked["logical_date"].as_str().map(str::to_owned),
                        run_id: asked["run_id"].as_str().map(str::to_owned),
                    };
                    runs.push(dag_runs::trigger(&request).map_err(refused)?);
                }
                if conf["fail_first_try"] == json!(true) && ctx.try_number == 1 {
                    return Err(TaskError::Retryable(format!("failing after {runs:?}")));
                }
                Ok(bytes(&json!(runs)))
            }
            other => Err(TaskError::Permanent(format!("no task {other}"))),
        }
    }
}

v3::bindings::export!(Orchestrate with_types_in v3::bindings);

fn main() {}
