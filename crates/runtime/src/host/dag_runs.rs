//! `weft:dag/dag-runs`: runs of other DAGs a task triggers, through the
//! [`TaskHost`](crate::TaskHost). Each answered call takes its place among the attempt's
//! calls, so a call without a run id names the same run in every attempt of the task
//! instance (and again when retried after `unavailable`).

use crate::bindings::v0_3::weft::dag::dag_runs::{self, TriggerError, TriggerRequest};
use crate::call::HostError;
use crate::error::HostTrap;
use crate::sandbox::HostState;
use weft_protocol::{TriggerRefusal, TriggerRun};

impl dag_runs::Host for HostState {
    #[tracing::instrument(level = "debug", skip(self, request), fields(dag = %request.dag_id))]
    fn trigger(
        &mut self,
        request: TriggerRequest,
    ) -> wasmtime::Result<Result<String, TriggerError>> {
        self.check_deadline()?;
        let deadline = self.deadline;
        let attempt = self.attempt("dag-runs.trigger")?;
        let conf = match request
            .conf
            .as_deref()
            .map(serde_json::from_str::<serde_json::Value>)
        {
            None => None,
            Some(Ok(value @ serde_json::Value::Object(_))) => Some(value),
            Some(Ok(_)) => {
                return Ok(Err(TriggerError::Invalid(
                    "conf must be a JSON object".into(),
                )));
            }
            Some(Err(e)) => {
                return Ok(Err(TriggerError::Invalid(format!("conf is not JSON: {e}"))));
            }
        };
        // The call keeps its place until it gets an answer: a call retried after
        // `unavailable` (the run may have been made) names the same run again.
        let call = attempt.trigger_calls;
        let asked = TriggerRun {
            dag_id: request.dag_id,
            conf,
            logical_date: request.logical_date,
            run_id: request.run_id,
            call,
        };
        let answer = match attempt.host.trigger_run(asked, deadline) {
            Ok(answer) => answer,
            Err(HostError::Timeout) => return Err(wasmtime::Error::new(HostTrap::Deadline)),
            Err(HostError::Unavailable(why)) => return Ok(Err(TriggerError::Unavailable(why))),
        };
        attempt.trigger_calls = call.saturating_add(1);
        Ok(match answer {
            Ok(run) => {
                let how = if run.created {
                    "triggered"
                } else {
                    "found again"
                };
                self.log.write(
                    crate::log::LogLevel::Info,
                    &format!("run {:?} {how}", run.run_id),
                );
                Ok(run.run_id)
            }
            Err(TriggerRefusal::NotFound(m)) => Err(TriggerError::NotFound(m)),
            Err(TriggerRefusal::Paused(m)) => Err(TriggerError::Paused(m)),
            Err(TriggerRefusal::Invalid(m)) => Err(TriggerError::Invalid(m)),
            Err(TriggerRefusal::AlreadyExists(m)) => Err(TriggerError::AlreadyExists(m)),
        })
    }
}
