//! `weft:dag/log`: task log lines into the attempt's log.

use crate::log::LogLevel;
use crate::sandbox::HostState;

macro_rules! log_host {
    ($v:ident) => {
        impl crate::bindings::$v::weft::dag::log::Host for HostState {
            #[tracing::instrument(level = "trace", skip_all)]
            fn write(
                &mut self,
                level: crate::bindings::$v::types::LogLevel,
                message: String,
            ) -> wasmtime::Result<()> {
                use crate::bindings::$v::types::LogLevel as W;
                self.check_deadline()?;
                let level = match level {
                    W::Trace => LogLevel::Trace,
                    W::Debug => LogLevel::Debug,
                    W::Info => LogLevel::Info,
                    W::Warn => LogLevel::Warn,
                    W::Error => LogLevel::Error,
                };
                self.log.write(level, &message);
                Ok(())
            }
        }
    };
}

crate::bindings::worlds_from!(v0_1, log_host);

/// Adds the interface to `linker`, in every world version that has it.
pub(super) fn link(linker: &mut wasmtime::component::Linker<HostState>) -> wasmtime::Result<()> {
    crate::bindings::link_from!(linker, v0_1, log);
    Ok(())
}
