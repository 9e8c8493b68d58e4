//! Task `infinite_loop` spins forever without calling the host.
//!
//! DAG `infinite_loop`, one task of the same name; `run-task` loops whatever the task id.
//! The host must stop it with its CPU limit (fuel or epoch deadline) or its wall-clock
//! timeout, report the attempt as timed out, and keep its engine usable.

use weft_test_guests::{DagSpec, Guest, TaskContext, TaskError, UpstreamOutput, single_task_spec};

struct InfiniteLoop;

impl Guest for InfiniteLoop {
    fn describe() -> DagSpec {
        single_task_spec("infinite_loop")
    }

    fn run_task(_ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        let mut counter = 0u64;
        loop {
            // `black_box` keeps the optimizer from proving the loop has no effect.
            counter = std::hint::black_box(counter.wrapping_add(1));
        }
    }
}

weft_test_guests::export!(InfiniteLoop);

fn main() {}
