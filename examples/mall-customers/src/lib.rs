//! Weft example DAG `mall_customers`:
//! `extract >> [sort_by_spending, aggregate_by_gender] >> [report, upload]`, and
//! `sort_by_spending >> top_spenders`.
//!
//! `extract` reads a CSV with the Mall Customers columns
//! (`CustomerID,Gender,Age,Annual Income (k$),Spending Score (1-100)`; Kaggle's `Genre` for
//! `Gender` is accepted too) and validates it: a bad row fails the task for good, naming its
//! line and column. `sort_by_spending` orders the customers by spending score (ties by id),
//! `aggregate_by_gender` computes figures per gender, and `report` sums up. Where the CSV
//! comes from, and how the data moves, depends on the run's conf:
//! - `{"s3": {...}}`: through an S3-compatible bucket, by the connection `aws_default` (see
//!   [`s3`]); `s3.bucket` (default: the connection's `schema`), `s3.input_key` (default
//!   `Mall_Customers.csv`) and `s3.output_prefix` (default `mall_customers/<run id>/`).
//!   Files of millions of rows stay in the bucket and only small summaries go through the
//!   tasks' outputs (see [`s3_mode`]): `extract` hands over the object's name and row count,
//!   `sort_by_spending` and `aggregate_by_gender` read the object again, the first writing
//!   `sorted_by_spending.parquet` under the output prefix; `upload` writes `by_gender.json`
//!   there and `report` names the Parquet file;
//! - `{"csv": "..."}`: the CSV text itself;
//! - else the variable `mall_customers_csv`, else a built-in sample. Without S3 the rows
//!   themselves go from task to task (a few MiB at most: task outputs are capped at 4 MiB),
//!   `report` returns them sorted, and `upload` is skipped.
//!
//! With `{"sql": {}}` in the conf as well (either way above), `sort_by_spending` also loads
//! the sorted rows into the PostgreSQL table `mall_customers_sorted` (or `sql.table`) through
//! the connection `postgres_default`, and `top_spenders` reads the run's ten highest spending
//! scores back by SQL (see [`warehouse`]); without it, `top_spenders` is skipped.
//!
//! What the tasks hand over is in [`handover`]: a plain array of rows without S3, a small
//! object in S3 mode.
//!
//! # Egress
//! The tasks that talk to S3 may reach only the endpoints in `WEFT_MALL_S3_EGRESS`, read when
//! the DAG is built (egress rules separated by `;`), by default `GET,PUT http://127.0.0.1:9000`:
//! a DAG's rules are fixed when it is deployed, while a connection's endpoint is only known
//! when a task runs. Build with, say,
//! `WEFT_MALL_S3_EGRESS="GET,PUT https://s3.eu-west-3.amazonaws.com"` for another endpoint.
//!
//! # Layout
//! - [`csv`]: reading and validating the CSV line by line; [`unique_ids`]: repeated ids
//! - [`customers`]: a row as handed over, and a compact table of many
//! - [`analysis`]: sorting and aggregating; [`columnar`]: the Parquet file
//! - [`handover`]: the tasks' outputs; [`conf`]: the run's conf
//! - [`s3`]: signed S3 requests; [`s3_mode`]: the tasks' work in S3 mode
//! - [`warehouse`]: the SQL step, loading the sorted rows and reading the top spenders
//!
//! All but [`s3`], [`s3_mode`] and [`warehouse`]'s loading and reading make no host calls
//! and are unit-tested on the host.

pub mod analysis;
pub mod columnar;
pub mod conf;
pub mod csv;
pub mod customers;
pub mod handover;
pub mod s3;
pub mod s3_mode;
pub mod sample;
pub mod unique_ids;
pub mod warehouse;

use weft_sdk::prelude::*;

use crate::analysis::GenderStats;
use crate::conf::Conf;
use crate::handover::{Extracted, Report, Sorted, Uploaded};
use crate::warehouse::{SQL_CONNECTION, SortedRow, Table, TopSpenders};

/// Name of the variable that may hold the CSV.
pub const CSV_VARIABLE: &str = "mall_customers_csv";

/// The connection to the S3-compatible store (conn type `aws`).
pub const S3_CONNECTION: &str = "aws_default";

/// Egress rules of the tasks that talk to S3, separated by `;` (see the crate's docs).
pub const S3_EGRESS: &str = match option_env!("WEFT_MALL_S3_EGRESS") {
    Some(rules) => rules,
    None => "GET,PUT http://127.0.0.1:9000",
};

/// Linear memory of the tasks that talk to S3. Sorting keeps 16 bytes a row and builds the
/// Parquet file in memory, validating keeps 4: a 100 MB CSV (4.4 million rows) takes
/// `sort_by_spending` to about 140 MiB and `extract` to 65 MiB, so this leaves room for
/// files several times larger.
pub const S3_TASK_MEMORY: u64 = 1 << 30;

/// Object read when the conf names none.
pub const DEFAULT_INPUT_KEY: &str = "Mall_Customers.csv";

/// Object written with the sorted rows, under the output prefix.
pub const PARQUET_NAME: &str = "sorted_by_spending.parquet";

/// Object written with the figures per gender, under the output prefix.
pub const AGGREGATE_NAME: &str = "by_gender.json";

/// The asset `upload` updates: the customers sorted by spending score, wherever the run's
/// conf put them (the event's extra says where, and how many rows).
pub const SORTED_ASSET: &str = "weft-example://mall_customers/sorted_by_spending";

/// The DAG: extract, then sort and aggregate side by side, then report and upload; and the
/// top spenders read back from the table the sort step loaded.
fn dag() -> Dag {
    let dag = Dag::new("mall_customers")
        .description(
            "Sorts mall customers by spending score and aggregates them by gender; \
             with {\"s3\": {...}} in the conf, reads the CSV from S3 and writes Parquet and JSON back; \
             with {\"sql\": {}}, loads the sorted rows into PostgreSQL and reads the top spenders back",
        )
        .tags(["example", "csv", "s3", "parquet", "sql"])
        .default_retries(1)
        .default_execution_timeout(Duration::from_secs(120));
    let extract = s3_task(dag.task("extract", extract));
    let sort = s3_task(dag.task("sort_by_spending", sort_by_spending)).connection(SQL_CONNECTION);
    let aggregate = s3_task(dag.task("aggregate_by_gender", aggregate_by_gender));
    let report = dag.task("report", report);
    // Its success announces the sorted customers to DAGs waiting for them.
    let upload = s3_task(dag.task("upload", upload)).outlets([SORTED_ASSET]);
    let _ = extract >> [sort, aggregate] >> report;
    let _ = [sort, aggregate] >> upload;
    let top = dag
        .task("top_spenders", top_spenders)
        .connection(SQL_CONNECTION);
    let _ = sort >> top;
    dag
}

/// Declare what a task needs to work on data in S3: the connection, the endpoint, and
/// memory for millions of rows.
fn s3_task(task: TaskRef<'_>) -> TaskRef<'_> {
    S3_EGRESS
        .split(';')
        .map(str::trim)
        .filter(|rule| !rule.is_empty())
        .fold(task.connection(S3_CONNECTION), TaskRef::allow_egress)
        .memory_limit(S3_TASK_MEMORY)
}

fn extract(ctx: &Context) -> TaskResult<Extracted> {
    let conf: Conf = ctx.conf()?;
    if let Some(s3) = &conf.s3 {
        return s3_mode::extract(ctx, s3).map(Extracted::Staged);
    }
    let (source, text) = match conf.csv {
        Some(text) => ("the run's conf".to_owned(), text),
        None => match ctx.variable(CSV_VARIABLE) {
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
    Ok(Extracted::Rows(customers))
}

/// What `extract` handed over.
fn extracted(ctx: &Context) -> TaskResult<Extracted> {
    ctx.upstream("extract")?
        .ok_or_else(|| TaskError::permanent("`extract` handed over no customers"))
}

fn sort_by_spending(ctx: &Context) -> TaskResult<Sorted> {
    let customers = match extracted(ctx)? {
        Extracted::Rows(customers) => customers,
        Extracted::Staged(staged) => {
            return s3_mode::sort_by_spending(ctx, &staged).map(Sorted::Written);
        }
    };
    let sorted = analysis::sort_by_spending(customers);
    if let (Some(low), Some(high)) = (sorted.first(), sorted.last()) {
        debug!(
            "spending scores from {} (customer {}) to {} (customer {})",
            low.spending_score, low.customer_id, high.spending_score, high.customer_id
        );
    }
    if let Some(table) = sql_table(ctx)? {
        warehouse::load(ctx, &table, sorted.iter().map(SortedRow::from))?;
    }
    Ok(Sorted::Rows(sorted))
}

fn aggregate_by_gender(ctx: &Context) -> TaskResult<Vec<GenderStats>> {
    let stats = match extracted(ctx)? {
        Extracted::Rows(customers) => analysis::aggregate_by_gender(&customers),
        Extracted::Staged(staged) => s3_mode::aggregate_by_gender(ctx, &staged)?,
    };
    for s in &stats {
        info!(
            "{}: {} customers, mean spending score {}",
            s.gender, s.count, s.mean_spending_score
        );
    }
    Ok(stats)
}

/// The sorted customers and the figures per gender, from the upstream tasks.
fn results(ctx: &Context) -> TaskResult<(Sorted, Vec<GenderStats>)> {
    let sorted = ctx
        .upstream("sort_by_spending")?
        .ok_or_else(|| TaskError::permanent("`sort_by_spending` handed over nothing"))?;
    let by_gender = ctx
        .upstream("aggregate_by_gender")?
        .ok_or_else(|| TaskError::permanent("`aggregate_by_gender` handed over nothing"))?;
    Ok((sorted, by_gender))
}

/// The table the sorted rows go to, when the run's conf asks for the SQL step.
fn sql_table(ctx: &Context) -> TaskResult<Option<Table>> {
    warehouse::table(&ctx.conf::<Conf>()?)
}

fn top_spenders(ctx: &Context) -> TaskResult<TopSpenders> {
    let Some(table) = sql_table(ctx)? else {
        return Err(TaskError::skip(
            "no `sql` in the run's conf: no table was loaded",
        ));
    };
    warehouse::top_spenders(ctx, &table)
}

fn report(ctx: &Context) -> TaskResult<Report> {
    let (sorted, by_gender) = results(ctx)?;
    Ok(Report::new(sorted, by_gender))
}

fn upload(ctx: &Context) -> TaskResult<Uploaded> {
    let conf: Conf = ctx.conf()?;
    let Some(s3) = conf.s3 else {
        return Err(TaskError::skip(
            "no `s3` in the run's conf: nothing to upload",
        ));
    };
    let (sorted, by_gender) = results(ctx)?;
    let Sorted::Written(written) = sorted else {
        return Err(TaskError::permanent(
            "`sort_by_spending` handed over rows, not the Parquet file it wrote to S3",
        ));
    };
    s3_mode::upload(ctx, &s3, written, &by_gender)
}

weft_sdk::export_dag!(dag);

#[cfg(test)]
mod tests {
    use super::*;

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
                "upload",
                "top_spenders"
            ]
        );
        assert_eq!(
            dag.upstream_of("top_spenders"),
            Some(vec!["sort_by_spending".to_owned()])
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
