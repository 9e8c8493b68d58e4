//! What the benchmark DAGs of deferred waits share, included by each with
//! `#[path = "../bench_waits.rs"] mod bench_waits;` beside `v3`: `tasks` wait tasks `t0`,
//! `t1`, …, each waiting for the run of DAG `bench_single` with the same logical date to
//! succeed. They run no code: the scheduler defers them when the run starts (no worker slot)
//! and ends them all when that run of `bench_single` ends.

use crate::v3::bindings::weft::dag::types::{
    DagSpec, ExternalWait, RunSelector, SensorSettings, TaskContext, TaskError, TaskKind,
    TriggerRule, WaitCondition,
};
use crate::v3::{settings, spec, task};

/// The DAG every wait waits for.
pub const AWAITED_DAG: &str = "bench_single";

/// Longest a wait waits: an hour, far beyond any benchmark.
pub const TIMEOUT_MS: u64 = 3_600_000;

/// DAG `dag_id`: `tasks` independent waits on the run of [`AWAITED_DAG`] with the same
/// logical date, with limits that never bind and no retries.
pub fn bench_waits_spec(dag_id: &str, tasks: usize) -> DagSpec {
    let waits = (0..tasks)
        .map(|i| {
            let condition = WaitCondition::External(ExternalWait {
                dag_id: AWAITED_DAG.into(),
                run: RunSelector::LogicalDateOffsetMs(0),
                task_id: None,
                allowed_states: Vec::new(),
                failed_states: Vec::new(),
            });
            task(
                &format!("t{i}"),
                &[],
                TriggerRule::AllSuccess,
                TaskKind::Wait(condition),
            )
        })
        .collect();
    let mut spec = spec(
        dag_id,
        &format!("Benchmark: {tasks} deferred waits on one run of {AWAITED_DAG}"),
        waits,
    );
    spec.max_active_tasks = Some(100_000);
    spec.max_active_runs = Some(1_000);
    spec.defaults = settings(Some(SensorSettings {
        poke_interval_ms: 60_000,
        timeout_ms: Some(TIMEOUT_MS),
        soft_fail: false,
        exponential_backoff: false,
        max_poke_interval_ms: None,
    }));
    spec.defaults.retries = Some(0);
    spec
}

/// Any task asked to run: waits run no code, so this is a permanent error.
pub fn bench_waits_task(ctx: &TaskContext) -> Result<Vec<u8>, TaskError> {
    Err(TaskError::Permanent(format!(
        "task {} is a wait and runs no code",
        ctx.task_id
    )))
}
