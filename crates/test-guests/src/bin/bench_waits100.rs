//! DAG `bench_waits100`, world `weft:dag@0.3.0`: 100 wait tasks, `t0` to `t99`, for
//! benchmarks, each waiting for the run of `bench_single` with the same logical date.
//!
//! No task runs code: all 100 are deferred at once, holding no worker slot, and one run of
//! `bench_single` ends them all. The quick benchmark (`weft-bench --quick`) runs it in place
//! of `bench_waits1000`.

// The export glue generated here is unsafe by nature (it is the component's ABI); the
// world's task-error is as large as WIT makes it.
#![allow(unsafe_code, clippy::result_large_err)]

/// The bindings of world 0.3.0 and the `dag-spec` helpers the 0.3.0 guests share.
#[path = "../v3.rs"]
mod v3;

/// The waits the benchmark DAGs of deferred waits are made of.
#[path = "../bench_waits.rs"]
mod bench_waits;

use v3::bindings::Guest;
use v3::bindings::weft::dag::types::{DagSpec, TaskContext, TaskError, UpstreamOutput};

/// Tasks in the DAG.
const TASKS: usize = 100;

struct BenchWaits100;

impl Guest for BenchWaits100 {
    fn describe() -> DagSpec {
        bench_waits::bench_waits_spec("bench_waits100", TASKS)
    }

    fn run_task(ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        bench_waits::bench_waits_task(&ctx)
    }
}

v3::bindings::export!(BenchWaits100 with_types_in v3::bindings);

fn main() {}
