//! Assets: events written with the finish that causes them or posted, queued for the DAGs
//! scheduled on their asset, and consumed once by the run they start.

use weft_model::{DagSpec, TaskSpec, TaskState};
use weft_store::{
    AssetSource, DEFAULT_TENANT, Deploy, NewAssetEvent, Store, StoreError, WriteBatch,
};

use super::{component, finish, new_run, queue, run_of, ts, write};

const RAW: &str = "s3://weft/raw.csv";
const SORTED: &str = "s3://weft/sorted.parquet";

/// Deploy `dag_id` waiting for `assets` (version `label`); its digest.
async fn consumer(store: &dyn Store, dag_id: &str, assets: &[&str], label: &str) -> String {
    let (bytes, digest) = component(&format!("{dag_id}/{label}"));
    let spec = DagSpec {
        assets: assets.iter().map(|a| (*a).to_owned()).collect(),
        tasks: vec![TaskSpec::new("t")],
        ..DagSpec::new(dag_id)
    };
    store
        .deploy(Deploy {
            tenant: DEFAULT_TENANT.into(),
            digest: digest.clone(),
            bytes,
            dag_id: dag_id.into(),
            spec,
            at: ts(0),
        })
        .await
        .unwrap();
    digest
}

/// The ids of the events queued for DAG `dag_id`, oldest first.
async fn queued_ids(store: &dyn Store, dag_id: &str) -> Vec<i64> {
    store
        .queued_asset_events(DEFAULT_TENANT, dag_id)
        .await
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect()
}

fn posted(uri: &str, extra: serde_json::Value, at: i64) -> NewAssetEvent {
    NewAssetEvent {
        tenant: DEFAULT_TENANT.into(),
        uri: uri.into(),
        extra,
        source: None,
        at: ts(at),
        after_finish: None,
    }
}

pub async fn an_event_is_written_only_with_its_finish_and_queued_for_consumers(store: &dyn Store) {
    consumer(store, "report", &[SORTED], "v1").await;
    let (run, tis) = run_of(store, "etl", &["a", "b"]).await;
    write(
        store,
        WriteBatch {
            queue: tis.iter().map(queue).collect(),
            ..WriteBatch::default()
        },
    )
    .await;
    let event = |task: &str, ti: i64| NewAssetEvent {
        tenant: DEFAULT_TENANT.into(),
        uri: SORTED.into(),
        extra: serde_json::json!({"rows": 200}),
        source: Some(AssetSource {
            dag_id: run.dag_id.clone(),
            run_id: run.run_id.clone(),
            task_id: task.into(),
            map_index: None,
        }),
        at: ts(20),
        after_finish: Some(ti),
    };
    // a's finish applies; b's carries a stale lease, so its event is not written.
    let outcome = write(
        store,
        WriteBatch {
            finish: vec![
                finish(tis[0].id, 1, TaskState::Success),
                finish(tis[1].id, 9, TaskState::Success),
            ],
            asset_events: vec![event("a", tis[0].id), event("b", tis[1].id)],
            ..WriteBatch::default()
        },
    )
    .await;
    assert_eq!(outcome.finished, [true, false]);
    let events = store.asset_events(DEFAULT_TENANT, None, 10).await.unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].uri, SORTED);
    assert_eq!(events[0].extra, serde_json::json!({"rows": 200}));
    assert_eq!(
        events[0].source.as_ref().map(|s| s.task_id.as_str()),
        Some("a")
    );
    let queued = store
        .queued_asset_events(DEFAULT_TENANT, "report")
        .await
        .unwrap();
    assert_eq!(queued, events, "queued for the DAG scheduled on it");
    assert!(
        store
            .queued_asset_events(DEFAULT_TENANT, "etl")
            .await
            .unwrap()
            .is_empty(),
        "and for no other DAG"
    );
}

pub async fn a_consuming_run_takes_its_events_once(store: &dyn Store) {
    let digest = consumer(store, "report", &[RAW, SORTED], "v1").await;
    // An event from before a DAG waits for the asset is not queued for it.
    let early = store
        .post_asset_event(posted("s3://weft/other", serde_json::json!({}), 1))
        .await
        .unwrap();
    let raw = store
        .post_asset_event(posted(RAW, serde_json::json!({"day": 1}), 2))
        .await
        .unwrap();
    let sorted = store
        .post_asset_event(posted(SORTED, serde_json::json!({}), 3))
        .await
        .unwrap();
    assert!(early.id < raw.id && raw.id < sorted.id, "ids grow");
    let queued = queued_ids(store, "report").await;
    assert_eq!(queued, [raw.id, sorted.id]);

    let run = new_run(
        DEFAULT_TENANT,
        "report",
        "asset_triggered__1",
        &digest,
        &["t"],
    );
    let (created, tis) = store.create_asset_run(run.clone(), &queued).await.unwrap();
    assert_eq!(created.run_id, "asset_triggered__1");
    assert_eq!(tis.len(), 1);
    assert!(
        store
            .queued_asset_events(DEFAULT_TENANT, "report")
            .await
            .unwrap()
            .is_empty()
    );

    // A second run of the same events (another scheduler, or a retry after a crash) is
    // refused and writes nothing.
    let again = new_run(
        DEFAULT_TENANT,
        "report",
        "asset_triggered__2",
        &digest,
        &["t"],
    );
    let refused = store.create_asset_run(again, &queued).await;
    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "{refused:?}"
    );
    assert!(
        store
            .run_by_id(DEFAULT_TENANT, "report", "asset_triggered__2")
            .await
            .unwrap()
            .is_none()
    );
    // A run that cannot be written leaves its events queued.
    let later = store
        .post_asset_event(posted(RAW, serde_json::json!({}), 4))
        .await
        .unwrap();
    let taken = new_run(
        DEFAULT_TENANT,
        "report",
        "asset_triggered__1",
        &digest,
        &["t"],
    );
    let duplicate = store.create_asset_run(taken, &[later.id]).await;
    assert!(
        matches!(duplicate, Err(StoreError::Conflict(_))),
        "{duplicate:?}"
    );
    let left = queued_ids(store, "report").await;
    assert_eq!(left, [later.id]);
}

pub async fn a_new_version_waits_for_its_own_assets(store: &dyn Store) {
    consumer(store, "report", &[RAW, SORTED], "v1").await;
    store
        .post_asset_event(posted(RAW, serde_json::json!({}), 1))
        .await
        .unwrap();
    let sorted = store
        .post_asset_event(posted(SORTED, serde_json::json!({}), 2))
        .await
        .unwrap();
    consumer(store, "report", &[SORTED], "v2").await;
    let queued = queued_ids(store, "report").await;
    assert_eq!(
        queued,
        [sorted.id],
        "the raw event is dropped with the asset"
    );
    store
        .post_asset_event(posted(RAW, serde_json::json!({}), 3))
        .await
        .unwrap();
    assert_eq!(
        store
            .queued_asset_events(DEFAULT_TENANT, "report")
            .await
            .unwrap()
            .len(),
        1
    );
}

pub async fn events_are_listed_and_bad_ones_refused(store: &dyn Store) {
    for (uri, at) in [(RAW, 1), (SORTED, 2), (RAW, 3)] {
        store
            .post_asset_event(posted(uri, serde_json::json!({}), at))
            .await
            .unwrap();
    }
    let raw: Vec<_> = store
        .asset_events(DEFAULT_TENANT, Some(RAW), 10)
        .await
        .unwrap()
        .iter()
        .map(|e| e.created_at)
        .collect();
    assert_eq!(raw, [ts(3), ts(1)], "newest first");
    assert_eq!(
        store
            .asset_events(DEFAULT_TENANT, None, 2)
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(
        store
            .asset_events("other", None, 10)
            .await
            .unwrap()
            .is_empty(),
        "per tenant"
    );
    let activity = store.asset_activity(DEFAULT_TENANT).await.unwrap();
    let shown: Vec<_> = activity
        .iter()
        .map(|a| (a.uri.as_str(), a.events, a.last_event_at))
        .collect();
    assert_eq!(shown, [(RAW, 2, ts(3)), (SORTED, 1, ts(2))]);

    for (uri, extra, says) in [
        ("raw.csv", serde_json::json!({}), "is not a URI"),
        (RAW, serde_json::json!([1]), "must be a JSON object"),
    ] {
        let refused = store.post_asset_event(posted(uri, extra, 9)).await;
        assert!(
            matches!(&refused, Err(StoreError::Invalid(m)) if m.contains(says)),
            "{refused:?}"
        );
    }
    assert_eq!(
        store
            .asset_events(DEFAULT_TENANT, None, 10)
            .await
            .unwrap()
            .len(),
        3
    );
}

pub async fn an_event_follows_a_wait_that_ends_in_success(store: &dyn Store) {
    consumer(store, "report", &[SORTED], "v1").await;
    let (run, tis) = run_of(store, "etl", &["wait"]).await;
    let ti = &tis[0];
    write(
        store,
        WriteBatch {
            defer: vec![weft_store::DeferTask {
                ti: ti.id,
                lease: 0,
                from: TaskState::None,
                try_number: 1,
                deferral: super::write::time_wait(90, false),
                next_at: Some(ts(90)),
                at: ts(10),
            }],
            ..WriteBatch::default()
        },
    )
    .await;
    let event = NewAssetEvent {
        tenant: DEFAULT_TENANT.into(),
        uri: SORTED.into(),
        extra: serde_json::json!({}),
        source: Some(AssetSource {
            dag_id: run.dag_id.clone(),
            run_id: run.run_id.clone(),
            task_id: "wait".into(),
            map_index: None,
        }),
        at: ts(95),
        after_finish: Some(ti.id),
    };
    let end = |lease: i64| weft_store::ResolveDeferral {
        ti: ti.id,
        lease,
        state: TaskState::Success,
        at: ts(95),
        output: None,
        deferral: None,
        error_class: None,
        error: None,
        next_retry_at: None,
    };
    // An end of wait under a stale lease is refused, and so is its event.
    let outcome = write(
        store,
        WriteBatch {
            resolve: vec![end(9)],
            asset_events: vec![event.clone()],
            ..WriteBatch::default()
        },
    )
    .await;
    assert_eq!(outcome.resolved, [false]);
    assert!(
        store
            .asset_events(DEFAULT_TENANT, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let outcome = write(
        store,
        WriteBatch {
            resolve: vec![end(1)],
            asset_events: vec![event],
            ..WriteBatch::default()
        },
    )
    .await;
    assert_eq!(outcome.resolved, [true]);
    assert_eq!(queued_ids(store, "report").await.len(), 1);
}

pub async fn a_paused_dag_misses_the_updates_made_while_it_is_paused(store: &dyn Store) {
    consumer(store, "report", &[RAW], "v1").await;
    assert!(
        store
            .set_paused(DEFAULT_TENANT, "report", true, ts(1))
            .await
            .unwrap()
    );
    store
        .post_asset_event(posted(RAW, serde_json::json!({}), 2))
        .await
        .unwrap();
    assert!(queued_ids(store, "report").await.is_empty());
    assert!(
        store
            .set_paused(DEFAULT_TENANT, "report", false, ts(3))
            .await
            .unwrap()
    );
    store
        .post_asset_event(posted(RAW, serde_json::json!({}), 4))
        .await
        .unwrap();
    assert_eq!(queued_ids(store, "report").await.len(), 1);
    let big = serde_json::json!({"blob": "x".repeat(weft_store::assets::MAX_EXTRA_BYTES)});
    let refused = store.post_asset_event(posted(RAW, big, 5)).await;
    assert!(
        matches!(&refused, Err(StoreError::Invalid(m)) if m.contains("bytes of JSON")),
        "{refused:?}"
    );
}

pub async fn a_dag_past_the_limit_still_sees_each_asset(store: &dyn Store) {
    let digest = consumer(store, "report", &[RAW, SORTED], "v1").await;
    let limit = weft_store::assets::MAX_EVENTS_PER_RUN as i64;
    for at in 0..=limit {
        store
            .post_asset_event(posted(RAW, serde_json::json!({}), at))
            .await
            .unwrap();
    }
    let sorted = store
        .post_asset_event(posted(SORTED, serde_json::json!({}), limit + 1))
        .await
        .unwrap();
    let queued = store
        .queued_asset_events(DEFAULT_TENANT, "report")
        .await
        .unwrap();
    assert_eq!(
        queued.len() as i64,
        limit + 1,
        "the oldest {limit} and sorted's"
    );
    assert_eq!(queued.last().map(|e| e.id), Some(sorted.id));
    let ids: Vec<i64> = queued.iter().map(|e| e.id).collect();
    let run = new_run(
        DEFAULT_TENANT,
        "report",
        "asset_triggered__1",
        &digest,
        &["t"],
    );
    store.create_asset_run(run, &ids).await.unwrap();
    // The raw event past the limit waits for the next run.
    assert_eq!(queued_ids(store, "report").await.len(), 1);
}
