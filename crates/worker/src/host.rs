//! The [`TaskHost`] of an attempt on a worker: XCom pulls, variables, connections and
//! secrets through the
//! control plane, each bounded by the attempt's deadline.

use std::sync::Arc;
use std::time::Instant;

use weft_protocol::{
    AttemptRef, Connection, RETURN_VALUE, RunPk, TriggerAnswer, TriggerRefusal, TriggerRun,
    TriggeredRun,
};
use weft_runtime::{HostError, TaskHost};

use crate::plane::{Caller, ControlPlane, PlaneError};

/// XCom and variables of one attempt.
pub(crate) struct PlaneHost {
    pub(crate) plane: Arc<dyn ControlPlane>,
    pub(crate) tenant: String,
    pub(crate) run: RunPk,
    pub(crate) attempt: AttemptRef,
    pub(crate) handle: tokio::runtime::Handle,
}

impl PlaneHost {
    /// The attempt, as the control plane's calls name it.
    fn caller(&self) -> Caller<'_> {
        Caller {
            tenant: &self.tenant,
            run: self.run,
            attempt: self.attempt,
        }
    }

    /// Run `call` on the tokio runtime from the attempt's blocking thread, giving up at `deadline`.
    fn block_on<T>(
        &self,
        deadline: Instant,
        call: impl std::future::Future<Output = Result<T, PlaneError>>,
    ) -> Result<T, HostError> {
        let deadline = tokio::time::Instant::from_std(deadline);
        self.handle.block_on(async move {
            match tokio::time::timeout_at(deadline, call).await {
                Err(_) => Err(HostError::Timeout),
                Ok(Err(e)) => Err(HostError::Unavailable(e.to_string())),
                Ok(Ok(value)) => Ok(value),
            }
        })
    }
}

impl TaskHost for PlaneHost {
    fn xcom_pull(
        &self,
        task_id: &str,
        key: Option<&str>,
        deadline: Instant,
    ) -> Result<Option<Vec<u8>>, HostError> {
        let key = key.unwrap_or(RETURN_VALUE);
        self.block_on(deadline, self.plane.xcom(self.caller(), task_id, key))
    }

    fn variable(&self, key: &str, deadline: Instant) -> Result<Option<String>, HostError> {
        self.block_on(deadline, self.plane.variable(self.caller(), key))
    }

    fn connection(
        &self,
        conn_id: &str,
        deadline: Instant,
    ) -> Result<Option<Connection>, HostError> {
        self.block_on(deadline, self.plane.connection(self.caller(), conn_id))
    }

    fn secret(&self, name: &str, deadline: Instant) -> Result<Option<String>, HostError> {
        self.block_on(deadline, self.plane.secret(self.caller(), name))
    }

    fn trigger_run(
        &self,
        request: TriggerRun,
        deadline: Instant,
    ) -> Result<Result<TriggeredRun, TriggerRefusal>, HostError> {
        let answer = self.block_on(deadline, self.plane.trigger_run(self.caller(), request))?;
        Ok(match answer {
            TriggerAnswer::Triggered(run) => Ok(run),
            TriggerAnswer::Refused(refusal) => Err(refusal),
        })
    }
}
