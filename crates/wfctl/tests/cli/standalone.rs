//! `wfctl standalone` as a real process: the API end to end, and restart safety — killed
//! with SIGKILL in the middle of a run, restarted on the same home, the run carries on.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use weft_test_guests_artifacts as guests;

/// A free loopback port.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

struct Standalone {
    child: Child,
    base: String,
}

impl Standalone {
    fn start(home: &Path, port: u16) -> Standalone {
        let child = Command::new(env!("CARGO_BIN_EXE_wfctl"))
            .args(["standalone", "--port", &port.to_string(), "--home"])
            .arg(home)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("wfctl standalone starts");
        let base = format!("http://127.0.0.1:{port}/api/v1");
        let server = Standalone { child, base };
        let deadline = Instant::now() + Duration::from_secs(30);
        while server.get("/health").is_err() {
            assert!(Instant::now() < deadline, "standalone did not come up");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    fn get(&self, path: &str) -> Result<Value, String> {
        let mut response = ureq::get(&format!("{}{path}", self.base))
            .call()
            .map_err(|e| e.to_string())?;
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| e.to_string())?;
        serde_json::from_str(&text).map_err(|e| e.to_string())
    }

    fn post(&self, path: &str, body: &Value) -> Value {
        let mut response = ureq::post(&format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .send(body.to_string().as_bytes())
            .expect("POST");
        serde_json::from_str(&response.body_mut().read_to_string().expect("body")).expect("JSON")
    }

    fn deploy(&self, component: &str) -> Value {
        let bytes = std::fs::read(component).expect("component");
        let mut response = ureq::post(&format!("{}/dags", self.base))
            .header("content-type", "application/wasm")
            .send(&bytes[..])
            .expect("deploy");
        serde_json::from_str(&response.body_mut().read_to_string().expect("body")).expect("JSON")
    }

    /// The run, once `done` holds for it.
    fn wait_for(
        &self,
        dag: &str,
        run_id: &str,
        what: &str,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(run) = self.get(&format!("/dags/{dag}/runs/{run_id}"))
                && done(&run)
            {
                return run;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {:?}",
                self.get(&format!("/dags/{dag}/runs/{run_id}"))
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        let _ = self.child.wait();
    }
}

impl Drop for Standalone {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn task<'a>(run: &'a Value, id: &str) -> &'a Value {
    run["task_instances"]
        .as_array()
        .and_then(|tis| tis.iter().find(|t| t["task_id"] == id))
        .unwrap_or_else(|| panic!("no {id} in {run}"))
}

#[test]
fn a_run_survives_kill_9_and_nothing_succeeds_twice() {
    let home = tempfile::tempdir().expect("home");
    let port = free_port();
    let first = Standalone::start(home.path(), port);
    assert_eq!(first.deploy(guests::SLOW_CHAIN)["dag_id"], "slow_chain");
    let run = first.post(
        "/dags/slow_chain/runs",
        &json!({"conf": {"sleep_ms": 3000}}),
    );
    let run_id = run["run_id"].as_str().expect("run id").to_owned();
    first.wait_for("slow_chain", &run_id, "slow to run", |r| {
        task(r, "slow")["state"] == "running"
    });
    first.kill();

    let second = Standalone::start(home.path(), port);
    let done = second.wait_for("slow_chain", &run_id, "the run to finish", |r| {
        r["state"] == "success" || r["state"] == "failed"
    });
    assert_eq!(done["state"], "success", "{done}");
    assert_eq!(task(&done, "first")["try_number"], 1, "{done}");
    assert_eq!(
        task(&done, "slow")["try_number"],
        2,
        "the killed attempt counts: {done}"
    );
    assert_eq!(task(&done, "last")["try_number"], 1, "{done}");
    for id in ["first", "slow", "last"] {
        assert_eq!(task(&done, id)["state"], "success", "{done}");
    }
    let xcom = second
        .get(&format!("/dags/slow_chain/runs/{run_id}/xcom"))
        .expect("xcom");
    let slow_out: Vec<&Value> = xcom["xcoms"]
        .as_array()
        .expect("xcoms")
        .iter()
        .filter(|x| x["task_id"] == "slow" && x["key"] == "return_value")
        .collect();
    assert_eq!(slow_out.len(), 1, "one output for slow: {xcom}");
    assert_eq!(slow_out[0]["value"], json!({"try": 2}), "{xcom}");
}

#[test]
fn the_api_runs_every_example_kind_of_dag() {
    let home = tempfile::tempdir().expect("home");
    let server = Standalone::start(home.path(), free_port());
    assert_eq!(server.deploy(guests::FLOW)["task_count"], 6);
    let run = server.post("/dags/flow/runs", &json!({"conf": {"k": "v"}}));
    let run_id = run["run_id"].as_str().expect("run id").to_owned();
    let done = server.wait_for("flow", &run_id, "flow to finish", |r| {
        r["state"] == "success" || r["state"] == "failed"
    });
    assert_eq!(done["state"], "success", "{done}");
    assert_eq!(task(&done, "never")["state"], "skipped");
    assert_eq!(task(&done, "flaky")["try_number"], 2);
    let logs = server
        .get(&format!("/dags/flow/runs/{run_id}/tasks/flaky/logs?try=1"))
        .expect("logs");
    assert_eq!(logs["try_number"], 1, "{logs}");
}

#[test]
fn the_embedded_worker_is_listed_with_the_workers() {
    let home = tempfile::tempdir().expect("home");
    let server = Standalone::start(home.path(), free_port());
    // It is recorded as the process starts, as a remote worker registers.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let workers = loop {
        let workers = server.get("/workers").expect("workers");
        if workers["workers"]
            .as_array()
            .is_some_and(|all| !all.is_empty())
        {
            break workers;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no worker listed: {workers}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let all = workers["workers"].as_array().expect("a list");
    assert_eq!(all.len(), 1, "{workers}");
    let worker = &all[0];
    assert_eq!(worker["status"], "alive", "{worker}");
    assert!(
        worker["worker_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("standalone-")),
        "{worker}"
    );
    assert!(worker["concurrency"].as_u64().unwrap_or(0) >= 1, "{worker}");
}

#[test]
fn metrics_are_served_on_a_port_of_their_own_when_asked() {
    let home = tempfile::tempdir().expect("home");
    let (port, metrics_port) = (free_port(), free_port());
    let child = Command::new(env!("CARGO_BIN_EXE_wfctl"))
        .args(["standalone", "--port", &port.to_string(), "--metrics-addr"])
        .arg(format!("127.0.0.1:{metrics_port}"))
        .arg("--home")
        .arg(home.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("wfctl standalone starts");
    let server = Standalone {
        child,
        base: format!("http://127.0.0.1:{port}/api/v1"),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.get("/health").is_err() {
        assert!(Instant::now() < deadline, "standalone did not come up");
        std::thread::sleep(Duration::from_millis(50));
    }
    let text = ureq::get(&format!("http://127.0.0.1:{metrics_port}/metrics"))
        .call()
        .expect("the metrics port answers")
        .body_mut()
        .read_to_string()
        .expect("text");
    // The scheduler's, the worker's and the server's own, all in the one process.
    for family in [
        "weft_scheduler_step_seconds",
        "weft_attempts_running",
        "weft_workers_alive",
    ] {
        assert!(
            text.contains(&format!("# TYPE {family} ")),
            "{family} missing:\n{text}"
        );
    }
    assert!(text.ends_with("# EOF\n"), "{text}");
}
