//! Between messages and rows: what a worker reports becomes a write, and a run just created
//! travels to the scheduler and back into rows. The two sides are separate types, so that a
//! change to a table never changes what travels between processes unnoticed: it fails to
//! compile here.

use std::collections::HashMap;

use weft_protocol::control::{CreatedRun, CreatedTaskInstance, RunCreated, RunCreatedFromDag};
use weft_protocol::{AttemptHeartbeat, AttemptStarted};

use crate::records::{DagRun, NewTaskInstance, TaskInstance};
use crate::write::{Heartbeat, StartTask};

/// Moves every field of one struct into the other, both ways, so that a field added to
/// either side and not the other fails to compile. Fields only the message has (named after
/// `only`, with the value a row gives them) are dropped on the way to the row.
macro_rules! same_fields {
    ($a:ident <=> $b:ident { $($field:ident),* $(,)? } $(only $b_only:ident = $default:expr)?) => {
        impl From<$a> for $b {
            fn from(from: $a) -> $b {
                let $a { $($field),* } = from;
                $b { $($field,)* $($b_only: $default)? }
            }
        }
        impl From<$b> for $a {
            fn from(from: $b) -> $a {
                let $b { $($field,)* $($b_only: _)? } = from;
                $a { $($field),* }
            }
        }
    };
}

same_fields!(StartTask <=> AttemptStarted {
    ti,
    lease,
    worker_id,
    hostname,
    at,
    lease_expires_at,
} only key = None);

// The attempt's key is checked by the scheduler before a report becomes a write; the store
// keeps no key.
same_fields!(Heartbeat <=> AttemptHeartbeat {
    ti,
    lease,
    lease_expires_at,
} only key = None);

same_fields!(DagRun <=> CreatedRun {
    id,
    tenant,
    dag_id,
    run_id,
    run_type,
    logical_date,
    data_interval_start,
    data_interval_end,
    conf,
    digest,
    state,
    queued_at,
    started_at,
    ended_at,
});

same_fields!(TaskInstance <=> CreatedTaskInstance {
    id,
    run,
    tenant,
    dag_id,
    run_id,
    task_id,
    state,
    try_number,
    max_tries,
    queue,
    pool,
    priority_weight,
    lease,
    lease_expires_at,
    worker_id,
    hostname,
    queued_at,
    started_at,
    ended_at,
    duration_ms,
    next_retry_at,
    error_class,
    error,
    sensor_started_at,
    pokes,
    deferral,
    map_count,
    map_index,
    map_item,
});

/// A run just created, with its task instances, as a message.
pub fn run_created(run: DagRun, tis: Vec<TaskInstance>) -> RunCreated {
    RunCreated {
        run: run.into(),
        tis: tis.into_iter().map(Into::into).collect(),
    }
}

/// The rows of a run announced as created.
pub fn created_rows(created: RunCreated) -> (DagRun, Vec<TaskInstance>) {
    (
        created.run.into(),
        created.tis.into_iter().map(Into::into).collect(),
    )
}

/// A run just created, as a message carrying its task instances' ids in the order of
/// `task_ids` (its DAG version's tasks): `None` when a task has no task instance among `tis`,
/// a task instance is not as a new run's are, or the ids do not fit in the message's ranges.
pub fn run_created_from_dag<'a>(
    run: &DagRun,
    task_ids: impl IntoIterator<Item = &'a str>,
    tis: &[TaskInstance],
) -> Option<RunCreatedFromDag> {
    let by_task: HashMap<&str, &TaskInstance> =
        tis.iter().map(|ti| (ti.task_id.as_str(), ti)).collect();
    let mut ids = Vec::with_capacity(tis.len());
    for task in task_ids {
        let ti = by_task.get(task)?;
        let fresh = TaskInstance::created(run, new_task_instance(ti), ti.id);
        if **ti != fresh {
            return None;
        }
        ids.push(ti.id);
    }
    if ids.len() != tis.len() {
        return None;
    }
    Some(RunCreatedFromDag {
        run: run.clone().into(),
        ids: RunCreatedFromDag::ranges(ids)?,
    })
}

/// The rows of a run announced by its ids, `tasks` being its DAG version's tasks in order;
/// `None` when the ids are not one per task.
pub fn created_from_dag_rows(
    created: RunCreatedFromDag,
    tasks: Vec<NewTaskInstance>,
) -> Option<(DagRun, Vec<TaskInstance>)> {
    if created.id_count() != u64::try_from(tasks.len()).ok()? {
        return None;
    }
    let ids: Vec<_> = created.ids().collect();
    if ids.len() != tasks.len() {
        return None;
    }
    let run: DagRun = created.run.into();
    let mut tis: Vec<TaskInstance> = tasks
        .into_iter()
        .zip(ids)
        .map(|(task, id)| TaskInstance::created(&run, task, id))
        .collect();
    tis.sort_by_key(|ti| ti.id);
    Some((run, tis))
}

/// What a task instance was created from.
fn new_task_instance(ti: &TaskInstance) -> NewTaskInstance {
    NewTaskInstance {
        task_id: ti.task_id.clone(),
        max_tries: ti.max_tries,
        queue: ti.queue.clone(),
        pool: ti.pool.clone(),
        priority_weight: ti.priority_weight,
    }
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;
    use weft_model::{DagRunState, RunType, TaskState};

    use super::*;

    fn run() -> DagRun {
        DagRun {
            id: 3,
            tenant: "default".into(),
            dag_id: "wide".into(),
            run_id: "r".into(),
            run_type: RunType::Manual,
            logical_date: Timestamp::UNIX_EPOCH,
            data_interval_start: Timestamp::UNIX_EPOCH,
            data_interval_end: Timestamp::UNIX_EPOCH,
            conf: serde_json::json!({}),
            digest: "sha256:0".into(),
            state: DagRunState::Queued,
            queued_at: Timestamp::UNIX_EPOCH,
            started_at: None,
            ended_at: None,
        }
    }

    fn tasks(n: usize) -> Vec<NewTaskInstance> {
        (0..n)
            .map(|i| NewTaskInstance {
                task_id: format!("t{i}"),
                max_tries: 2,
                queue: "default".into(),
                pool: "default_pool".into(),
                priority_weight: 1,
            })
            .collect()
    }

    /// A new run's task instances, the `k`th task's id given by `id(k)`.
    fn created(n: usize, id: impl Fn(i64) -> i64) -> Vec<TaskInstance> {
        (0..)
            .zip(tasks(n))
            .map(|(k, task)| TaskInstance::created(&run(), task, id(k)))
            .collect()
    }

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("t{i}")).collect()
    }

    #[test]
    fn a_new_run_goes_as_its_ids_and_comes_back_as_its_rows() {
        let tis = created(200, |k| 1000 + k);
        let message = run_created_from_dag(&run(), names(200).iter().map(String::as_str), &tis)
            .expect("carried");
        assert_eq!(message.ids.len(), 1);
        let (back, rows) = created_from_dag_rows(message.clone(), tasks(200)).expect("built");
        assert_eq!((back, rows), (run(), tis));
        assert_eq!(created_from_dag_rows(message.clone(), tasks(199)), None);
        assert_eq!(created_from_dag_rows(message, tasks(201)), None);
    }

    #[test]
    fn a_run_whose_rows_are_not_a_new_runs_goes_by_id() {
        let names = names(3);
        let order = || names.iter().map(String::as_str);
        let mut tis = created(3, |k| 10 + k);
        assert!(run_created_from_dag(&run(), order(), &tis).is_some());
        assert!(
            run_created_from_dag(&run(), order().take(2), &tis).is_none(),
            "a task instance of no task"
        );
        assert!(
            run_created_from_dag(&run(), order().chain(["t9"]), &tis).is_none(),
            "a task without a task instance"
        );
        tis[1].state = TaskState::Queued;
        assert!(
            run_created_from_dag(&run(), order(), &tis).is_none(),
            "queued"
        );
        // Ids scattered over more ranges than a message carries.
        let scattered = created(200, |k| 10 + 2 * k);
        let names = self::names(200);
        assert!(
            run_created_from_dag(&run(), names.iter().map(String::as_str), &scattered).is_none()
        );
    }
}
