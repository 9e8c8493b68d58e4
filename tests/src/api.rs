//! [`Api`]: the tests' handle on an API server: [`weft_client::Client`], whose answers
//! must succeed, with the waits the tests need.
//!
//! Runs, task instances, deploys, triggers and the lists the tests read come typed, as the
//! server's own bodies; [`Api::get`], [`Api::post`] and [`Api::put`] give the JSON on the wire
//! and the status, for the tests that check a refusal or the wire form itself.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;
use weft_client::api::dags::DeployResponse;
use weft_client::api::runs::{RunList, TriggerBody};
use weft_client::api::tasks::{XcomList, XcomView};
use weft_client::api::workers::WorkerList;
use weft_client::{Client, ClientError, RunDetail, RunFilter, TaskInstance};

/// How long a read answered with 503 ("try again later": the store was busy) is tried again.
const BUSY_RETRY: Duration = Duration::from_secs(30);

/// A client of one API server.
#[derive(Clone)]
pub struct Api {
    client: Client,
}

impl Api {
    /// A client of the server at `base`, without a token.
    pub fn new(base: &str) -> Api {
        Api::new_trusting(base, None)
    }

    /// A client of the server at `base`, without a token, trusting the CA certificate `ca_pem`
    /// over HTTPS too when given.
    pub fn new_trusting(base: &str, ca_pem: Option<&str>) -> Api {
        let mut trust = weft_tls::Trust::default();
        if let Some(pem) = ca_pem {
            trust
                .add_pem(pem.as_bytes(), Path::new("the test CA"))
                .expect("a CA certificate");
        }
        Api {
            client: Client::new_trusting(base, &trust),
        }
    }

    /// The same client with a bearer token.
    #[must_use]
    pub fn with_token(self, token: &str) -> Api {
        Api {
            client: self.client.with_token(Some(token.to_owned())),
        }
    }

    /// The typed client, for the routes without a helper here.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// What `read` returns (`what` names it), which must succeed; a 503 ("try again later":
    /// the store was busy) is tried again for up to 30 s, as a client would.
    pub fn read<T>(&self, what: &str, read: impl Fn(&Client) -> Result<T, ClientError>) -> T {
        let deadline = Instant::now() + BUSY_RETRY;
        loop {
            match read(&self.client) {
                Ok(answer) => return answer,
                Err(e) if e.status() == Some(503) && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => panic!("{what}: {e}"),
            }
        }
    }

    /// `GET path`: status and body bytes, whatever the server answered.
    pub fn get_raw(&self, path: &str) -> (u16, Vec<u8>) {
        self.client
            .get_raw(path)
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// `GET path`, which must succeed: the JSON on the wire (busy answers tried again).
    pub fn get(&self, path: &str) -> Value {
        self.read(&format!("GET {path}"), |client| client.get(path))
    }

    /// `POST path` with a JSON body: status and JSON answer (`null` when not JSON).
    pub fn post(&self, path: &str, body: &impl Serialize) -> (u16, Value) {
        let (status, bytes) = self
            .client
            .post_raw(path, body)
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// `PUT path` with a JSON body: status and JSON answer (`null` when not JSON).
    pub fn put(&self, path: &str, body: &impl Serialize) -> (u16, Value) {
        let (status, bytes) = self
            .client
            .put_raw(path, body)
            .unwrap_or_else(|e| panic!("PUT {path}: {e}"));
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// `GET path` as server-sent events, read on a thread of their own: each event's type
    /// and data, as it arrives, until the stream ends (then the channel closes). A refused
    /// stream is one `refused` event with the error.
    pub fn events(&self, path: &str) -> std::sync::mpsc::Receiver<(String, String)> {
        let (send, receive) = std::sync::mpsc::channel();
        let client = self.client.clone();
        let path = path.to_owned();
        std::thread::spawn(move || {
            let streamed = client.events(&path, None, |event| {
                send.send((event.event, event.data)).is_ok()
            });
            if let Err(e) = streamed {
                let _ = send.send(("refused".to_owned(), format!("GET {path}: {e}")));
            }
        });
        receive
    }

    /// Whether `GET /health` answers 200.
    pub fn healthy(&self) -> bool {
        self.client.health().is_ok()
    }

    /// Deploy a component file; the server's answer. The server compiles the component
    /// before it answers, so the deploy may take as long as `wfctl deploy` allows (300 s):
    /// a debug build compiles a large component in 30 s, and longer beside other tests.
    pub fn deploy(&self, path: &Path) -> DeployResponse {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        self.client
            .deploy(&bytes)
            .unwrap_or_else(|e| panic!("deploy {}: {e}", path.display()))
    }

    /// Trigger a run of `dag` with `conf` (and `run_id` if given); the new run's id.
    pub fn trigger(&self, dag: &str, conf: Value, run_id: Option<&str>) -> String {
        let body = TriggerBody {
            conf: Some(conf),
            logical_date: None,
            run_id: run_id.map(str::to_owned),
        };
        self.client
            .trigger(dag, &body)
            .unwrap_or_else(|e| panic!("trigger {dag}: {e}"))
            .run_id
    }

    /// A run with its task instances.
    pub fn run(&self, dag: &str, run_id: &str) -> RunDetail {
        self.read(&format!("run {run_id} of {dag}"), |client| {
            client.run(dag, run_id, None)
        })
    }

    /// Wait up to `wait` for the run to finish; the finished run.
    pub fn wait_run(&self, dag: &str, run_id: &str, wait: Duration) -> RunDetail {
        let deadline = Instant::now() + wait;
        loop {
            let run = self.run(dag, run_id);
            if run.run.state.is_finished() {
                return run;
            }
            assert!(
                Instant::now() < deadline,
                "timed out after {wait:?} waiting for run {run_id} of {dag} to finish: {run:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Runs, newest logical date first.
    pub fn runs(&self, filter: &RunFilter<'_>) -> RunList {
        self.read("runs", |client| client.runs(filter))
    }

    /// A run's XCom values.
    pub fn xcoms(&self, dag: &str, run_id: &str) -> XcomList {
        self.read(&format!("XCom values of run {run_id} of {dag}"), |client| {
            client.xcoms(dag, run_id)
        })
    }

    /// The workers that serve the tenant.
    pub fn workers(&self) -> WorkerList {
        self.read("workers", Client::workers)
    }

    /// The task instance `task_id` of a run (as returned by [`Api::run`]).
    pub fn task<'a>(run: &'a RunDetail, task_id: &str) -> &'a TaskInstance {
        run.task_instances
            .iter()
            .find(|ti| ti.task_id == task_id && ti.map_index.is_none())
            .unwrap_or_else(|| panic!("run has no task {task_id}: {run:?}"))
    }

    /// The instances of mapped task `task_id` in a run, in map index order.
    pub fn instances<'a>(run: &'a RunDetail, task_id: &str) -> Vec<&'a TaskInstance> {
        let mut found: Vec<&TaskInstance> = run
            .task_instances
            .iter()
            .filter(|ti| ti.task_id == task_id && ti.map_index.is_some())
            .collect();
        found.sort_by_key(|ti| ti.map_index);
        found
    }

    /// The output (`return_value`) of task `task_id` (not of a mapped instance) in a run's
    /// XCom values, if it stored one.
    pub fn output<'a>(xcoms: &'a XcomList, task_id: &str) -> Option<&'a XcomView> {
        xcoms
            .xcoms
            .iter()
            .find(|x| x.task_id == task_id && x.key == "return_value" && x.map_index.is_none())
    }
}
