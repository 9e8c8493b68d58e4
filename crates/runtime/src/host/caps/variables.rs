//! `weft:dag/variables`: variables of the tenant, through the [`TaskHost`](crate::TaskHost).

use weft_protocol::host_call::VariableRead;

use crate::call::HostError;
use crate::error::HostTrap;
use crate::sandbox::HostState;

impl HostState {
    fn variable(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        self.check_deadline()?;
        let deadline = self.deadline;
        let attempt = self.attempt("variables.get")?;
        match attempt.host.ask(VariableRead { key }, deadline) {
            Ok(value) => Ok(value),
            Err(HostError::Timeout) => Err(wasmtime::Error::new(HostTrap::Deadline)),
            Err(HostError::Unavailable(why)) => Err(wasmtime::Error::new(HostTrap::Internal(
                format!("variables unavailable: {why}"),
            ))),
        }
    }
}

macro_rules! variables_host {
    ($v:ident) => {
        impl crate::bindings::$v::weft::dag::variables::Host for HostState {
            #[tracing::instrument(level = "debug", skip(self))]
            fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
                self.variable(key)
            }
        }
    };
}

crate::bindings::worlds_from!(v0_1, variables_host);

/// Adds the interface to `linker`, in every world version that has it.
pub(super) fn link(linker: &mut wasmtime::component::Linker<HostState>) -> wasmtime::Result<()> {
    crate::bindings::link_from!(linker, v0_1, variables);
    Ok(())
}
