//! A notification: what happened to which run or task, as one JSON document; and where its
//! delivery stands. The scheduler writes it, the store keeps it, and `weft-notify` delivers
//! it.
//!
//! Webhooks receive it as the POST body; emails render it with [`Notification::subject`] and
//! [`Notification::text_body`]. The JSON shape (`version` 1) is stable: fields are only ever
//! added, and a change of meaning bumps `version`.
//!
//! ```json
//! {
//!   "version": 1,
//!   "event": "task_failure",
//!   "tenant": "acme",
//!   "dag_id": "mall_sort",
//!   "run_id": "manual__2026-11-22T10:00:00Z",
//!   "task_id": "sort",
//!   "map_index": 3,
//!   "try_number": 2,
//!   "state": "failed",
//!   "logical_date": "2026-11-22T10:00:00Z",
//!   "at": "2026-11-22T10:05:12.5Z",
//!   "error": "trap: out of fuel"
//! }
//! ```
//!
//! - `event`: one of `task_success`, `task_failure`, `task_retry`, `run_success`,
//!   `run_failure`.
//! - `task_id`, `map_index`, `try_number`: `null` for run events; `map_index` is `null` for
//!   an unmapped task.
//! - `state`: the run's or task's state after the event, as Weft names it.
//! - `logical_date`, `at` (when the event happened): RFC 3339 timestamps in UTC.
//! - `error`: the failure's message, or `null`.

use std::fmt::Write as _;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::names::named_enum;

/// The version of the JSON shape this crate writes.
pub const PAYLOAD_VERSION: u32 = 1;

named_enum! {
    /// What happened, as a notification's `event` (and the `weft-event` header).
    pub enum NotificationEvent ("notification event") {
        /// A task instance succeeded.
        TaskSuccess => "task_success",
        /// A task instance failed for good (no tries left).
        TaskFailure => "task_failure",
        /// A task instance failed and will be tried again.
        TaskRetry => "task_retry",
        /// A DAG run succeeded.
        RunSuccess => "run_success",
        /// A DAG run failed.
        RunFailure => "run_failure",
    }
}

named_enum! {
    /// Where the delivery of a notification stands.
    pub enum NotificationState ("notification state") {
        /// Not delivered yet; another attempt will be made.
        Pending => "pending",
        /// Delivered.
        Delivered => "delivered",
        /// Given up: every attempt failed, or one failed in a way no retry mends.
        Failed => "failed",
    }
}

/// One notification about a run or a task instance. See the module docs for its JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct Notification {
    /// The JSON shape's version: [`PAYLOAD_VERSION`].
    pub version: u32,
    /// What happened.
    pub event: NotificationEvent,
    /// The tenant owning the DAG.
    pub tenant: String,
    /// The DAG's id.
    pub dag_id: String,
    /// The run's id.
    pub run_id: String,
    /// The task's id, for task events.
    pub task_id: Option<String>,
    /// The mapped instance's index, for a mapped task.
    pub map_index: Option<u32>,
    /// The try this event is about (1 for the first), for task events.
    pub try_number: Option<u32>,
    /// The run's or task's state after the event.
    pub state: String,
    /// The run's logical date.
    pub logical_date: Timestamp,
    /// When the event happened.
    pub at: Timestamp,
    /// The failure's message, if any.
    pub error: Option<String>,
}

impl Notification {
    /// A notification of the current [`PAYLOAD_VERSION`] about a run, with no task, no
    /// error, and `at` = now. Set the task fields and `error` afterwards as needed.
    pub fn new(
        event: NotificationEvent,
        tenant: impl Into<String>,
        dag_id: impl Into<String>,
        run_id: impl Into<String>,
        state: impl Into<String>,
        logical_date: Timestamp,
    ) -> Self {
        Self {
            version: PAYLOAD_VERSION,
            event,
            tenant: tenant.into(),
            dag_id: dag_id.into(),
            run_id: run_id.into(),
            task_id: None,
            map_index: None,
            try_number: None,
            state: state.into(),
            logical_date,
            at: Timestamp::now(),
            error: None,
        }
    }

    /// An email subject: `[weft] <event>: <dag_id> / <run_id>`, followed by
    /// ` / <task_id>` (and `[<map_index>]`) for a task event.
    pub fn subject(&self) -> String {
        let mut subject = format!("[weft] {}: {} / {}", self.event, self.dag_id, self.run_id);
        if let Some(task_id) = &self.task_id {
            let _ = write!(subject, " / {task_id}");
            if let Some(index) = self.map_index {
                let _ = write!(subject, "[{index}]");
            }
        }
        // Header values are one line: a newline in an id must not start a new header.
        subject.replace(['\r', '\n'], " ")
    }

    /// A plain-text email body listing every field, one `name: value` a line, then the
    /// error (which may span lines) last.
    pub fn text_body(&self) -> String {
        let mut body = String::new();
        let mut line = |name: &str, value: &dyn std::fmt::Display| {
            let _ = writeln!(body, "{name:<13} {value}");
        };
        line("event:", &self.event);
        line("tenant:", &self.tenant);
        line("dag_id:", &self.dag_id);
        line("run_id:", &self.run_id);
        if let Some(task_id) = &self.task_id {
            line("task_id:", task_id);
        }
        if let Some(index) = self.map_index {
            line("map_index:", &index);
        }
        if let Some(try_number) = self.try_number {
            line("try_number:", &try_number);
        }
        line("state:", &self.state);
        line("logical_date:", &self.logical_date);
        line("at:", &self.at);
        if let Some(error) = &self.error {
            let _ = write!(body, "\nerror:\n{error}\n");
        }
        body
    }
}

#[cfg(test)]
#[path = "notification_tests.rs"]
mod tests;
