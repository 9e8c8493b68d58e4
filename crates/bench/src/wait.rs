//! Waiting for runs to finish the way a user's client would: asking the API server to hold
//! the answer until the run has ended (`GET …/runs/{run_id}?wait_ms=N`, at most
//! [`WAIT_SLICE`] per request) and noting the moment the answer comes.

use std::time::{Duration, Instant};

use crate::client::{Api, RunInfo};
use crate::error::BenchError;
use crate::install::Installation;

/// Longest one waiting request is held; between two, the installation's processes are
/// checked.
pub const WAIT_SLICE: Duration = Duration::from_secs(5);

/// One run, triggered and seen to succeed.
#[derive(Debug, Clone)]
pub struct TimedRun {
    /// From just before the trigger request to the answer that showed success.
    pub total: Duration,
    /// The trigger request alone, until its answer.
    pub trigger: Duration,
    /// The run as that answer showed it.
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

    /// Wait for run `run_id` of `dag_id` to succeed.
    pub fn wait_newest(
        &mut self,
        dag_id: &str,
        run_id: &str,
        timeout: Duration,
    ) -> Result<RunInfo, BenchError> {
        let started = Instant::now();
        let run = self.wait_one(dag_id, run_id, started, timeout)?;
        succeeded(dag_id, &run)?;
        Ok(run)
    }

    /// Wait until each of `run_ids` of `dag_id` has ended, and check that each succeeded.
    /// Reads the DAG's newest runs in one request; while one of them has not ended, waits
    /// on it, then reads them again.
    pub fn wait_all(
        &mut self,
        dag_id: &str,
        run_ids: &[String],
        timeout: Duration,
    ) -> Result<(), BenchError> {
        let started = Instant::now();
        let limit = u32::try_from(run_ids.len().clamp(1, 1000)).unwrap_or(1000);
        loop {
            let runs = self.api.runs(dag_id, None, limit)?;
            let mut pending = None;
            for run_id in run_ids {
                let run = runs.iter().find(|r| &r.run_id == run_id).ok_or_else(|| {
                    BenchError::BadAnswer {
                        what: format!("the newest {limit} runs of DAG {dag_id}"),
                        reason: format!("run {run_id} is not among them"),
                    }
                })?;
                if !run.is_finished() {
                    pending = Some(run_id);
                    break;
                }
                succeeded(dag_id, run)?;
            }
            match pending {
                None => return Ok(()),
                Some(run_id) => {
                    self.wait_one(dag_id, run_id, started, timeout)?;
                }
            }
        }
    }

    /// Wait for `run_id` to end, one [`WAIT_SLICE`] per request, checking between two that
    /// the installation still runs; an error once `timeout` has passed since `started`.
    fn wait_one(
        &mut self,
        dag_id: &str,
        run_id: &str,
        started: Instant,
        timeout: Duration,
    ) -> Result<RunInfo, BenchError> {
        loop {
            let left = timeout.saturating_sub(started.elapsed());
            let run = self.api.wait_run(dag_id, run_id, left.min(WAIT_SLICE))?;
            if run.is_finished() {
                return Ok(run);
            }
            self.installation.check_alive()?;
            if started.elapsed() >= timeout {
                return Err(BenchError::Timeout {
                    what: format!("run {run_id} of DAG {dag_id} to finish"),
                    seconds: timeout.as_secs_f64(),
                });
            }
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
