//! `weft:dag/run-state` (0.6.0 and later): the states of the task instances of the attempt's
//! own run, through the [`TaskHost`](crate::TaskHost). The caller's run comes from its
//! attempt, never from the task, so a task reads no other run; the caller itself reads as
//! running, in its own try.

use weft_model::TaskState;
use weft_protocol::host_call::{TaskStatesRead, TaskStatus};

use crate::call::HostError;
use crate::error::HostTrap;
use crate::sandbox::HostState;

impl HostState {
    fn task_states(&mut self) -> wasmtime::Result<Vec<TaskStatus>> {
        self.check_deadline()?;
        let deadline = self.deadline;
        let attempt = self.attempt("run-state.task-states")?;
        match attempt.host.ask(TaskStatesRead {}, deadline) {
            Ok(mut states) => {
                // The calling attempt runs, whatever the control plane has recorded of its
                // start yet.
                let me = &attempt.context;
                if let Some(own) = states
                    .iter_mut()
                    .find(|s| s.task_id == me.task_id && s.map_index == me.map_index)
                {
                    own.state = TaskState::Running;
                    own.try_number = me.try_number;
                }
                Ok(states)
            }
            Err(HostError::Timeout) => Err(wasmtime::Error::new(HostTrap::Deadline)),
            Err(HostError::Unavailable(why)) => Err(wasmtime::Error::new(HostTrap::Internal(
                format!("the run's task states are unavailable: {why}"),
            ))),
        }
    }
}

/// The `run-state` host of world `$v`.
macro_rules! run_state_host {
    ($v:ident) => {
        impl crate::bindings::$v::weft::dag::run_state::Host for HostState {
            #[tracing::instrument(level = "debug", skip(self))]
            fn task_states(
                &mut self,
            ) -> wasmtime::Result<Vec<crate::bindings::$v::weft::dag::run_state::TaskStatus>> {
                Ok(self
                    .task_states()?
                    .into_iter()
                    .map(|s| crate::bindings::$v::weft::dag::run_state::TaskStatus {
                        task_id: s.task_id,
                        map_index: s.map_index,
                        state: s.state.as_str().to_owned(),
                        try_number: s.try_number,
                        error_class: s.error_class,
                        error: s.error,
                    })
                    .collect())
            }
        }
    };
}

crate::bindings::worlds_from!(v0_6, run_state_host);

/// Adds the interface to `linker`, in every world version that has it.
pub(super) fn link(linker: &mut wasmtime::component::Linker<HostState>) -> wasmtime::Result<()> {
    crate::bindings::link_from!(linker, v0_6, run_state);
    Ok(())
}
