//! One task, `noop`, that returns empty bytes and calls nothing.
//!
//! The host must describe it as DAG `noop` with one task and run it to an empty output; the
//! per-task benchmark uses it to measure the sandbox's own cost.

use weft_test_guests::{DagSpec, Guest, TaskContext, TaskError, UpstreamOutput, simple_spec, task};

struct Noop;

impl Guest for Noop {
    fn describe() -> DagSpec {
        simple_spec("noop", vec![task("noop", &[])])
    }

    fn run_task(_ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        Ok(Vec::new())
    }
}

weft_test_guests::export!(Noop);

fn main() {}
