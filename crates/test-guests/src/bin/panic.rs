//! Task `panic` panics with the message `weft-test-panic: boom`.
//!
//! DAG `panic`, one task of the same name; `run-task` panics whatever the task id. The panic
//! message goes to the guest's stderr, then the guest aborts (a trap). The host must report
//! the attempt as failed, keep the message `weft-test-panic: boom` from stderr in the
//! attempt's log or error, and stay usable.

use weft_test_guests::{DagSpec, Guest, TaskContext, TaskError, UpstreamOutput, single_task_spec};

struct Panic;

impl Guest for Panic {
    fn describe() -> DagSpec {
        single_task_spec("panic")
    }

    fn run_task(_ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        panic!("weft-test-panic: boom");
    }
}

weft_test_guests::export!(Panic);

fn main() {}
