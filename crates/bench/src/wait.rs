//! Waiting for runs to finish the way a user's client would: asking the API server again
//! every [`POLL_INTERVAL`] and noting the moment the answer says the run is over.

use std::time::{Duration, Instant};

use crate::client::{Api, RunInfo};
use crate::error::BenchError;
use crate::install::Installation;

/// Pause between two polls of the API server.
pub const POLL_INTERVAL: Duration = Duration::from_millis(1);
/// How often, while polling, the installation's processes are checked.
const ALIVE_CHECK: Duration = Duration::from_millis(250);

/// One run, triggered and seen to succeed.
#[derive(Debug, Clone)]
pub struct TimedRun {
    /// From just before the trigger request to the poll that saw success.
    pub total: Duration,
    /// The trigger request alone, until its answer.
    pub trigger: Duration,
    /// The run as that poll saw it.
    pub run: RunInfo,
}

impl TimedRun {
    /// The run's own time by the store's clock, creation to end, in ms.
    pub fn in_store_ms(&self) -> Option<f64> {
        let (from, to) = (self.run.queued_at?, self.run.ended_at?);
        Some((to.as_nanosecond() - from.as_nanosecond()) as f64 / 1e6)
    }
}

/// A trigger-and-wait helper over one installation.
pub struct Waiter<'a> {
    installation: &'a mut Installation,
    api: Api,
}

impl<'a> Waiter<'a> {
    /// A waiter over `installation`.
    pub fn new(installation: &'a mut Installation) -> Waiter<'a> {
        let api = installation.api.clone();
        Waiter { installation, api }
    }

    /// The installation.
    pub fn installation(&self) -> &Installation {
        self.installation
    }

    /// The API client.
    pub fn api(&self) -> &Api {
        &self.api
    }

    /// Trigger a run of `dag_id` and wait up to `timeout` for it to succeed.
    pub fn trigger_and_wait(
        &mut self,
        dag_id: &str,
        timeout: Duration,
    ) -> Result<TimedRun, BenchError> {
        let started = Instant::now();
        let run_id = self.api.trigger(dag_id)?;
        let trigger = started.elapsed();
        let run = self.wait_newest(dag_id, &run_id, timeout)?;
        Ok(TimedRun {
            total: started.elapsed(),
            trigger,
            run,
        })
    }

    /// Wait for run `run_id`, the newest run of `dag_id`, to succeed. Polls the newest run
    /// only (`GET /runs?dag_id=DAG&limit=1`), a small answer whatever the run's size.
    pub fn wait_newest(
        &mut self,
        dag_id: &str,
        run_id: &str,
        timeout: Duration,
    ) -> Result<RunInfo, BenchError> {
        let what = format!("run {run_id} of DAG {dag_id} to finish");
        let api = self.api.clone();
        self.poll(&what, timeout, || {
            let runs = api.runs(dag_id, None, 1)?;
            Ok(match runs.first() {
                Some(run) if run.run_id == run_id && run.is_finished() => Some(run.clone()),
                _ => None,
            })
        })
        .and_then(|run| succeeded(dag_id, &run).map(|()| run))
    }

    /// Wait until `dag_id` has no queued or running run, then check that each of `run_ids`
    /// succeeded. Polls `GET /runs?dag_id=DAG&state=running&limit=1` (and `queued`),
    /// small answers whatever the number of runs.
    pub fn wait_all(
        &mut self,
        dag_id: &str,
        run_ids: &[String],
        timeout: Duration,
    ) -> Result<(), BenchError> {
        let what = format!("{} runs of DAG {dag_id} to finish", run_ids.len());
        let api = self.api.clone();
        self.poll(&what, timeout, || {
            let busy = !api.runs(dag_id, Some("running"), 1)?.is_empty()
                || !api.runs(dag_id, Some("queued"), 1)?.is_empty();
            Ok((!busy).then_some(()))
        })?;
        let limit = u32::try_from(run_ids.len().clamp(1, 1000)).unwrap_or(1000);
        let runs = self.api.runs(dag_id, None, limit)?;
        for run_id in run_ids {
            let run =
                runs.iter()
                    .find(|r| &r.run_id == run_id)
                    .ok_or_else(|| BenchError::BadAnswer {
                        what: format!("the newest {limit} runs of DAG {dag_id}"),
                        reason: format!("run {run_id} is not among them"),
                    })?;
            succeeded(dag_id, run)?;
        }
        Ok(())
    }

    /// Call `check` every [`POLL_INTERVAL`] until it gives a value, checking every
    /// [`ALIVE_CHECK`] that the installation still runs.
    fn poll<T>(
        &mut self,
        what: &str,
        timeout: Duration,
        mut check: impl FnMut() -> Result<Option<T>, BenchError>,
    ) -> Result<T, BenchError> {
        let started = Instant::now();
        let mut alive_checked = started;
        loop {
            if let Some(value) = check()? {
                return Ok(value);
            }
            let now = Instant::now();
            if now.duration_since(alive_checked) >= ALIVE_CHECK {
                self.installation.check_alive()?;
                alive_checked = now;
            }
            if now.duration_since(started) > timeout {
                return Err(BenchError::Timeout {
                    what: what.to_owned(),
                    seconds: timeout.as_secs_f64(),
                });
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }
}

/// An error unless `run` succeeded.
fn succeeded(dag_id: &str, run: &RunInfo) -> Result<(), BenchError> {
    if run.state == "success" {
        Ok(())
    } else {
        Err(BenchError::RunFailed {
            dag_id: dag_id.to_owned(),
            run_id: run.run_id.clone(),
            state: run.state.clone(),
        })
    }
}
