//! Building new runs: manual triggers, scheduled runs and backfills, with Airflow's ids,
//! logical dates and data intervals.

use jiff::Timestamp;
use weft_model::{Dag, DagRunState, DataInterval, RunType};
use weft_store::{DagRecord, NewRun, NewTaskInstance};

/// What a new run is: its kind, id, dates and conf.
pub struct RunSpec {
    /// How it comes to be (manual, scheduled, backfill), which also prefixes its default id.
    pub run_type: RunType,
    /// Its id; default `<type>__<logical date>`.
    pub run_id: Option<String>,
    /// Its logical date: the interval's start for scheduled and backfill runs, the requested
    /// date (or now) for manual ones.
    pub logical_date: Timestamp,
    /// The data interval it covers.
    pub interval: DataInterval,
    /// Its configuration (`conf`): a JSON object handed to every task of the run.
    pub conf: serde_json::Value,
}

impl RunSpec {
    /// A scheduled or backfill run of `interval`.
    pub fn for_interval(run_type: RunType, interval: DataInterval) -> RunSpec {
        RunSpec {
            run_type,
            run_id: None,
            logical_date: interval.logical_date(),
            interval,
            conf: serde_json::json!({}),
        }
    }
}

/// A new run of `dag` (the validated spec of `record`'s current version).
pub fn new_run(record: &DagRecord, dag: &Dag, spec: RunSpec, now: Timestamp) -> NewRun {
    let RunSpec {
        run_type,
        run_id,
        logical_date,
        interval,
        conf,
    } = spec;
    NewRun {
        tenant: record.tenant.clone(),
        dag_id: record.dag_id.clone(),
        run_id: run_id.unwrap_or_else(|| run_type.run_id(logical_date)),
        run_type,
        logical_date,
        data_interval_start: interval.start,
        data_interval_end: interval.end,
        conf,
        digest: record.digest.clone(),
        state: DagRunState::Queued,
        queued_at: now,
        tasks: new_task_instances(dag),
        current_only: false,
    }
}

/// The task instances a new run of `dag` starts with, in the order of its tasks.
pub fn new_task_instances(dag: &Dag) -> Vec<NewTaskInstance> {
    dag.tasks()
        .iter()
        .map(|t| NewTaskInstance {
            task_id: t.id.clone(),
            max_tries: t.max_tries(),
            queue: t.queue.clone(),
            pool: t.pool.clone(),
            priority_weight: t.priority_weight,
        })
        .collect()
}

/// Check a run's conf: a JSON object, or nothing (`{}`).
pub fn check_conf(conf: Option<serde_json::Value>) -> Result<serde_json::Value, String> {
    match conf {
        None | Some(serde_json::Value::Null) => Ok(serde_json::json!({})),
        Some(value @ serde_json::Value::Object(_)) => Ok(value),
        Some(other) => Err(format!(
            "conf must be a JSON object, not {}",
            json_kind(&other)
        )),
    }
}

/// What kind of JSON value `value` is, for an error message.
fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// The scheduled intervals of `dag` whose logical dates lie in `[start, end]`, in order.
pub fn backfill_intervals(
    dag: &Dag,
    start: Timestamp,
    end: Timestamp,
) -> Result<Vec<DataInterval>, String> {
    if end < start {
        return Err(format!(
            "the backfill range ends ({end}) before it starts ({start})"
        ));
    }
    let schedule = dag
        .schedule()
        .ok_or_else(|| format!("DAG {:?} has no schedule to backfill", dag.id()))?;
    if schedule.is_continuous() {
        return Err(format!(
            "DAG {:?} runs continuously (@continuous): its runs follow each other's ends, not \
             intervals of time, so there is nothing to backfill; trigger runs instead",
            dag.id()
        ));
    }
    let cron_start = dag.start_date().map_or(start, |s| s.max(start));
    let mut out = Vec::new();
    let mut last: Option<DataInterval> = None;
    // Backfill walks the schedule with catchup, from the later of the range start and start_date.
    while let Some(interval) = schedule.next_interval(last, cron_start, true, end) {
        if interval.logical_date() > end
            || dag.is_past_end(interval.logical_date())
            || out.len() >= MAX_BACKFILL_RUNS
        {
            break;
        }
        if interval.logical_date() >= start {
            out.push(interval);
        }
        if last == Some(interval) {
            break;
        }
        last = Some(interval);
    }
    if out.len() >= MAX_BACKFILL_RUNS {
        return Err(format!(
            "the backfill range holds more than {MAX_BACKFILL_RUNS} runs; split it"
        ));
    }
    Ok(out)
}

/// Most runs one backfill request may create.
pub const MAX_BACKFILL_RUNS: usize = 10_000;
