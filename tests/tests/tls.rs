//! TLS on every link that crosses machines, with a CA made at test time: the API server over
//! HTTPS, Redis that speaks TLS only (`rediss://`), and PostgreSQL that refuses connections
//! without TLS (`sslmode=verify-full`). Every process trusts the CA through `WEFT_CA_FILE`
//! alone (the database URL names no `sslrootcert`), and a run goes through all the links.
//! A worker, a scheduler and `wfctl` trusting another CA are never served, and say why.

use std::time::Duration;

use serde_json::json;
use weft_e2e::process::wait_for;
use weft_e2e::{Cluster, WorkerSpec};
use weft_model::DagRunState;
use weft_test_guests_artifacts as guests;
use weft_testkit::tls::TestCa;
use weft_testkit::{PostgresServer, RedisServer};

#[test]
fn a_run_goes_over_tls_on_every_link_and_a_stranger_ca_is_refused() {
    let ca = TestCa::new().expect("a CA");
    let files = ca.server_files(&["localhost"]).expect("a certificate");
    let redis = RedisServer::start_tls(&files).expect("a TLS-only Redis");
    let postgres = PostgresServer::start_tls(&files).expect("a TLS-only PostgreSQL");
    let database = postgres.fresh_database();
    let (database_url, query) = database.split_once('?').expect("a query");
    assert!(query.contains("sslrootcert="), "{query}");
    let mut cluster = Cluster::on(format!("{database_url}?sslmode=verify-full"), redis.url());
    cluster.serve_https(&files);
    let _server = cluster.server();
    let _scheduler = cluster.scheduler("scheduler-1");
    let _worker = cluster.worker(&WorkerSpec::new("worker-1", "host-1", &["default"]));

    // wfctl over HTTPS deploys; the run goes API → PostgreSQL → Redis → worker → back.
    let (code, output) = cluster.wfctl(&["deploy", guests::SLOW_CHAIN]);
    assert_eq!(code, 0, "{output}");
    let api = cluster.api();
    let run_id = api.trigger("slow_chain", json!({ "sleep_ms": 10 }), None);
    let run = api.wait_run("slow_chain", &run_id, Duration::from_secs(60));
    assert_eq!(run.run.state, DagRunState::Success, "{run:?}");

    // Trusting another CA instead, a worker is served by neither Redis nor the API server,
    // and says why while it waits; wfctl gives up with the reason.
    let stranger = TestCa::new().expect("another CA");
    let other = stranger.server_files(&["localhost"]).expect("its files");
    let mut spec = WorkerSpec::new("worker-2", "host-2", &["default"]);
    spec.env.push((
        "WEFT_CA_FILE".into(),
        other.ca.to_string_lossy().into_owned(),
    ));
    let mut doubting = cluster.worker(&spec);
    wait_for(
        "the worker trusting another CA to say why it waits",
        Duration::from_secs(30),
        || {
            let output = doubting.output();
            assert!(doubting.is_running(), "it exited:\n{output}");
            (output.contains("waiting for Redis") && output.contains("invalid peer certificate"))
                .then_some(())
        },
    );
    let other_ca = other.ca.to_string_lossy().into_owned();
    let mut doubting_scheduler =
        cluster.scheduler_with("scheduler-2", &[("WEFT_CA_FILE", other_ca.as_str())]);
    wait_for(
        "the scheduler trusting another CA to say why it waits",
        Duration::from_secs(30),
        || {
            let output = doubting_scheduler.output();
            assert!(doubting_scheduler.is_running(), "it exited:\n{output}");
            (output.contains("waiting for PostgreSQL")
                && output.contains("invalid peer certificate"))
            .then_some(())
        },
    );
    let (code, output) = cluster.wfctl(&["dags", "list", "--ca-file", &other_ca]);
    assert_eq!(code, 2, "{output}");
    assert!(
        output.contains("cannot reach the Weft server")
            && output.contains("invalid peer certificate"),
        "{output}"
    );
}
