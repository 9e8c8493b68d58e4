//! DAG `bench_single`: one no-op task, `t0`, for round-trip benchmarks.
//!
//! The task returns empty bytes at once. No retries; `max_active_runs` is set high. The
//! benchmark times runs one after another, from the trigger to the run's success.

use weft_test_guests::bindings::weft::dag::types::TaskContext;
use weft_test_guests::{
    DagSpec, Guest, TaskError, UpstreamOutput, simple_spec, task, unknown_task,
};

struct BenchSingle;

impl Guest for BenchSingle {
    fn describe() -> DagSpec {
        let mut spec = simple_spec("bench_single", vec![task("t0", &[])]);
        spec.description = "Benchmark: one no-op task".to_owned();
        spec.max_active_tasks = Some(100_000);
        spec.max_active_runs = Some(1_000);
        spec.defaults.retries = Some(0);
        spec
    }

    fn run_task(ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        match ctx.task_id.as_str() {
            "t0" => Ok(Vec::new()),
            _ => Err(unknown_task(&ctx)),
        }
    }
}

weft_test_guests::export!(BenchSingle);

fn main() {}
