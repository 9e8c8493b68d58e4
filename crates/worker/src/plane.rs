//! What a worker needs from the rest of Weft, behind one trait: components by digest, the
//! answers to its tasks' host calls ([`HostCall`]), a place for live logs and a place to
//! send reports. On another machine it is the API
//! server and the bus ([`RemotePlane`](crate::RemotePlane)); in standalone mode, the store
//! and the scheduler of the same process (wired where standalone mode is put together, so
//! that this crate links no database).

use std::sync::Arc;

use async_trait::async_trait;
pub use weft_protocol::host_call::Caller;
use weft_protocol::log::LogLine;
use weft_protocol::{Call, HostAnswer, HostCall, Report};

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

/// The worker's view of the control plane.
#[async_trait]
pub trait ControlPlane: Send + Sync + 'static {
    /// A component of the caller's tenant, by digest.
    async fn component(&self, caller: Caller<'_>, digest: &str) -> Result<Vec<u8>, PlaneError>;
    /// The answer to `call` of the caller's task (an XCom value of its run, a variable of its
    /// tenant, a connection or secret its task declares, a run to trigger...); refused when
    /// the caller no longer holds its lease or its task does not declare what it asks for.
    async fn call(&self, caller: Caller<'_>, call: HostCall) -> Result<HostAnswer, PlaneError>;
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

impl dyn ControlPlane {
    /// Ask `request` of the control plane for `caller` and take its answer.
    pub async fn ask<C: Call>(
        &self,
        caller: Caller<'_>,
        request: C,
    ) -> Result<C::Answer, PlaneError> {
        let call: HostCall = request.into();
        let name = call.name();
        let answer = self.call(caller, call).await?;
        C::answer(answer).ok_or_else(|| {
            PlaneError::unavailable(
                format!("a {name} call"),
                Reason("the control plane answered another call".into()),
            )
        })
    }
}
