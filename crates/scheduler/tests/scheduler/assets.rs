//! Runs started by assets, driven by a manual clock: a consuming DAG runs once both of its
//! assets have been updated since its last run, whoever updated them, and a run is created
//! once per set of events whatever restarts.

#![allow(clippy::unwrap_used)]

use crate::support;

use support::{Now as _, bench, failure, task_ids};
use weft_model::{DagSpec, RunType, TaskSpec};
use weft_scheduler::{Control, SchedulerConfig, TriggerRequest};
use weft_store::{DEFAULT_TENANT, NewAssetEvent};

const RAW: &str = "s3://weft/raw.csv";
const SORTED: &str = "s3://weft/sorted.parquet";

fn producer(dag_id: &str, task_id: &str, uri: &str) -> DagSpec {
    let mut task = TaskSpec::new(task_id);
    task.outlets = vec![uri.into()];
    task.settings.retries = Some(0);
    DagSpec {
        tasks: vec![task],
        ..DagSpec::new(dag_id)
    }
}

fn report() -> DagSpec {
    DagSpec {
        assets: vec![RAW.into(), SORTED.into()],
        tasks: vec![TaskSpec::new("report")],
        ..DagSpec::new("report")
    }
}

/// Runs of the producers, each at its own logical date, written before the scheduler
/// starts; the messages of their tasks by run id once it has.
async fn producer_runs(b: &support::Bench, runs: &[(&str, &str)]) {
    for (dag_id, at) in runs {
        let request = TriggerRequest {
            logical_date: Some(support::ts(at)),
            ..TriggerRequest::default()
        };
        b.handle
            .trigger(DEFAULT_TENANT, dag_id, request)
            .await
            .unwrap();
    }
}

/// The URIs of the events that started `run`, from its conf.
fn triggering(run: &weft_store::DagRun) -> Vec<String> {
    run.conf["triggering_asset_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["uri"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_dag_on_two_assets_runs_once_both_are_updated_each_time() {
    let b = bench("2024-06-01T12:00:00Z", SchedulerConfig::default()).await;
    b.deploy(producer("raw", "extract", RAW)).await;
    b.deploy(producer("sorted", "sort", SORTED)).await;
    b.deploy(report()).await;
    producer_runs(
        &b,
        &[
            ("raw", "2024-06-01T01:00:00Z"),
            ("sorted", "2024-06-01T02:00:00Z"),
            ("sorted", "2024-06-01T03:00:00Z"),
            ("raw", "2024-06-01T04:00:00Z"),
            ("sorted", "2024-06-01T05:00:00Z"),
            ("sorted", "2024-06-01T06:00:00Z"),
        ],
    )
    .await;
    let mut s = b.scheduler();
    s.start().await.unwrap();
    let mut messages = b.take().await;
    messages.sort_by_key(|m| m.logical_date);
    assert_eq!(
        task_ids(&messages),
        ["extract", "sort", "sort", "extract", "sort", "sort"]
    );
    let [raw1, sorted1, sorted2, raw2, sorted3, sorted4] = messages.try_into().unwrap();

    // raw alone: not enough.
    s.step(b.succeed(&raw1)).await.unwrap();
    s.step(Vec::new()).await.unwrap();
    assert!(b.runs("report").await.is_empty());

    // A failed update gives no event.
    s.step(vec![
        b.started(&sorted1),
        b.finished(&sorted1, failure(false)),
    ])
    .await
    .unwrap();
    s.step(Vec::new()).await.unwrap();
    assert!(b.runs("report").await.is_empty());

    // sorted succeeds, attaching data to its event: both are new, and the consumer is looked
    // at in the next step.
    let with_extra = weft_protocol::AttemptOutcome::Success {
        output: b"null".to_vec(),
        asset_extras: vec![(SORTED.to_owned(), serde_json::json!({"rows": 7}))],
    };
    s.step(vec![b.started(&sorted2), b.finished(&sorted2, with_extra)])
        .await
        .unwrap();
    assert_eq!(s.wake_at(), Some(b.clock.now_ts()), "due at once");
    s.step(Vec::new()).await.unwrap();
    let runs = b.runs("report").await;
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].run_type, RunType::AssetTriggered);
    assert_eq!(triggering(&runs[0]), [RAW, SORTED]);
    assert_eq!(
        runs[0].conf["triggering_asset_events"][1]["source"]["run_id"],
        sorted2.run_id.as_str()
    );
    assert_eq!(
        runs[0].conf["triggering_asset_events"][1]["extra"],
        serde_json::json!({"rows": 7})
    );
    assert_eq!(task_ids(&b.take().await), ["report"]);

    // raw again: sorted has not been updated since, so no run.
    s.step(b.succeed(&raw2)).await.unwrap();
    s.step(Vec::new()).await.unwrap();
    assert_eq!(b.runs("report").await.len(), 1);

    // Two updates of sorted before the consumer is looked at: one run consumes them both.
    let mut both = b.succeed(&sorted3);
    both.extend(b.succeed(&sorted4));
    s.step(both).await.unwrap();
    s.step(Vec::new()).await.unwrap();
    let runs = b.runs("report").await;
    assert_eq!(runs.len(), 2, "{runs:?}");
    let second = runs.iter().max_by_key(|r| r.id).unwrap();
    assert_eq!(triggering(second), [RAW, SORTED, SORTED]);
    assert!(
        second.run_id.starts_with("asset_triggered__"),
        "{}",
        second.run_id
    );
}

#[tokio::test]
async fn queued_events_start_one_run_whichever_scheduler_finds_them() {
    let b = bench("2024-06-01T12:00:00Z", SchedulerConfig::default()).await;
    b.deploy(report()).await;
    // Events written while no scheduler runs (say, one was killed right after they were).
    for (uri, rows) in [(RAW, 200), (SORTED, 200)] {
        b.store
            .post_asset_event(NewAssetEvent {
                tenant: DEFAULT_TENANT.into(),
                uri: uri.into(),
                extra: serde_json::json!({"rows": rows}),
                source: None,
                at: b.clock.now_ts(),
                after_finish: None,
            })
            .await
            .unwrap();
    }
    let (mut first, mut second) = (b.scheduler(), b.scheduler());
    first.start().await.unwrap();
    second.start().await.unwrap();
    let runs = b.runs("report").await;
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(
        runs[0].conf["triggering_asset_events"][0]["extra"],
        serde_json::json!({"rows": 200})
    );
    let mut third = b.scheduler();
    third.start().await.unwrap();
    assert_eq!(b.runs("report").await.len(), 1);
}

#[tokio::test]
async fn a_dag_on_a_schedule_and_assets_runs_for_both() {
    let b = bench("2024-06-03T00:00:00Z", SchedulerConfig::default()).await;
    let mut spec = report();
    spec.assets = vec![RAW.into()];
    spec.schedule = Some("@daily".into());
    spec.start_date = Some("2024-06-02".into());
    b.deploy(spec).await;
    b.store
        .post_asset_event(NewAssetEvent {
            tenant: DEFAULT_TENANT.into(),
            uri: RAW.into(),
            extra: serde_json::json!({}),
            source: None,
            at: b.clock.now_ts(),
            after_finish: None,
        })
        .await
        .unwrap();
    let mut s = b.scheduler();
    s.start().await.unwrap();
    let mut kinds: Vec<RunType> = b.runs("report").await.iter().map(|r| r.run_type).collect();
    kinds.sort_by_key(|k| k.as_str());
    assert_eq!(kinds, [RunType::AssetTriggered, RunType::Scheduled]);
}
