//! What the API server asks of the scheduler: triggers, backfills, clearing and marking, and
//! notices that something changed in the store. Across processes, a refused request travels
//! as a [`Reply`] whose [`ReplyError`] kind maps back to the same [`ControlError`].

use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use weft_model::TaskState;
use weft_protocol::{Reply, ReplyError};
use weft_store::{DagRun, RunPk, StoreError};

pub use weft_protocol::Notice;

/// A manual trigger of a DAG.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TriggerRequest {
    /// The run's configuration: a JSON object (`{}` when none).
    pub conf: Option<serde_json::Value>,
    /// The run's logical date (default: now). A future one is refused unless the scheduler
    /// allows it (Airflow's `allow_trigger_in_future`).
    pub logical_date: Option<Timestamp>,
    /// The run's id (default: `manual__<logical date>`).
    pub run_id: Option<String>,
}

/// Why a request to the scheduler was refused.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// No such DAG (or run, or task) for this tenant; the message names it.
    #[error("{0}")]
    NotFound(String),
    /// The request is invalid (bad conf, a logical date in the future, an empty range…).
    #[error("{0}")]
    Invalid(String),
    /// It clashes with what exists (a run id already used).
    #[error("{0}")]
    Conflict(String),
    /// The scheduler cannot take the request now (it stopped, or none is leading); the same
    /// request may succeed later.
    #[error("{0}")]
    Unavailable(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The scheduler as the API server sees it.
#[async_trait]
pub trait Control: Send + Sync + 'static {
    /// Create a manual run of a DAG. A paused DAG's run is created and stays queued until the
    /// DAG is unpaused, as in Airflow.
    async fn trigger(
        &self,
        tenant: &str,
        dag_id: &str,
        request: TriggerRequest,
    ) -> Result<DagRun, ControlError>;

    /// Create backfill runs for every scheduled interval whose logical date lies in
    /// `[start, end]`, skipping intervals that already have a run. Returns the runs created.
    async fn backfill(
        &self,
        tenant: &str,
        dag_id: &str,
        start: Timestamp,
        end: Timestamp,
    ) -> Result<Vec<DagRun>, ControlError>;

    /// Clear task instances of a run (and their downstream tasks when `downstream`) so they
    /// run again; the run becomes active again. Returns the number cleared.
    async fn clear(
        &self,
        tenant: &str,
        run: RunPk,
        task_ids: &[String],
        downstream: bool,
    ) -> Result<usize, ControlError>;

    /// Mark a task instance `success` or `failed` by hand.
    async fn mark(
        &self,
        tenant: &str,
        run: RunPk,
        task_id: &str,
        state: TaskState,
    ) -> Result<(), ControlError>;

    /// Tell the scheduler that something changed.
    fn notify(&self, notice: Notice);

    /// Hear of every run that ends (succeeds or fails) from now on, as soon as the store
    /// says so; what waits for runs to end listens here instead of polling the store. `None`
    /// when this control cannot tell.
    fn subscribe_ended(&self) -> Option<tokio::sync::broadcast::Receiver<RunPk>> {
        None
    }
}

impl ControlError {
    /// The reply that tells another process of this refusal.
    pub fn to_reply(&self) -> Reply {
        let kind = match self {
            ControlError::NotFound(_) => ReplyError::NotFound,
            ControlError::Invalid(_) => ReplyError::Invalid,
            ControlError::Conflict(_) => ReplyError::Conflict,
            ControlError::Unavailable(_) | ControlError::Store(_) => ReplyError::Unavailable,
        };
        Reply::Error {
            kind,
            message: self.to_string(),
        }
    }

    /// The refusal a [`Reply::Error`] stands for, on the caller's side.
    pub fn from_reply(kind: ReplyError, message: String) -> ControlError {
        match kind {
            ReplyError::NotFound => ControlError::NotFound(message),
            ReplyError::Invalid => ControlError::Invalid(message),
            ReplyError::Conflict => ControlError::Conflict(message),
            ReplyError::Unavailable => ControlError::Unavailable(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_cross_processes_with_their_kind() {
        let e = ControlError::NotFound("run 7 not found".into());
        let Reply::Error { kind, message } = e.to_reply() else {
            panic!("not an error reply");
        };
        assert!(matches!(
            ControlError::from_reply(kind, message),
            ControlError::NotFound(m) if m == "run 7 not found"
        ));
        let e = ControlError::Store(StoreError::Unavailable("database down".into()));
        assert!(matches!(
            e.to_reply(),
            Reply::Error {
                kind: ReplyError::Unavailable,
                ..
            }
        ));
    }
}
