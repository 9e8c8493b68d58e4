//! Retention: old ended runs go in batches with their task instances, XCom values and
//! logs; what the scheduler needs stays; unused versions and components can go.

use weft_model::{DagRunState, RunType};
use weft_store::{
    Clean, DEFAULT_TENANT, FinishTask, NewAssetEvent, SetRunState, Store, WriteBatch,
};

use super::{deploy_of, deployed, new_run, queue, ts, write};

/// A run `run_id` of `dag` (tasks `a`, `b`) of type `kind` at logical date `ts(day)`, ended
/// at `ts(ended)` in `state` (or left running when `None`), with a log and an XCom value
/// for `a`.
async fn run(
    store: &dyn Store,
    digest: &str,
    run_id: &str,
    kind: RunType,
    day: i64,
    ended: Option<(DagRunState, i64)>,
) -> i64 {
    let mut new = new_run(DEFAULT_TENANT, "etl", run_id, digest, &["a", "b"]);
    new.run_type = kind;
    new.logical_date = ts(day);
    new.data_interval_start = ts(day);
    new.data_interval_end = ts(day);
    let (run, tis) = store.create_run(new).await.unwrap();
    write(
        store,
        WriteBatch {
            queue: vec![queue(&tis[0])],
            ..WriteBatch::default()
        },
    )
    .await;
    let mut done = super::finish(tis[0].id, tis[0].lease + 1, weft_model::TaskState::Success);
    done.log = Some(b"{\"line\":1}\n".to_vec());
    let done: FinishTask = done;
    write(
        store,
        WriteBatch {
            finish: vec![done],
            ..WriteBatch::default()
        },
    )
    .await;
    if let Some((state, at)) = ended {
        write(
            store,
            WriteBatch {
                set_run: vec![
                    SetRunState {
                        run: run.id,
                        state: DagRunState::Running,
                        at: ts(at - 1),
                    },
                    SetRunState {
                        run: run.id,
                        state,
                        at: ts(at),
                    },
                ],
                ..WriteBatch::default()
            },
        )
        .await;
    }
    run.id
}

fn clean(before: i64, dry_run: bool, components: bool) -> Clean {
    Clean {
        before: ts(before),
        batch: 2,
        dry_run,
        components,
    }
}

pub async fn old_ended_runs_go_in_batches_and_what_the_scheduler_needs_stays(store: &dyn Store) {
    let digest = deployed(store, DEFAULT_TENANT, "etl", &["a", "b"]).await;
    let old = [
        run(
            store,
            &digest,
            "m1",
            RunType::Manual,
            1,
            Some((DagRunState::Success, 100)),
        )
        .await,
        run(
            store,
            &digest,
            "m2",
            RunType::Manual,
            2,
            Some((DagRunState::Failed, 110)),
        )
        .await,
        run(
            store,
            &digest,
            "s1",
            RunType::Scheduled,
            3,
            Some((DagRunState::Success, 120)),
        )
        .await,
        run(
            store,
            &digest,
            "m3",
            RunType::Manual,
            4,
            Some((DagRunState::Success, 130)),
        )
        .await,
    ];
    // The latest scheduled run stays however old: the scheduler reads where its schedule
    // stands from it.
    let latest_scheduled = run(
        store,
        &digest,
        "s2",
        RunType::Scheduled,
        5,
        Some((DagRunState::Success, 140)),
    )
    .await;
    let running = run(store, &digest, "m4", RunType::Manual, 6, None).await;
    let recent = run(
        store,
        &digest,
        "m5",
        RunType::Manual,
        7,
        Some((DagRunState::Success, 900)),
    )
    .await;
    // The newest run of a DAG stays too.
    let other = deployed(store, DEFAULT_TENANT, "solo", &["a"]).await;
    let mut only = new_run(DEFAULT_TENANT, "solo", "only", &other, &["a"]);
    only.logical_date = ts(1);
    let (solo, _) = store.create_run(only).await.unwrap();
    write(
        store,
        WriteBatch {
            set_run: vec![SetRunState {
                run: solo.id,
                state: DagRunState::Success,
                at: ts(100),
            }],
            ..WriteBatch::default()
        },
    )
    .await;
    for at in [50, 60] {
        store
            .post_asset_event(NewAssetEvent {
                tenant: DEFAULT_TENANT.into(),
                uri: "s3://b/k".into(),
                extra: serde_json::json!({}),
                source: None,
                at: ts(at),
                after_finish: None,
            })
            .await
            .unwrap();
    }

    let dry = store.clean(&clean(500, true, false)).await.unwrap();
    assert_eq!(
        (dry.runs, dry.task_instances, dry.asset_events, dry.batches),
        (4, 8, 1, 0),
        "{dry:?}"
    );
    for id in old {
        assert!(
            store.run(id).await.unwrap().is_some(),
            "a dry run removes nothing"
        );
    }

    // The first task instance of each old run, with the log its result left.
    let mut logged = Vec::new();
    for &id in &old {
        let (_, tis) = store.run(id).await.unwrap().expect("old run");
        let ti = tis.iter().find(|ti| ti.task_id == "a").expect("task a");
        let log = store.task_log(ti.id, ti.try_number).await.unwrap();
        assert!(log.is_some(), "{ti:?} has a log");
        logged.push((ti.id, ti.try_number));
    }

    let cleaned = store.clean(&clean(500, false, false)).await.unwrap();
    assert_eq!(
        (cleaned.runs, cleaned.task_instances, cleaned.asset_events),
        (4, 8, 1),
        "{cleaned:?}"
    );
    assert!(cleaned.batches >= 3, "two runs per batch: {cleaned:?}");
    for id in old {
        assert!(store.run(id).await.unwrap().is_none(), "run {id} is gone");
        assert!(
            store.run_xcoms(id).await.unwrap().is_empty(),
            "its XCom values too"
        );
    }
    for (ti, try_number) in logged {
        assert!(
            store.task_log(ti, try_number).await.unwrap().is_none(),
            "task instance {ti} is gone with its log"
        );
    }
    for id in [latest_scheduled, running, recent, solo.id] {
        let (kept, tis) = store.run(id).await.unwrap().expect("kept");
        assert_eq!(tis.len(), if id == solo.id { 1 } else { 2 }, "{kept:?}");
    }
    let latest = store
        .latest_scheduled_run(DEFAULT_TENANT, "etl")
        .await
        .unwrap()
        .expect("latest scheduled");
    assert_eq!(latest.id, latest_scheduled);
    let events = store
        .asset_events(DEFAULT_TENANT, Some("s3://b/k"), 10)
        .await
        .unwrap();
    assert_eq!(events.len(), 1, "an asset's newest event stays: {events:?}");

    let again = store.clean(&clean(500, false, false)).await.unwrap();
    assert_eq!((again.runs, again.asset_events), (0, 0), "nothing twice");
}

pub async fn unused_versions_and_components_go_when_asked(store: &dyn Store) {
    let v1 = deploy_of(DEFAULT_TENANT, "etl", &["a", "b"], "v1", ts(0));
    let v2 = deploy_of(DEFAULT_TENANT, "etl", &["a", "b"], "v2", ts(10));
    let v3 = deploy_of(DEFAULT_TENANT, "etl", &["a", "b"], "v3", ts(20));
    let (d1, d2, d3) = (v1.digest.clone(), v2.digest.clone(), v3.digest.clone());
    for deploy in [v1, v2] {
        store.deploy(deploy).await.unwrap();
    }
    // A run pinned to v2 keeps it; v1 is used by nothing once v3 is current.
    run(
        store,
        &d2,
        "pinned",
        RunType::Manual,
        1,
        Some((DagRunState::Success, 900)),
    )
    .await;
    store.deploy(v3).await.unwrap();

    let untouched = store.clean(&clean(500, false, false)).await.unwrap();
    assert_eq!((untouched.versions, untouched.components), (0, 0));
    let dry = store.clean(&clean(500, true, true)).await.unwrap();
    assert_eq!((dry.versions, dry.components), (1, 1), "{dry:?}");
    let pruned = store.clean(&clean(500, false, true)).await.unwrap();
    assert_eq!((pruned.versions, pruned.components), (1, 1), "{pruned:?}");
    assert!(
        store
            .component(DEFAULT_TENANT, &d1)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .component(DEFAULT_TENANT, &d2)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .component(DEFAULT_TENANT, &d3)
            .await
            .unwrap()
            .is_some()
    );
    let versions: Vec<String> = store
        .dag_versions(DEFAULT_TENANT, "etl")
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.digest)
        .collect();
    assert!(!versions.contains(&d1), "{versions:?}");
    assert!(
        versions.contains(&d2) && versions.contains(&d3),
        "{versions:?}"
    );
}
