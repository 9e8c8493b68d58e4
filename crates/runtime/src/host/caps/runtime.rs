//! `weft:dag/runtime`: the current attempt's context and worker.

use crate::sandbox::HostState;

macro_rules! runtime_host {
    ($v:ident) => {
        impl crate::bindings::$v::weft::dag::runtime::Host for HostState {
            fn context(&mut self) -> wasmtime::Result<crate::bindings::$v::types::TaskContext> {
                self.check_deadline()?;
                let c = &self.attempt("runtime.context")?.context;
                Ok(crate::convert::$v::context_to_wit(c))
            }

            fn worker(&mut self) -> wasmtime::Result<crate::bindings::$v::types::WorkerInfo> {
                self.check_deadline()?;
                let w = &self.attempt("runtime.worker")?.worker;
                Ok(crate::bindings::$v::types::WorkerInfo {
                    worker_id: w.worker_id.clone(),
                    hostname: w.hostname.clone(),
                    queue: w.queue.clone(),
                })
            }
        }
    };
}

crate::bindings::worlds_from!(v0_1, runtime_host);

/// Adds the interface to `linker`, in every world version that has it.
pub(super) fn link(linker: &mut wasmtime::component::Linker<HostState>) -> wasmtime::Result<()> {
    crate::bindings::link_from!(linker, v0_1, runtime);
    Ok(())
}
