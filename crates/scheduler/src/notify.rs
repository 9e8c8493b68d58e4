//! Notifications of the events a step decides: an attempt's result (success, failure for
//! good, failure with a retry to follow) for a task with notifiers, and a run's end for a DAG
//! with run notifiers. They go into the step's batch, so they are written with the state
//! change that causes them, or not at all; the API servers deliver them.
//!
//! The payload is the [`Notification`] record `weft-notify` delivers (JSON, version 1; see
//! [`weft_model::notification`]). Tasks and DAGs without notifiers (the common case) cost one
//! check and no allocation.

use jiff::Timestamp;
use weft_model::notification::{Notification, PAYLOAD_VERSION};
use weft_model::{DagRunState, Notifier, Task, TaskState};
use weft_store::{DagRun, FinishTask, NewNotification, NotificationEvent};

/// What a notifier is told about.
struct Subject<'a> {
    run: &'a DagRun,
    event: NotificationEvent,
    state: &'a str,
    at: Timestamp,
    task: Option<(&'a str, u32)>,
    map_index: Option<u32>,
    error: Option<&'a str>,
    after_finish: Option<i64>,
}

impl Subject<'_> {
    /// One notification per notifier.
    fn notifications<'n>(
        &'n self,
        notifiers: &'n [Notifier],
    ) -> impl Iterator<Item = NewNotification> + 'n {
        let record = Notification {
            version: PAYLOAD_VERSION,
            event: self.event,
            tenant: self.run.tenant.clone(),
            dag_id: self.run.dag_id.clone(),
            run_id: self.run.run_id.clone(),
            task_id: self.task.map(|(id, _)| id.to_owned()),
            map_index: self.map_index,
            try_number: self.task.map(|(_, n)| n),
            state: self.state.to_owned(),
            logical_date: self.run.logical_date,
            at: self.at,
            error: self.error.map(str::to_owned),
        };
        // A record of strings, numbers and timestamps always serializes.
        let payload = serde_json::to_value(&record).unwrap_or_default();
        notifiers.iter().map(move |notifier| NewNotification {
            tenant: self.run.tenant.clone(),
            dag_id: self.run.dag_id.clone(),
            run_id: self.run.run_id.clone(),
            run: self.run.id,
            task_id: self.task.map(|(id, _)| id.to_owned()),
            try_number: self.task.map(|(_, n)| n),
            event: self.event,
            notifier: notifier.clone(),
            payload: payload.clone(),
            at: self.at,
            after_finish: self.after_finish,
        })
    }
}

/// The notifications of `finish`, the result of try `try_number` of `task` in `run` (of
/// instance `map_index` of a mapped task): none
/// unless the task has notifiers for what happened. Each is written only if the finish is.
pub(crate) fn of_finish(
    task: &Task,
    run: &DagRun,
    try_number: u32,
    map_index: Option<u32>,
    finish: &FinishTask,
) -> Vec<NewNotification> {
    let n = &task.notifications;
    let (event, notifiers) = match finish.state {
        TaskState::Success => (NotificationEvent::TaskSuccess, &n.on_success),
        TaskState::Failed => (NotificationEvent::TaskFailure, &n.on_failure),
        TaskState::UpForRetry => (NotificationEvent::TaskRetry, &n.on_retry),
        _ => return Vec::new(),
    };
    if notifiers.is_empty() {
        return Vec::new();
    }
    let subject = Subject {
        run,
        event,
        state: finish.state.as_str(),
        at: finish.at,
        task: Some((&task.id, try_number)),
        map_index,
        error: finish.error.as_deref(),
        after_finish: Some(finish.ti),
    };
    subject.notifications(notifiers).collect()
}

/// The failure notifications of mapped task `task` of `run`, which could not expand at
/// `at` for the reason `error` (its instances, had it any, notify on their own).
pub(crate) fn of_failed_expansion(
    task: &Task,
    run: &DagRun,
    at: Timestamp,
    error: &str,
) -> Vec<NewNotification> {
    let notifiers = &task.notifications.on_failure;
    if notifiers.is_empty() {
        return Vec::new();
    }
    let subject = Subject {
        run,
        event: NotificationEvent::TaskFailure,
        state: TaskState::Failed.as_str(),
        at,
        task: Some((&task.id, 0)),
        map_index: None,
        error: Some(error),
        after_finish: None,
    };
    subject.notifications(notifiers).collect()
}

/// The notifications of `run` ending in `state` at `at` (with `error` saying why it failed,
/// if known): none unless its DAG has run notifiers for that.
pub(crate) fn of_run_end(
    dag: &weft_model::Dag,
    run: &DagRun,
    state: DagRunState,
    at: Timestamp,
    error: Option<&str>,
) -> Vec<NewNotification> {
    let n = &dag.spec().notifications;
    let (event, notifiers) = match state {
        DagRunState::Success => (NotificationEvent::RunSuccess, &n.on_success),
        DagRunState::Failed => (NotificationEvent::RunFailure, &n.on_failure),
        _ => return Vec::new(),
    };
    if notifiers.is_empty() {
        return Vec::new();
    }
    let subject = Subject {
        run,
        event,
        state: state.as_str(),
        at,
        task: None,
        map_index: None,
        error,
        after_finish: None,
    };
    subject.notifications(notifiers).collect()
}
