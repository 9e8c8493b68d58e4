//! DAG `bench_fan10000`: 10,000 independent no-op tasks, `t0` to `t9999`, for benchmarks.
//!
//! Every task returns empty bytes at once. No retries; `max_active_tasks` and
//! `max_active_runs` are set high so that they never limit a benchmark. The benchmark runs it once
//! and counts tasks per second from the trigger to the run's success.

use weft_test_guests::bindings::weft::dag::types::TaskContext;
use weft_test_guests::{DagSpec, Guest, TaskError, UpstreamOutput, bench_fan_spec, bench_fan_task};

/// Tasks in the DAG.
const TASKS: usize = 10_000;

struct BenchFan10000;

impl Guest for BenchFan10000 {
    fn describe() -> DagSpec {
        bench_fan_spec("bench_fan10000", TASKS)
    }

    fn run_task(ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        bench_fan_task(&ctx, TASKS)
    }
}

weft_test_guests::export!(BenchFan10000);

fn main() {}
