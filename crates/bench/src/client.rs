//! The benchmark's side of Weft's API client ([`weft_client::Client`], the one `wfctl` and
//! the tests use, on the server's own bodies): an error that names the request it came from
//! ([`Asked`]), and what the benchmark asks that is no one route's answer as it comes
//! ([`BenchApi`]): the id of a run triggered with the defaults, a run as a server-held wait
//! shows it, the workers alive and what their heartbeats since a moment say, a process's own
//! metrics.

use std::time::Duration;

use jiff::Timestamp;
use weft_client::api::runs::{RunView, TriggerBody};
use weft_client::api::workers::WorkerStatus;
use weft_client::{Client, ClientError, RunDetail, RunFilter};

use crate::error::BenchError;

/// A client's answer, or [`BenchError::Api`] naming what was asked.
pub trait Asked<T> {
    /// The answer, or the error naming `request` (`trigger a run of DAG d`).
    fn asked(self, request: impl FnOnce() -> String) -> Result<T, BenchError>;
}

impl<T> Asked<T> for Result<T, ClientError> {
    fn asked(self, request: impl FnOnce() -> String) -> Result<T, BenchError> {
        self.map_err(|source| BenchError::Api {
            request: request(),
            source,
        })
    }
}

/// What the benchmark asks of an API server, over the client's typed routes; each is one
/// request.
pub trait BenchApi {
    /// Trigger a run of `dag_id` as `body` asks; its id.
    fn trigger_run(&self, dag_id: &str, body: &TriggerBody) -> Result<String, BenchError>;

    /// Trigger a run of `dag_id` with the defaults (logical date now, no conf); its id.
    fn trigger_now(&self, dag_id: &str) -> Result<String, BenchError> {
        self.trigger_run(dag_id, &TriggerBody::default())
    }

    /// A run with its task instances.
    fn run_detail(&self, dag_id: &str, run_id: &str) -> Result<RunDetail, BenchError>;

    /// A run once it has ended, or as it is after `wait` (the server holds the answer).
    fn wait_run(&self, dag_id: &str, run_id: &str, wait: Duration) -> Result<RunView, BenchError>;

    /// The newest `limit` runs of `dag_id`, newest logical date first. Asks
    /// `GET /runs?dag_id=…`, which reads only the runs table (the per-DAG route loads the
    /// DAG's record too, whose size grows with its task count).
    fn newest_runs(&self, dag_id: &str, limit: u32) -> Result<Vec<RunView>, BenchError>;

    /// How many workers the server counts as alive.
    fn alive_workers(&self) -> Result<usize, BenchError>;

    /// Task attempts the alive workers were running, in all, by heartbeats sent after
    /// `since`; none while an alive worker's last heartbeat is older.
    fn workers_running_since(&self, since: Timestamp) -> Result<Option<u32>, BenchError>;

    /// The metrics a process serves on a port of its own (`--metrics-addr`) at `url`, as
    /// text.
    fn metrics_at(&self, url: &str) -> Result<String, BenchError>;
}

impl BenchApi for Client {
    fn trigger_run(&self, dag_id: &str, body: &TriggerBody) -> Result<String, BenchError> {
        let run = self
            .trigger(dag_id, body)
            .asked(|| format!("trigger a run of DAG {dag_id}"))?;
        Ok(run.run_id)
    }

    fn run_detail(&self, dag_id: &str, run_id: &str) -> Result<RunDetail, BenchError> {
        self.run(dag_id, run_id, None)
            .asked(|| format!("read run {run_id} of DAG {dag_id}"))
    }

    fn wait_run(&self, dag_id: &str, run_id: &str, wait: Duration) -> Result<RunView, BenchError> {
        let wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
        let detail = self
            .run(dag_id, run_id, Some(wait_ms))
            .asked(|| format!("wait {wait_ms} ms for run {run_id} of DAG {dag_id}"))?;
        Ok(detail.run)
    }

    fn newest_runs(&self, dag_id: &str, limit: u32) -> Result<Vec<RunView>, BenchError> {
        let filter = RunFilter {
            dag_id: Some(dag_id),
            state: None,
            limit: Some(limit),
        };
        let list = self
            .runs(&filter)
            .asked(|| format!("list the newest {limit} runs of DAG {dag_id}"))?;
        Ok(list.runs)
    }

    fn alive_workers(&self) -> Result<usize, BenchError> {
        let list = self.workers().asked(|| "list the workers".to_owned())?;
        Ok(list
            .workers
            .iter()
            .filter(|w| w.status == WorkerStatus::Alive)
            .count())
    }

    fn workers_running_since(&self, since: Timestamp) -> Result<Option<u32>, BenchError> {
        let list = self.workers().asked(|| "list the workers".to_owned())?;
        let alive = || {
            list.workers
                .iter()
                .filter(|w| w.status == WorkerStatus::Alive)
        };
        if alive().any(|w| w.last_heartbeat < since) {
            return Ok(None);
        }
        Ok(Some(alive().map(|w| w.running).sum()))
    }

    fn metrics_at(&self, url: &str) -> Result<String, BenchError> {
        self.get_text_at(url).asked(|| format!("GET {url}"))
    }
}

/// The value of the unlabelled sample `name` in metrics text (a gauge, or a histogram's
/// `_count`), clamped at zero.
pub fn metric_value(metrics: &str, name: &str) -> Option<u64> {
    metrics.lines().find_map(|line| {
        let value = line.strip_prefix(name)?.strip_prefix(' ')?;
        value.trim().parse::<f64>().ok().map(|v| v.max(0.0) as u64)
    })
}

/// A run of DAG `d` in `state`, created at `queued_at` and ended at `ended_at`, for tests.
#[cfg(test)]
pub(crate) fn run_view(
    state: weft_model::DagRunState,
    queued_at: Timestamp,
    ended_at: Option<Timestamp>,
) -> RunView {
    RunView {
        dag_id: "d".to_owned(),
        run_id: "r".to_owned(),
        run_type: weft_model::RunType::Manual,
        state,
        logical_date: queued_at,
        data_interval_start: queued_at,
        data_interval_end: queued_at,
        conf: serde_json::json!({}),
        digest: "sha256:0".to_owned(),
        queued_at,
        started_at: None,
        ended_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_is_read_by_its_whole_name() {
        let text = "# TYPE weft_scheduler_step_seconds histogram\n\
                    weft_scheduler_step_seconds_sum 0.25\n\
                    weft_scheduler_step_seconds_count 1234\n\
                    weft_components_optimizing 2\n";
        assert_eq!(
            metric_value(text, "weft_scheduler_step_seconds_count"),
            Some(1234)
        );
        assert_eq!(metric_value(text, "weft_components_optimizing"), Some(2));
        // A name that only begins another's is not that one.
        assert_eq!(metric_value(text, "weft_scheduler_step_seconds"), None);
        assert_eq!(metric_value(text, "weft_workers_alive"), None);
    }

    #[test]
    fn unreachable_servers_are_errors_that_name_the_request_and_the_server() {
        let api = Client::new_trusting("http://127.0.0.1:9", &weft_tls::Trust::default());
        assert!(api.health().is_err());
        let e = api.trigger_now("d").expect_err("nothing listens on port 9");
        let text = e.to_string();
        assert!(
            text.starts_with("trigger a run of DAG d: ") && text.contains("http://127.0.0.1:9"),
            "{text}"
        );
        let e = api
            .metrics_at("http://127.0.0.1:9/metrics")
            .expect_err("nothing listens on port 9")
            .to_string();
        assert!(e.starts_with("GET http://127.0.0.1:9/metrics: "), "{e}");
    }
}
