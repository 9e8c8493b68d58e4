//! The run's state: the task instances of the run an attempt belongs to, with
//! [`Context::task_states`](crate::Context::task_states) (Airflow's
//! `dag_run.get_task_instances()`).

use serde::{Deserialize, Serialize};

use crate::bindings::weft::dag::run_state;
use crate::context::Context;

/// One task instance of the current run, from [`Context::task_states`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskStatus {
    /// The task.
    pub task_id: String,
    /// For an instance of a mapped task: its map index.
    pub map_index: Option<u32>,
    /// Its state: `success`, `failed`, `running`, `upstream_failed`...
    pub state: String,
    /// Its current (or last) attempt; 0 before the first.
    pub try_number: u32,
    /// Class of its last failure (`timeout`, `trap`, `task_error`...).
    pub error_class: Option<String>,
    /// Message of its last failure.
    pub error: Option<String>,
}

impl Context {
    /// Every task instance of the current run (this one included), by task and map index,
    /// as the control plane knows them now: a report task reads which tasks failed and why.
    pub fn task_states(&self) -> Vec<TaskStatus> {
        run_state::task_states()
            .into_iter()
            .map(|s| TaskStatus {
                task_id: s.task_id,
                map_index: s.map_index,
                state: s.state,
                try_number: s.try_number,
                error_class: s.error_class,
                error: s.error,
            })
            .collect()
    }
}
