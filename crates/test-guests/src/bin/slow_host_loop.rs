//! Task `slow_host_loop` calls `variables.get` in an endless loop.
//!
//! DAG `slow_host_loop`, one task of the same name; `run-task` loops whatever the task id,
//! asking for variable `weft-test-slow-host-loop` each time. Time spent inside host calls
//! is invisible to fuel, so the host's wall-clock timeout (or epoch deadline) must still
//! stop it and report the attempt as timed out.

use weft_test_guests::bindings::weft::dag::variables;
use weft_test_guests::{DagSpec, Guest, TaskContext, TaskError, UpstreamOutput, single_task_spec};

struct SlowHostLoop;

impl Guest for SlowHostLoop {
    fn describe() -> DagSpec {
        single_task_spec("slow_host_loop")
    }

    fn run_task(_ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        loop {
            std::hint::black_box(variables::get("weft-test-slow-host-loop"));
        }
    }
}

weft_test_guests::export!(SlowHostLoop);

fn main() {}
