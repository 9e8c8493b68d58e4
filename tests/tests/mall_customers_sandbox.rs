//! The `mall_customers` example's S3 tasks in the sandbox, against a real S3-compatible
//! server (s3s-fs): `weft-runtime` with an egress policy that allows the server, a
//! [`MemoryHost`] holding the connection `aws_default`, and each task run in turn as a worker
//! would. Checks the SDK's HTTP client (SigV4-signed GET and PUT through `wasi:http`), the
//! Parquet file written back, and that a request outside the policy is refused.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use weft_e2e::S3Server;
use weft_runtime::{
    DagComponent, EgressPolicy, Limits, MemoryHost, Runtime, RuntimeConfig, TaskContext,
    TaskOutcome, TaskRequest, UpstreamOutput, WorkerInfo,
};

mod support;

use support::{INPUT_KEY, component, csv, generated_rows, read_parquet};

/// A runtime whose operator policy allows `rules` and the loopback range.
fn runtime(rules: &[String]) -> Runtime {
    let mut egress = EgressPolicy::default();
    for rule in rules {
        egress.allow.push(rule.parse().expect("a valid rule"));
    }
    egress
        .allow_nets
        .push("127.0.0.0/8".parse().expect("a valid range"));
    Runtime::new(RuntimeConfig {
        egress,
        ..RuntimeConfig::default()
    })
    .expect("the runtime starts")
}

/// A host holding connection `aws_default` for `s3`, default bucket `bucket`.
fn host(s3: &S3Server, bucket: &str) -> Arc<MemoryHost> {
    let connection: weft_protocol::Connection = serde_json::from_value(json!({
        "conn_id": "aws_default",
        "conn_type": "aws",
        "schema": bucket,
        "login": s3.access_key,
        "password": s3.secret_key,
        "extra": { "endpoint_url": s3.url, "region_name": "us-east-1" },
    }))
    .expect("a connection");
    Arc::new(MemoryHost::default().with_access([connection], Vec::<(String, String)>::new()))
}

/// Run `task` with `conf` and the outputs in `upstream`; its outcome and log text.
fn run(
    runtime: &Runtime,
    component: &DagComponent,
    host: &Arc<MemoryHost>,
    task: &str,
    conf: &Value,
    upstream: &[(&str, Vec<u8>)],
) -> (TaskOutcome, String) {
    let mut context = TaskContext::local("mall_customers", task, 1, 1);
    context.conf = conf.to_string();
    let report = runtime.run_task(
        component,
        TaskRequest {
            context,
            upstream: upstream
                .iter()
                .map(|(id, value)| UpstreamOutput {
                    task_id: (*id).to_owned(),
                    value: value.clone(),
                })
                .collect(),
            worker: WorkerInfo {
                worker_id: "test".into(),
                hostname: "test".into(),
                queue: "default".into(),
            },
            limits: Limits {
                timeout: Duration::from_secs(60),
                ..Limits::TASK_DEFAULT
            },
            host: host.clone(),
        },
    );
    (report.outcome, format!("{:?}", report.log))
}

fn success(outcome: TaskOutcome, log: &str) -> Vec<u8> {
    match outcome {
        TaskOutcome::Success(output) => output,
        other => panic!("the task did not succeed: {other:?}\n{log}"),
    }
}

#[test]
fn the_s3_tasks_download_sort_and_upload_parquet_in_the_sandbox() {
    let s3 = S3Server::from_env_or_start();
    let bucket = s3.client(&format!("sandbox-{}", std::process::id()));
    bucket.create_bucket();
    let rows = generated_rows();
    bucket.put(INPUT_KEY, csv(&rows).into_bytes());

    let runtime = runtime(&[format!("GET,PUT {}", s3.url)]);
    let bytes = std::fs::read(component(&s3)).expect("the component");
    let component = runtime.load(&bytes).expect("the component loads");
    let host = host(&s3, bucket.name());
    let conf = json!({ "s3": { "output_prefix": "sandbox/" } });

    let (outcome, log) = run(&runtime, &component, &host, "extract", &conf, &[]);
    let extracted = success(outcome, &log);
    let upstream = [("extract", extracted)];
    let (outcome, log) = run(
        &runtime,
        &component,
        &host,
        "sort_by_spending",
        &conf,
        &upstream,
    );
    let sorted = success(outcome, &log);
    let (outcome, log) = run(
        &runtime,
        &component,
        &host,
        "aggregate_by_gender",
        &conf,
        &upstream,
    );
    let stats = success(outcome, &log);
    let (outcome, log) = run(
        &runtime,
        &component,
        &host,
        "upload",
        &conf,
        &[("sort_by_spending", sorted), ("aggregate_by_gender", stats)],
    );
    let uploaded: Value = serde_json::from_slice(&success(outcome, &log)).expect("JSON");
    assert_eq!(uploaded["rows"], rows.len(), "{uploaded}");

    let parquet = bucket
        .get("sandbox/sorted_by_spending.parquet")
        .expect("the Parquet file was written");
    let read = read_parquet(parquet);
    assert_eq!(read.len(), rows.len());
    assert!(
        read.windows(2).all(|w| w[0].score <= w[1].score),
        "ascending"
    );
    let json = bucket
        .get("sandbox/by_gender.json")
        .expect("the figures were written");
    let stats: Value = serde_json::from_slice(&json).expect("JSON");
    assert_eq!(stats.as_array().map(Vec::len), Some(2), "{stats}");
}

#[test]
fn a_request_outside_the_operator_policy_is_denied_and_fails_for_good() {
    let s3 = S3Server::from_env_or_start();
    let bucket = s3.client(&format!("denied-{}", std::process::id()));
    bucket.create_bucket();
    bucket.put(INPUT_KEY, csv(&generated_rows()).into_bytes());
    // The operator allows another port only: the DAG's rule is not enough.
    let runtime = runtime(&["GET,PUT http://127.0.0.1:1".to_owned()]);
    let bytes = std::fs::read(component(&s3)).expect("the component");
    let component = runtime.load(&bytes).expect("the component loads");
    let host = host(&s3, bucket.name());
    let (outcome, log) = run(
        &runtime,
        &component,
        &host,
        "extract",
        &json!({ "s3": {} }),
        &[],
    );
    let TaskOutcome::Failed(failure) = outcome else {
        panic!("the request went out: {outcome:?}\n{log}");
    };
    let text = format!("{failure:?}");
    assert!(text.contains("egress policy"), "{text}");
    assert!(!failure.is_retryable(), "a refusal is permanent: {text}");
}
