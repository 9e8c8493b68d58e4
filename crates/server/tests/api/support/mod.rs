//! The test harness: the app over a store and a recording control, called with `oneshot`.

pub mod control;
pub mod host_calls;
pub mod tenants;

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use jiff::Timestamp;
use serde_json::Value;
use tower::ServiceExt as _;
use weft_model::TaskState;
use weft_protocol::{AttemptRef, HostCall};
use weft_runtime::{Digest, Runtime, RuntimeConfig};
use weft_scheduler::ManualClock;
use weft_server::{AppState, ServerConfig};
use weft_store::{
    DEFAULT_TENANT, FinishTask, QueueTask, SqliteStore, StartTask, Store, TaskInstance, WriteBatch,
};

pub use control::{Call, FakeControl};

/// Where the host calls of `attempt` are posted.
pub fn host_call_uri(attempt: AttemptRef) -> String {
    format!(
        "/api/v1/worker/attempts/{}/{}/calls",
        attempt.ti, attempt.lease
    )
}

/// The time the harness's clocks show.
pub fn now() -> Timestamp {
    "2024-06-01T12:00:00Z".parse().expect("timestamp")
}

fn runtime() -> Arc<Runtime> {
    static RUNTIME: OnceLock<Arc<Runtime>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            // The operator allows what `egress_probe` asks for (HTTP to loopback), not
            // `tcp_probe`'s raw TCP: deploys are checked against both this and the tenant's
            // policy.
            let egress = weft_runtime::EgressPolicy {
                allowed: weft_runtime::AllowedEgress {
                    rules: [
                        "http://127.0.0.1:*",
                        "http://localhost:*",
                        "https://localhost:*",
                    ]
                    .iter()
                    .map(|r| r.parse().expect("operator rule"))
                    .collect(),
                    ..Default::default()
                },
                ..weft_runtime::EgressPolicy::default()
            };
            let config = RuntimeConfig {
                max_concurrent_instances: 8,
                egress,
                ..RuntimeConfig::default()
            };
            Arc::new(Runtime::new(config).expect("runtime"))
        })
        .clone()
}

/// A guest component's bytes.
pub fn guest(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The result of attempt `lease` of `ti`: success, output `{}`, nothing else.
pub fn succeeded(ti: i64, lease: i64) -> FinishTask {
    FinishTask {
        ti,
        lease,
        state: TaskState::Success,
        at: now(),
        duration_ms: 7,
        output: Some(b"{}".to_vec()),
        ..FinishTask::default()
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} body is not JSON ({e}): {:?}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The answer of a host call's 200 reply (`{"call": ..., "answer": ...}`).
    #[track_caller]
    pub fn answer(&self) -> Value {
        let body = self.json();
        assert_eq!(self.status, StatusCode::OK, "{body}");
        body["answer"].clone()
    }

    /// [`assert_error`](Self::assert_error) with the status that goes with `code`: 422 for
    /// `unprocessable` (a request that matches the document but breaks a rule), else 400.
    #[track_caller]
    pub fn assert_refused(&self, code: &str) -> String {
        let status = if code == "unprocessable" {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::BAD_REQUEST
        };
        self.assert_error(status, code)
    }

    /// Assert an error reply: its status, its code, and a message; returns the message.
    #[track_caller]
    pub fn assert_error(&self, status: StatusCode, code: &str) -> String {
        let body = self.json();
        assert_eq!(self.status, status, "{body}");
        assert_eq!(body["error"]["code"], code, "{body}");
        let message = body["error"]["message"]
            .as_str()
            .expect("message")
            .to_owned();
        assert!(!message.is_empty(), "{body}");
        message
    }
}

/// The app over a fresh SQLite store in a temporary directory, with a recording control.
pub struct Harness {
    pub app: Router,
    pub state: AppState,
    /// The clock the server stamps with; starts at [`now`].
    pub clock: Arc<ManualClock>,
    pub store: Arc<dyn Store>,
    pub sqlite: Arc<SqliteStore>,
    pub control: Arc<FakeControl>,
    /// The attempt keys the server checks, once [`with_attempt_keys`](Self::with_attempt_keys).
    pub attempt_keys: Option<weft_vault::AttemptKeys>,
    _dir: tempfile::TempDir,
}

impl Harness {
    pub async fn new() -> Harness {
        Harness::with_config(ServerConfig::default()).await
    }

    pub async fn with_config(config: ServerConfig) -> Harness {
        let dir = tempfile::tempdir().expect("temporary directory");
        let sqlite = Arc::new(
            SqliteStore::open(dir.path().join("weft.db"))
                .await
                .expect("open store"),
        );
        let store: Arc<dyn Store> = sqlite.clone();
        let control = Arc::new(FakeControl::new(store.clone(), now()));
        let clock = Arc::new(ManualClock::new(now()));
        let state = AppState::new(store.clone(), control.clone(), runtime(), config)
            .with_clock(clock.clone());
        Harness {
            app: weft_server::app(state.clone()),
            state,
            clock,
            store,
            sqlite,
            control,
            attempt_keys: None,
            _dir: dir,
        }
    }

    /// The same harness sealing connections and secrets with `keyring` (keys checked).
    pub async fn with_keyring(mut self, keyring: weft_vault::Keyring) -> Harness {
        let credentials = weft_store::Credentials::new(self.store.clone(), Some(keyring));
        credentials.check_keys(now()).await.expect("key check");
        self.state = self.state.clone().with_credentials(credentials);
        self.app = weft_server::app(self.state.clone());
        self
    }

    /// The same harness checking the attempt keys of worker API calls, under a new secret key.
    pub fn with_attempt_keys(mut self) -> Harness {
        let keyring = weft_vault::Keyring::new(weft_vault::SecretKey::generate(), Vec::new());
        let keys = weft_vault::AttemptKeys::new(&keyring);
        self.state = self.state.clone().with_attempt_keys(keys.clone());
        self.app = weft_server::app(self.state.clone());
        self.attempt_keys = Some(keys);
        self
    }

    /// The attempt `(ti, lease)` as its worker names it: with the key a scheduler holding
    /// this harness's secret key would have issued, if the server checks keys.
    pub fn attempt(&self, ti: weft_protocol::TiPk, lease: i64) -> AttemptRef {
        AttemptRef {
            ti,
            lease,
            key: self.attempt_keys.as_ref().map(|keys| keys.issue(ti, lease)),
        }
    }

    /// Send a request with a body of the given type.
    pub async fn send(
        &self,
        method: Method,
        uri: &str,
        content_type: Option<&str>,
        body: impl Into<Body>,
    ) -> Reply {
        self.send_as(None, method, uri, content_type, body).await
    }

    /// [`send`](Self::send) with `Authorization: <authorization>` when given.
    pub async fn send_as(
        &self,
        authorization: Option<&str>,
        method: Method,
        uri: &str,
        content_type: Option<&str>,
        body: impl Into<Body>,
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(kind) = content_type {
            request = request.header(header::CONTENT_TYPE, kind);
        }
        if let Some(value) = authorization {
            request = request.header(header::AUTHORIZATION, value);
        }
        self.request(request.body(body.into()).expect("request"))
            .await
    }

    /// Send `request` as it is.
    pub async fn request(&self, request: Request<Body>) -> Reply {
        let response = self.app.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.send(Method::GET, uri, None, Body::empty()).await
    }

    /// Post host call `call` of `attempt` to the worker API, as a worker does.
    pub async fn host_call(&self, attempt: AttemptRef, call: impl Into<HostCall>) -> Reply {
        let uri = host_call_uri(attempt);
        let body = serde_json::to_value(call.into()).expect("a call encodes");
        self.json(Method::POST, &uri, body).await
    }

    /// Send `body` as JSON.
    pub async fn json(&self, method: Method, uri: &str, body: Value) -> Reply {
        self.send(method, uri, Some("application/json"), body.to_string())
            .await
    }

    /// Send text that claims to be JSON.
    pub async fn raw_json(&self, method: Method, uri: &str, body: &'static str) -> Reply {
        self.send(method, uri, Some("application/json"), body).await
    }

    /// Deploy a component.
    pub async fn deploy(&self, bytes: Vec<u8>) -> Reply {
        self.send(
            Method::POST,
            "/api/v1/dags",
            Some("application/wasm"),
            bytes,
        )
        .await
    }

    /// Deploy a component that must be accepted.
    pub async fn deployed(&self, path: &str) -> Value {
        let reply = self.deploy(guest(path)).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json());
        reply.json()
    }

    /// Trigger a run that must be created; returns its run id.
    pub async fn triggered(&self, dag_id: &str, body: Value) -> String {
        let reply = self
            .json(Method::POST, &format!("/api/v1/dags/{dag_id}/runs"), body)
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json());
        reply.json()["run_id"].as_str().expect("run_id").to_owned()
    }

    /// What the store holds that a deploy could change: every DAG with its versions.
    pub async fn stored_dags(&self) -> Vec<(weft_store::DagRecord, Vec<weft_store::DagVersion>)> {
        let mut out = Vec::new();
        for dag in self.store.dags(DEFAULT_TENANT).await.expect("dags") {
            let versions = self
                .store
                .dag_versions(DEFAULT_TENANT, &dag.dag_id)
                .await
                .expect("versions");
            out.push((dag, versions));
        }
        out
    }

    /// Whether the store holds a component with these bytes.
    pub async fn has_component(&self, bytes: &[u8]) -> bool {
        let digest = Digest::of(bytes).to_string();
        self.store
            .component(DEFAULT_TENANT, &digest)
            .await
            .expect("component")
            .is_some()
    }

    /// Run the first attempt of task `task_id` of run `run_id` of DAG `dag_id` of `tenant`
    /// to success through the store, as a worker's reports would: output `{"rows": 3}`,
    /// XCom values `note` (`plain text`) and `blob` (`ff 00`), and a two-line log.
    pub async fn ran_once(
        &self,
        tenant: &str,
        dag_id: &str,
        run_id: &str,
        task_id: &str,
    ) -> TaskInstance {
        let run = self
            .store
            .run_by_id(tenant, dag_id, run_id)
            .await
            .expect("run")
            .unwrap_or_else(|| panic!("run {run_id}"));
        let (_, tis) = self.store.run(run.id).await.expect("run").expect("the run");
        let ti = tis
            .into_iter()
            .find(|t| t.task_id == task_id)
            .unwrap_or_else(|| panic!("task {task_id}"));
        self.queue_first_try(&ti).await;
        let log = b"{\"offset\":{\"secs\":0,\"nanos\":5},\"level\":\"info\",\"source\":\"task\",\"message\":\"hello\"}\nnot json\n";
        let lease = ti.lease + 1;
        let batch = WriteBatch {
            start: vec![StartTask {
                ti: ti.id,
                lease,
                worker_id: "w1".into(),
                hostname: "host1".into(),
                at: now(),
                lease_expires_at: now(),
            }],
            finish: vec![FinishTask {
                worker_id: Some("w1".into()),
                hostname: Some("host1".into()),
                output: Some(br#"{"rows": 3}"#.to_vec()),
                xcom: vec![
                    ("note".into(), b"plain text".to_vec()),
                    ("blob".into(), vec![0xff, 0x00]),
                ],
                log: Some(log.to_vec()),
                ..succeeded(ti.id, lease)
            }],
            ..WriteBatch::default()
        };
        let outcome = self.store.write(batch).await.expect("finish");
        assert_eq!(
            (outcome.started, outcome.finished),
            (vec![true], vec![true])
        );
        ti
    }

    /// Queue the first attempt of task `task_id` in the run of `ti`: an attempt that reads
    /// through the worker API while the rest of the run stands as it is.
    pub async fn queued_in_run_of(&self, ti: &TaskInstance, task_id: &str) -> AttemptRef {
        let (_, tis) = self.store.run(ti.run).await.expect("run").expect("the run");
        let other = tis
            .into_iter()
            .find(|t| t.task_id == task_id)
            .unwrap_or_else(|| panic!("task {task_id}"));
        self.queue_first_try(&other).await;
        self.attempt(other.id, other.lease + 1)
    }

    /// Queue `ti`'s first attempt (its lease goes up by one).
    pub async fn queue_first_try(&self, ti: &TaskInstance) {
        let batch = WriteBatch {
            queue: vec![QueueTask {
                ti: ti.id,
                lease: ti.lease,
                from: TaskState::None,
                try_number: 1,
                at: now(),
            }],
            ..WriteBatch::default()
        };
        assert_eq!(self.store.write(batch).await.expect("queue").queued, [true]);
    }

    /// The calls other than notices.
    pub fn commands(&self) -> Vec<Call> {
        self.control
            .calls()
            .into_iter()
            .filter(|c| !matches!(c, Call::Notify(_)))
            .collect()
    }

    /// The notices sent.
    pub fn notices(&self) -> Vec<Call> {
        self.control
            .calls()
            .into_iter()
            .filter(|c| matches!(c, Call::Notify(_)))
            .collect()
    }
}
