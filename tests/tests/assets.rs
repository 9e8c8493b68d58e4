//! Data-aware scheduling, distributed (PostgreSQL, Redis, and the server, scheduler and
//! worker as processes): a DAG waiting for two assets runs once both are updated, by a
//! producing DAG's task or by an event posted through the API; a scheduler killed between
//! the event and the run it causes leaves its successor to create the run, once; the API and
//! the CLI list assets and events.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use weft_client::api::assets::AssetProducer;
use weft_client::api::runs::RunView;
use weft_client::{Client, RunFilter};
use weft_e2e::{Api, Cluster, WorkerSpec, process::wait_for};
use weft_model::{DagRunState, RunType};
use weft_test_guests_artifacts as guests;

const WAIT: Duration = Duration::from_secs(120);
const RAW: &str = "s3://weft/raw.csv";
const SORTED: &str = "s3://weft/sorted.parquet";

/// The runs of DAG `asset_report`.
fn report_runs(api: &Api) -> Vec<RunView> {
    api.runs(&RunFilter {
        dag_id: Some("asset_report"),
        limit: Some(100),
        ..RunFilter::default()
    })
    .runs
}

/// The output of run `run_id`'s `report` task.
fn report_output(api: &Api, run_id: &str) -> Value {
    let xcoms = api.xcoms("asset_report", run_id);
    xcoms
        .xcoms
        .iter()
        .find(|x| x.key == "return_value")
        .map(|x| x.value.clone())
        .unwrap_or_else(|| panic!("no output of report: {xcoms:?}"))
}

#[test]
fn a_dag_on_two_assets_runs_once_per_update_even_across_a_killed_scheduler() {
    let mut cluster = Cluster::on_shared_redis();
    let _server = cluster.server();
    let mut scheduler = cluster.scheduler("scheduler-1");
    let _worker = cluster.worker(&WorkerSpec::new("worker-1", "host-1", &["default"]));
    let api = cluster.api();
    for guest in [
        guests::ASSET_RAW,
        guests::ASSET_SORTED,
        guests::ASSET_REPORT,
    ] {
        api.deploy(Path::new(guest));
    }

    // raw is updated by its producer's task; sorted not yet: no report.
    let raw = api.trigger("asset_raw", json!({}), Some("raw-1"));
    assert_eq!(
        api.wait_run("asset_raw", &raw, WAIT).run.state,
        DagRunState::Success
    );
    let events = api.read("the events of raw", |client| {
        client.asset_events(Some(RAW), 100)
    });
    assert_eq!(
        events
            .events
            .first()
            .and_then(|e| e.source.as_ref())
            .map(|s| s.run_id.as_str()),
        Some("raw-1"),
        "{events:?}"
    );
    assert!(report_runs(&api).is_empty());

    // The scheduler dies; sorted is announced through the API while none runs.
    scheduler.kill9();
    // Raw: the test checks the status (201, created) and the wire form of `source`.
    let (status, posted) = api.post(
        "/assets/events",
        &json!({"uri": SORTED, "extra": {"rows": 200}}),
    );
    assert_eq!(status, 201, "{posted}");
    assert_eq!(posted["source"], Value::Null);

    // Its successor finds the events queued and starts the report, which reads them.
    let mut successor = cluster.scheduler("scheduler-2");
    let run_id = wait_for("the asset-triggered run", WAIT, || {
        report_runs(&api).first().map(|r| r.run_id.clone())
    });
    assert!(run_id.starts_with("asset_triggered__"), "{run_id}");
    let run = api.wait_run("asset_report", &run_id, WAIT);
    assert_eq!(run.run.state, DagRunState::Success, "{run:?}");
    assert_eq!(run.run.run_type, RunType::AssetTriggered, "{run:?}");
    assert_eq!(
        report_output(&api, &run_id),
        json!([[RAW, {"run_id": "raw-1"}], [SORTED, {"rows": 200}]])
    );

    // Killed again and replaced: the events are consumed, so no second run.
    successor.kill9();
    let _third = cluster.scheduler("scheduler-3");
    let again = api.trigger("asset_raw", json!({}), Some("raw-2"));
    assert_eq!(
        api.wait_run("asset_raw", &again, WAIT).run.state,
        DagRunState::Success
    );
    assert_eq!(report_runs(&api).len(), 1, "raw alone starts nothing");

    // sorted by its producer's task: a second report, with raw-2's and sort's events.
    let sorted = api.trigger("asset_sorted", json!({}), Some("sorted-1"));
    assert_eq!(
        api.wait_run("asset_sorted", &sorted, WAIT).run.state,
        DagRunState::Success
    );
    let second = wait_for("a second asset-triggered run", WAIT, || {
        report_runs(&api)
            .iter()
            .find(|r| r.run_id != run_id)
            .map(|r| r.run_id.clone())
    });
    assert_eq!(
        api.wait_run("asset_report", &second, WAIT).run.state,
        DagRunState::Success
    );
    assert_eq!(
        report_output(&api, &second),
        json!([[RAW, {"run_id": "raw-2"}], [SORTED, {"run_id": "sorted-1"}]])
    );
    assert_eq!(report_runs(&api).len(), 2);

    // The API and the CLI list the assets with their producers and consumers.
    let assets = api.read("the assets", Client::assets);
    let raw_asset = assets
        .assets
        .iter()
        .find(|a| a.uri == RAW)
        .unwrap_or_else(|| panic!("{assets:?}"));
    assert_eq!(
        raw_asset.producers,
        [AssetProducer {
            dag_id: "asset_raw".to_owned(),
            task_id: "extract".to_owned()
        }]
    );
    assert_eq!(raw_asset.consumers, ["asset_report"]);
    assert_eq!(raw_asset.events, 2);
    let (code, text) = cluster.wfctl(&["assets", "list"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("updated by  asset_sorted.sort"), "{text}");
    assert!(text.contains("starts      asset_report"), "{text}");
    let (code, text) = cluster.wfctl(&["assets", "post", "s3://weft/other", "--extra", "[1]"]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("invalid --extra: must be a JSON object"),
        "{text}"
    );
    let (code, text) = cluster.wfctl(&["assets", "post", "not a uri"]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("asset \"not a uri\" has spaces or control characters"),
        "{text}"
    );
    let (code, text) = cluster.wfctl(&["assets", "events", "--uri", SORTED]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(text.lines().count(), 2, "two events of sorted: {text}");
}
