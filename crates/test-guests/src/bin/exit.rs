//! A task that calls `std::process::exit(0)` instead of returning.
//!
//! The host must report a `trap` saying the guest exited, not a success.

use weft_test_guests::bindings::weft::dag::types::TaskContext;
use weft_test_guests::{DagSpec, Guest, TaskError, UpstreamOutput, single_task_spec};

struct Exit;

impl Guest for Exit {
    fn describe() -> DagSpec {
        single_task_spec("exit")
    }

    fn run_task(_ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        std::process::exit(0)
    }
}

weft_test_guests::export!(Exit);

fn main() {}
