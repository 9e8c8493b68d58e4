//! redis-server restarted without persistence in the middle of a run: the queues, the bus
//! and everything on them are gone, and the run still completes, each task once. And a
//! queued message lost alone (evicted), which leaves the queue's generation as it was: the
//! scheduler's watchdog queues the attempt again.

use std::time::Duration;

use serde_json::json;
use weft_e2e::{Api, Cluster, WorkerSpec, process::wait_for};
use weft_model::{DagRunState, TaskState};
use weft_testkit::RedisServer;

#[test]
fn a_run_completes_across_a_redis_restart() {
    let mut redis = RedisServer::start().expect("a Redis server of this test's own");
    let mut cluster = Cluster::new(redis.url());
    let _server = cluster.server();
    let _scheduler = cluster.scheduler("scheduler-1");
    let _worker = cluster.worker(&WorkerSpec::new("worker-1", "host-1", &["default"]));
    let api = cluster.api();
    api.deploy(std::path::Path::new(weft_test_guests_artifacts::SLOW_CHAIN));
    let run_id = api.trigger("slow_chain", json!({ "sleep_ms": 2000 }), None);
    wait_for("slow to start", Duration::from_secs(60), || {
        let run = api.run("slow_chain", &run_id);
        (Api::task(&run, "slow").state == TaskState::Running).then_some(())
    });

    redis.restart().expect("redis restarts");
    assert_eq!(
        redis.cli(&["DBSIZE"]).expect("redis answers").trim(),
        "0",
        "the restarted server starts empty"
    );

    let run = api.wait_run("slow_chain", &run_id, Duration::from_secs(120));
    assert_eq!(run.run.state, DagRunState::Success, "{run:?}");
    for task in ["first", "slow", "last"] {
        let ti = Api::task(&run, task);
        assert_eq!(ti.state, TaskState::Success, "{ti:?}");
    }
    // A second run after the restart goes through as usual.
    let again = api.trigger("slow_chain", json!({ "sleep_ms": 10 }), None);
    let run = api.wait_run("slow_chain", &again, Duration::from_secs(60));
    assert_eq!(run.run.state, DagRunState::Success, "{run:?}");
}

#[test]
fn a_queued_message_evicted_from_redis_is_queued_again() {
    let redis = RedisServer::start().expect("a Redis server of this test's own");
    let mut cluster = Cluster::new(redis.url());
    let _server = cluster.server();
    let _scheduler = cluster.scheduler_with("scheduler-1", &[("WEFT_REQUEUE_UNHELD_AFTER", "1")]);
    let api = cluster.api();
    api.deploy(std::path::Path::new(weft_test_guests_artifacts::NOOP));
    let run_id = api.trigger("noop", json!({}), None);
    wait_for("noop to be queued", Duration::from_secs(60), || {
        let run = api.run("noop", &run_id);
        (Api::task(&run, "noop").state == TaskState::Queued).then_some(())
    });
    // Redis evicts the message (as `allkeys-lru` does under memory pressure): its body and
    // the line it waited in. The generation stays: nothing says the queue lost anything.
    let prefix = format!("{}:q:t:default:", cluster.namespace);
    let bodies = redis
        .cli(&["--scan", "--pattern", &format!("{prefix}m:*")])
        .expect("scan");
    let bodies: Vec<&str> = bodies.lines().filter(|k| !k.is_empty()).collect();
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    let ready = format!("{prefix}ready:default");
    redis.cli(&["DEL", bodies[0], &ready]).expect("del");

    // A worker comes; the attempt, queued again by the watchdog, runs once.
    let _worker = cluster.worker(&WorkerSpec::new("worker-1", "host-1", &["default"]));
    let run = api.wait_run("noop", &run_id, Duration::from_secs(60));
    assert_eq!(run.run.state, DagRunState::Success, "{run:?}");
    let ti = Api::task(&run, "noop");
    assert_eq!(ti.try_number, 1, "{ti:?}");
}
