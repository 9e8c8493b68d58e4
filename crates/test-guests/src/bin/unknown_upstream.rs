//! `describe` returns DAG `unknown_upstream` whose only task `t1` has upstream `nope`.
//!
//! No task `nope` exists, so the host must refuse to deploy it with an error naming `t1` and
//! `nope`, and store nothing. `run-task` returns empty output for any task id (it is never
//! meant to be called).

use weft_test_guests::{DagSpec, Guest, TaskContext, TaskError, UpstreamOutput, simple_spec, task};

struct UnknownUpstream;

impl Guest for UnknownUpstream {
    fn describe() -> DagSpec {
        simple_spec("unknown_upstream", vec![task("t1", &["nope"])])
    }

    fn run_task(_ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        Ok(Vec::new())
    }
}

weft_test_guests::export!(UnknownUpstream);

fn main() {}
