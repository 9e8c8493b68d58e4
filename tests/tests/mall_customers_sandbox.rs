//! The `mall_customers` example's S3 tasks in the sandbox, against a real S3-compatible
//! server (s3s-fs): `weft-runtime` with an egress policy that allows the server, a
//! [`MemoryHost`] holding the connection `aws_default`, and each task run in turn as a worker
//! would, with the task's own limits and its upstream tasks' outputs. Checks the SDK's HTTP
//! client (SigV4-signed GET and PUT through `wasi:http`), the Parquet file written back, that
//! a CSV larger than a task output may be moves through the bucket and not through the
//! outputs, and that a request outside the policy is refused.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use weft_e2e::S3Server;
use weft_runtime::{
    DagComponent, EgressPolicy, Limits, MemoryHost, Runtime, RuntimeConfig, TaskContext,
    TaskOutcome, TaskReport, TaskRequest, UpstreamOutput, WorkerInfo,
};

mod support;

use support::{
    INPUT_KEY, Row, component, csv, generated, generated_rows, read_parquet, sorted_by_spending,
};

/// Largest output a task may return (`Limits::TASK_DEFAULT.output_bytes`).
const OUTPUT_LIMIT: usize = 4 << 20;

/// A runtime whose operator policy allows `rules` and the loopback range.
fn runtime(rules: &[String]) -> Runtime {
    let mut egress = EgressPolicy::default();
    for rule in rules {
        egress
            .allowed
            .rules
            .push(rule.parse().expect("a valid rule"));
    }
    egress
        .allowed
        .nets
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

/// Run `task` with `conf` and the outputs in `upstream`, with the task's own limits.
fn run(
    runtime: &Runtime,
    component: &DagComponent,
    host: &Arc<MemoryHost>,
    task: &str,
    conf: &Value,
    upstream: &[(&str, Vec<u8>)],
) -> TaskReport {
    let mut context = TaskContext::local("mall_customers", task, 1, 1);
    context.conf = conf.to_string();
    let limits = match component.dag().task(task) {
        Some(declared) => Limits::TASK_DEFAULT.for_task(declared),
        None => panic!("no task {task} in the DAG"),
    };
    runtime.run_task(
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
            limits,
            tenant_egress: None,
            host: host.clone(),
        },
    )
}

fn success(task: &str, report: TaskReport) -> Vec<u8> {
    match report.outcome {
        TaskOutcome::Success(output) => output,
        other => panic!("{task} did not succeed: {other:?}\n{:?}", report.log),
    }
}

/// What a run of the whole DAG left.
struct DagRun {
    /// Each task's output.
    outputs: HashMap<String, Value>,
    /// The rows of the Parquet file written.
    parquet: Vec<Row>,
    /// The figures per gender written.
    figures: Value,
}

/// Run the whole DAG in S3 mode on `rows`, task after task, each given its upstream tasks'
/// outputs by hand, as a worker would be.
fn run_dag(s3: &S3Server, bucket_name: &str, rows: &[Row]) -> DagRun {
    let bucket = s3.client(bucket_name);
    bucket.create_bucket();
    bucket.put(INPUT_KEY, csv(rows).into_bytes());

    let runtime = runtime(&[format!("GET,PUT {}", s3.url)]);
    let bytes = std::fs::read(component(s3)).expect("the component");
    let component = runtime.load(&bytes).expect("the component loads");
    let host = host(s3, bucket.name());
    let conf = json!({ "s3": { "output_prefix": "sandbox/" } });

    let mut outputs: HashMap<String, Vec<u8>> = HashMap::new();
    let mut total = Duration::ZERO;
    for (task, upstream) in [
        ("extract", &[][..]),
        ("sort_by_spending", &["extract"][..]),
        ("aggregate_by_gender", &["extract"][..]),
        ("report", &["sort_by_spending", "aggregate_by_gender"][..]),
        ("upload", &["sort_by_spending", "aggregate_by_gender"][..]),
    ] {
        let upstream: Vec<(&str, Vec<u8>)> = upstream
            .iter()
            .map(|id| (*id, outputs[*id].clone()))
            .collect();
        let started = Instant::now();
        let report = run(&runtime, &component, &host, task, &conf, &upstream);
        let elapsed = started.elapsed();
        total += elapsed;
        let memory = report
            .log
            .lines
            .iter()
            .rev()
            .find(|l| l.message.contains("MiB of linear memory"))
            .map(|l| l.message.clone())
            .unwrap_or_default();
        let output = success(task, report);
        println!(
            "{task}: {elapsed:.2?}, output {} bytes; {memory}",
            output.len()
        );
        outputs.insert(task.to_owned(), output);
    }
    println!("all tasks: {total:.2?}");

    let parquet = bucket
        .get("sandbox/sorted_by_spending.parquet")
        .expect("the Parquet file was written");
    let figures = bucket
        .get("sandbox/by_gender.json")
        .expect("the figures were written");
    let outputs = outputs
        .into_iter()
        .map(|(task, bytes)| {
            assert!(
                bytes.len() < 4096,
                "{task} hands over a small summary, not data: {} bytes",
                bytes.len()
            );
            (task, serde_json::from_slice(&bytes).expect("JSON"))
        })
        .collect();
    DagRun {
        outputs,
        parquet: read_parquet(parquet),
        figures: serde_json::from_slice(&figures).expect("JSON"),
    }
}

#[test]
fn the_s3_tasks_download_sort_and_upload_parquet_in_the_sandbox() {
    let s3 = S3Server::from_env_or_start();
    let rows = generated_rows();
    let DagRun {
        outputs,
        parquet,
        figures,
    } = run_dag(&s3, &format!("sandbox-{}", std::process::id()), &rows);

    let extracted = &outputs["extract"];
    assert_eq!(extracted["rows"], rows.len(), "{extracted}");
    assert_eq!(extracted["key"], INPUT_KEY, "{extracted}");
    let sorted = &outputs["sort_by_spending"];
    assert_eq!(sorted["rows"], rows.len(), "{sorted}");
    let uri = sorted["uri"].as_str().expect("a URI");
    assert!(
        uri.ends_with("/sandbox/sorted_by_spending.parquet"),
        "{uri}"
    );
    let expected = sorted_by_spending(&rows);
    assert_eq!(
        sorted["lowest_spending_score"], expected[0].score,
        "{sorted}"
    );
    assert_eq!(
        sorted["highest_spending_score"],
        expected[expected.len() - 1].score,
        "{sorted}"
    );
    assert_eq!(outputs["upload"]["rows"], rows.len());
    assert_eq!(outputs["upload"]["parquet"], uri);
    let report = &outputs["report"];
    assert_eq!(report["customers"], rows.len(), "{report}");
    assert_eq!(report["parquet"], uri, "{report}");
    assert_eq!(
        report["by_gender"], outputs["aggregate_by_gender"],
        "{report}"
    );

    assert_eq!(parquet, expected, "every row, in order");
    assert_eq!(figures.as_array().map(Vec::len), Some(2), "{figures}");
    assert_eq!(figures, outputs["aggregate_by_gender"]);
}

/// A CSV twice the largest task output: it could not go from task to task through their
/// outputs, so this passing shows that it went through the bucket.
#[test]
fn a_csv_larger_than_a_task_output_moves_through_the_bucket() {
    let rows = generated(400_000);
    let size = csv(&rows).len();
    assert!(size > 2 * OUTPUT_LIMIT, "{size} bytes");
    let s3 = S3Server::from_env_or_start();
    let DagRun {
        outputs,
        parquet,
        figures,
    } = run_dag(&s3, &format!("sandbox-large-{}", std::process::id()), &rows);
    assert_eq!(outputs["extract"]["rows"], rows.len());
    assert_eq!(outputs["report"]["customers"], rows.len());
    assert_eq!(parquet.len(), rows.len());
    let expected = sorted_by_spending(&rows);
    assert!(
        parquet == expected,
        "every row, in order: first difference at row {:?}",
        parquet.iter().zip(&expected).position(|(a, b)| a != b)
    );
    let count: u64 = figures
        .as_array()
        .expect("figures")
        .iter()
        .filter_map(|g| g["count"].as_u64())
        .sum();
    assert_eq!(count, rows.len() as u64, "{figures}");
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
    let report = run(
        &runtime,
        &component,
        &host,
        "extract",
        &json!({ "s3": {} }),
        &[],
    );
    let TaskOutcome::Failed(failure) = report.outcome else {
        panic!(
            "the request went out: {:?}\n{:?}",
            report.outcome, report.log
        );
    };
    let text = format!("{failure:?}");
    assert!(text.contains("egress policy"), "{text}");
    assert!(!failure.is_retryable(), "a refusal is permanent: {text}");
}
