//! Live logs: a running task's lines reach the API (as server-sent events) and
//! `wfctl tasks logs --follow` before the task ends, and a worker killed mid-attempt leaves
//! the lines that had arrived.

use std::path::Path;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use weft_client::{Client, LogFilter, TaskInstance};
use weft_e2e::Api;
use weft_e2e::cluster::{Cluster, WorkerSpec};
use weft_e2e::process::wait_for;
use weft_model::TaskState;
use weft_protocol::LogLine;

/// The path of the live log of run `run_id`'s `transform`.
fn stream(run_id: &str) -> String {
    format!(
        "{}/stream",
        Client::log_path("ui_flow", run_id, "transform")
    )
}

/// The messages of the `line` events received within `wait`, until one says `until`.
fn lines_until(events: &Receiver<(String, String)>, until: &str, wait: Duration) -> Vec<String> {
    let deadline = Instant::now() + wait;
    let mut lines = Vec::new();
    while !lines.iter().any(|l| l == until) {
        let left = deadline.saturating_duration_since(Instant::now());
        let (event, data) = events
            .recv_timeout(left)
            .unwrap_or_else(|e| panic!("no {until:?} within {wait:?} ({e}); lines: {lines:?}"));
        assert_eq!(event, "line", "{event}: {data}; lines so far: {lines:?}");
        let line: LogLine = serde_json::from_str(&data).expect("a line is a log line");
        lines.push(line.message);
    }
    lines
}

fn ticks(to: u32) -> Vec<String> {
    (1..=to).map(|n| format!("tick {n}")).collect()
}

fn transform(api: &Api, run_id: &str) -> TaskInstance {
    Api::task(&api.run("ui_flow", run_id), "transform").clone()
}

#[test]
fn lines_stream_while_the_task_runs_and_follow_prints_them() {
    let mut cluster = Cluster::on_shared_redis();
    let _services = [cluster.server(), cluster.scheduler("scheduler-1")];
    let _worker = cluster.worker(&WorkerSpec::new("worker-a", "host-a", &["default"]));
    let api = cluster.api();
    api.deploy(Path::new(weft_test_guests_artifacts::UI_FLOW));
    let run_id = api.trigger("ui_flow", json!({"ticks": 12, "tick_ms": 300}), None);
    wait_for("transform to start", Duration::from_secs(60), || {
        (transform(&api, &run_id).state == TaskState::Running).then_some(())
    });
    let follow = {
        let cluster_url = cluster.url();
        let run_id = run_id.clone();
        std::thread::spawn(move || {
            let output = std::process::Command::new(weft_e2e::process::wfctl())
                .args(["tasks", "logs", "ui_flow", &run_id, "transform", "--follow"])
                .env("WEFT_SERVER", cluster_url)
                .env("WEFT_API_TOKEN", weft_e2e::cluster::API_TOKEN)
                .output()
                .expect("wfctl runs");
            (
                output.status.code(),
                String::from_utf8_lossy(&output.stdout).into_owned(),
                String::from_utf8_lossy(&output.stderr).into_owned(),
            )
        })
    };

    let events = api.events(&stream(&run_id));
    let first = lines_until(&events, "tick 2", Duration::from_secs(30));
    let state = transform(&api, &run_id).state;
    assert_eq!(
        state,
        TaskState::Running,
        "tick 2 arrived while the task ran: {first:?}"
    );
    let mut lines = first;
    lines.extend(lines_until(&events, "tick 12", Duration::from_secs(60)));
    assert_eq!(lines, ticks(12), "each line once, in order");
    let (event, data) = events
        .recv_timeout(Duration::from_secs(30))
        .expect("the stream ends with `end`");
    assert_eq!(event, "end", "{data}");
    // The `end` event's data as the stream sends it.
    assert_eq!(
        serde_json::from_str::<Value>(&data).expect("JSON")["state"],
        "success"
    );
    assert!(
        events.recv_timeout(Duration::from_secs(10)).is_err(),
        "nothing after the end"
    );

    let (code, stdout, stderr) = follow.join().expect("wfctl's thread");
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let printed: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.split_once("INFO  ").map(|(_, m)| m))
        .collect();
    assert_eq!(printed, ticks(12), "{stdout}");
    assert!(
        stderr.contains("the task is success"),
        "wfctl says how it ended: {stderr}"
    );

    // Once ended, the stream sends the final log at once; a resumed stream goes on after
    // the line it names.
    let again = api.events(&stream(&run_id));
    assert_eq!(
        lines_until(&again, "tick 12", Duration::from_secs(10)),
        ticks(12)
    );
    let (status, body) = api.get_raw(&format!("{}?try=2", stream(&run_id)));
    assert_eq!(status, 404, "{}", String::from_utf8_lossy(&body));
}

#[test]
fn a_killed_workers_attempt_keeps_the_lines_that_arrived() {
    let mut cluster = Cluster::on_shared_redis();
    let _services = [cluster.server(), cluster.scheduler("scheduler-1")];
    let mut worker = cluster.worker(&WorkerSpec::new("worker-a", "host-a", &["default"]));
    let api = cluster.api();
    api.deploy(Path::new(weft_test_guests_artifacts::UI_FLOW));
    let run_id = api.trigger("ui_flow", json!({"ticks": 100, "tick_ms": 200}), None);
    wait_for("transform to start", Duration::from_secs(60), || {
        (transform(&api, &run_id).state == TaskState::Running).then_some(())
    });
    let events = api.events(&stream(&run_id));
    let seen = lines_until(&events, "tick 3", Duration::from_secs(30));
    worker.kill9();
    // The lease runs out (3 s without a heartbeat): the attempt counts as lost.
    wait_for(
        "the killed attempt to count as lost",
        Duration::from_secs(60),
        || (transform(&api, &run_id).state != TaskState::Running).then_some(()),
    );

    let first_try = LogFilter {
        try_number: Some(1),
        map_index: None,
    };
    let log = api.read("the log of try 1", |client| {
        client.log("ui_flow", &run_id, "transform", first_try)
    });
    let kept: Vec<String> = log
        .lines
        .into_iter()
        .map(|l| {
            serde_json::from_value::<LogLine>(l)
                .expect("a stored line is a log line")
                .message
        })
        .collect();
    assert!(
        kept.len() >= seen.len() && kept[..seen.len()] == seen[..],
        "the stored log keeps every line that arrived: {kept:?} (seen {seen:?})"
    );
    assert_eq!(kept, ticks(kept.len() as u32), "in order, none twice");
}
