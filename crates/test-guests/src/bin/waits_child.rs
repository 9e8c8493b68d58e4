//! DAG `waits_child`, world `weft:dag@0.3.0`: what DAG `waits` waits for. Its one task,
//! `work`, succeeds, or fails when the run's conf says `{"fail": true}`.

// The export glue generated here is unsafe by nature (it is the component's ABI); the
// world's task-error is as large as WIT makes it.
#![allow(unsafe_code, clippy::result_large_err)]

/// The bindings of world 0.3.0 and the `dag-spec` helpers the 0.3.0 guests share.
#[path = "../v3.rs"]
mod v3;

use v3::bindings::Guest;
use v3::bindings::weft::dag::types::{
    DagSpec, TaskContext, TaskError, TaskKind, TriggerRule, UpstreamOutput,
};
use v3::{spec, task};

struct Child;

impl Guest for Child {
    fn describe() -> DagSpec {
        spec(
            "waits_child",
            "the run DAG `waits` waits for",
            vec![task("work", &[], TriggerRule::AllSuccess, TaskKind::Code)],
        )
    }

    fn run_task(ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        let conf: serde_json::Value = serde_json::from_str(&ctx.conf).unwrap_or_default();
        if conf["fail"] == serde_json::Value::Bool(true) {
            return Err(TaskError::Permanent("asked to fail".into()));
        }
        Ok(b"\"worked\"".to_vec())
    }
}

v3::bindings::export!(Child with_types_in v3::bindings);

fn main() {}
