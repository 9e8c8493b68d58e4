//! `weft:dag/dag-runs`: runs of other DAGs a task triggers, through the
//! [`TaskHost`](crate::TaskHost). Each answered call takes its place among the attempt's
//! calls, so a call without a run id names the same run in every attempt of the task
//! instance (and again when retried after `unavailable`).

use crate::call::HostError;
use crate::error::HostTrap;
use crate::sandbox::HostState;
use weft_protocol::{TriggerAnswer, TriggerRefusal, TriggerRun};

/// The outcome of a trigger call, whatever the world version.
enum Triggered {
    RunId(String),
    Invalid(String),
    Refused(TriggerRefusal),
    Unavailable(String),
}

impl HostState {
    fn trigger_dag_run(
        &mut self,
        dag_id: String,
        conf: Option<String>,
        logical_date: Option<String>,
        run_id: Option<String>,
    ) -> wasmtime::Result<Triggered> {
        self.check_deadline()?;
        let deadline = self.deadline;
        let attempt = self.attempt("dag-runs.trigger")?;
        let conf = match conf
            .as_deref()
            .map(serde_json::from_str::<serde_json::Value>)
        {
            None => None,
            Some(Ok(value @ serde_json::Value::Object(_))) => Some(value),
            Some(Ok(_)) => return Ok(Triggered::Invalid("conf must be a JSON object".into())),
            Some(Err(e)) => return Ok(Triggered::Invalid(format!("conf is not JSON: {e}"))),
        };
        // The call keeps its place until it gets an answer: a call retried after
        // `unavailable` (the run may have been made) names the same run again.
        let call = attempt.trigger_calls;
        let asked = TriggerRun {
            dag_id,
            conf,
            logical_date,
            run_id,
            call,
        };
        let answer = match attempt.host.ask(asked, deadline) {
            Ok(answer) => answer,
            Err(HostError::Timeout) => return Err(wasmtime::Error::new(HostTrap::Deadline)),
            Err(HostError::Unavailable(why)) => return Ok(Triggered::Unavailable(why)),
        };
        attempt.trigger_calls = call.saturating_add(1);
        Ok(match answer {
            TriggerAnswer::Triggered(run) => {
                let how = if run.created {
                    "triggered"
                } else {
                    "found again"
                };
                self.log.write(
                    crate::log::LogLevel::Info,
                    &format!("run {:?} {how}", run.run_id),
                );
                Triggered::RunId(run.run_id)
            }
            TriggerAnswer::Refused(refusal) => Triggered::Refused(refusal),
        })
    }
}

macro_rules! dag_runs_host {
    ($v:ident) => {
        impl crate::bindings::$v::weft::dag::dag_runs::Host for HostState {
            #[tracing::instrument(level = "debug", skip(self, request), fields(dag = %request.dag_id))]
            fn trigger(
                &mut self,
                request: crate::bindings::$v::weft::dag::dag_runs::TriggerRequest,
            ) -> wasmtime::Result<
                Result<String, crate::bindings::$v::weft::dag::dag_runs::TriggerError>,
            > {
                use crate::bindings::$v::weft::dag::dag_runs::TriggerError as E;
                let triggered = self.trigger_dag_run(
                    request.dag_id,
                    request.conf,
                    request.logical_date,
                    request.run_id,
                )?;
                Ok(match triggered {
                    Triggered::RunId(run_id) => Ok(run_id),
                    Triggered::Invalid(m) | Triggered::Refused(TriggerRefusal::Invalid(m)) => {
                        Err(E::Invalid(m))
                    }
                    Triggered::Refused(TriggerRefusal::NotFound(m)) => Err(E::NotFound(m)),
                    Triggered::Refused(TriggerRefusal::Paused(m)) => Err(E::Paused(m)),
                    Triggered::Refused(TriggerRefusal::AlreadyExists(m)) => {
                        Err(E::AlreadyExists(m))
                    }
                    Triggered::Unavailable(why) => Err(E::Unavailable(why)),
                })
            }
        }
    };
}

crate::bindings::worlds_from!(v0_3, dag_runs_host);

/// Adds the interface to `linker`, in every world version that has it.
pub(super) fn link(linker: &mut wasmtime::component::Linker<HostState>) -> wasmtime::Result<()> {
    crate::bindings::link_from!(linker, v0_3, dag_runs);
    Ok(())
}
