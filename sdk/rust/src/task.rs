//! Handles to a DAG's tasks: per-task settings and trigger rules.

use std::fmt;
use std::time::Duration;

use crate::dag::Dag;
use crate::settings::{TaskSettings, TriggerRule};

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

    /// Replace all of the task's own settings.
    pub fn settings(self, settings: TaskSettings) -> Self {
        self.update(|_| settings)
    }

    fn update(self, f: impl FnOnce(TaskSettings) -> TaskSettings) -> Self {
        self.dag.with_state(|state| {
            if let Some(task) = state.tasks.get_mut(self.index) {
                task.settings = f(std::mem::take(&mut task.settings));
            }
        });
        self
    }

    /// See [`TaskSettings::queue`].
    pub fn queue(self, queue: impl Into<String>) -> Self {
        self.update(|s| s.queue(queue))
    }

    /// See [`TaskSettings::retries`].
    pub fn retries(self, retries: u32) -> Self {
        self.update(|s| s.retries(retries))
    }

    /// See [`TaskSettings::retry_delay`].
    pub fn retry_delay(self, delay: Duration) -> Self {
        self.update(|s| s.retry_delay(delay))
    }

    /// See [`TaskSettings::retry_exponential_backoff`].
    pub fn retry_exponential_backoff(self, enabled: bool) -> Self {
        self.update(|s| s.retry_exponential_backoff(enabled))
    }

    /// See [`TaskSettings::max_retry_delay`].
    pub fn max_retry_delay(self, delay: Duration) -> Self {
        self.update(|s| s.max_retry_delay(delay))
    }

    /// See [`TaskSettings::execution_timeout`].
    pub fn execution_timeout(self, timeout: Duration) -> Self {
        self.update(|s| s.execution_timeout(timeout))
    }

    /// See [`TaskSettings::pool`].
    pub fn pool(self, pool: impl Into<String>) -> Self {
        self.update(|s| s.pool(pool))
    }

    /// See [`TaskSettings::priority_weight`].
    pub fn priority_weight(self, weight: i32) -> Self {
        self.update(|s| s.priority_weight(weight))
    }

    /// See [`TaskSettings::memory_limit`].
    pub fn memory_limit(self, bytes: u64) -> Self {
        self.update(|s| s.memory_limit(bytes))
    }

    /// See [`TaskSettings::scratch_dir`].
    pub fn scratch_dir(self, guest_path: impl Into<String>) -> Self {
        self.update(|s| s.scratch_dir(guest_path))
    }

    /// See [`TaskSettings::read_only_dir`].
    pub fn read_only_dir(self, guest_path: impl Into<String>) -> Self {
        self.update(|s| s.read_only_dir(guest_path))
    }

    /// See [`TaskSettings::allow_egress`].
    pub fn allow_egress(self, host: impl Into<String>) -> Self {
        self.update(|s| s.allow_egress(host))
    }
}

impl fmt::Debug for TaskRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TaskRef").field(&self.id()).finish()
    }
}
