//! The homework pair end to end on `wfctl standalone`: `mall_pipeline` provisions a cluster
//! (a stand-in cluster API, `scripts/cluster_api.py`), triggers `mall_customers` (the CSV in
//! a real S3-compatible bucket, sorted by spending score and written back as Parquet) with
//! its own logical date, waits for that run holding no worker slot, tears the cluster down
//! and emails the outcome through a real SMTP server (aiosmtpd). A second run whose sort
//! fails tears the cluster down all the same, fails, and emails that.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};
use weft_e2e::process::{Proc, wait_for};
use weft_e2e::{Api, S3Server, standalone};
use weft_testkit::smtp::SmtpServer;

mod support;

use support::{INPUT_KEY, component, csv, generated_rows, read_parquet, sorted_by_spending};
use weft_client::RunFilter;
use weft_model::{DagRunState, TaskState};

const WAIT: Duration = Duration::from_secs(180);

/// The stand-in cluster API on a free port; the process and its port.
fn cluster_api(dir: &Path) -> (Proc, u16) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/cluster_api.py");
    let mut command = Command::new("python3");
    command
        .arg(script)
        .arg("127.0.0.1")
        .arg("0")
        .arg(dir.join("clusters.log"));
    let proc = Proc::spawn("cluster_api", command, &dir.join("cluster_api.out"));
    let port = wait_for("the cluster API to listen", Duration::from_secs(30), || {
        proc.output()
            .lines()
            .find_map(|line| line.strip_prefix("listening on 127.0.0.1:"))
            .and_then(|port| port.trim().parse().ok())
    });
    (proc, port)
}

fn put_connection(api: &Api, conn_id: &str, body: Value) {
    if let Err(e) = api.client().put_connection(conn_id, &body) {
        panic!("PUT /connections/{conn_id}: {e}");
    }
}

/// The cluster API's requests so far: `(method, path, status)`.
fn cluster_calls(dir: &Path) -> Vec<(String, String, u64)> {
    std::fs::read_to_string(dir.join("clusters.log"))
        .unwrap_or_default()
        .lines()
        .map(|line| {
            let call: Value = serde_json::from_str(line).expect("a JSON line");
            (
                call["method"].as_str().unwrap_or_default().to_owned(),
                call["path"].as_str().unwrap_or_default().to_owned(),
                call["status"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

/// The email whose subject names `event` and `run_id`, once it arrived.
fn email(smtp: &SmtpServer, event: &str, run_id: &str) -> String {
    wait_for(&format!("the {event} email"), WAIT, || {
        smtp.messages().into_iter().find(|m| {
            m.lines()
                .any(|l| l.starts_with("Subject:") && l.contains(event) && l.contains(run_id))
        })
    })
}

#[test]
fn the_homework_pair_runs_end_to_end() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s3 = S3Server::from_env_or_start();
    let bucket = s3.client(
        &weft_testkit::unique_name("pair")
            .to_lowercase()
            .replace('_', "-"),
    );
    bucket.create_bucket();
    let rows = generated_rows();
    bucket.put(INPUT_KEY, csv(&rows).into_bytes());
    // mall_pipeline may call the cluster API on any loopback port (its default rule).
    let (_clusters, cluster_port) = cluster_api(dir.path());
    let smtp = SmtpServer::start();

    let allow = format!(
        "GET,PUT {};POST,DELETE http://127.0.0.1:*;tcp://127.0.0.1:{}",
        s3.url, smtp.port
    );
    let (_standalone, api) = standalone::start(
        dir.path(),
        &[
            ("WEFT_EGRESS_ALLOW", allow.as_str()),
            ("WEFT_EGRESS_ALLOW_NETS", "127.0.0.0/8"),
        ],
    );
    put_connection(
        &api,
        "aws_default",
        json!({"conn_type": "aws", "schema": bucket.name(), "login": s3.access_key,
            "password": s3.secret_key,
            "extra": {"endpoint_url": s3.url, "region_name": "us-east-1"}}),
    );
    put_connection(
        &api,
        "cluster_api",
        json!({"conn_type": "http", "host": "127.0.0.1", "port": cluster_port, "schema": "http",
            "extra": {}}),
    );
    put_connection(
        &api,
        "smtp_default",
        json!({"conn_type": "smtp", "host": "127.0.0.1", "port": smtp.port,
            "extra": {"from": "Weft <weft@example.com>", "tls": "none"}}),
    );
    api.deploy(&component(&s3));
    let deployed = api.deploy(&weft_e2e::example("mall_pipeline"));
    assert_eq!(deployed.dag_id, "mall_pipeline", "{deployed:?}");

    // The sort succeeds.
    let run_id = api.trigger(
        "mall_pipeline",
        json!({"sort_conf": {"s3": {"output_prefix": "pair/"}}}),
        Some("pair-ok"),
    );
    let run = api.wait_run("mall_pipeline", &run_id, WAIT);
    assert_eq!(run.run.state, DagRunState::Success, "{run:?}");
    for task in [
        "provision",
        "trigger_sort",
        "wait_sort",
        "teardown",
        "report",
    ] {
        assert_eq!(
            Api::task(&run, task).state,
            TaskState::Success,
            "{task}: {run:?}"
        );
    }
    let wait = Api::task(&run, "wait_sort");
    assert!(
        wait.worker_id.is_none(),
        "the wait ran on no worker: {wait:?}"
    );
    let sorts = api.runs(&RunFilter {
        dag_id: Some("mall_customers"),
        ..RunFilter::default()
    });
    let sort = sorts
        .runs
        .iter()
        .find(|r| r.logical_date == run.run.logical_date)
        .unwrap_or_else(|| panic!("no mall_customers run of the pair's logical date: {sorts:?}"));
    assert_eq!(sort.state, DagRunState::Success, "{sort:?}");
    let parquet = bucket
        .get("pair/sorted_by_spending.parquet")
        .expect("the sort wrote the Parquet file");
    assert_eq!(read_parquet(parquet), sorted_by_spending(&rows));
    let xcom = api.xcoms("mall_pipeline", &run_id);
    let report = Api::output(&xcom, "report")
        .map(|x| &x.value)
        .unwrap_or_else(|| panic!("no output of report in {xcom:?}"));
    assert_eq!(report["sort_state"], "success", "{report}");
    assert_eq!(report["cluster_id"], "c-1", "{report}");
    assert_eq!(
        cluster_calls(dir.path()),
        [
            ("POST".to_owned(), "/clusters".to_owned(), 201),
            ("DELETE".to_owned(), "/clusters/c-1".to_owned(), 204),
        ]
    );
    let mail = email(&smtp, "run_success", &run_id);
    assert!(mail.contains("mall_pipeline"), "{mail}");
    assert!(mail.contains("data-team@example.com"), "{mail}");

    // The sort fails (a CSV with a bad row fails it for good): the cluster is torn down, the
    // pair fails, and the email says so.
    let bad = "CustomerID,Gender,Age,Annual Income (k$),Spending Score (1-100)\n1,Female,x,1,1\n";
    let run_id = api.trigger(
        "mall_pipeline",
        json!({"sort_conf": {"csv": bad}}),
        Some("pair-failed"),
    );
    let run = api.wait_run("mall_pipeline", &run_id, WAIT);
    assert_eq!(run.run.state, DagRunState::Failed, "{run:?}");
    let wait = Api::task(&run, "wait_sort");
    assert_eq!(wait.state, TaskState::Failed, "{run:?}");
    assert_eq!(wait.error_class.as_deref(), Some("wait_failed"), "{wait:?}");
    assert_eq!(
        Api::task(&run, "teardown").state,
        TaskState::Success,
        "{run:?}"
    );
    assert_eq!(
        Api::task(&run, "report").state,
        TaskState::UpstreamFailed,
        "{run:?}"
    );
    let calls = cluster_calls(dir.path());
    assert_eq!(
        calls[2..],
        [
            ("POST".to_owned(), "/clusters".to_owned(), 201),
            ("DELETE".to_owned(), "/clusters/c-2".to_owned(), 204),
        ]
    );
    let mail = email(&smtp, "run_failure", &run_id);
    assert!(mail.contains("mall_pipeline"), "{mail}");
}
