//! Waiting for runs to finish the way a user's client would: asking the API server to hold
//! the answer until the run has ended (`GET …/runs/{run_id}?wait_ms=N`, at most
//! [`WAIT_SLICE`] per request) and noting the moment the answer comes.

use std::time::{Duration, Instant};

use weft_client::api::runs::{RunView, TriggerBody};
use weft_client::{Client, TaskInstance};
use weft_model::{DagRunState, TaskState};

use crate::client::BenchApi;
use crate::error::{BenchError, FailedTask};
use crate::install::Installation;

/// Longest one waiting request is held; between two, the installation's processes are
/// checked.
pub const WAIT_SLICE: Duration = Duration::from_secs(5);

/// Longest one waiting request is held when the run's tasks are checked for failures
/// between two requests.
pub const TASK_CHECK_SLICE: Duration = Duration::from_secs(1);

/// One run, triggered and seen to succeed.
#[derive(Debug, Clone)]
pub struct TimedRun {
    /// From just before the trigger request to the answer that showed success.
    pub total: Duration,
    /// The trigger request alone, until its answer.
    pub trigger: Duration,
    /// The run as that answer showed it.
    pub run: RunView,
}

impl TimedRun {
    /// The run's own time by the store's clock, creation to end, in ms.
    pub fn in_store_ms(&self) -> Option<f64> {
        let (from, to) = (self.run.queued_at, self.run.ended_at?);
        Some((to.as_nanosecond() - from.as_nanosecond()) as f64 / 1e6)
    }
}

/// A trigger-and-wait helper over one installation.
pub struct Waiter<'a> {
    installation: &'a mut Installation,
    api: Client,
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
    pub fn api(&self) -> &Client {
        &self.api
    }

    /// An error unless `run` succeeded, saying how its task instances ended.
    fn succeeded(&self, dag_id: &str, run: &RunView) -> Result<(), BenchError> {
        if run.state == DagRunState::Success {
            return Ok(());
        }
        let tasks = match self.api.run_detail(dag_id, &run.run_id) {
            Ok(detail) => ended_tasks(&detail.task_instances),
            Err(e) => format!("its task instances could not be read: {e}"),
        };
        Err(BenchError::RunFailed {
            dag_id: dag_id.to_owned(),
            run_id: run.run_id.clone(),
            state: run.state,
            tasks,
        })
    }

    /// An error if a process of the installation has exited.
    pub fn check_alive(&mut self) -> Result<(), BenchError> {
        self.installation.check_alive()
    }

    /// Trigger a run of `dag_id` and wait up to `timeout` for it to succeed.
    pub fn trigger_and_wait(
        &mut self,
        dag_id: &str,
        timeout: Duration,
    ) -> Result<TimedRun, BenchError> {
        let started = Instant::now();
        let run_id = self.api.trigger_now(dag_id)?;
        let trigger = started.elapsed();
        let run = self.wait_newest(dag_id, &run_id, timeout)?;
        Ok(TimedRun {
            total: started.elapsed(),
            trigger,
            run,
        })
    }

    /// Trigger a run of `dag_id` with `conf` and wait up to `timeout` for it to succeed.
    /// A task that fails ends the wait at once, also when the run would retry it: the error
    /// names the task, its attempt, and the class and message of its failure.
    pub fn trigger_conf_and_wait(
        &mut self,
        dag_id: &str,
        conf: serde_json::Value,
        timeout: Duration,
    ) -> Result<TimedRun, BenchError> {
        let body = TriggerBody {
            conf: Some(conf),
            ..TriggerBody::default()
        };
        let started = Instant::now();
        let run_id = self.api.trigger_run(dag_id, &body)?;
        let trigger = started.elapsed();
        loop {
            let left = timeout.saturating_sub(started.elapsed());
            let run = self
                .api
                .wait_run(dag_id, &run_id, left.min(TASK_CHECK_SLICE))?;
            let total = started.elapsed();
            if run.state == DagRunState::Success {
                return Ok(TimedRun {
                    total,
                    trigger,
                    run,
                });
            }
            let detail = self.api.run_detail(dag_id, &run_id)?;
            if let Some(task) = first_failed(&detail.task_instances) {
                return Err(task_failed(dag_id, &run_id, task));
            }
            if run.state.is_finished() {
                self.succeeded(dag_id, &run)?;
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

    /// Run `act` with this waiter acting through `api` (a client of another tenant, say)
    /// instead of the installation's client.
    pub fn acting_as<R>(
        &mut self,
        api: &Client,
        act: impl FnOnce(&mut Self) -> Result<R, BenchError>,
    ) -> Result<R, BenchError> {
        let own = std::mem::replace(&mut self.api, api.clone());
        let result = act(self);
        self.api = own;
        result
    }

    /// Wait for run `run_id` of `dag_id` to succeed.
    pub fn wait_newest(
        &mut self,
        dag_id: &str,
        run_id: &str,
        timeout: Duration,
    ) -> Result<RunView, BenchError> {
        let started = Instant::now();
        let run = self.wait_one(dag_id, run_id, started, timeout)?;
        self.succeeded(dag_id, &run)?;
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
            let runs = self.api.newest_runs(dag_id, limit)?;
            let mut pending = None;
            for run_id in run_ids {
                let run = runs.iter().find(|r| &r.run_id == run_id).ok_or_else(|| {
                    BenchError::BadAnswer {
                        what: format!("the newest {limit} runs of DAG {dag_id}"),
                        reason: format!("run {run_id} is not among them"),
                    }
                })?;
                if !run.state.is_finished() {
                    pending = Some(run_id);
                    break;
                }
                self.succeeded(dag_id, run)?;
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
    ) -> Result<RunView, BenchError> {
        loop {
            let left = timeout.saturating_sub(started.elapsed());
            let run = self.api.wait_run(dag_id, run_id, left.min(WAIT_SLICE))?;
            if run.state.is_finished() {
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

/// The first task that failed or waits to be retried after a failure.
fn first_failed(tasks: &[TaskInstance]) -> Option<&TaskInstance> {
    tasks
        .iter()
        .find(|t| matches!(t.state, TaskState::Failed | TaskState::UpForRetry))
}

/// The error of a failed task, as the run shows it.
fn task_failed(dag_id: &str, run_id: &str, task: &TaskInstance) -> BenchError {
    BenchError::TaskFailed(Box::new(FailedTask {
        dag_id: dag_id.to_owned(),
        run_id: run_id.to_owned(),
        task_id: task.task_id.clone(),
        state: task.state,
        try_number: task.try_number,
        max_tries: task.max_tries,
        class: task
            .error_class
            .clone()
            .unwrap_or_else(|| "no class".to_owned()),
        error: task
            .error
            .clone()
            .unwrap_or_else(|| "no message".to_owned()),
    }))
}

/// The most task instances [`ended_tasks`] names one by one.
const NAMED_TASKS: usize = 5;

/// How a run's task instances ended: how many in each state, and the first
/// [`NAMED_TASKS`] that did not succeed with their try and last failure.
fn ended_tasks(tasks: &[TaskInstance]) -> String {
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for t in tasks {
        *counts.entry(t.state.as_str()).or_default() += 1;
    }
    let counted: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
    let named: Vec<String> = tasks
        .iter()
        .filter(|t| t.state != TaskState::Success)
        .take(NAMED_TASKS)
        .map(|t| {
            let failure = match (&t.error_class, &t.error) {
                (None, None) => String::new(),
                (class, error) => format!(
                    " ({}: {})",
                    class.as_deref().unwrap_or("no class"),
                    error
                        .as_deref()
                        .unwrap_or("no message")
                        .chars()
                        .take(200)
                        .collect::<String>()
                ),
            };
            format!(
                "{} {} after try {} of {}{failure}",
                t.task_id, t.state, t.try_number, t.max_tries
            )
        })
        .collect();
    format!(
        "task instances: {}{}",
        counted.join(", "),
        if named.is_empty() {
            String::new()
        } else {
            format!("; {}", named.join("; "))
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(task_id: &str, state: TaskState) -> TaskInstance {
        TaskInstance::of(weft_protocol::TaskInstance {
            task_id: task_id.to_owned(),
            state,
            try_number: 1,
            max_tries: 2,
            error_class: Some("output_too_large".to_owned()),
            error: Some("output of 5 bytes is larger than the limit of 4 bytes".to_owned()),
            ..weft_protocol::TaskInstance::default()
        })
    }

    #[test]
    fn a_task_waiting_for_its_retry_counts_as_failed() {
        let tasks = [
            task("extract", TaskState::Success),
            task("sort", TaskState::UpForRetry),
            task("report", TaskState::Failed),
        ];
        let failed = first_failed(&tasks).expect("a failed task");
        assert_eq!(failed.task_id, "sort");
        let text = task_failed("d", "r", failed).to_string();
        assert_eq!(
            text,
            "task sort is up_for_retry after try 1 of 2 (output_too_large): output of 5 \
             bytes is larger than the limit of 4 bytes (run r of DAG d)"
        );
        assert!(first_failed(&[task("extract", TaskState::Running)]).is_none());
    }

    #[test]
    fn a_failed_run_says_how_its_task_instances_ended() {
        let mut lost = task("t_3", TaskState::UpstreamFailed);
        (lost.error_class, lost.error) = (None, None);
        let tasks = [
            task("list", TaskState::Success),
            task("t_1", TaskState::Success),
            task("t_2", TaskState::Failed),
            lost,
        ];
        assert_eq!(
            ended_tasks(&tasks),
            "task instances: 1 failed, 2 success, 1 upstream_failed; t_2 failed after try 1 \
             of 2 (output_too_large: output of 5 bytes is larger than the limit of 4 bytes); \
             t_3 upstream_failed after try 1 of 2"
        );
    }
}
