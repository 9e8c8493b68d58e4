//! DAG `bench_etl6`: six no-op tasks shaped as a small ETL, `extract >> [clean, enrich,
//! score, audit] >> load`, for the benchmark's scale-out scenario (thousands of runs started
//! within a minute).
//!
//! Every task returns empty bytes at once. No retries; `max_active_tasks` and
//! `max_active_runs` are set high so that only the scheduler's own pace limits the runs.

use weft_test_guests::bindings::weft::dag::types::TaskContext;
use weft_test_guests::{
    DagSpec, Guest, TaskError, UpstreamOutput, simple_spec, task, unknown_task,
};

/// The middle tasks, each downstream of `extract` and upstream of `load`.
const MIDDLE: [&str; 4] = ["clean", "enrich", "score", "audit"];

struct BenchEtl6;

impl Guest for BenchEtl6 {
    fn describe() -> DagSpec {
        let mut tasks = vec![task("extract", &[])];
        tasks.extend(MIDDLE.iter().map(|id| task(id, &["extract"])));
        tasks.push(task("load", &MIDDLE));
        let mut spec = simple_spec("bench_etl6", tasks);
        spec.description = "Benchmark: six no-op tasks, extract >> [four] >> load".to_owned();
        spec.max_active_tasks = Some(1_000_000);
        spec.max_active_runs = Some(100_000);
        spec.defaults.retries = Some(0);
        spec
    }

    fn run_task(ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        let id = ctx.task_id.as_str();
        if id == "extract" || id == "load" || MIDDLE.contains(&id) {
            Ok(Vec::new())
        } else {
            Err(unknown_task(&ctx))
        }
    }
}

weft_test_guests::export!(BenchEtl6);

fn main() {}
