//! The S3 homework in Python (`examples/mall-customers-python`) against a real S3-compatible
//! server (`weft-test-s3`: s3s-fs, which checks SigV4 signatures): the CSV is uploaded from the host, the DAG
//! downloads it through the connection `aws_default` with requests signed by its one
//! pure-Python dependency, and writes back a Parquet file sorted by spending score, which the
//! test reads with the Rust `parquet` crate, and the figures per gender as JSON. On a
//! standalone server (with a bad CSV and a connection pointed elsewhere too) and through
//! `wfctl test`.

use std::process::Command;
use std::time::Duration;

use parquet::basic::{ColumnOrder, SortOrder};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::statistics::Statistics;
use serde_json::{Value, json};
use weft_client::Client;
use weft_e2e::{Api, S3Client, S3Server, standalone};

mod support;

use support::{Row, bucket_with_csv, check_gender_figures, check_sorted_parquet, csv};
use weft_model::{DagRunState, TaskState};

const DAG: &str = "mall_customers_python";
const CONNECTION: &str = "aws_default";
/// What the DAG's S3 tasks declare they reach (any port of the loopback address): the
/// operator allows it, or the deploy is refused.
const DAG_EGRESS: &str = "GET,PUT http://127.0.0.1:*";
/// The secret key sealing connections in the server (base64 of 32 bytes).
const SECRET_KEY: &str = "d2VmdC1lMmUtcHl0aG9uLWtleS0zMi1ieXRlcyEhISE=";

fn component() -> std::path::PathBuf {
    weft_e2e::project_example("mall-customers-python")
}

/// The connection `aws_default` as JSON: `s3`'s credentials, endpoint `endpoint`, default
/// bucket `bucket`.
fn connection(s3: &S3Server, bucket: &str, endpoint: &str) -> Value {
    json!({
        "conn_type": "aws",
        "schema": bucket,
        "login": s3.access_key,
        "password": s3.secret_key,
        "extra": { "endpoint_url": endpoint, "region_name": "us-east-1" },
    })
}

fn put_connection(api: &Api, body: &Value) {
    if let Err(e) = api.client().put_connection(CONNECTION, body) {
        panic!("PUT /connections/{CONNECTION}: {e}");
    }
}

/// The Parquet file's statistics: each column's lowest and highest value, which readers trust
/// for pruning only under the unsigned order of `UINT_32` and text.
fn check_statistics(parquet: &[u8], rows: &[Row]) {
    let reader = SerializedFileReader::new(bytes::Bytes::from(parquet.to_vec()))
        .expect("the object is a Parquet file");
    let meta = reader.metadata();
    assert_eq!(meta.num_row_groups(), 1);
    let file = meta.file_metadata();
    assert_eq!(file.num_rows(), i64::try_from(rows.len()).expect("rows"));
    let columns: [fn(&Row) -> u32; 4] = [|r| r.id, |r| r.age, |r| r.income, |r| r.score];
    for (index, value) in [0, 2, 3, 4].into_iter().zip(columns) {
        assert_eq!(
            file.column_order(index),
            ColumnOrder::TYPE_DEFINED_ORDER(SortOrder::UNSIGNED),
            "column {index}"
        );
        let Some(Statistics::Int32(stats)) = meta.row_group(0).column(index).statistics() else {
            panic!("column {index} has no INT32 statistics");
        };
        let values: Vec<i32> = rows
            .iter()
            .map(|r| i32::try_from(value(r)).expect("small"))
            .collect();
        assert_eq!(stats.min_opt(), values.iter().min(), "column {index}");
        assert_eq!(stats.max_opt(), values.iter().max(), "column {index}");
        assert_eq!(stats.null_count_opt(), Some(0), "column {index}");
    }
    let Some(Statistics::ByteArray(genders)) = meta.row_group(0).column(1).statistics() else {
        panic!("the gender column has no BYTE_ARRAY statistics");
    };
    assert_eq!(genders.min_opt().map(|v| v.data()), Some(&b"Female"[..]));
    assert_eq!(genders.max_opt().map(|v| v.data()), Some(&b"Male"[..]));
}

/// The objects a successful run wrote under `prefix`, checked against `rows`.
fn check_outputs(bucket: &S3Client, prefix: &str, rows: &[Row]) {
    let parquet = bucket
        .get(&format!("{prefix}sorted_by_spending.parquet"))
        .expect("the DAG wrote the Parquet file");
    check_statistics(&parquet, rows);
    check_sorted_parquet(parquet, rows);

    let json = bucket
        .get(&format!("{prefix}by_gender.json"))
        .expect("the DAG wrote the figures per gender");
    check_gender_figures(&json, rows);
}

/// The logs of every task of run `run_id`, joined.
fn logs(api: &Api, run_id: &str) -> String {
    [
        "extract",
        "sort_by_spending",
        "aggregate_by_gender",
        "report",
    ]
    .iter()
    .map(|task| {
        // The log as the server sends it: the test looks for the secret key in all of it.
        api.get(&Client::log_path(DAG, run_id, task)).to_string()
    })
    .collect()
}

#[test]
fn standalone_server_sorts_s3_csv_into_parquet() {
    let s3 = S3Server::from_env_or_start();
    let (bucket, rows) = bucket_with_csv(&s3, "mallpy-standalone");
    let dir = tempfile::Builder::new()
        .prefix("weft-e2e-mallpy-")
        .tempdir()
        .expect("temp dir");
    let env = [
        ("WEFT_EGRESS_ALLOW", DAG_EGRESS),
        ("WEFT_EGRESS_ALLOW_NETS", "127.0.0.0/8"),
        ("WEFT_SECRET_KEY", SECRET_KEY),
    ];
    let (server, api) = standalone::start(dir.path(), &env);
    put_connection(&api, &connection(&s3, bucket.name(), &s3.url));
    let deployed = api.deploy(&component());
    assert_eq!(deployed.dag_id, DAG, "{deployed:?}");

    // The homework: every task succeeds, the objects are right, the secret key shows nowhere.
    // Keys with characters SigV4 signs percent-encoded (a space, `+`, `:`, UTF-8).
    let input = "in put/a+b:c/é.csv";
    bucket.put(input, csv(&rows).into_bytes());
    let prefix = "out/stand alone+1/";
    let run_id = api.trigger(
        DAG,
        json!({ "s3": { "input_key": input, "output_prefix": prefix } }),
        None,
    );
    let run = api.wait_run(DAG, &run_id, Duration::from_secs(180));
    assert_eq!(run.run.state, DagRunState::Success, "{run:?}");
    check_outputs(&bucket, prefix, &rows);
    let xcom = api.xcoms(DAG, &run_id);
    let report = Api::output(&xcom, "report")
        .map(|x| x.value.clone())
        .unwrap_or_else(|| panic!("no output of report in {xcom:?}"));
    assert_eq!(report["customers"], rows.len(), "{report}");
    assert_eq!(
        report["parquet"],
        format!("s3://{}/{prefix}sorted_by_spending.parquet", bucket.name()),
        "{report}"
    );
    let text = logs(&api, &run_id);
    assert!(
        text.contains(&format!("{} valid customers", rows.len())),
        "{text}"
    );
    assert!(
        !text.contains(&s3.secret_key)
            && !serde_json::to_string(&xcom)
                .expect("XCom values as JSON")
                .contains(&s3.secret_key),
        "the secret key shows in no log or output"
    );

    // A bad row fails `extract` for good, naming its line and column; nothing is written.
    let mut bad = csv(&rows[..5]);
    bad.push_str("9999,Female,30,40,0\n");
    bucket.put("bad.csv", bad.into_bytes());
    let run_id = api.trigger(
        DAG,
        json!({ "s3": { "input_key": "bad.csv", "output_prefix": "out/bad/" } }),
        None,
    );
    let run = api.wait_run(DAG, &run_id, Duration::from_secs(180));
    assert_eq!(run.run.state, DagRunState::Failed, "{run:?}");
    let extract = Api::task(&run, "extract");
    assert_eq!(extract.state, TaskState::Failed, "{extract:?}");
    assert_eq!(extract.try_number, 1, "not retried: {extract:?}");
    let error = extract.error.as_deref().expect("an error");
    assert!(
        error.contains("bad.csv") && error.contains("line 7, column `Spending Score (1-100)`"),
        "{error}"
    );
    assert_eq!(
        Api::task(&run, "sort_by_spending").state,
        TaskState::UpstreamFailed,
        "{run:?}"
    );
    assert_eq!(
        bucket.get("out/bad/sorted_by_spending.parquet"),
        None,
        "nothing written"
    );

    // A connection pointed at the cloud metadata address is refused by the egress policy.
    put_connection(
        &api,
        &connection(&s3, bucket.name(), "http://169.254.169.254"),
    );
    let run_id = api.trigger(DAG, json!({}), None);
    let run = api.wait_run(DAG, &run_id, Duration::from_secs(180));
    let extract = Api::task(&run, "extract");
    assert_eq!(extract.state, TaskState::Failed, "{run:?}");
    assert_eq!(
        extract.error_class.as_deref(),
        Some("egress_denied"),
        "{extract:?}"
    );
    let error = extract.error.as_deref().expect("an error");
    assert!(error.contains("169.254.169.254"), "{error}");
    assert!(!error.contains(&s3.secret_key), "{error}");
    drop(server);
}

#[test]
fn wfctl_test_runs_the_homework_locally() {
    let s3 = S3Server::from_env_or_start();
    let (bucket, rows) = bucket_with_csv(&s3, "mallpy-wfctl-test");
    let prefix = "out/wfctl-test/";
    let conf = json!({ "s3": { "output_prefix": prefix } }).to_string();
    let output = Command::new(weft_e2e::process::wfctl())
        .arg("test")
        .arg(component())
        .args(["--conf", &conf, "--output", "json"])
        .args(["--egress-allow", DAG_EGRESS])
        .args(["--egress-allow-net", "127.0.0.1"])
        .env(
            "AIRFLOW_CONN_AWS_DEFAULT",
            connection(&s3, bucket.name(), &s3.url).to_string(),
        )
        .env("WEFT_CACHE_DIR", weft_e2e::process::shared_cache_dir())
        .output()
        .expect("wfctl runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let report: Value = serde_json::from_str(&stdout).expect("a JSON report");
    assert_eq!(report["state"], "success", "{report}");
    check_outputs(&bucket, prefix, &rows);
    assert!(
        !stdout.contains(&s3.secret_key) && !stderr.contains(&s3.secret_key),
        "the secret key is not printed"
    );
}
