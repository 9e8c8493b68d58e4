//! Task `stack_overflow` recurses without bound until the stack runs out.
//!
//! DAG `stack_overflow`, one task of the same name; `run-task` recurses whatever the task id.
//! The recursion is not a tail call and its exit condition is hidden from the optimizer, so it
//! cannot become a loop. The host must report the attempt as failed by a trap (stack
//! overflow, or an out-of-bounds access when the guest's shadow stack in linear memory runs
//! out first) and stay usable.

use weft_test_guests::{DagSpec, Guest, TaskContext, TaskError, UpstreamOutput, single_task_spec};

struct StackOverflow;

/// Recurses until `black_box` says stop, which it never does in practice.
fn deeper(depth: u64) -> u64 {
    if std::hint::black_box(depth) == u64::MAX {
        return depth;
    }
    let below = deeper(depth + 1);
    // Work after the call keeps it from being a tail call.
    std::hint::black_box(below.rotate_left(3) ^ depth)
}

impl Guest for StackOverflow {
    fn describe() -> DagSpec {
        single_task_spec("stack_overflow")
    }

    fn run_task(_ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        Ok(deeper(0).to_le_bytes().to_vec())
    }
}

weft_test_guests::export!(StackOverflow);

fn main() {}
