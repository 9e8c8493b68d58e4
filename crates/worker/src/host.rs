//! The [`TaskHost`] of an attempt on a worker: its host calls go to the control plane, each
//! bounded by the attempt's deadline.

use std::sync::Arc;
use std::time::Instant;

use weft_protocol::{AttemptRef, HostAnswer, HostCall, RunPk};
use weft_runtime::{HostError, TaskHost};

use crate::plane::{Caller, ControlPlane, PlaneError};

/// The host calls of one attempt.
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
    fn call(&self, call: HostCall, deadline: Instant) -> Result<HostAnswer, HostError> {
        self.block_on(deadline, self.plane.call(self.caller(), call))
    }
}
