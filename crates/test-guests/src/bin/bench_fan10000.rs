//! DAG `bench_fan10000`: 10,000 independent no-op tasks, `t0` to `t9999`, for benchmarks.
//!
//! Every task returns empty bytes at once. No retries; `max_active_tasks` and
//! `max_active_runs` are set high so that they never limit a benchmark. The benchmark runs it once
//! and counts tasks per second from the trigger to the run's success.

use weft_test_guests::bindings::weft::dag::types::TaskContext;
use weft_test_guests::{
    DagSpec, Guest, TaskError, UpstreamOutput, simple_spec, task, unknown_task,
};

/// Tasks in the DAG.
const TASKS: usize = 10_000;

struct BenchFan10000;

impl Guest for BenchFan10000 {
    fn describe() -> DagSpec {
        let tasks = (0..TASKS).map(|i| task(&format!("t{i}"), &[])).collect();
        let mut spec = simple_spec("bench_fan10000", tasks);
        spec.description = "Benchmark: 10,000 independent no-op tasks".to_owned();
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

weft_test_guests::export!(BenchFan10000);

fn main() {}
