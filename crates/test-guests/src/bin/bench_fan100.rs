//! DAG `bench_fan100`: 100 independent no-op tasks, `t0` to `t99`, for benchmarks.
//!
//! Every task returns empty bytes at once. No retries; `max_active_tasks` and
//! `max_active_runs` are set high so that they never limit a benchmark. The benchmark runs it
//! alone (against Airflow's `fan100`) and as 100 runs at once (throughput).

use weft_test_guests::bindings::weft::dag::types::TaskContext;
use weft_test_guests::{DagSpec, Guest, TaskError, UpstreamOutput, bench_fan_spec, bench_fan_task};

/// Tasks in the DAG.
const TASKS: usize = 100;

struct BenchFan100;

impl Guest for BenchFan100 {
    fn describe() -> DagSpec {
        bench_fan_spec("bench_fan100", TASKS)
    }

    fn run_task(ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        bench_fan_task(&ctx, TASKS)
    }
}

weft_test_guests::export!(BenchFan100);

fn main() {}
