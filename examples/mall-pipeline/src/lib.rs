//! Weft example DAG `mall_pipeline`, the first DAG of the homework pair:
//! `provision >> trigger_sort >> wait_sort >> teardown >> report`, and `wait_sort >> report`.
//!
//! - `provision` asks the cluster API (the HTTP connection `cluster_api`) for a cluster:
//!   `POST <base>/clusters` with `{"name": "mall-<run id>"}`, answered `{"cluster_id": ...}`.
//! - `trigger_sort` triggers the second DAG, `mall_customers` (the S3 CSV sorted by spending
//!   score and written back as Parquet), with this run's logical date and the conf under
//!   `sort_conf` in this run's conf (default `{"s3": {}}`).
//! - `wait_sort` runs no code: the scheduler holds it `deferred`, without a worker slot,
//!   until that run of `mall_customers` ends; it fails when the run fails.
//! - `teardown` runs whatever happened before it (`all_done`): `DELETE <base>/clusters/<id>`,
//!   skipped when no cluster was made.
//! - `report` sums the outcome up; it runs only when the sort succeeded, so the run fails
//!   when the sort did, even though the cluster was torn down.
//!
//! When a run ends, an email goes to `WEFT_MALL_NOTIFY_TO` (read when the DAG is built;
//! `data-team@example.com` by default) through the SMTP connection `smtp_default`, saying
//! whether it succeeded or failed.
//!
//! The cluster API's base URL is the connection's `schema` (`http` or `https`, default
//! `http`), `host` and `port`, and its path is the connection's extra `path` (default none).
//! The tasks that call it may reach only `WEFT_MALL_CLUSTER_EGRESS` (egress rules separated
//! by `;`, read when the DAG is built; by default `POST,DELETE http://127.0.0.1:*`).

use serde::{Deserialize, Serialize};
use weft_sdk::http;
use weft_sdk::prelude::*;

/// The HTTP connection of the cluster API.
pub const CLUSTER_CONNECTION: &str = "cluster_api";

/// The SMTP connection the outcome is emailed through.
pub const SMTP_CONNECTION: &str = "smtp_default";

/// The DAG this one triggers and waits for.
pub const SORT_DAG: &str = "mall_customers";

/// Egress rules of the tasks that call the cluster API, separated by `;`.
pub const CLUSTER_EGRESS: &str = match option_env!("WEFT_MALL_CLUSTER_EGRESS") {
    Some(rules) => rules,
    None => "POST,DELETE http://127.0.0.1:*",
};

/// Who is told how a run ended.
pub const NOTIFY_TO: &str = match option_env!("WEFT_MALL_NOTIFY_TO") {
    Some(to) => to,
    None => "data-team@example.com",
};

/// How long the sort may take before the wait gives up.
pub const SORT_TIMEOUT: Duration = Duration::from_secs(2 * 3600);

/// What `provision` hands over: the cluster made for the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cluster {
    /// The cluster API's id for it.
    pub cluster_id: String,
}

/// What `report` returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// The cluster the sort ran beside.
    pub cluster_id: String,
    /// The run of `mall_customers`.
    pub sort_run_id: String,
    /// How it ended.
    pub sort_state: String,
}

/// The DAG: provision, trigger the sort and wait for it, tear down, report; email the end.
fn dag() -> Dag {
    let notify = || Notifier::email(SMTP_CONNECTION, [NOTIFY_TO]);
    let dag = Dag::new("mall_pipeline")
        .description(
            "Provisions a cluster, triggers mall_customers and waits for it without holding a \
             worker slot, tears the cluster down and emails the outcome",
        )
        .tags(["example", "orchestration", "homework"])
        .on_run_success(notify())
        .on_run_failure(notify());
    let provision = cluster_task(dag.task("provision", provision)).retries(2);
    let trigger = dag.task("trigger_sort", trigger_sort);
    let wait = dag
        .wait("wait_sort", Wait::external(SORT_DAG).same_logical_date())
        .sensor(SensorSettings::new().timeout(SORT_TIMEOUT));
    let teardown = cluster_task(dag.task("teardown", teardown))
        .trigger_rule(TriggerRule::AllDone)
        .retries(2);
    let report = dag.task("report", report);
    let _ = provision >> trigger >> wait >> teardown >> report;
    let _ = wait >> report;
    dag
}

/// Declare what a task needs to call the cluster API.
fn cluster_task(task: TaskRef<'_>) -> TaskRef<'_> {
    CLUSTER_EGRESS
        .split(';')
        .map(str::trim)
        .filter(|rule| !rule.is_empty())
        .fold(task.connection(CLUSTER_CONNECTION), TaskRef::allow_egress)
}

/// The cluster API's URL for `path`, from the connection.
fn cluster_url(ctx: &Context, path: &str) -> TaskResult<String> {
    let api = ctx.connection(CLUSTER_CONNECTION).permanent()?;
    let host = api
        .host
        .clone()
        .ok_or_else(|| TaskError::permanent("connection cluster_api has no host"))?;
    let scheme = api.schema.clone().unwrap_or_else(|| "http".into());
    let port = api.port.map(|p| format!(":{p}")).unwrap_or_default();
    let base = api
        .extra_str("path")
        .unwrap_or_default()
        .trim_end_matches('/');
    Ok(format!("{scheme}://{host}{port}{base}{path}"))
}

fn provision(ctx: &Context) -> TaskResult<Cluster> {
    let url = cluster_url(ctx, "/clusters")?;
    let cluster: Cluster = http::post(&url)
        .json(&json!({"name": format!("mall-{}", ctx.run_id())}))
        .send()?
        .error_for_status()?
        .json()?;
    info!("cluster {} is up", cluster.cluster_id);
    Ok(cluster)
}

fn trigger_sort(ctx: &Context) -> TaskResult<String> {
    let conf = match ctx.conf_value().get("sort_conf") {
        Some(conf) => conf.clone(),
        None => json!({"s3": {}}),
    };
    let run_id = ctx.trigger_dag(
        TriggerRequest::new(SORT_DAG)
            .conf(conf)
            .logical_date(ctx.logical_date()),
    )?;
    info!("triggered {SORT_DAG} run {run_id}");
    Ok(run_id)
}

fn teardown(ctx: &Context) -> TaskResult<Value> {
    let Some(cluster) = ctx.xcom_pull::<Cluster>("provision")? else {
        return Err(TaskError::skip("no cluster was provisioned"));
    };
    let url = cluster_url(ctx, &format!("/clusters/{}", cluster.cluster_id))?;
    http::delete(&url).send()?.error_for_status()?;
    info!("cluster {} is down", cluster.cluster_id);
    Ok(json!({"deleted": cluster.cluster_id}))
}

/// The wait's output: how the run of `mall_customers` ended.
#[derive(Debug, Deserialize)]
struct SortEnded {
    run_id: String,
    state: String,
}

fn report(ctx: &Context) -> TaskResult<Outcome> {
    let cluster: Cluster = ctx
        .xcom_pull("provision")?
        .ok_or_else(|| TaskError::permanent("provision left no cluster"))?;
    let sort: SortEnded = ctx
        .upstream("wait_sort")?
        .ok_or_else(|| TaskError::permanent("wait_sort left no event"))?;
    Ok(Outcome {
        cluster_id: cluster.cluster_id,
        sort_run_id: sort.run_id,
        sort_state: sort.state,
    })
}

weft_sdk::export_dag!(dag);
