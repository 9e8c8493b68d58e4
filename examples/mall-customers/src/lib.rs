//! Weft example DAG `mall_customers`: `extract >> [sort_by_spending, aggregate_by_gender] >> report`.
//!
//! `extract` reads a CSV with the Mall Customers columns
//! (`CustomerID,Gender,Age,Annual Income (k$),Spending Score (1-100)`) from the run's conf
//! (`{"csv": "..."}`), else from the variable `mall_customers_csv`, else from a built-in
//! sample, and validates it: a bad row fails the task for good, naming its line and column.
//! `sort_by_spending` orders the customers by spending score (ties by id),
//! `aggregate_by_gender` computes figures per gender, and `report` returns both.
//!
//! The parsing, sorting and aggregation live in [`customers`] and [`analysis`], which make no
//! host calls and are unit-tested on the host.

pub mod analysis;
pub mod customers;
pub mod sample;

use serde::{Deserialize, Serialize};
use weft_sdk::prelude::*;

use crate::analysis::GenderStats;
use crate::customers::Customer;

/// Name of the variable that may hold the CSV.
pub const CSV_VARIABLE: &str = "mall_customers_csv";

/// The run conf this DAG understands.
#[derive(Debug, Default, Deserialize)]
struct Conf {
    /// The CSV text itself.
    csv: Option<String>,
}

/// What `report` returns.
#[derive(Debug, Serialize)]
struct Report {
    customers: usize,
    sorted_by_spending: Vec<Customer>,
    by_gender: Vec<GenderStats>,
}

/// The DAG: extract, then sort and aggregate side by side, then report.
fn dag() -> Dag {
    let dag = Dag::new("mall_customers")
        .description("Sorts mall customers by spending score and aggregates them by gender")
        .tags(["example", "csv"])
        .default_retries(1)
        .default_execution_timeout(Duration::from_secs(60));
    let extract = dag.task("extract", extract);
    let sort = dag.task("sort_by_spending", sort_by_spending);
    let aggregate = dag.task("aggregate_by_gender", aggregate_by_gender);
    let report = dag.task("report", report);
    let _ = extract >> [sort, aggregate] >> report;
    dag
}

fn extract(ctx: &Context) -> TaskResult<Vec<Customer>> {
    let conf: Conf = ctx.conf()?;
    let (source, text) = match conf.csv {
        Some(text) => ("the run's conf", text),
        None => match ctx.variable(CSV_VARIABLE) {
            Some(text) => ("the variable `mall_customers_csv`", text),
            None => ("the built-in sample", sample::SAMPLE_CSV.to_owned()),
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

fn report(ctx: &Context) -> TaskResult<Report> {
    let sorted: Vec<Customer> = ctx
        .upstream("sort_by_spending")?
        .ok_or_else(|| TaskError::permanent("`sort_by_spending` handed over nothing"))?;
    let by_gender: Vec<GenderStats> = ctx
        .upstream("aggregate_by_gender")?
        .ok_or_else(|| TaskError::permanent("`aggregate_by_gender` handed over nothing"))?;
    Ok(Report {
        customers: sorted.len(),
        sorted_by_spending: sorted,
        by_gender,
    })
}

weft_sdk::export_dag!(dag);
