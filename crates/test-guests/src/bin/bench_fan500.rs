//! DAG `bench_fan500`: 500 independent no-op tasks, `t0` to `t499`, for benchmarks.
//!
//! Every task returns empty bytes at once. No retries; `max_active_tasks` and
//! `max_active_runs` are set high so that they never limit a benchmark. The quick benchmark
//! (`weft-bench --quick`) runs it in place of `bench_fan10000`.

use weft_test_guests::bindings::weft::dag::types::TaskContext;
use weft_test_guests::{
    DagSpec, Guest, TaskError, UpstreamOutput, simple_spec, task, unknown_task,
};

/// Tasks in the DAG.
const TASKS: usize = 500;

struct BenchFan500;

impl Guest for BenchFan500 {
    fn describe() -> DagSpec {
        let tasks = (0..TASKS).map(|i| task(&format!("t{i}"), &[])).collect();
        let mut spec = simple_spec("bench_fan500", tasks);
        spec.description = "Benchmark: 500 independent no-op tasks".to_owned();
        spec.max_active_tasks = Some(100_000);
        spec.max_active_runs = Some(1_000);
        spec.defaults.retries = Some(0);
        spec
    }

    fn run_task(ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        match ctx.task_id.strip_prefix('t').map(str::parse::<usize>) {
            Some(Ok(i)) if i < TASKS => Ok(Vec::new()),
            _ => Err(unknown_task(&ctx)),
        }
    }
}

weft_test_guests::export!(BenchFan500);

fn main() {}
