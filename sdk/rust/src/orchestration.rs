//! Tasks that orchestrate rather than compute: branches, which pick the downstream tasks to
//! follow, and waits, which the scheduler resolves without running code.

use crate::bindings::weft::dag::types as wit;
use crate::context::Context;
use crate::dag::{Dag, TaskFn};
use crate::error::TaskError;
use crate::task::TaskRef;
use crate::wait::Wait;

/// What a task is, as the host's `task-kind` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TaskKind {
    /// It runs its code.
    Code,
    /// It runs its code, whose output names the downstream tasks to follow.
    Branch,
    /// It runs no code and succeeds when the wait holds.
    Wait(Wait),
}

impl TaskKind {
    pub(crate) fn to_wit(&self) -> wit::TaskKind {
        match self {
            TaskKind::Code => wit::TaskKind::Code,
            TaskKind::Branch => wit::TaskKind::Branch,
            TaskKind::Wait(wait) => wit::TaskKind::Wait(wait.to_wit()),
        }
    }
}

/// The downstream tasks a [branch](Dag::branch) follows: one task id (`&str`, `String`), or
/// none, one or more (`Vec`, an array, an `Option`).
pub trait Branches {
    /// The ids of the tasks to follow.
    fn into_task_ids(self) -> Vec<String>;
}

impl Branches for &str {
    fn into_task_ids(self) -> Vec<String> {
        vec![self.to_owned()]
    }
}

impl Branches for String {
    fn into_task_ids(self) -> Vec<String> {
        vec![self]
    }
}

impl<S: Into<String>> Branches for Vec<S> {
    fn into_task_ids(self) -> Vec<String> {
        self.into_iter().map(Into::into).collect()
    }
}

impl<S: Into<String>, const N: usize> Branches for [S; N] {
    fn into_task_ids(self) -> Vec<String> {
        self.into_iter().map(Into::into).collect()
    }
}

impl<S: Into<String>> Branches for Option<S> {
    fn into_task_ids(self) -> Vec<String> {
        self.into_iter().map(Into::into).collect()
    }
}

impl Dag {
    /// Add a branch task `task_id` (Airflow's `@task.branch`): `f` returns the ids of the
    /// direct downstream tasks to follow; the other direct downstream tasks are skipped. Its
    /// output is the JSON array of those ids.
    ///
    /// ```
    /// use weft_sdk::prelude::*;
    ///
    /// let dag = Dag::new("pick");
    /// let pick = dag.branch("pick", |ctx: &Context| -> TaskResult<&str> {
    ///     Ok(if ctx.conf_value()["full"] == true { "full" } else { "incremental" })
    /// });
    /// let full = dag.task("full", |_: &Context| Ok(()));
    /// let incremental = dag.task("incremental", |_: &Context| Ok(()));
    /// let _ = pick >> [full, incremental];
    /// ```
    pub fn branch<B, F>(&self, task_id: impl Into<String>, f: F) -> TaskRef<'_>
    where
        F: Fn(&Context) -> Result<B, TaskError> + 'static,
        B: Branches,
    {
        let run: TaskFn = Box::new(move |ctx| {
            let ids = f(ctx)?.into_task_ids();
            serde_json::to_vec(&ids).map_err(|e| {
                TaskError::permanent(format!("the branch's task ids cannot be encoded: {e}"))
            })
        });
        self.push_task(task_id.into(), TaskKind::Branch, run)
    }

    /// Add a task `task_id` that runs no code: the scheduler defers it from the start, holding
    /// no worker slot, and it succeeds when `wait` holds (or fails as the wait and the task's
    /// [sensor settings](crate::SensorSettings) say: timeout, soft fail).
    ///
    /// ```
    /// use std::time::Duration;
    /// use weft_sdk::prelude::*;
    ///
    /// let dag = Dag::new("report").schedule("@daily").start_date("2024-01-01");
    /// let sorted = dag
    ///     .wait("sorted", Wait::external("mall_sort").task("sort"))
    ///     .sensor(SensorSettings::new().timeout(Duration::from_secs(3600)));
    /// let settle = dag.wait("settle", Wait::after_data_interval_end(Duration::from_secs(600)));
    /// let report = dag.task("report", |_: &Context| Ok(()));
    /// let _ = [sorted, settle] >> report;
    /// ```
    pub fn wait(&self, task_id: impl Into<String>, wait: impl Into<Wait>) -> TaskRef<'_> {
        let id: String = task_id.into();
        let message =
            format!("task `{id}` is a wait: the scheduler resolves it and never runs its code");
        let run: TaskFn = Box::new(move |_| Err(TaskError::permanent(message.clone())));
        self.push_task(id, TaskKind::Wait(wait.into()), run)
    }
}
