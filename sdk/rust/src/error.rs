//! Task errors: how a task attempt says it did not succeed, and whether it is worth a retry.

use std::fmt;
use std::time::Duration;

use crate::bindings::weft::dag::types as wit;
use crate::settings::millis;
use crate::wait::Wait;

/// The result type of a task function.
pub type TaskResult<T> = Result<T, TaskError>;

/// What the host does with a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskErrorKind {
    /// The attempt failed; it is retried if the task has retries left.
    Retryable,
    /// The attempt failed and no retry can mend it: the task fails at once.
    Permanent,
    /// The task decided not to run: its state becomes skipped.
    Skip,
    /// Not yet: a sensor gives its worker slot back and pokes again later
    /// ([`TaskError::reschedule`]). The try number does not grow.
    Reschedule,
    /// Wait without running until something happens ([`TaskError::defer`]).
    Defer,
}

/// Why a task attempt did not succeed.
///
/// Any error that implements [`Display`](fmt::Display) converts into a *retryable*
/// `TaskError`, so `?` works on most results inside a task. Use [`ResultExt`] to choose the kind
/// or add context, or the constructors to build one directly.
///
/// Like `anyhow::Error`, `TaskError` implements neither `std::error::Error` nor `Display`
/// (either would clash with the blanket conversion); read it with [`TaskError::message`].
///
/// ```
/// use weft_sdk::{TaskError, TaskErrorKind};
///
/// fn parse(s: &str) -> Result<u32, TaskError> {
///     Ok(s.parse::<u32>()?)
/// }
/// let err = parse("x").unwrap_err();
/// assert_eq!(err.kind(), TaskErrorKind::Retryable);
/// assert_eq!(err.message(), "invalid digit found in string");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskError {
    kind: TaskErrorKind,
    message: String,
    /// The delay of a reschedule or the wait of a deferral, boxed to keep `Result`s small.
    suspend: Option<Box<Suspend>>,
}

/// What a [`TaskErrorKind::Reschedule`] or [`TaskErrorKind::Defer`] error carries.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Suspend {
    /// Poke again after this many milliseconds.
    RescheduleAfter(u64),
    /// Wait for this, then resume the task (true) or end it as the event says (false).
    Defer(Wait, bool),
}

impl TaskError {
    /// A failure worth another attempt, if retries remain (a network error, say).
    pub fn retryable(message: impl Into<String>) -> Self {
        Self::new(TaskErrorKind::Retryable, message)
    }

    /// A failure no retry can mend (bad input, say): the task fails at once.
    pub fn permanent(message: impl Into<String>) -> Self {
        Self::new(TaskErrorKind::Permanent, message)
    }

    /// The task decides not to run (Airflow's `AirflowSkipException`); its state is skipped.
    pub fn skip(message: impl Into<String>) -> Self {
        Self::new(TaskErrorKind::Skip, message)
    }

    /// Not yet: give the worker slot back and poke again after the task's
    /// [poke interval](crate::SensorSettings::poke_interval) (Airflow's reschedule mode).
    pub fn reschedule() -> Self {
        Self::new(
            TaskErrorKind::Reschedule,
            "not yet: poke again after the poke interval",
        )
    }

    /// Not yet: give the worker slot back and poke again after `delay` (whole milliseconds,
    /// saturating).
    pub fn reschedule_after(delay: Duration) -> Self {
        Self {
            suspend: Some(Box::new(Suspend::RescheduleAfter(millis(delay)))),
            ..Self::new(
                TaskErrorKind::Reschedule,
                format!("not yet: poke again in {delay:?}"),
            )
        }
    }

    /// Wait, holding no worker slot, until `wait` holds; then the task ends as the event
    /// says (success, or failure for a failed state) without running again.
    pub fn defer(wait: impl Into<Wait>) -> Self {
        Self::deferred(wait.into(), false)
    }

    /// Wait, holding no worker slot, until `wait` holds; then run the task again, with
    /// [`Context::resumed`](crate::Context::resumed) true and
    /// [`Context::event`](crate::Context::event) saying what happened.
    pub fn defer_and_resume(wait: impl Into<Wait>) -> Self {
        Self::deferred(wait.into(), true)
    }

    fn deferred(wait: Wait, resume: bool) -> Self {
        Self {
            suspend: Some(Box::new(Suspend::Defer(wait, resume))),
            ..Self::new(TaskErrorKind::Defer, "deferred")
        }
    }

    /// An error of the given kind. A [`TaskErrorKind::Reschedule`] made here pokes again
    /// after the poke interval; a [`TaskErrorKind::Defer`] needs a wait, so make it with
    /// [`TaskError::defer`] (one made here fails the task).
    pub fn new(kind: TaskErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            suspend: None,
        }
    }

    /// The delay before the next poke of a [`TaskError::reschedule_after`].
    pub fn reschedule_delay(&self) -> Option<Duration> {
        match self.suspend.as_deref() {
            Some(Suspend::RescheduleAfter(ms)) => Some(Duration::from_millis(*ms)),
            _ => None,
        }
    }

    /// The wait of a [deferral](TaskError::defer), and whether the task resumes after it.
    pub fn deferral(&self) -> Option<(&Wait, bool)> {
        match self.suspend.as_deref() {
            Some(Suspend::Defer(wait, resume)) => Some((wait, *resume)),
            _ => None,
        }
    }

    /// What the host does with the failed attempt.
    pub fn kind(&self) -> TaskErrorKind {
        self.kind
    }

    /// The message shown to users.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The same message with another kind.
    pub fn with_kind(self, kind: TaskErrorKind) -> Self {
        Self { kind, ..self }
    }

    /// The same kind, with `context` put in front of the message: `"context: message"`.
    pub fn context(self, context: impl fmt::Display) -> Self {
        Self {
            message: format!("{context}: {}", self.message),
            ..self
        }
    }

    pub(crate) fn into_wit(self) -> wit::TaskError {
        match self.kind {
            TaskErrorKind::Retryable => wit::TaskError::Retryable(self.message),
            TaskErrorKind::Permanent => wit::TaskError::Permanent(self.message),
            TaskErrorKind::Skip => wit::TaskError::Skip(self.message),
            TaskErrorKind::Reschedule => {
                wit::TaskError::Reschedule(match self.suspend.as_deref() {
                    Some(Suspend::RescheduleAfter(ms)) => Some(*ms),
                    _ => None,
                })
            }
            TaskErrorKind::Defer => match self.suspend.map(|s| *s) {
                Some(Suspend::Defer(wait, resume)) => wit::TaskError::Defer(wit::Deferral {
                    until: wait.to_wit(),
                    resume,
                }),
                _ => wit::TaskError::Permanent(format!(
                    "a deferral needs a wait (use `TaskError::defer`): {}",
                    self.message
                )),
            },
        }
    }
}

impl<E: fmt::Display> From<E> for TaskError {
    fn from(error: E) -> Self {
        Self::retryable(error.to_string())
    }
}

/// Choose the kind of a failure, or add context to it, as the error leaves a task.
///
/// ```
/// use weft_sdk::{ResultExt, TaskErrorKind, TaskResult};
///
/// fn port(s: &str) -> TaskResult<u16> {
///     s.parse::<u16>().context("reading the port").permanent()
/// }
/// let err = port("http").unwrap_err();
/// assert_eq!(err.kind(), TaskErrorKind::Permanent);
/// assert_eq!(err.message(), "reading the port: invalid digit found in string");
/// ```
pub trait ResultExt<T> {
    /// Turn the error into a [permanent](TaskError::permanent) one.
    fn permanent(self) -> Result<T, TaskError>;
    /// Turn the error into a [retryable](TaskError::retryable) one.
    fn retryable(self) -> Result<T, TaskError>;
    /// Put `context` in front of the error's message. Errors that are not yet a [`TaskError`]
    /// become retryable ones; a `TaskError` keeps its kind.
    fn context(self, context: impl fmt::Display) -> Result<T, TaskError>;
}

impl<T, E: fmt::Display> ResultExt<T> for Result<T, E> {
    fn permanent(self) -> Result<T, TaskError> {
        self.map_err(|e| TaskError::permanent(e.to_string()))
    }

    fn retryable(self) -> Result<T, TaskError> {
        self.map_err(|e| TaskError::retryable(e.to_string()))
    }

    fn context(self, context: impl fmt::Display) -> Result<T, TaskError> {
        self.map_err(|e| TaskError::retryable(format!("{context}: {e}")))
    }
}

impl<T> ResultExt<T> for Result<T, TaskError> {
    fn permanent(self) -> Result<T, TaskError> {
        self.map_err(|e| e.with_kind(TaskErrorKind::Permanent))
    }

    fn retryable(self) -> Result<T, TaskError> {
        self.map_err(|e| e.with_kind(TaskErrorKind::Retryable))
    }

    fn context(self, context: impl fmt::Display) -> Result<T, TaskError> {
        self.map_err(|e| e.context(context))
    }
}

/// `From<$error> for TaskError` and `ResultExt` for results of a host call's error type that
/// knows its own kind: it has `message()` and `into_task_error()` (retryable or permanent as
/// the error says) and, so that `?` keeps that kind, no `Display`.
macro_rules! kinded_host_error {
    ($error:ty) => {
        impl From<$error> for $crate::TaskError {
            fn from(error: $error) -> Self {
                error.into_task_error()
            }
        }

        impl<T> $crate::error::ResultExt<T> for Result<T, $error> {
            fn permanent(self) -> Result<T, $crate::TaskError> {
                self.map_err(|e| $crate::TaskError::permanent(e.message()))
            }

            fn retryable(self) -> Result<T, $crate::TaskError> {
                self.map_err(|e| $crate::TaskError::retryable(e.message()))
            }

            /// Put `context` in front of the message; the kind stays the error's own.
            fn context(self, context: impl std::fmt::Display) -> Result<T, $crate::TaskError> {
                self.map_err(|e| e.into_task_error().context(context))
            }
        }
    };
}
pub(crate) use kinded_host_error;

#[cfg(test)]
mod tests;
