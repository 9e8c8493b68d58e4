//! The server commands (`deploy`, `dags`, `runs`, `tasks`, `variables`) against a real API
//! server: SQLite store, scheduler over an in-memory queue, no worker (runs stay unfinished).

use crate::common;

use std::sync::Arc;

use common::{Run, wfctl};
use weft_queue::MemoryQueue;
use weft_runtime::{Runtime, RuntimeConfig};
use weft_scheduler::{SchedulerConfig, SystemClock};
use weft_server::{AppState, ServerConfig};
use weft_store::{SqliteStore, Store};
use weft_test_guests_artifacts as guests;

/// A server on a loopback port, alive as long as this value.
struct Server {
    url: String,
    _runtime: tokio::runtime::Runtime,
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
        let url = runtime.block_on(async move {
            let store: Arc<dyn Store> = Arc::new(SqliteStore::open(db).await.expect("open store"));
            let (control, service) = weft_scheduler::scheduler(
                store.clone(),
                Arc::new(MemoryQueue::new()),
                Arc::new(SystemClock),
                SchedulerConfig::default(),
            );
            tokio::spawn(service.run(std::future::pending::<()>()));
            let wasm = Arc::new(Runtime::new(RuntimeConfig::default()).expect("runtime"));
            let state = AppState::new(store, Arc::new(control), wasm, ServerConfig::default());
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let address = listener.local_addr().expect("address");
            tokio::spawn(weft_server::serve(
                listener,
                state,
                std::future::pending::<()>(),
            ));
            format!("http://{address}")
        });
        Server {
            url,
            _runtime: runtime,
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
    fn usage_error(&self, args: &[&str], needle: &str) -> Run {
        let run = self.wfctl(args);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(
            run.stderr.contains(needle),
            "{args:?}: expected {needle:?} in stderr: {run:?}"
        );
        run
    }
}

#[test]
fn deploy_list_show_pause_and_trigger() {
    let server = Server::start();
    let deployed = server
        .ok(&["deploy", guests::FLOW, "--output", "json"])
        .json();
    let dag = deployed["dag_id"].as_str().expect("dag_id").to_owned();
    assert_eq!(deployed["created_dag"], true, "{deployed}");
    assert!(
        deployed["digest"]
            .as_str()
            .is_some_and(|d| d.starts_with("sha256:")),
        "{deployed}"
    );
    let again = server.ok(&["deploy", guests::FLOW]);
    assert!(
        again.stdout.contains(&format!("deployed DAG {dag}")),
        "{again:?}"
    );
    assert!(again.stdout.contains("unchanged"), "{again:?}");

    let list = server.ok(&["dags", "list", "--output", "json"]).json();
    assert_eq!(list["dags"][0]["dag_id"], dag.as_str(), "{list}");
    let text = server.ok(&["dags", "list"]);
    assert!(text.stdout.contains(&dag), "{text:?}");

    let show = server
        .ok(&["dags", "show", &dag, "--output", "json"])
        .json();
    assert_eq!(show["task_count"], deployed["task_count"], "{show}");
    let text = server.ok(&["dags", "show", &dag]);
    assert!(text.stdout.contains(&format!("DAG {dag}")), "{text:?}");

    let paused = server
        .ok(&["dags", "pause", &dag, "--output", "json"])
        .json();
    assert_eq!(paused["paused"], true, "{paused}");
    let unpaused = server.ok(&["dags", "unpause", &dag]);
    assert!(unpaused.stdout.contains("unpaused"), "{unpaused:?}");
    let show = server
        .ok(&["dags", "show", &dag, "--output", "json"])
        .json();
    assert_eq!(show["paused"], false, "{show}");

    let run = server
        .ok(&[
            "dags",
            "trigger",
            &dag,
            "--conf",
            r#"{"rows": 3}"#,
            "--run-id",
            "r1",
            "--output",
            "json",
        ])
        .json();
    assert_eq!(run["run_id"], "r1", "{run}");
    assert_eq!(run["conf"]["rows"], 3, "{run}");
    let runs = server
        .ok(&["runs", "list", "--dag", &dag, "--output", "json"])
        .json();
    assert_eq!(runs["runs"][0]["run_id"], "r1", "{runs}");
    let shown = server.ok(&["runs", "show", &dag, "r1"]);
    assert!(shown.stdout.contains("run r1 of DAG"), "{shown:?}");

    server.usage_error(&["dags", "trigger", &dag, "--run-id", "r1"], "409 conflict");
    server.usage_error(
        &["tasks", "logs", &dag, "r1", "nope"],
        "404 not_found: run \"r1\" has no task \"nope\"",
    );
}

#[test]
fn variables_round_trip() {
    let server = Server::start();
    server.ok(&[
        "variables",
        "set",
        "region",
        "eu-west",
        "--description",
        "where",
    ]);
    let got = server.ok(&["variables", "get", "region"]);
    assert_eq!(got.stdout.trim(), "eu-west", "{got:?}");
    server.ok(&["variables", "set", "region", "us-east"]);
    let got = server
        .ok(&["variables", "get", "region", "--output", "json"])
        .json();
    assert_eq!(
        (&got["value"], &got["description"]),
        (&"us-east".into(), &"where".into()),
        "{got}"
    );
    let list = server.ok(&["variables", "list"]);
    assert!(
        list.stdout.contains("region = us-east  # where"),
        "{list:?}"
    );
    server.ok(&["variables", "delete", "region"]);
    server.usage_error(
        &["variables", "get", "region"],
        "404 not_found: no variable \"region\"",
    );
    server.usage_error(&["variables", "delete", "region"], "404");
    server.usage_error(&["variables", "set", "bad key", "v"], "400 invalid_request");
}

#[test]
fn bad_input_exits_2_with_the_reason() {
    let server = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let text = dir.path().join("text.wasm");
    std::fs::write(&text, guests::NOT_WASM).expect("write");
    server.usage_error(&["deploy", &text.to_string_lossy()], "invalid_component");
    server.usage_error(&["deploy", guests::CYCLE], "cycle");
    server.usage_error(&["deploy", "/nonexistent/dag.wasm"], "cannot read");
    let list = server.ok(&["dags", "list", "--output", "json"]).json();
    assert_eq!(list["dags"], serde_json::json!([]), "{list}");

    server.usage_error(
        &["dags", "trigger", "nope"],
        "404 not_found: no DAG \"nope\"",
    );
    server.usage_error(&["dags", "show", "nope"], "no DAG \"nope\"");
    server.usage_error(
        &["dags", "trigger", "nope", "--conf", "{oops"],
        "invalid --conf: not JSON",
    );
    server.usage_error(
        &["dags", "trigger", "nope", "--conf", "[1]"],
        "must be a JSON object",
    );
    server.usage_error(&["runs", "list", "--limit", "0"], "400 invalid_request");
}

#[test]
fn unreachable_server_gets_a_hint() {
    // A port that was just free: nothing listens on it.
    let address = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port");
    let url = format!("http://{address}");
    for args in [
        vec!["dags", "list"],
        vec!["variables", "get", "k"],
        vec!["deploy", guests::NOOP],
    ] {
        let mut all = args.clone();
        all.extend(["--server", &url]);
        let run = wfctl(&all);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.stderr
                .contains(&format!("cannot reach the Weft server at {url}")),
            "{run:?}"
        );
        assert!(
            run.stderr.contains("start one with wfctl standalone"),
            "{run:?}"
        );
    }
}

#[test]
fn trigger_wait_shows_task_changes_and_the_outcome() {
    let server = Server::start();
    server.ok(&["deploy", guests::NOOP]);
    let dag = server.ok(&["dags", "list", "--output", "json"]).json()["dags"][0]["dag_id"]
        .as_str()
        .expect("dag_id")
        .to_owned();
    let url = server.url.clone();
    let waiting = {
        let dag = dag.clone();
        std::thread::spawn(move || {
            wfctl([
                "dags", "trigger", &dag, "--run-id", "w1", "--wait", "--server", &url,
            ])
        })
    };
    // No worker runs the task: mark it failed by hand once the run exists.
    let mark = format!("{}/api/v1/dags/{dag}/runs/w1/tasks/noop/mark", server.url);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let sent = ureq::post(&mark)
            .header("Content-Type", "application/json")
            .send(r#"{"state": "failed"}"#);
        if sent.is_ok() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "run w1 never appeared"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let run = waiting.join().expect("wfctl thread");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("  noop  failed"), "{run:?}");
    assert!(run.stdout.contains("run w1: failed"), "{run:?}");
}

/// Whether `local` (RFC 9557, in Berlin) is 02:30, or 03:00 on a day whose 02:30 the clocks
/// skip.
fn is_berlin_0230(local: &str) -> bool {
    let Ok(zoned) = local.parse::<jiff::Zoned>() else {
        return false;
    };
    let (h, m) = (zoned.hour(), zoned.minute());
    if (h, m) == (2, 30) {
        return true;
    }
    let skipped = zoned
        .date()
        .at(2, 30, 0, 0)
        .to_zoned(zoned.time_zone().clone())
        .is_ok_and(|z| z.hour() != 2);
    (h, m) == (3, 0) && skipped
}

#[test]
fn a_dag_in_a_time_zone_lists_its_next_runs_in_it() {
    let server = Server::start();
    server.ok(&["deploy", guests::ZONED_DAILY]);
    let show = server
        .ok(&["dags", "show", "zoned_daily", "--output", "json"])
        .json();
    assert_eq!(show["timezone"], "Europe/Berlin", "{show}");
    let text = server.ok(&["dags", "show", "zoned_daily"]);
    assert!(
        text.stdout.contains("time zone    Europe/Berlin"),
        "{text:?}"
    );

    let next = server
        .ok(&[
            "dags",
            "next",
            "zoned_daily",
            "--count",
            "3",
            "--output",
            "json",
        ])
        .json();
    assert_eq!(next["timezone"], "Europe/Berlin", "{next}");
    assert_eq!(next["continuous"], false, "{next}");
    let runs = next["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 3, "{next}");
    for pair in runs.windows(2) {
        assert_eq!(
            pair[0]["data_interval_end"], pair[1]["data_interval_start"],
            "one run's interval ends where the next begins: {next}"
        );
    }
    for run in runs {
        let local = run["logical_date_local"].as_str().expect("local date");
        assert!(local.ends_with("[Europe/Berlin]"), "{local}");
        assert!(is_berlin_0230(local), "{local} is not 02:30 in Berlin");
        assert_eq!(run["logical_date"], run["data_interval_start"], "{run}");
    }
    let text = server.ok(&["dags", "next", "zoned_daily", "--count", "2"]);
    assert!(
        text.stdout
            .contains("next runs of DAG zoned_daily (30 2 * * *, in Europe/Berlin)"),
        "{text:?}"
    );
    assert_eq!(
        text.stdout.lines().filter(|l| l.contains(" CE")).count(),
        2,
        "two runs in Berlin time (CET or CEST): {text:?}"
    );

    server.usage_error(
        &["dags", "next", "zoned_daily", "--count", "0"],
        "count 0 is out of range (1 to 100)",
    );
    server.usage_error(&["dags", "next", "nope"], "no DAG \"nope\"");
    let flow = server
        .ok(&["deploy", guests::FLOW, "--output", "json"])
        .json();
    let unscheduled = server.ok(&["dags", "next", flow["dag_id"].as_str().expect("dag_id")]);
    assert!(
        unscheduled.stdout.contains("has no schedule"),
        "{unscheduled:?}"
    );
}
