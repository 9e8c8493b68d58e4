//! Triggering runs of other DAGs of the same tenant (Airflow's `TriggerDagRunOperator`).

use serde::Serialize;

use crate::bindings::weft::dag::dag_runs as wit;
use crate::context::Context;
use crate::error::{TaskError, TaskErrorKind};

/// A run of another DAG to create, for [`Context::trigger_dag`].
///
/// ```
/// use weft_sdk::TriggerRequest;
/// use weft_sdk::serde_json::json;
///
/// let request = TriggerRequest::new("mall_sort")
///     .conf(json!({"table": "customers"}))
///     .logical_date("2024-01-01T00:00:00Z");
/// # let _ = request;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerRequest {
    dag_id: String,
    /// The conf as JSON text, or why it could not be encoded.
    conf: Option<Result<String, String>>,
    logical_date: Option<String>,
    run_id: Option<String>,
}

impl TriggerRequest {
    /// A run of DAG `dag_id`, with conf `{}`, logical date now, and a run id the host makes
    /// from the calling task instance: a retried attempt finds the run an earlier attempt made
    /// instead of making a second one.
    pub fn new(dag_id: impl Into<String>) -> Self {
        Self {
            dag_id: dag_id.into(),
            conf: None,
            logical_date: None,
            run_id: None,
        }
    }

    /// The run's configuration: anything that encodes as a JSON object. One that cannot be
    /// encoded makes [`Context::trigger_dag`] return [`TriggerError::Invalid`].
    pub fn conf(mut self, conf: impl Serialize) -> Self {
        self.conf = Some(serde_json::to_string(&conf).map_err(|e| e.to_string()));
        self
    }

    /// The run's logical date (RFC 3339).
    pub fn logical_date(mut self, logical_date: impl Into<String>) -> Self {
        self.logical_date = Some(logical_date.into());
        self
    }

    /// The run's id.
    pub fn run_id(mut self, run_id: impl Into<String>) -> Self {
        self.run_id = Some(run_id.into());
        self
    }

    pub(crate) fn to_wit(&self) -> Result<wit::TriggerRequest, TriggerError> {
        let conf = match &self.conf {
            None => None,
            Some(Ok(text)) => Some(text.clone()),
            Some(Err(e)) => {
                return Err(TriggerError::Invalid(format!(
                    "the conf of a run of DAG `{}` cannot be encoded as JSON: {e}",
                    self.dag_id
                )));
            }
        };
        Ok(wit::TriggerRequest {
            dag_id: self.dag_id.clone(),
            conf,
            logical_date: self.logical_date.clone(),
            run_id: self.run_id.clone(),
        })
    }
}

/// Why a run could not be triggered.
///
/// In a task, `?` turns it into a [`TaskError`] of the right kind: retryable for
/// [`Unavailable`](Self::Unavailable), else permanent. So that `?` can keep the kind,
/// `TriggerError` does not implement `Display` (that would choose the blanket conversion,
/// which makes every error retryable); read it with [`TriggerError::message`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TriggerError {
    /// No DAG of that id is deployed in the caller's tenant.
    NotFound(String),
    /// The DAG is paused: its runs would not start.
    Paused(String),
    /// The request is malformed: a conf that is not a JSON object, a bad logical date or run
    /// id.
    Invalid(String),
    /// The run id given is taken by a run that exists already.
    AlreadyExists(String),
    /// The control plane could not be reached in time; a retry may succeed.
    Unavailable(String),
}

impl TriggerError {
    /// Whether another attempt may succeed: only when the control plane was unavailable.
    pub fn is_retryable(&self) -> bool {
        matches!(self, TriggerError::Unavailable(_))
    }

    /// The message shown to users: what went wrong, then the host's words.
    pub fn message(&self) -> String {
        let (what, detail) = match self {
            TriggerError::NotFound(d) => ("no such DAG", d),
            TriggerError::Paused(d) => ("the DAG is paused", d),
            TriggerError::Invalid(d) => ("invalid trigger request", d),
            TriggerError::AlreadyExists(d) => ("a run with that id already exists", d),
            TriggerError::Unavailable(d) => ("the control plane is unavailable", d),
        };
        if detail.is_empty() {
            what.to_owned()
        } else {
            format!("{what}: {detail}")
        }
    }

    /// The [`TaskError`] of the right kind: retryable when
    /// [`is_retryable`](Self::is_retryable), else permanent. `?` does the same.
    pub fn into_task_error(self) -> TaskError {
        let kind = if self.is_retryable() {
            TaskErrorKind::Retryable
        } else {
            TaskErrorKind::Permanent
        };
        TaskError::new(kind, self.message())
    }

    pub(crate) fn from_wit(error: wit::TriggerError) -> Self {
        match error {
            wit::TriggerError::NotFound(d) => TriggerError::NotFound(d),
            wit::TriggerError::Paused(d) => TriggerError::Paused(d),
            wit::TriggerError::Invalid(d) => TriggerError::Invalid(d),
            wit::TriggerError::AlreadyExists(d) => TriggerError::AlreadyExists(d),
            wit::TriggerError::Unavailable(d) => TriggerError::Unavailable(d),
        }
    }
}

impl From<TriggerError> for TaskError {
    fn from(error: TriggerError) -> Self {
        error.into_task_error()
    }
}

impl Context {
    /// Create a run of another DAG of this tenant and return its run id. A run this task
    /// instance already made under that run id is returned again, not made twice. To wait for
    /// it, return [`TaskError::defer`] with
    /// `Wait::external(dag_id).run_id(run_id)`.
    pub fn trigger_dag(&self, request: TriggerRequest) -> Result<String, TriggerError> {
        let request = request.to_wit()?;
        wit::trigger(&request).map_err(TriggerError::from_wit)
    }
}
