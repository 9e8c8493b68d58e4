//! DAG `bench_fan500`: 500 independent no-op tasks, `t0` to `t499`, for benchmarks.
//!
//! Every task returns empty bytes at once. No retries; `max_active_tasks` and
//! `max_active_runs` are set high so that they never limit a benchmark. The quick benchmark
//! (`weft-bench --quick`) runs it in place of `bench_fan10000`.

use weft_test_guests::bindings::weft::dag::types::TaskContext;
use weft_test_guests::{DagSpec, Guest, TaskError, UpstreamOutput, bench_fan_spec, bench_fan_task};

/// Tasks in the DAG.
const TASKS: usize = 500;

struct BenchFan500;

impl Guest for BenchFan500 {
    fn describe() -> DagSpec {
        bench_fan_spec("bench_fan500", TASKS)
    }

    fn run_task(ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        bench_fan_task(&ctx, TASKS)
    }
}

weft_test_guests::export!(BenchFan500);

fn main() {}
