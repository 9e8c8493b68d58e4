//! `wfctl tasks mark`, `wfctl tasks xcom` and `wfctl dags versions` against a real API
//! server (SQLite store, scheduler over an in-memory queue). No worker runs: the test reports
//! an attempt's result to the scheduler itself, as a worker would.

use crate::common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Run, wfctl};
use weft_model::TaskState;
use weft_queue::MemoryQueue;
use weft_runtime::{Runtime, RuntimeConfig};
use weft_scheduler::{
    AttemptOutcome, AttemptResult, Report, SchedulerConfig, SchedulerHandle, SystemClock,
};
use weft_server::{AppState, ServerConfig};
use weft_store::{DEFAULT_TENANT, RunFilter, SqliteStore, Store, TaskInstance};
use weft_test_guests_artifacts as guests;

/// A server on a loopback port, alive as long as this value.
struct Server {
    url: String,
    store: Arc<dyn Store>,
    control: SchedulerHandle,
    runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start() -> Server {
        let dir = tempfile::tempdir().expect("temporary directory");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let db = dir.path().join("weft.db");
        let (url, store, control) = runtime.block_on(async move {
            let store: Arc<dyn Store> = Arc::new(SqliteStore::open(db).await.expect("open store"));
            let (control, service) = weft_scheduler::scheduler(
                store.clone(),
                Arc::new(MemoryQueue::new()),
                Arc::new(SystemClock),
                SchedulerConfig::default(),
            );
            tokio::spawn(service.run(std::future::pending::<()>()));
            let wasm = Arc::new(Runtime::new(RuntimeConfig::default()).expect("runtime"));
            let state = AppState::new(
                store.clone(),
                Arc::new(control.clone()),
                wasm,
                ServerConfig::default(),
            );
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let address = listener.local_addr().expect("address");
            tokio::spawn(weft_server::serve(
                listener,
                state,
                std::future::pending::<()>(),
            ));
            (format!("http://{address}"), store, control)
        });
        Server {
            url,
            store,
            control,
            runtime,
            _dir: dir,
        }
    }

    /// `wfctl ARGS --server URL`.
    fn wfctl(&self, args: &[&str]) -> Run {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--server", &self.url]);
        wfctl(all)
    }

    /// Like [`Server::wfctl`], asserting exit 0.
    #[track_caller]
    fn ok(&self, args: &[&str]) -> Run {
        let run = self.wfctl(args);
        assert_eq!(run.code, 0, "{args:?}: {run:?}");
        run
    }

    /// Like [`Server::wfctl`], asserting exit 2 and `needle` in the error.
    #[track_caller]
    fn usage_error(&self, args: &[&str], needle: &str) {
        let run = self.wfctl(args);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(
            run.stderr.contains(needle),
            "{args:?}: expected {needle:?} in stderr: {run:?}"
        );
    }

    /// Deploy `component` and trigger run `run_id` of its DAG; the DAG's id.
    fn deploy_and_trigger(&self, component: &str, run_id: &str) -> String {
        let deployed = self.ok(&["deploy", component, "--output", "json"]).json();
        let dag = deployed["dag_id"].as_str().expect("dag_id").to_owned();
        self.ok(&["dags", "trigger", &dag, "--run-id", run_id]);
        dag
    }

    /// Task instance `task_id` of run `run_id` of `dag`, once `ready` holds for it.
    #[track_caller]
    fn ti_when(
        &self,
        dag: &str,
        run_id: &str,
        task_id: &str,
        ready: impl Fn(&TaskInstance) -> bool,
    ) -> TaskInstance {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let found = self.runtime.block_on(async {
                let filter = RunFilter {
                    dag_id: Some(dag.into()),
                    ..RunFilter::default()
                };
                let runs = self
                    .store
                    .runs(DEFAULT_TENANT, &filter)
                    .await
                    .expect("runs");
                let run = runs.into_iter().find(|r| r.run_id == run_id)?;
                let (_, tis) = self.store.run(run.id).await.expect("run")?;
                tis.into_iter().find(|t| t.task_id == task_id)
            });
            if let Some(ti) = found.filter(|ti| ready(ti)) {
                return ti;
            }
            assert!(Instant::now() < deadline, "task {task_id} never got ready");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
fn tasks_mark_sets_a_state_by_hand() {
    let server = Server::start();
    let dag = server.deploy_and_trigger(guests::FLOW, "r1");
    let tasks = server
        .ok(&["runs", "show", &dag, "r1", "--output", "json"])
        .json();
    let first = tasks["task_instances"][0]["task_id"]
        .as_str()
        .expect("a task")
        .to_owned();

    let marked = server
        .ok(&[
            "tasks", "mark", &dag, "r1", &first, "--state", "failed", "--output", "json",
        ])
        .json();
    assert_eq!(marked["task_id"], first.as_str(), "{marked}");
    assert_eq!(marked["state"], "failed", "{marked}");
    let text = server.ok(&["tasks", "mark", &dag, "r1", &first, "--state", "success"]);
    assert_eq!(
        text.stdout.trim(),
        format!("task {first} of run r1 is now success")
    );
    let ti = server.ti_when(&dag, "r1", &first, |_| true);
    assert_eq!(ti.state, TaskState::Success);

    let bad = server.wfctl(&["tasks", "mark", &dag, "r1", &first, "--state", "running"]);
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.contains("invalid value 'running'"), "{bad:?}");
    server.usage_error(
        &["tasks", "mark", &dag, "r1", "nope", "--state", "success"],
        "404 not_found: run \"r1\" has no task \"nope\"",
    );
    server.usage_error(
        &["tasks", "mark", &dag, "r9", &first, "--state", "success"],
        "404 not_found",
    );
}

#[test]
fn dags_versions_lists_the_deployed_components() {
    let server = Server::start();
    let deployed = server
        .ok(&["deploy", guests::NOOP, "--output", "json"])
        .json();
    let dag = deployed["dag_id"].as_str().expect("dag_id");
    let digest = deployed["digest"].as_str().expect("digest");
    let list = server
        .ok(&["dags", "versions", dag, "--output", "json"])
        .json();
    assert_eq!(list["dag_id"], dag, "{list}");
    let versions = list["versions"].as_array().expect("versions");
    assert_eq!(versions.len(), 1, "{list}");
    assert_eq!(versions[0]["digest"], digest, "{list}");
    assert_eq!(versions[0]["current"], true, "{list}");
    assert_eq!(versions[0]["task_count"], 1, "{list}");

    let text = server.ok(&["dags", "versions", dag]);
    let lines: Vec<&str> = text.stdout.lines().collect();
    assert_eq!(lines[0], format!("versions of DAG {dag}, newest first"));
    assert!(
        lines[1].starts_with(&format!("* {digest}  1 task(s)")),
        "{text:?}"
    );
    server.usage_error(
        &["dags", "versions", "nope"],
        "404 not_found: no DAG \"nope\"",
    );
}

#[test]
fn tasks_xcom_shows_what_a_task_stored() {
    let server = Server::start();
    let dag = server.deploy_and_trigger(guests::NOOP, "r1");
    let ti = server.ti_when(&dag, "r1", "noop", |ti| ti.state == TaskState::Queued);
    let now = jiff::Timestamp::now();
    server
        .control
        .report(Report::Finished(Box::new(AttemptResult {
            ti: ti.id,
            lease: ti.lease,
            key: None,
            run: ti.run,
            try_number: ti.try_number,
            outcome: AttemptOutcome::Success {
                output: br#"{"rows": 3}"#.to_vec(),
                asset_extras: Vec::new(),
            },
            xcom: vec![
                ("note".into(), b"plain words".to_vec()),
                ("bytes".into(), vec![0xff, 0x00]),
            ],
            log: Vec::new(),
            started_at: now,
            ended_at: now,
            worker_id: "w-test".into(),
            hostname: "host-test".into(),
        })));
    server.ti_when(&dag, "r1", "noop", |ti| ti.state == TaskState::Success);

    let all = server.ok(&["tasks", "xcom", &dag, "r1", "noop"]);
    assert_eq!(
        all.stdout.lines().collect::<Vec<_>>(),
        [
            "bytes (base64, 2 bytes): /wA=",
            "note (text, 11 bytes): plain words",
            r#"return_value (json, 11 bytes): {"rows":3}"#,
        ],
        "{all:?}"
    );
    let output = server.ok(&["tasks", "xcom", &dag, "r1", "noop", "--key", "return_value"]);
    assert_eq!(output.stdout.trim(), r#"{"rows":3}"#);
    let note = server.ok(&["tasks", "xcom", &dag, "r1", "noop", "--key", "note"]);
    assert_eq!(note.stdout.trim(), "plain words");
    let json = server
        .ok(&[
            "tasks", "xcom", &dag, "r1", "noop", "--key", "note", "--output", "json",
        ])
        .json();
    assert_eq!(json["encoding"], "text", "{json}");
    let listed = server
        .ok(&["tasks", "xcom", &dag, "r1", "noop", "--output", "json"])
        .json();
    assert_eq!(
        listed["xcoms"].as_array().map(Vec::len),
        Some(3),
        "{listed}"
    );

    server.usage_error(
        &["tasks", "xcom", &dag, "r1", "noop", "--key", "missing"],
        "task \"noop\" of run \"r1\" has no XCom value under key \"missing\"",
    );
    server.usage_error(
        &["tasks", "xcom", &dag, "r1", "nope"],
        "has no task \"nope\"",
    );
    server.usage_error(&["tasks", "xcom", &dag, "r9", "noop"], "404 not_found");
}
