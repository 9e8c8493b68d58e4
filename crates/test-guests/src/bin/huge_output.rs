//! Task `huge_output` returns 64 MiB of `x` bytes.
//!
//! DAG `huge_output`, one task of the same name; `run-task` does this whatever the task id.
//! The host must refuse an output past its output-size limit and fail the attempt with an
//! error naming that limit, without keeping the bytes.

use weft_test_guests::{DagSpec, Guest, TaskContext, TaskError, UpstreamOutput, single_task_spec};

/// Size of the output, in bytes.
const SIZE: usize = 64 << 20;

struct HugeOutput;

impl Guest for HugeOutput {
    fn describe() -> DagSpec {
        single_task_spec("huge_output")
    }

    fn run_task(_ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        Ok(vec![b'x'; SIZE])
    }
}

weft_test_guests::export!(HugeOutput);

fn main() {}
