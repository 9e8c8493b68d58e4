//! What a worker needs from the rest of Weft, behind one trait: components by digest, XCom
//! values, variables, connections and secrets, and a place to send reports. On another machine it is the API
//! server and the bus ([`RemotePlane`](crate::RemotePlane)); in standalone mode, the store
//! and the scheduler of the same process (wired where standalone mode is put together, so
//! that this crate links no database).

use std::sync::Arc;

use async_trait::async_trait;
use weft_protocol::log::LogLine;
use weft_protocol::{AttemptRef, Connection, Report, RunPk, TriggerAnswer, TriggerRun};

/// The error behind a failed call, shared so that a [`PlaneError`] stays cheap to clone.
pub type Cause = Arc<dyn std::error::Error + Send + Sync>;

/// Why a control-plane call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PlaneError {
    /// The thing asked for does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The service could not be reached or failed; worth retrying.
    #[error("unavailable: {what}: {cause}")]
    Unavailable {
        /// The call that failed.
        what: String,
        /// Why.
        #[source]
        cause: Cause,
    },
    /// The service refused the worker's credentials (401/403), or speaks another protocol
    /// version: retrying will not help.
    #[error("refused: {0}")]
    Refused(String),
}

impl PlaneError {
    /// The call `what` failed because of `cause`; a retry may help.
    pub fn unavailable(
        what: impl Into<String>,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> PlaneError {
        PlaneError::Unavailable {
            what: what.into(),
            cause: Arc::new(cause),
        }
    }

    /// Whether the same call may succeed later.
    pub fn is_retriable(&self) -> bool {
        matches!(self, PlaneError::Unavailable { .. })
    }
}

/// A failure that is only words: an answer of the wrong shape, say.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Reason(pub String);

/// The attempt a call of the control plane is made for: everything it reads belongs to its
/// tenant and run, and only while it holds its lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller<'a> {
    /// The tenant its run belongs to.
    pub tenant: &'a str,
    /// Its run.
    pub run: RunPk,
    /// Its task instance and lease.
    pub attempt: AttemptRef,
}

/// The worker's view of the control plane.
#[async_trait]
pub trait ControlPlane: Send + Sync + 'static {
    /// A component of the caller's tenant, by digest.
    async fn component(&self, caller: Caller<'_>, digest: &str) -> Result<Vec<u8>, PlaneError>;
    /// An XCom value of task `task_id` in the caller's run.
    async fn xcom(
        &self,
        caller: Caller<'_>,
        task_id: &str,
        key: &str,
    ) -> Result<Option<Vec<u8>>, PlaneError>;
    /// A variable of the caller's tenant.
    async fn variable(&self, caller: Caller<'_>, key: &str) -> Result<Option<String>, PlaneError>;
    /// Connection `conn_id` for the caller, if it exists; refused when the caller's task
    /// does not declare it.
    async fn connection(
        &self,
        caller: Caller<'_>,
        conn_id: &str,
    ) -> Result<Option<Connection>, PlaneError>;
    /// The value of secret `name` for the caller, if it exists; refused when the caller's
    /// task does not declare it.
    async fn secret(&self, caller: Caller<'_>, name: &str) -> Result<Option<String>, PlaneError>;
    /// Create a run of another DAG of the caller's tenant (`dag-runs.trigger`): the run, or
    /// why it was refused.
    async fn trigger_run(
        &self,
        caller: Caller<'_>,
        request: TriggerRun,
    ) -> Result<TriggerAnswer, PlaneError>;
    /// Add `lines` to the stored log of the caller's attempt while it runs, so that people
    /// see them before it ends. [`PlaneError::Refused`] when the attempt no longer holds
    /// its lease or its stored log is full: nothing more need be sent. The log sent with the
    /// result replaces these lines. `first_line` is the number of the first of them in the
    /// attempt's log (0 starts the stored log afresh).
    async fn append_log(
        &self,
        caller: Caller<'_>,
        first_line: u64,
        lines: Vec<LogLine>,
    ) -> Result<(), PlaneError>;
    /// Send reports (starts, heartbeats, results) on attempts of `tenant`.
    async fn report(&self, tenant: &str, reports: Vec<Report>) -> Result<(), PlaneError>;
}
