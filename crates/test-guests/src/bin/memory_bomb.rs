//! Task `memory_bomb` allocates and writes 1 GiB in doubling chunks (1 MiB, 2 MiB, ...).
//!
//! DAG `memory_bomb`, one task of the same name; `run-task` does this whatever the task id.
//! Each chunk is filled with a non-zero byte, so every page is touched. When an allocation
//! fails the guest aborts (a trap), so the host must refuse the memory growth past its limit,
//! report the attempt as failed for lack of memory, and stay usable. Without a limit the task
//! succeeds with output `{"allocated": 1073741824}`.

use serde_json::json;
use weft_test_guests::{
    DagSpec, Guest, TaskContext, TaskError, UpstreamOutput, json_bytes, single_task_spec,
};

const TOTAL: usize = 1 << 30;

struct MemoryBomb;

impl Guest for MemoryBomb {
    fn describe() -> DagSpec {
        single_task_spec("memory_bomb")
    }

    fn run_task(_ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        let mut chunks: Vec<Vec<u8>> = Vec::new();
        let mut allocated = 0usize;
        let mut size = 1usize << 20;
        while allocated < TOTAL {
            let this = size.min(TOTAL - allocated);
            chunks.push(std::hint::black_box(vec![0xA5u8; this]));
            allocated += this;
            size *= 2;
        }
        std::hint::black_box(&chunks);
        Ok(json_bytes(&json!({ "allocated": allocated })))
    }
}

weft_test_guests::export!(MemoryBomb);

fn main() {}
