//! Plain functions the shared `Store` implementation and the backends use to assemble
//! results and the arguments of a new run.

use std::collections::HashMap;

use jiff::Timestamp;
use weft_model::DagRunState;

use super::statement::Statement;
use crate::backend::Sql;
use crate::error::{StoreError, StoreResult};
use crate::records::{
    DEFAULT_POOL, DEFAULT_POOL_SLOTS, DagRun, NewRun, NewTaskInstance, Pool, TaskInstance,
};
use crate::rows::{RunRow, TiRow, as_stored, micros, micros_opt};

/// Runs listed when a filter sets no limit.
pub(crate) const DEFAULT_RUN_LIMIT: u32 = 100;

/// The error for a run id the DAG already has.
pub(crate) fn duplicate_run(run: &NewRun) -> StoreError {
    StoreError::Conflict(format!(
        "DAG {} already has a run {}",
        run.dag_id, run.run_id
    ))
}

/// The task instances just inserted for `run`, from their `(id, task_id)`s, by id.
pub(crate) fn new_task_instances(
    run: &DagRun,
    tasks: Vec<NewTaskInstance>,
    ids: Vec<(i64, String)>,
) -> StoreResult<Vec<TaskInstance>> {
    let mut ids: HashMap<String, i64> = ids.into_iter().map(|(id, task)| (task, id)).collect();
    let mut tis = tasks
        .into_iter()
        .map(|task| {
            let id = ids.remove(&task.task_id).ok_or_else(|| {
                StoreError::Database(format!(
                    "task instance {} of run {} was not inserted",
                    task.task_id, run.id
                ))
            })?;
            Ok(task.created(run, id))
        })
        .collect::<StoreResult<Vec<_>>>()?;
    tis.sort_by_key(|ti| ti.id);
    Ok(tis)
}

/// Runs with their task instances (both ordered by id).
pub(crate) fn group_runs(
    runs: Vec<RunRow>,
    tis: Vec<TiRow>,
) -> StoreResult<Vec<(DagRun, Vec<TaskInstance>)>> {
    let mut by_run: HashMap<i64, Vec<TaskInstance>> = HashMap::new();
    for ti in tis {
        let ti = ti.into_record()?;
        by_run.entry(ti.run).or_default().push(ti);
    }
    runs.into_iter()
        .map(|run| {
            let run = run.into_record()?;
            let tis = by_run.remove(&run.id).unwrap_or_default();
            Ok((run, tis))
        })
        .collect()
}

/// The pools of a tenant, with the default pool (at its default size) when the tenant has
/// not stored it yet.
pub(crate) fn with_default_pool(mut pools: Vec<Pool>) -> Vec<Pool> {
    if !pools.iter().any(|p| p.name == DEFAULT_POOL) {
        let at = pools.partition_point(|p| p.name.as_str() < DEFAULT_POOL);
        let default = Pool {
            name: DEFAULT_POOL.to_owned(),
            slots: DEFAULT_POOL_SLOTS,
            description: "Default pool".to_owned(),
        };
        pools.insert(at, default);
    }
    pools
}

/// `statement` with a new run's thirteen columns bound next, the task instances it adds to
/// its tenant's waiting ones and whether only the current version will do, in the order of
/// [`INSERT_RUN`](crate::both_backends::sql::INSERT_RUN).
pub(crate) fn bind_new_run<D: Sql>(statement: Statement<D>, run: &NewRun) -> Statement<D> {
    let (started_at, ended_at) = run_times(run);
    statement
        .bind(run.tenant.as_str())
        .bind(run.dag_id.as_str())
        .bind(run.run_id.as_str())
        .bind(run.run_type.as_str())
        .bind(micros(run.logical_date))
        .bind(micros(run.data_interval_start))
        .bind(micros(run.data_interval_end))
        .bind(run.conf.to_string())
        .bind(run.digest.as_str())
        .bind(run.state.as_str())
        .bind(micros(run.queued_at))
        .bind(micros_opt(started_at))
        .bind(micros_opt(ended_at))
        .bind(queued_task_count(run))
        .bind(i64::from(run.current_only))
}

/// The task instances `run` adds to its tenant's waiting ones under `max_queued_tasks`: all
/// of them, but for a run the scheduler makes from the DAG's schedule, which is not refused
/// (`max_active_runs` holds such runs back).
pub(crate) fn queued_task_count(run: &NewRun) -> i64 {
    if run.run_type == weft_model::RunType::Scheduled {
        0
    } else {
        i64::try_from(run.tasks.len()).unwrap_or(i64::MAX)
    }
}

/// When a new run started and ended, as its state says: at its queue time if so.
pub(crate) fn run_times(run: &NewRun) -> (Option<Timestamp>, Option<Timestamp>) {
    let started_at = (run.state == DagRunState::Running).then_some(run.queued_at);
    let ended_at = run.state.is_finished().then_some(run.queued_at);
    (started_at, ended_at)
}

/// The new run as stored under `id`, as a read would return it: times to the microsecond.
pub(crate) fn stored_run(run: &NewRun, id: i64) -> DagRun {
    let (started_at, ended_at) = run_times(run);
    DagRun {
        id,
        tenant: run.tenant.clone(),
        dag_id: run.dag_id.clone(),
        run_id: run.run_id.clone(),
        run_type: run.run_type,
        logical_date: as_stored(run.logical_date),
        data_interval_start: as_stored(run.data_interval_start),
        data_interval_end: as_stored(run.data_interval_end),
        conf: run.conf.clone(),
        digest: run.digest.clone(),
        state: run.state,
        queued_at: as_stored(run.queued_at),
        started_at: started_at.map(as_stored),
        ended_at: ended_at.map(as_stored),
    }
}

/// The store error for a failed run insert: a run id the DAG has already as a conflict
/// naming it.
pub(crate) fn run_insert_error(run: &NewRun, error: sqlx::Error) -> StoreError {
    match StoreError::from(error) {
        StoreError::Conflict(_) => duplicate_run(run),
        other => other,
    }
}
