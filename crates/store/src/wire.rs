//! Between messages and rows: what a worker reports becomes a write, and a run just created
//! travels to the scheduler and back into rows. A worker's reports and the writes they become
//! are separate types, so that a change to a table never changes what travels between
//! processes unnoticed: it fails to compile here. A run and a task instance are records that
//! are their own messages (declared once, in [`weft_protocol::control`] and
//! [`weft_protocol::task_instance`]).

use std::collections::HashMap;

use weft_protocol::control::{CARRIED_ID_RANGES, IdRange, RunCreated, RunCreatedFromDag};
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

/// A run just created, with its task instances, as a message.
pub fn run_created(run: DagRun, tis: Vec<TaskInstance>) -> RunCreated {
    RunCreated { run, tis }
}

/// The rows of a run announced as created.
pub fn created_rows(created: RunCreated) -> (DagRun, Vec<TaskInstance>) {
    (created.run, created.tis)
}

/// A run just created, as a message carrying its task instances' ids in the order of `tasks`
/// (its DAG version's tasks, as a new run of it starts them): `None` when the task instances
/// are not exactly those `tasks` make for `run` (one each, as a new run's are), or their ids
/// do not fit in the message's ranges.
pub fn run_created_from_dag(
    run: &DagRun,
    tasks: Vec<NewTaskInstance>,
    tis: &[TaskInstance],
) -> Option<RunCreatedFromDag> {
    if tasks.len() != tis.len() {
        return None;
    }
    let by_task: HashMap<&str, &TaskInstance> =
        tis.iter().map(|ti| (ti.task_id.as_str(), ti)).collect();
    let mut ids = Vec::with_capacity(tis.len());
    for task in tasks {
        let ti = by_task.get(task.task_id.as_str())?;
        if **ti != task.created(run, ti.id) {
            return None;
        }
        ids.push(ti.id);
    }
    Some(RunCreatedFromDag {
        run: run.clone(),
        ids: RunCreatedFromDag::ranges(ids)?,
    })
}

/// The rows of a run announced by its ids, `tasks` being its DAG version's tasks in order;
/// `None` when the message is not one a creator sends: ids not one per task, not positive,
/// the same id twice, an empty range, or more ranges than a message carries.
pub fn created_from_dag_rows(
    created: RunCreatedFromDag,
    tasks: Vec<NewTaskInstance>,
) -> Option<(DagRun, Vec<TaskInstance>)> {
    if created.ids.len() > CARRIED_ID_RANGES
        || created.ids.iter().any(|&IdRange(_, count)| count == 0)
        || created.id_count() != u64::try_from(tasks.len()).ok()?
    {
        return None;
    }
    let ids: Vec<_> = created.ids().collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    let distinct = sorted.windows(2).all(|pair| pair[0] < pair[1]);
    if ids.len() != tasks.len() || !distinct || sorted.first().is_some_and(|&id| id <= 0) {
        return None;
    }
    let run = created.run;
    let mut tis: Vec<TaskInstance> = tasks
        .into_iter()
        .zip(ids)
        .map(|(task, id)| task.created(&run, id))
        .collect();
    tis.sort_by_key(|ti| ti.id);
    Some((run, tis))
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
            .map(|(k, task)| task.created(&run(), id(k)))
            .collect()
    }

    #[test]
    fn a_new_run_goes_as_its_ids_and_comes_back_as_its_rows() {
        let tis = created(200, |k| 1000 + k);
        let message = run_created_from_dag(&run(), tasks(200), &tis).expect("carried");
        assert_eq!(message.ids, [IdRange(1000, 200)]);
        let (back, rows) = created_from_dag_rows(message.clone(), tasks(200)).expect("built");
        assert_eq!((back, rows), (run(), tis));
        assert_eq!(created_from_dag_rows(message.clone(), tasks(199)), None);
        assert_eq!(created_from_dag_rows(message, tasks(201)), None);
    }

    #[test]
    fn a_run_whose_rows_are_not_what_its_dag_makes_goes_by_id() {
        let tis = created(3, |k| 10 + k);
        assert!(run_created_from_dag(&run(), tasks(3), &tis).is_some());
        assert!(
            run_created_from_dag(&run(), tasks(2), &tis).is_none(),
            "a task instance of no task"
        );
        let mut renamed = tasks(3);
        renamed[2].task_id = "t9".into();
        assert!(
            run_created_from_dag(&run(), renamed, &tis).is_none(),
            "a task without a task instance"
        );
        let mut retried = tasks(3);
        retried[1].max_tries = 5;
        assert!(
            run_created_from_dag(&run(), retried, &tis).is_none(),
            "settings the DAG does not give"
        );
        let mut queued = tis.clone();
        queued[1].state = TaskState::Queued;
        assert!(
            run_created_from_dag(&run(), tasks(3), &queued).is_none(),
            "queued"
        );
        // Ids scattered over more ranges than a message carries.
        let scattered = created(200, |k| 10 + 2 * k);
        assert!(run_created_from_dag(&run(), tasks(200), &scattered).is_none());
    }

    #[test]
    fn a_message_no_creator_sends_is_not_built() {
        let message = |ids: Vec<IdRange>| RunCreatedFromDag { run: run(), ids };
        let built = |ids| created_from_dag_rows(message(ids), tasks(4));
        assert!(built(vec![IdRange(5, 2), IdRange(9, 2)]).is_some());
        assert_eq!(built(vec![IdRange(5, 2), IdRange(6, 2)]), None, "6 twice");
        assert_eq!(
            built(vec![IdRange(5, 4), IdRange(5, 0)]),
            None,
            "an empty range"
        );
        assert_eq!(built(vec![IdRange(-1, 4)]), None, "ids below 1");
        assert_eq!(
            built(vec![IdRange(i64::MAX - 1, 4)]),
            None,
            "past the largest id"
        );
        let scattered = (0..65).map(|k| IdRange(100 + 2 * k, 1)).collect();
        assert_eq!(
            created_from_dag_rows(message(scattered), tasks(65)),
            None,
            "65 ranges"
        );
    }
}
