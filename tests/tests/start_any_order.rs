//! Processes start in any order: a worker and a scheduler started before Redis and the API
//! server wait for them, say so, and carry on when they come; a run then succeeds. A
//! scheduler waits for PostgreSQL the same way, never showing its password. A worker whose
//! token the server refuses does not wait forever: it exits with a clear message once the
//! server answers.

use std::time::{Duration, Instant};

use serde_json::json;
use weft_e2e::process::{free_port, wait_for};
use weft_e2e::{Cluster, Proc, WorkerSpec};
use weft_model::DagRunState;
use weft_testkit::RedisServer;

/// How long after the worker and the scheduler the API server starts (the ten seconds).
const SERVER_DELAY: Duration = Duration::from_secs(10);
/// How long a process may take to say what it waits for, or that it came.
const SAYS_WITHIN: Duration = Duration::from_secs(30);

/// Wait until `proc`'s output contains `text`, asserting that it keeps running meanwhile.
fn wait_for_line(proc: &mut Proc, text: &str) {
    let what = format!("{} to say {text:?}", proc.name());
    wait_for(&what, SAYS_WITHIN, || {
        let output = proc.output();
        assert!(
            proc.is_running(),
            "{} exited instead of waiting:\n{output}",
            proc.name()
        );
        output.contains(text).then_some(())
    });
}

#[test]
fn a_worker_and_a_scheduler_started_first_wait_for_redis_and_the_server() {
    let mut redis = RedisServer::start().expect("a Redis server of this test's own");
    redis.shut_down().expect("redis stops");
    let redis_url = redis.url().to_owned();
    let mut cluster = Cluster::new(redis.url());
    let server_url = cluster.plan_server();

    let started = Instant::now();
    let mut worker = cluster.worker(&WorkerSpec::new("worker-1", "host-1", &["default"]));
    let mut scheduler = cluster.scheduler("scheduler-1");
    let waiting_for_redis = format!("waiting for Redis at {redis_url}");
    wait_for_line(&mut worker, &waiting_for_redis);
    wait_for_line(&mut scheduler, &waiting_for_redis);

    redis.start_again().expect("redis starts again");
    let redis_up = format!("Redis at {redis_url} is up");
    wait_for_line(&mut scheduler, &redis_up);
    wait_for_line(&mut worker, &redis_up);
    wait_for_line(
        &mut worker,
        &format!("waiting for the API server at {server_url}"),
    );

    // The one deliberate delay: the server comes this long after the others.
    std::thread::sleep(SERVER_DELAY.saturating_sub(started.elapsed()));
    let _server = cluster.server();
    wait_for_line(
        &mut worker,
        &format!("the API server at {server_url} is up"),
    );

    let api = cluster.api();
    api.deploy(std::path::Path::new(weft_test_guests_artifacts::SLOW_CHAIN));
    let run_id = api.trigger("slow_chain", json!({ "sleep_ms": 10 }), None);
    let run = api.wait_run("slow_chain", &run_id, Duration::from_secs(60));
    assert_eq!(run.run.state, DagRunState::Success, "{run:?}");
    assert!(worker.is_running(), "{}", worker.output());
    assert!(scheduler.is_running(), "{}", scheduler.output());
}

#[test]
fn a_worker_with_a_wrong_token_stops_waiting_when_the_server_refuses_it() {
    let mut cluster = Cluster::on_shared_redis();
    let server_url = cluster.plan_server();
    let mut spec = WorkerSpec::new("intruder", "host-x", &["default"]);
    spec.token = "not-the-token".into();
    let mut worker = cluster.worker(&spec);
    wait_for_line(
        &mut worker,
        &format!("waiting for the API server at {server_url}"),
    );

    let _server = cluster.server();
    let code = worker.wait_exit(SAYS_WITHIN);
    let output = worker.output();
    assert_eq!(code, Some(2), "{output}");
    assert!(
        output.contains(&format!(
            "error: the API server at {server_url} refused this worker"
        )),
        "{output}"
    );
    assert!(
        !output.contains("not-the-token"),
        "tokens are never printed: {output}"
    );
}

#[test]
fn a_scheduler_waits_for_postgresql_without_showing_its_password() {
    let mut cluster = Cluster::on_shared_redis();
    // Nothing listens there (yet).
    let port = free_port();
    cluster.database = format!("postgres://weft:secret@127.0.0.1:{port}/weft");
    let mut scheduler = cluster.scheduler("scheduler-1");
    wait_for_line(
        &mut scheduler,
        &format!("waiting for PostgreSQL at postgres://weft:***@127.0.0.1:{port}/weft"),
    );
    let output = scheduler.output();
    assert!(output.contains("Connection refused"), "{output}");
    assert!(!output.contains("secret"), "{output}");
}
