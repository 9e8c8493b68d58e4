//! Handles to a DAG's tasks: per-task settings and trigger rules.

use std::fmt;

use crate::dag::{Dag, TaskEntry};
use crate::settings::TaskSettings;
use crate::trigger_rule::TriggerRule;

/// A handle to a task of a [`Dag`], returned by [`Dag::task`].
///
/// It is `Copy`: keep it in a variable, set the task's settings through it, and record edges
/// with `>>` and `<<` (see the [crate documentation](crate#dependencies)). Settings set here
/// override the DAG's defaults for this task only.
#[derive(Clone, Copy)]
pub struct TaskRef<'d> {
    dag: &'d Dag,
    index: usize,
}

impl<'d> TaskRef<'d> {
    pub(crate) fn new(dag: &'d Dag, index: usize) -> Self {
        Self { dag, index }
    }

    /// The task's id.
    pub fn id(self) -> String {
        self.dag.with_state(|state| {
            state
                .tasks
                .get(self.index)
                .map(|t| t.id.clone())
                .unwrap_or_default()
        })
    }

    /// Record that `upstream` must finish before this task (the edge `upstream >> self`).
    /// Recording an edge twice is the same as once.
    pub fn add_upstream(self, upstream: TaskRef<'_>) -> Self {
        let upstream_id = upstream.id();
        self.dag.with_state(|state| {
            if let Some(task) = state.tasks.get_mut(self.index)
                && !task.upstream.contains(&upstream_id)
            {
                task.upstream.push(upstream_id);
            }
        });
        self
    }

    /// When the task may run, given its upstream tasks' final states
    /// ([`TriggerRule::AllSuccess`] unless set).
    pub fn trigger_rule(self, rule: TriggerRule) -> Self {
        self.dag.with_state(|state| {
            if let Some(task) = state.tasks.get_mut(self.index) {
                task.trigger_rule = rule;
            }
        });
        self
    }

    /// Apply `f` to the task's entry in the DAG.
    pub(crate) fn update_entry(self, f: impl FnOnce(&mut TaskEntry)) -> Self {
        self.dag.with_state(|state| {
            if let Some(task) = state.tasks.get_mut(self.index) {
                f(task);
            }
        });
        self
    }

    /// Replace all of the task's own settings.
    pub fn settings(self, settings: TaskSettings) -> Self {
        self.update_settings(|_| settings)
    }

    /// Apply `f` to the task's own settings. The per-setting methods (`queue`, `retries`, ...)
    /// are defined with the settings themselves, in `settings.rs`.
    pub(crate) fn update_settings(self, f: impl FnOnce(TaskSettings) -> TaskSettings) -> Self {
        self.dag.with_state(|state| {
            if let Some(task) = state.tasks.get_mut(self.index) {
                task.settings = f(std::mem::take(&mut task.settings));
            }
        });
        self
    }
}

impl fmt::Debug for TaskRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TaskRef").field(&self.id()).finish()
    }
}
