//! DAG `bench_chain40`: 40 no-op tasks in a chain, `t0 >> t1 >> ... >> t39`, for benchmarks.
//!
//! Every task returns empty bytes at once. No retries; `max_active_tasks` and
//! `max_active_runs` are set high so that they never limit a benchmark. The benchmark times a
//! run from its trigger to its success and divides by 40 for the latency of one hop.

use weft_test_guests::bindings::weft::dag::types::TaskContext;
use weft_test_guests::{
    DagSpec, Guest, TaskError, UpstreamOutput, simple_spec, task, unknown_task,
};

/// Tasks in the chain.
const TASKS: usize = 40;

struct BenchChain40;

impl Guest for BenchChain40 {
    fn describe() -> DagSpec {
        let ids: Vec<String> = (0..TASKS).map(|i| format!("t{i}")).collect();
        let tasks = ids
            .iter()
            .enumerate()
            .map(|(i, id)| match i {
                0 => task(id, &[]),
                _ => task(id, &[ids[i - 1].as_str()]),
            })
            .collect();
        let mut spec = simple_spec("bench_chain40", tasks);
        spec.description = "Benchmark: 40 no-op tasks in a chain".to_owned();
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

weft_test_guests::export!(BenchChain40);

fn main() {}
