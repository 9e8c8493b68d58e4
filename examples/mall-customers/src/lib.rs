//! Weft example DAG `mall_customers`:
//! `extract >> [sort_by_spending, aggregate_by_gender] >> [report, upload]`.
//!
//! `extract` reads a CSV with the Mall Customers columns
//! (`CustomerID,Gender,Age,Annual Income (k$),Spending Score (1-100)`; Kaggle's `Genre` for
//! `Gender` is accepted too) and validates it: a bad row fails the task for good, naming its
//! line and column. Where the CSV comes from depends on the run's conf:
//! - `{"s3": {...}}`: from an S3-compatible bucket, through the connection `aws_default`
//!   (see [`s3`]); `s3.bucket` (default: the connection's `schema`), `s3.input_key` (default
//!   `Mall_Customers.csv`) and `s3.output_prefix` (default `mall_customers/<run id>/`);
//! - `{"csv": "..."}`: the CSV text itself;
//! - else the variable `mall_customers_csv`, else a built-in sample.
//!
//! `sort_by_spending` orders the customers by spending score (ties by id),
//! `aggregate_by_gender` computes figures per gender, and `report` returns both. In S3 mode
//! `upload` writes the sorted rows as a Parquet file (`sorted_by_spending.parquet`) and the
//! figures as JSON (`by_gender.json`) under the output prefix; otherwise it is skipped.
//!
//! # Egress
//! The tasks that talk to S3 may reach only the endpoints in `WEFT_MALL_S3_EGRESS`, read when
//! the DAG is built (egress rules separated by `;`), by default `GET,PUT http://127.0.0.1:9000`:
//! a DAG's rules are fixed when it is deployed, while a connection's endpoint is only known
//! when a task runs. Build with, say,
//! `WEFT_MALL_S3_EGRESS="GET,PUT https://s3.eu-west-3.amazonaws.com"` for another endpoint.
//!
//! The parsing, sorting, aggregation and Parquet writing live in [`customers`], [`analysis`]
//! and [`columnar`], which make no host calls and are unit-tested on the host.

pub mod analysis;
pub mod columnar;
pub mod customers;
pub mod s3;
pub mod sample;

use serde::{Deserialize, Serialize};
use weft_sdk::prelude::*;

use crate::analysis::GenderStats;
use crate::customers::Customer;
use crate::s3::S3Bucket;

/// Name of the variable that may hold the CSV.
pub const CSV_VARIABLE: &str = "mall_customers_csv";

/// The connection to the S3-compatible store (conn type `aws`).
pub const S3_CONNECTION: &str = "aws_default";

/// Egress rules of the tasks that talk to S3, separated by `;` (see the crate's docs).
pub const S3_EGRESS: &str = match option_env!("WEFT_MALL_S3_EGRESS") {
    Some(rules) => rules,
    None => "GET,PUT http://127.0.0.1:9000",
};

/// Object read when the conf names none.
pub const DEFAULT_INPUT_KEY: &str = "Mall_Customers.csv";

/// Object written with the sorted rows, under the output prefix.
pub const PARQUET_NAME: &str = "sorted_by_spending.parquet";

/// Object written with the figures per gender, under the output prefix.
pub const AGGREGATE_NAME: &str = "by_gender.json";

/// The run conf this DAG understands.
#[derive(Debug, Default, Deserialize)]
struct Conf {
    /// The CSV text itself.
    csv: Option<String>,
    /// Read from and write to S3.
    s3: Option<S3Conf>,
}

/// Where in S3 the input is and the outputs go.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct S3Conf {
    /// The bucket; default: the connection's `schema`.
    bucket: Option<String>,
    /// The CSV's key; default [`DEFAULT_INPUT_KEY`].
    input_key: Option<String>,
    /// Prefix of the outputs' keys; default `mall_customers/<run id>/`.
    output_prefix: Option<String>,
}

/// What `report` returns.
#[derive(Debug, Serialize)]
struct Report {
    customers: usize,
    sorted_by_spending: Vec<Customer>,
    by_gender: Vec<GenderStats>,
}

/// What `upload` returns: where the outputs went.
#[derive(Debug, Serialize)]
struct Uploaded {
    parquet: String,
    parquet_bytes: usize,
    rows: usize,
    aggregate: String,
}

/// The DAG: extract, then sort and aggregate side by side, then report and upload.
fn dag() -> Dag {
    let dag = Dag::new("mall_customers")
        .description(
            "Sorts mall customers by spending score and aggregates them by gender; \
             with {\"s3\": {...}} in the conf, reads the CSV from S3 and writes Parquet and JSON back",
        )
        .tags(["example", "csv", "s3", "parquet"])
        .default_retries(1)
        .default_execution_timeout(Duration::from_secs(120));
    let extract = s3_access(dag.task("extract", extract));
    let sort = dag.task("sort_by_spending", sort_by_spending);
    let aggregate = dag.task("aggregate_by_gender", aggregate_by_gender);
    let report = dag.task("report", report);
    let upload = s3_access(dag.task("upload", upload));
    let _ = extract >> [sort, aggregate] >> report;
    let _ = [sort, aggregate] >> upload;
    dag
}

/// Declare what a task needs to reach S3: the connection and the endpoint.
fn s3_access(task: TaskRef<'_>) -> TaskRef<'_> {
    S3_EGRESS
        .split(';')
        .map(str::trim)
        .filter(|rule| !rule.is_empty())
        .fold(task.connection(S3_CONNECTION), TaskRef::allow_egress)
}

/// The bucket of the run's S3 conf, through the connection.
fn bucket(conf: &S3Conf, ctx: &Context) -> TaskResult<S3Bucket> {
    let connection = ctx
        .connection(S3_CONNECTION)
        .map_err(AccessError::into_task_error)?;
    S3Bucket::from_connection(&connection, conf.bucket.as_deref()).permanent()
}

fn extract(ctx: &Context) -> TaskResult<Vec<Customer>> {
    let conf: Conf = ctx.conf()?;
    let (source, text) = match (conf.s3, conf.csv) {
        (Some(s3), _) => {
            let bucket = bucket(&s3, ctx)?;
            let key = s3.input_key.as_deref().unwrap_or(DEFAULT_INPUT_KEY);
            let uri = bucket.s3_uri(key);
            info!("downloading {uri}");
            let bytes = bucket
                .get(key)
                .map_err(|e| e.into_task_error().context(format!("reading {uri}")))?;
            let text = String::from_utf8(bytes)
                .map_err(|_| TaskError::permanent(format!("{uri} is not UTF-8 text")))?;
            (uri, text)
        }
        (None, Some(text)) => ("the run's conf".to_owned(), text),
        (None, None) => match ctx.variable(CSV_VARIABLE) {
            Some(text) => ("the variable `mall_customers_csv`".to_owned(), text),
            None => (
                "the built-in sample".to_owned(),
                sample::SAMPLE_CSV.to_owned(),
            ),
        },
    };
    info!("reading customers from {source}");
    let customers =
        customers::parse_csv(&text).map_err(|e| TaskError::permanent(format!("{source}: {e}")))?;
    if customers.is_empty() {
        warn!("{source} holds no customer rows");
    }
    info!("{} customer rows", customers.len());
    Ok(customers)
}

/// The customers `extract` returned.
fn extracted(ctx: &Context) -> TaskResult<Vec<Customer>> {
    ctx.upstream("extract")?
        .ok_or_else(|| TaskError::permanent("`extract` handed over no customers"))
}

fn sort_by_spending(ctx: &Context) -> TaskResult<Vec<Customer>> {
    let sorted = analysis::sort_by_spending(extracted(ctx)?);
    if let (Some(low), Some(high)) = (sorted.first(), sorted.last()) {
        debug!(
            "spending scores from {} (customer {}) to {} (customer {})",
            low.spending_score, low.customer_id, high.spending_score, high.customer_id
        );
    }
    Ok(sorted)
}

fn aggregate_by_gender(ctx: &Context) -> TaskResult<Vec<GenderStats>> {
    let stats = analysis::aggregate_by_gender(&extracted(ctx)?);
    for s in &stats {
        info!(
            "{}: {} customers, mean spending score {}",
            s.gender, s.count, s.mean_spending_score
        );
    }
    Ok(stats)
}

/// The sorted rows and the figures per gender, from the upstream tasks.
fn results(ctx: &Context) -> TaskResult<(Vec<Customer>, Vec<GenderStats>)> {
    let sorted = ctx
        .upstream("sort_by_spending")?
        .ok_or_else(|| TaskError::permanent("`sort_by_spending` handed over nothing"))?;
    let by_gender = ctx
        .upstream("aggregate_by_gender")?
        .ok_or_else(|| TaskError::permanent("`aggregate_by_gender` handed over nothing"))?;
    Ok((sorted, by_gender))
}

fn report(ctx: &Context) -> TaskResult<Report> {
    let (sorted, by_gender) = results(ctx)?;
    Ok(Report {
        customers: sorted.len(),
        sorted_by_spending: sorted,
        by_gender,
    })
}

fn upload(ctx: &Context) -> TaskResult<Uploaded> {
    let conf: Conf = ctx.conf()?;
    let Some(s3) = conf.s3 else {
        return Err(TaskError::skip(
            "no `s3` in the run's conf: nothing to upload",
        ));
    };
    let (sorted, by_gender) = results(ctx)?;
    let bucket = bucket(&s3, ctx)?;
    let prefix = s3
        .output_prefix
        .clone()
        .unwrap_or_else(|| default_prefix(ctx.run_id()));

    let parquet = columnar::to_parquet(&sorted).permanent()?;
    let parquet_bytes = parquet.len();
    let parquet_key = format!("{prefix}{PARQUET_NAME}");
    info!(
        "uploading {} ({parquet_bytes} bytes)",
        bucket.s3_uri(&parquet_key)
    );
    bucket
        .put(&parquet_key, parquet, "application/vnd.apache.parquet")
        .map_err(|e| e.into_task_error().context("uploading the Parquet file"))?;

    let aggregate_key = format!("{prefix}{AGGREGATE_NAME}");
    let json = serde_json::to_vec_pretty(&by_gender).permanent()?;
    info!("uploading {}", bucket.s3_uri(&aggregate_key));
    bucket
        .put(&aggregate_key, json, "application/json")
        .map_err(|e| {
            e.into_task_error()
                .context("uploading the figures per gender")
        })?;

    Ok(Uploaded {
        parquet: bucket.s3_uri(&parquet_key),
        parquet_bytes,
        rows: sorted.len(),
        aggregate: bucket.s3_uri(&aggregate_key),
    })
}

/// `mall_customers/<run id>/`, the run id's characters other than letters, digits, `-`, `_`
/// and `.` replaced by `_` so that the key needs no escaping.
fn default_prefix(run_id: &str) -> String {
    let safe: String = run_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("mall_customers/{safe}/")
}

weft_sdk::export_dag!(dag);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_prefix_is_the_run_id_made_safe_for_keys() {
        assert_eq!(
            default_prefix("manual__2026-11-21T13:18:18.580630+00:00"),
            "mall_customers/manual__2026-11-21T13_18_18.580630_00_00/"
        );
    }

    #[test]
    fn the_s3_conf_is_optional_field_by_field_and_strict_about_names() {
        let conf: Conf = serde_json::from_str(r#"{"s3": {}}"#).expect("valid");
        let s3 = conf.s3.expect("s3 mode");
        assert!(s3.bucket.is_none() && s3.input_key.is_none() && s3.output_prefix.is_none());
        assert!(serde_json::from_str::<Conf>(r#"{"s3": {"bukket": "x"}}"#).is_err());
        let conf: Conf = serde_json::from_str(r#"{"name": "x"}"#).expect("other keys are fine");
        assert!(conf.s3.is_none() && conf.csv.is_none());
    }

    #[test]
    fn the_s3_tasks_declare_the_connection_and_the_egress_rules() {
        let dag = dag();
        assert_eq!(
            dag.task_ids(),
            [
                "extract",
                "sort_by_spending",
                "aggregate_by_gender",
                "report",
                "upload"
            ]
        );
        assert_eq!(
            dag.upstream_of("upload"),
            Some(vec![
                "sort_by_spending".to_owned(),
                "aggregate_by_gender".to_owned()
            ])
        );
        assert!(S3_EGRESS.split(';').all(|rule| !rule.trim().is_empty()));
    }
}
