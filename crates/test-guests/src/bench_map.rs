//! What the benchmark DAGs of mapped tasks share, included by each with
//! `#[path = "../bench_map.rs"] mod bench_map;` beside `v3`: task `list` returns the JSON
//! array `[0, 1, …, n-1]`, and task `each`, mapped over it, runs once per item and returns
//! empty bytes at once. The run is `n + 1` task attempts: the scheduler expands `each`
//! into `n` instances when `list` succeeds.

use crate::v3::bindings::weft::dag::types::{
    DagSpec, Expand, TaskContext, TaskError, TaskKind, TriggerRule,
};
use crate::v3::{spec, task};

/// DAG `dag_id`: `list`, then `each` mapped over its output of `items` items, with limits
/// that never bind and no retries.
pub fn bench_map_spec(dag_id: &str, items: usize) -> DagSpec {
    let mut each = task("each", &["list"], TriggerRule::AllSuccess, TaskKind::Code);
    each.expand = Some(Expand::Upstream("list".into()));
    let mut spec = spec(
        dag_id,
        &format!("Benchmark: one task mapped over {items} items"),
        vec![
            task("list", &[], TriggerRule::AllSuccess, TaskKind::Code),
            each,
        ],
    );
    spec.max_active_tasks = Some(100_000);
    spec.max_active_runs = Some(1_000);
    spec.defaults.retries = Some(0);
    spec
}

/// `list`: the items; `each`: nothing, at once.
pub fn bench_map_task(ctx: &TaskContext, items: usize) -> Result<Vec<u8>, TaskError> {
    match ctx.task_id.as_str() {
        "list" => {
            let list: Vec<String> = (0..items).map(|i| i.to_string()).collect();
            Ok(format!("[{}]", list.join(",")).into_bytes())
        }
        "each" => Ok(Vec::new()),
        other => Err(TaskError::Permanent(format!("no task {other}"))),
    }
}
