//! `weft:dag/runtime`: the current attempt's context and worker.

use crate::bindings::types::{TaskContext, WorkerInfo};
use crate::bindings::weft::dag::runtime::Host;
use crate::convert;
use crate::sandbox::HostState;

impl Host for HostState {
    fn context(&mut self) -> wasmtime::Result<TaskContext> {
        self.check_deadline()?;
        Ok(convert::context_to_wit(
            &self.attempt("runtime.context")?.context,
        ))
    }

    fn worker(&mut self) -> wasmtime::Result<WorkerInfo> {
        self.check_deadline()?;
        Ok(convert::worker_to_wit(
            &self.attempt("runtime.worker")?.worker,
        ))
    }
}
