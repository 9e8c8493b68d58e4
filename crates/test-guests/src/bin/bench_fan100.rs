//! DAG `bench_fan100`: 100 independent no-op tasks, `t0` to `t99`, for benchmarks.
//!
//! Every task returns empty bytes at once. No retries; `max_active_tasks` and
//! `max_active_runs` are set high so that they never limit a benchmark. The benchmark runs it
//! alone (against Airflow's `fan100`) and as 100 runs at once (throughput).

use weft_test_guests::bindings::weft::dag::types::TaskContext;
use weft_test_guests::{
    DagSpec, Guest, TaskError, UpstreamOutput, simple_spec, task, unknown_task,
};

/// Tasks in the DAG.
const TASKS: usize = 100;

struct BenchFan100;

impl Guest for BenchFan100 {
    fn describe() -> DagSpec {
        let tasks = (0..TASKS).map(|i| task(&format!("t{i}"), &[])).collect();
        let mut spec = simple_spec("bench_fan100", tasks);
        spec.description = "Benchmark: 100 independent no-op tasks".to_owned();
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

weft_test_guests::export!(BenchFan100);

fn main() {}
