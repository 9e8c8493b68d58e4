//! [`Api`]: the tests' HTTP client of the API server, with the waits they need.

use std::time::Duration;

use serde_json::{Value, json};

/// A client of one API server.
#[derive(Clone)]
pub struct Api {
    agent: ureq::Agent,
    base: String,
    token: Option<String>,
}

impl Api {
    /// A client of the server at `base`, without a token.
    pub fn new(base: &str) -> Api {
        Api::new_trusting(base, None)
    }

    /// A client of the server at `base`, without a token, trusting only the CA certificate
    /// `ca_pem` over HTTPS when given (the public roots otherwise).
    pub fn new_trusting(base: &str, ca_pem: Option<&str>) -> Api {
        let mut tls = ureq::tls::TlsConfig::builder();
        if let Some(pem) = ca_pem {
            let ca = ureq::tls::Certificate::from_pem(pem.as_bytes()).expect("a CA certificate");
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&[ca]));
        }
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .tls_config(tls.build())
            .build();
        Api {
            agent: config.into(),
            base: format!("{}/api/v1", base.trim_end_matches('/')),
            token: None,
        }
    }

    /// The same client with a bearer token.
    #[must_use]
    pub fn with_token(mut self, token: &str) -> Api {
        self.token = Some(token.to_owned());
        self
    }

    fn auth<B>(&self, request: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        match &self.token {
            Some(token) => request.header("Authorization", format!("Bearer {token}")),
            None => request,
        }
    }

    /// `GET path`: status and body bytes.
    pub fn get_raw(&self, path: &str) -> (u16, Vec<u8>) {
        let mut response = self
            .auth(self.agent.get(format!("{}{path}", self.base)))
            .call()
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(256 << 20)
            .read_to_vec()
            .unwrap_or_default();
        (status, body)
    }

    /// `GET path` as server-sent events, read on a thread of their own: each event's type
    /// and data, as it arrives, until the stream ends (then the channel closes).
    pub fn events(&self, path: &str) -> std::sync::mpsc::Receiver<(String, String)> {
        use std::io::BufRead as _;
        let response = self
            .auth(self.agent.get(format!("{}{path}", self.base)))
            .config()
            .timeout_global(None)
            .build()
            .call()
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        assert_eq!(response.status().as_u16(), 200, "GET {path}");
        let (send, receive) = std::sync::mpsc::channel();
        let reader = std::io::BufReader::new(response.into_body().into_reader());
        std::thread::spawn(move || {
            let (mut event, mut data) = (String::new(), Vec::new());
            for line in reader.lines() {
                let Ok(line) = line else { return };
                if line.is_empty() {
                    if !data.is_empty()
                        && send
                            .send((std::mem::take(&mut event), data.join("\n")))
                            .is_err()
                    {
                        return;
                    }
                    data.clear();
                } else if let Some(value) = line.strip_prefix("event:") {
                    event = value.trim().to_owned();
                } else if let Some(value) = line.strip_prefix("data:") {
                    data.push(value.trim_start().to_owned());
                }
            }
        });
        receive
    }

    /// `GET path`, which must succeed: its JSON. A 503 ("try again later": the store was
    /// busy) is tried again for up to 30 s, as a client would.
    pub fn get(&self, path: &str) -> Value {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let (mut status, mut body) = self.get_raw(path);
        while status == 503 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
            (status, body) = self.get_raw(path);
        }
        assert!(
            (200..300).contains(&status),
            "GET {path}: {status} {}",
            String::from_utf8_lossy(&body)
        );
        serde_json::from_slice(&body).unwrap_or_else(|e| panic!("GET {path}: not JSON: {e}"))
    }

    /// `POST path` with a JSON body: status and JSON answer.
    pub fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let mut response = self
            .auth(self.agent.post(format!("{}{path}", self.base)))
            .header("Content-Type", "application/json")
            .send(body.to_string())
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// `PUT path` with a JSON body: status and JSON answer.
    pub fn put(&self, path: &str, body: &Value) -> (u16, Value) {
        let mut response = self
            .auth(self.agent.put(format!("{}{path}", self.base)))
            .header("Content-Type", "application/json")
            .send(body.to_string())
            .unwrap_or_else(|e| panic!("PUT {path}: {e}"));
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Whether `GET /health` answers 200.
    pub fn healthy(&self) -> bool {
        self.agent
            .get(format!("{}/health", self.base))
            .call()
            .is_ok_and(|r| r.status().as_u16() == 200)
    }

    /// Deploy a component file; the server's answer. The server compiles the component
    /// before it answers, so the deploy may take as long as `wfctl deploy` allows (300 s):
    /// a debug build compiles a large component in 30 s, and longer beside other tests.
    pub fn deploy(&self, path: &std::path::Path) -> Value {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut response = self
            .auth(self.agent.post(format!("{}/dags", self.base)))
            .config()
            .timeout_global(Some(Duration::from_secs(300)))
            .build()
            .header("Content-Type", "application/wasm")
            .send(&bytes[..])
            .unwrap_or_else(|e| panic!("deploy {}: {e}", path.display()));
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        assert!(
            (200..300).contains(&status),
            "deploy {}: {status} {text}",
            path.display()
        );
        serde_json::from_str(&text).expect("deploy answers JSON")
    }

    /// Trigger a run of `dag` with `conf` (and `run_id` if given); the new run's id.
    pub fn trigger(&self, dag: &str, conf: Value, run_id: Option<&str>) -> String {
        let mut body = json!({ "conf": conf });
        if let Some(id) = run_id {
            body["run_id"] = json!(id);
        }
        let (status, answer) = self.post(&format!("/dags/{dag}/runs"), &body);
        assert!(
            (200..300).contains(&status),
            "trigger {dag}: {status} {answer}"
        );
        answer["run_id"].as_str().expect("run_id").to_owned()
    }

    /// A run with its task instances.
    pub fn run(&self, dag: &str, run_id: &str) -> Value {
        self.get(&format!("/dags/{dag}/runs/{}", encode(run_id)))
    }

    /// Wait up to `wait` for the run to finish; the finished run.
    pub fn wait_run(&self, dag: &str, run_id: &str, wait: Duration) -> Value {
        let deadline = std::time::Instant::now() + wait;
        loop {
            let run = self.run(dag, run_id);
            if matches!(run["state"].as_str(), Some("success" | "failed")) {
                return run;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "timed out after {wait:?} waiting for run {run_id} of {dag} to finish: {run}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The task instance `task_id` of a run (as returned by [`Api::run`]).
    pub fn task<'a>(run: &'a Value, task_id: &str) -> &'a Value {
        run["task_instances"]
            .as_array()
            .and_then(|tis| {
                tis.iter()
                    .find(|ti| ti["task_id"] == task_id && ti["map_index"].is_null())
            })
            .unwrap_or_else(|| panic!("run has no task {task_id}: {run}"))
    }

    /// The instances of mapped task `task_id` in a run's JSON, in map index order.
    pub fn instances<'a>(run: &'a Value, task_id: &str) -> Vec<&'a Value> {
        let mut found: Vec<&Value> = run["task_instances"]
            .as_array()
            .map(|tis| {
                tis.iter()
                    .filter(|ti| ti["task_id"] == task_id && !ti["map_index"].is_null())
                    .collect()
            })
            .unwrap_or_default();
        found.sort_by_key(|ti| ti["map_index"].as_u64());
        found
    }
}

/// A path segment, percent-encoded.
pub fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
