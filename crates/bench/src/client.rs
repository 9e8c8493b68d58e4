//! [`Api`]: the benchmark's HTTP client of Weft's API server, used exactly as a user's
//! client would (deploy, trigger, read runs), with one kept-alive connection.

use std::time::Duration;

use jiff::Timestamp;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::BenchError;

/// A client of one API server.
#[derive(Clone)]
pub struct Api {
    agent: ureq::Agent,
    base: String,
    token: Option<String>,
}

/// What the server says about a deployed component.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Deployed {
    /// The DAG it describes.
    pub dag_id: String,
    /// The component's digest.
    pub digest: String,
}

/// A run, as the run list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RunInfo {
    /// The run's id.
    pub run_id: String,
    /// `queued`, `running`, `success` or `failed`.
    pub state: String,
    /// When it was created.
    pub queued_at: Option<Timestamp>,
    /// When it finished.
    pub ended_at: Option<Timestamp>,
}

impl RunInfo {
    /// Whether the run is over (success or failed).
    pub fn is_finished(&self) -> bool {
        matches!(self.state.as_str(), "success" | "failed")
    }
}

/// One task instance of a run: its state, the times the store records and its last failure.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TaskTimes {
    /// The task.
    pub task_id: String,
    /// Its state.
    pub state: String,
    /// Number of its last attempt.
    #[serde(default)]
    pub try_number: u32,
    /// Attempts allowed in all.
    #[serde(default)]
    pub max_tries: u32,
    /// Class of the last failure (`output_too_large`, `trap`, ...).
    #[serde(default)]
    pub error_class: Option<String>,
    /// Message of the last failure.
    #[serde(default)]
    pub error: Option<String>,
    /// When its last attempt was queued.
    pub queued_at: Option<Timestamp>,
    /// When that attempt started.
    pub started_at: Option<Timestamp>,
    /// When it ended.
    pub ended_at: Option<Timestamp>,
    /// The worker that ran its last attempt; none for a wait, which runs nowhere.
    #[serde(default)]
    pub worker_id: Option<String>,
    /// For a sensor or a wait: when its current try started waiting.
    #[serde(default)]
    pub sensor_started_at: Option<Timestamp>,
}

/// A run with its task instances.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RunDetail {
    /// The run.
    #[serde(flatten)]
    pub run: RunInfo,
    /// Its task instances.
    pub task_instances: Vec<TaskTimes>,
}

#[derive(Deserialize)]
struct RunList {
    runs: Vec<RunInfo>,
}

#[derive(Deserialize)]
struct WorkerList {
    workers: Vec<WorkerStatus>,
}

#[derive(Deserialize)]
struct WorkerStatus {
    status: String,
    #[serde(default)]
    running: u32,
    last_heartbeat: Option<Timestamp>,
}

impl Api {
    /// A client of the server at `url` (`http://127.0.0.1:8080`), with an API token if the
    /// server wants one.
    pub fn new(url: &str, token: Option<&str>) -> Api {
        Api::trusting(url, token, None)
    }

    /// [`Api::new`], trusting over HTTPS only the CA certificate `ca` when given, the public
    /// roots otherwise.
    pub fn trusting(
        url: &str,
        token: Option<&str>,
        ca: Option<ureq::tls::Certificate<'static>>,
    ) -> Api {
        let mut tls = ureq::tls::TlsConfig::builder();
        if let Some(ca) = ca {
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&[ca]));
        }
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .tls_config(tls.build())
            .build();
        Api {
            agent: config.into(),
            base: format!("{}/api/v1", url.trim_end_matches('/')),
            token: token.map(str::to_owned),
        }
    }

    fn auth<B>(&self, request: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        match &self.token {
            Some(token) => request.header("Authorization", format!("Bearer {token}")),
            None => request,
        }
    }

    /// The same client, presenting `token` instead.
    pub fn with_token(&self, token: &str) -> Api {
        Api {
            token: Some(token.to_owned()),
            ..self.clone()
        }
    }

    /// `POST path` with a JSON body, the answer parsed.
    pub fn post_json<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<T, BenchError> {
        let url = format!("{}{path}", self.base);
        let response = self
            .auth(self.agent.post(&url))
            .header("Content-Type", "application/json")
            .send(body.to_string());
        answer("POST", url, response)
    }

    /// Whether `GET /health` answers 200.
    pub fn healthy(&self) -> bool {
        self.health().is_ok()
    }

    /// `GET /health`: answered 200, or why not (no answer, a TLS failure, another status).
    pub fn health(&self) -> Result<(), String> {
        match self.agent.get(format!("{}/health", self.base)).call() {
            Ok(r) if r.status().as_u16() == 200 => Ok(()),
            Ok(r) => Err(format!("it answered {}", r.status())),
            Err(e) => Err(e.to_string()),
        }
    }

    /// `GET path`, parsed.
    pub fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, BenchError> {
        let url = format!("{}{path}", self.base);
        let response = self.auth(self.agent.get(&url)).call();
        answer("GET", url, response)
    }

    /// The server's metrics, as text (`GET /metrics`).
    pub fn metrics(&self) -> Result<String, BenchError> {
        let url = format!("{}/metrics", self.base);
        let response = self.auth(self.agent.get(&url)).call();
        answer_text("GET", &url, response)
    }

    /// The metrics a process serves on a port of its own (`--metrics-addr`), as text.
    pub fn metrics_at(&self, url: &str) -> Result<String, BenchError> {
        let response = self.agent.get(url).call();
        answer_text("GET", url, response)
    }

    /// Deploy a component; the server's answer.
    pub fn deploy(&self, wasm: &[u8]) -> Result<Deployed, BenchError> {
        let url = format!("{}/dags", self.base);
        let response = self
            .auth(self.agent.post(&url))
            .header("Content-Type", "application/wasm")
            .send(wasm);
        answer("POST", url, response)
    }

    /// Trigger a run of `dag_id` with the defaults (logical date now, empty conf); its id.
    pub fn trigger(&self, dag_id: &str) -> Result<String, BenchError> {
        let url = format!("{}/dags/{}/runs", self.base, encode(dag_id));
        let response = self
            .auth(self.agent.post(&url))
            .header("Content-Type", "application/json")
            .send("{}");
        let run: RunInfo = answer("POST", url, response)?;
        Ok(run.run_id)
    }

    /// Trigger a run of `dag_id` for `logical_date`, with an empty conf; its id.
    pub fn trigger_at(&self, dag_id: &str, logical_date: Timestamp) -> Result<String, BenchError> {
        let url = format!("{}/dags/{}/runs", self.base, encode(dag_id));
        let body = serde_json::json!({ "conf": {}, "logical_date": logical_date.to_string() });
        let response = self
            .auth(self.agent.post(&url))
            .header("Content-Type", "application/json")
            .send(body.to_string());
        let run: RunInfo = answer("POST", url, response)?;
        Ok(run.run_id)
    }

    /// Trigger a run of `dag_id` with `conf` as its configuration; its id.
    pub fn trigger_conf(
        &self,
        dag_id: &str,
        conf: &serde_json::Value,
    ) -> Result<String, BenchError> {
        let url = format!("{}/dags/{}/runs", self.base, encode(dag_id));
        let body = serde_json::json!({ "conf": conf }).to_string();
        let response = self
            .auth(self.agent.post(&url))
            .header("Content-Type", "application/json")
            .send(body);
        let run: RunInfo = answer("POST", url, response)?;
        Ok(run.run_id)
    }

    /// Create or replace connection `conn_id` (`body` as `PUT /connections/{conn_id}` takes it).
    pub fn put_connection(
        &self,
        conn_id: &str,
        body: &serde_json::Value,
    ) -> Result<(), BenchError> {
        let url = format!("{}/connections/{}", self.base, encode(conn_id));
        let response = self
            .auth(self.agent.put(&url))
            .header("Content-Type", "application/json")
            .send(body.to_string());
        let _: serde_json::Value = answer("PUT", url, response)?;
        Ok(())
    }

    /// The newest `limit` runs of `dag_id` (newest logical date first), only those in
    /// `state` if given. Asks `GET /runs?dag_id=…`, which reads only the runs table (the
    /// per-DAG route loads the DAG's record too, whose size grows with its task count).
    pub fn runs(
        &self,
        dag_id: &str,
        state: Option<&str>,
        limit: u32,
    ) -> Result<Vec<RunInfo>, BenchError> {
        let filter = state.map_or_else(String::new, |s| format!("&state={s}"));
        let list: RunList = self.get(&format!(
            "/runs?dag_id={}&limit={limit}{filter}",
            encode(dag_id)
        ))?;
        Ok(list.runs)
    }

    /// A run with its task instances.
    pub fn run(&self, dag_id: &str, run_id: &str) -> Result<RunDetail, BenchError> {
        self.get(&format!("/dags/{}/runs/{}", encode(dag_id), encode(run_id)))
    }

    /// A run once it has ended, or as it is after `wait` (the server holds the answer).
    pub fn wait_run(
        &self,
        dag_id: &str,
        run_id: &str,
        wait: Duration,
    ) -> Result<RunInfo, BenchError> {
        let detail: RunDetail = self.get(&format!(
            "/dags/{}/runs/{}?wait_ms={}",
            encode(dag_id),
            encode(run_id),
            wait.as_millis()
        ))?;
        Ok(detail.run)
    }

    /// How many workers the server counts as alive.
    pub fn alive_workers(&self) -> Result<usize, BenchError> {
        let list: WorkerList = self.get("/workers")?;
        Ok(list.workers.iter().filter(|w| w.status == "alive").count())
    }

    /// Task attempts the alive workers were running, in all, by heartbeats sent after
    /// `since`; none while an alive worker's last heartbeat is older.
    pub fn workers_running_since(&self, since: Timestamp) -> Result<Option<u32>, BenchError> {
        let list: WorkerList = self.get("/workers")?;
        let alive = || list.workers.iter().filter(|w| w.status == "alive");
        if alive().any(|w| w.last_heartbeat.is_none_or(|at| at < since)) {
            return Ok(None);
        }
        Ok(Some(alive().map(|w| w.running).sum()))
    }
}

/// The JSON of a 2xx answer, or the error naming the request.
fn answer<T: DeserializeOwned>(
    method: &'static str,
    url: String,
    response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<T, BenchError> {
    let body = answer_text(method, &url, response)?;
    serde_json::from_str(&body).map_err(|e| BenchError::BadAnswer {
        what: format!("{method} {url}"),
        reason: e.to_string(),
    })
}

/// The body of a 2xx answer, or the error naming the request.
fn answer_text(
    method: &'static str,
    url: &str,
    response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<String, BenchError> {
    let url = url.to_owned();
    let mut response = match response {
        Ok(r) => r,
        Err(e) => {
            return Err(BenchError::Http {
                method,
                url,
                source: Box::new(e),
            });
        }
    };
    let status = response.status().as_u16();
    let body = match response
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_string()
    {
        Ok(body) => body,
        Err(e) => {
            return Err(BenchError::Http {
                method,
                url,
                source: Box::new(e),
            });
        }
    };
    if !(200..300).contains(&status) {
        return Err(BenchError::Status {
            method,
            url,
            status,
            body,
        });
    }
    Ok(body)
}

/// `text` percent-encoded for one path segment.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The value of the unlabelled sample `name` in metrics text (a gauge, or a histogram's
/// `_count`), clamped at zero.
pub fn metric_value(metrics: &str, name: &str) -> Option<u64> {
    metrics.lines().find_map(|line| {
        let value = line.strip_prefix(name)?.strip_prefix(' ')?;
        value.trim().parse::<f64>().ok().map(|v| v.max(0.0) as u64)
    })
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
    fn run_ids_are_encoded_for_paths() {
        assert_eq!(
            encode("manual__2026-11-21T13:18:18.58+00:00"),
            "manual__2026-11-21T13%3A18%3A18.58%2B00%3A00"
        );
        assert_eq!(encode("bench_fan100"), "bench_fan100");
        assert_eq!(encode("a/b c"), "a%2Fb%20c");
    }

    #[test]
    fn run_detail_reads_the_servers_shape() {
        let json = r#"{"dag_id":"d","run_id":"r","run_type":"manual","state":"success",
            "queued_at":"2026-01-01T00:00:00Z","ended_at":"2026-01-01T00:00:01.5Z",
            "task_instances":[{"task_id":"t0","state":"success","queued_at":null,
            "started_at":"2026-01-01T00:00:00.1Z","ended_at":"2026-01-01T00:00:00.2Z"}]}"#;
        let detail: RunDetail = serde_json::from_str(json).expect("detail");
        assert!(detail.run.is_finished());
        assert_eq!(detail.task_instances.len(), 1);
        assert_eq!(detail.task_instances[0].queued_at, None);
    }

    #[test]
    fn unreachable_servers_are_errors_that_name_the_url() {
        let api = Api::new("http://127.0.0.1:9", None);
        assert!(!api.healthy());
        let e = api.trigger("d").expect_err("nothing listens on port 9");
        assert!(
            e.to_string()
                .contains("POST http://127.0.0.1:9/api/v1/dags/d/runs"),
            "{e}"
        );
    }
}
