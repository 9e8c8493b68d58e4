//! Creating and listing runs; run states; lease expiry.

use jiff::Timestamp;
use weft_model::{DagRunState, RunType, TaskState};
use weft_store::{
    DEFAULT_TENANT, Heartbeat, NewRun, RunFilter, SetRunState, Store, StoreError, WriteBatch,
};

use super::{deployed, new_run, queue, run_of, start, ts, write};

pub async fn create_run_makes_task_instances(store: &dyn Store) {
    let digest = deployed(store, DEFAULT_TENANT, "etl", &["a", "b"]).await;
    let mut request = new_run(DEFAULT_TENANT, "etl", "manual__1", &digest, &["a", "b"]);
    request.tasks[1].queue = "gpu".into();
    request.tasks[1].pool = "big".into();
    request.tasks[1].priority_weight = -3;
    request.tasks[1].max_tries = 5;
    let (run, tis) = store.create_run(request).await.unwrap();

    assert_eq!(
        (
            run.dag_id.as_str(),
            run.run_id.as_str(),
            run.digest.as_str()
        ),
        ("etl", "manual__1", digest.as_str())
    );
    assert_eq!(
        (run.state, run.run_type, run.queued_at),
        (DagRunState::Queued, RunType::Manual, ts(1))
    );
    assert_eq!((run.started_at, run.ended_at), (None, None));
    assert_eq!(run.conf, serde_json::json!({"k": 1}));
    assert_eq!(tis.len(), 2);
    for ti in &tis {
        assert_eq!(
            (ti.run, ti.state, ti.try_number, ti.lease),
            (run.id, TaskState::None, 0, 0)
        );
        assert_eq!(
            (ti.tenant.as_str(), ti.dag_id.as_str(), ti.run_id.as_str()),
            (DEFAULT_TENANT, "etl", "manual__1")
        );
        assert!(ti.queued_at.is_none() && ti.worker_id.is_none() && ti.lease_expires_at.is_none());
    }
    let b = tis.iter().find(|ti| ti.task_id == "b").unwrap();
    assert_eq!(
        (
            b.queue.as_str(),
            b.pool.as_str(),
            b.priority_weight,
            b.max_tries
        ),
        ("gpu", "big", -3, 5)
    );

    let (stored, stored_tis) = store.run(run.id).await.unwrap().unwrap();
    assert_eq!(stored, run);
    assert_eq!(stored_tis, tis, "what create_run returns is what is stored");
    assert_eq!(
        store
            .run_by_id(DEFAULT_TENANT, "etl", "manual__1")
            .await
            .unwrap(),
        Some(run.clone())
    );

    // A run created running starts at once.
    let mut running = new_run(DEFAULT_TENANT, "etl", "manual__2", &digest, &["a"]);
    running.state = DagRunState::Running;
    let (run, _) = store.create_run(running).await.unwrap();
    assert_eq!(run.started_at, Some(ts(1)));
    assert_eq!(
        store.run(run.id).await.unwrap().unwrap().0.started_at,
        Some(ts(1))
    );
}

pub async fn duplicate_run_is_conflict(store: &dyn Store) {
    let digest = deployed(store, DEFAULT_TENANT, "etl", &["a"]).await;
    let (first, _) = store
        .create_run(new_run(DEFAULT_TENANT, "etl", "r1", &digest, &["a"]))
        .await
        .unwrap();
    let err = store
        .create_run(new_run(DEFAULT_TENANT, "etl", "r1", &digest, &["a"]))
        .await
        .unwrap_err();
    match &err {
        StoreError::Conflict(message) => assert!(
            message.contains("etl") && message.contains("r1"),
            "{message}"
        ),
        other => panic!("expected a conflict, got {other}"),
    }
    assert!(!err.is_retriable());
    let runs = store
        .runs(DEFAULT_TENANT, &RunFilter::default())
        .await
        .unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(
        store.run(first.id).await.unwrap().unwrap().1.len(),
        1,
        "no task instance was added"
    );
}

pub async fn unknown_dag_or_version_is_not_found(store: &dyn Store) {
    let digest = deployed(store, DEFAULT_TENANT, "etl", &["a"]).await;
    let err = store
        .create_run(new_run(DEFAULT_TENANT, "nope", "r1", &digest, &["a"]))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::NotFound(m) if m.contains("nope")),
        "{err}"
    );
    let err = store
        .create_run(new_run(DEFAULT_TENANT, "etl", "r1", "sha256:feed", &["a"]))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::NotFound(m) if m.contains("sha256:feed")),
        "{err}"
    );
    assert!(
        store
            .runs(DEFAULT_TENANT, &RunFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
}

/// A run that asks for the DAG's current version is made only while its digest is that
/// version; one that does not may be pinned to any stored version.
pub async fn a_run_for_the_current_version_only_is_refused_once_superseded(store: &dyn Store) {
    let v1 = deployed(store, DEFAULT_TENANT, "etl", &["a"]).await;
    let current = |run_id: &str, digest: &str| NewRun {
        current_only: true,
        ..new_run(DEFAULT_TENANT, "etl", run_id, digest, &["a"])
    };
    store.create_run(current("r1", &v1)).await.unwrap();
    let v2 = super::deploy_of(DEFAULT_TENANT, "etl", &["a"], "v2", ts(5));
    let v2_digest = v2.digest.clone();
    store.deploy(v2).await.unwrap();

    let err = store.create_run(current("r2", &v1)).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::NotFound(m) if m.contains(&v1) && m.contains(&v2_digest)),
        "{err}"
    );
    let (run, tis) = store.create_run(current("r2", &v2_digest)).await.unwrap();
    assert_eq!((run.digest.as_str(), tis.len()), (v2_digest.as_str(), 1));
    // Not asked for the current one, the older version still serves (a backfill's runs).
    let (old, _) = store
        .create_run(new_run(DEFAULT_TENANT, "etl", "r3", &v1, &["a"]))
        .await
        .unwrap();
    assert_eq!(old.digest, v1);
    let mut runs: Vec<(String, String)> = store
        .runs(DEFAULT_TENANT, &RunFilter::default())
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.run_id, r.digest))
        .collect();
    runs.sort();
    assert_eq!(
        runs,
        [
            ("r1".to_owned(), v1.clone()),
            ("r2".to_owned(), v2_digest),
            ("r3".to_owned(), v1)
        ],
        "the refused run left nothing"
    );
}

pub async fn bad_runs_are_invalid(store: &dyn Store) {
    let digest = deployed(store, DEFAULT_TENANT, "etl", &["a"]).await;
    let cases = [
        (
            "empty run id",
            new_run(DEFAULT_TENANT, "etl", "", &digest, &["a"]),
        ),
        (
            "empty dag id",
            new_run(DEFAULT_TENANT, "", "r1", &digest, &["a"]),
        ),
        (
            "empty task id",
            new_run(DEFAULT_TENANT, "etl", "r1", &digest, &[""]),
        ),
        (
            "duplicate task",
            new_run(DEFAULT_TENANT, "etl", "r1", &digest, &["a", "a"]),
        ),
        ("conf not an object", {
            let mut run = new_run(DEFAULT_TENANT, "etl", "r1", &digest, &["a"]);
            run.conf = serde_json::json!([1, 2]);
            run
        }),
        ("empty queue", {
            let mut run = new_run(DEFAULT_TENANT, "etl", "r1", &digest, &["a"]);
            run.tasks[0].queue = String::new();
            run
        }),
    ];
    for (what, run) in cases {
        let err = store.create_run(run).await.unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{what}: {err}");
    }
    assert!(
        store
            .runs(DEFAULT_TENANT, &RunFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn runs_are_listed_newest_first(store: &dyn Store) {
    let etl = deployed(store, DEFAULT_TENANT, "etl", &["a"]).await;
    let other = deployed(store, DEFAULT_TENANT, "other", &["a"]).await;
    for (dag, digest, run_id, day, state) in [
        ("etl", &etl, "r1", 1, DagRunState::Success),
        ("etl", &etl, "r3", 3, DagRunState::Running),
        ("etl", &etl, "r2", 2, DagRunState::Queued),
        ("other", &other, "o1", 4, DagRunState::Queued),
    ] {
        let mut run = new_run(DEFAULT_TENANT, dag, run_id, digest, &["a"]);
        run.logical_date = ts(day * 86_400);
        run.state = state;
        store.create_run(run).await.unwrap();
    }
    let ids =
        |runs: Vec<weft_store::DagRun>| runs.into_iter().map(|r| r.run_id).collect::<Vec<_>>();
    assert_eq!(
        ids(store
            .runs(DEFAULT_TENANT, &RunFilter::default())
            .await
            .unwrap()),
        ["o1", "r3", "r2", "r1"]
    );
    let etl_only = RunFilter {
        dag_id: Some("etl".into()),
        ..RunFilter::default()
    };
    assert_eq!(
        ids(store.runs(DEFAULT_TENANT, &etl_only).await.unwrap()),
        ["r3", "r2", "r1"]
    );
    let queued = RunFilter {
        state: Some(DagRunState::Queued),
        ..RunFilter::default()
    };
    assert_eq!(
        ids(store.runs(DEFAULT_TENANT, &queued).await.unwrap()),
        ["o1", "r2"]
    );
    let both = RunFilter {
        dag_id: Some("etl".into()),
        state: Some(DagRunState::Queued),
        limit: None,
    };
    assert_eq!(
        ids(store.runs(DEFAULT_TENANT, &both).await.unwrap()),
        ["r2"]
    );
    let two = RunFilter {
        limit: Some(2),
        ..RunFilter::default()
    };
    assert_eq!(
        ids(store.runs(DEFAULT_TENANT, &two).await.unwrap()),
        ["o1", "r3"]
    );
    let none = RunFilter {
        limit: Some(0),
        ..RunFilter::default()
    };
    assert!(store.runs(DEFAULT_TENANT, &none).await.unwrap().is_empty());
}

pub async fn latest_scheduled_run_ignores_manual_runs(store: &dyn Store) {
    let digest = deployed(store, DEFAULT_TENANT, "etl", &["a"]).await;
    for (run_id, run_type, day) in [
        ("s1", RunType::Scheduled, 1),
        ("b2", RunType::Backfill, 2),
        ("s0", RunType::Scheduled, 0),
        ("m9", RunType::Manual, 9),
    ] {
        let mut run = new_run(DEFAULT_TENANT, "etl", run_id, &digest, &["a"]);
        run.run_type = run_type;
        run.logical_date = ts(day * 86_400);
        store.create_run(run).await.unwrap();
    }
    let latest = store
        .latest_scheduled_run(DEFAULT_TENANT, "etl")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (latest.run_id.as_str(), latest.run_type),
        ("b2", RunType::Backfill)
    );
    assert!(
        store
            .latest_scheduled_run(DEFAULT_TENANT, "other")
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn active_runs_span_tenants(store: &dyn Store) {
    let digest = deployed(store, DEFAULT_TENANT, "etl", &["a", "b"]).await;
    let acme = deployed(store, "acme", "etl", &["x"]).await;
    let mut done = new_run(DEFAULT_TENANT, "etl", "done", &digest, &["a", "b"]);
    done.state = DagRunState::Success;
    store.create_run(done).await.unwrap();
    let (queued, _) = store
        .create_run(new_run(DEFAULT_TENANT, "etl", "q", &digest, &["a", "b"]))
        .await
        .unwrap();
    let mut running = new_run("acme", "etl", "r", &acme, &["x"]);
    running.state = DagRunState::Running;
    let (running, _) = store.create_run(running).await.unwrap();

    let active = store.active_runs().await.unwrap();
    let summary: Vec<(&str, &str, usize)> = active
        .iter()
        .map(|(run, tis)| (run.tenant.as_str(), run.run_id.as_str(), tis.len()))
        .collect();
    assert_eq!(summary, [(DEFAULT_TENANT, "q", 2), ("acme", "r", 1)]);
    assert!(active[0].1.iter().all(|ti| ti.run == queued.id));
    assert_eq!(active[1].1[0].run, running.id);

    let finish = SetRunState {
        run: queued.id,
        state: DagRunState::Failed,
        at: ts(5),
    };
    write(
        store,
        WriteBatch {
            set_run: vec![finish],
            ..WriteBatch::default()
        },
    )
    .await;
    assert_eq!(store.active_runs().await.unwrap().len(), 1);
}

pub async fn run_states_set_started_and_ended(store: &dyn Store) {
    let (run, _) = run_of(store, "etl", &["a"]).await;
    let set = |state, at| WriteBatch {
        set_run: vec![SetRunState {
            run: run.id,
            state,
            at,
        }],
        ..WriteBatch::default()
    };
    write(store, set(DagRunState::Running, ts(10))).await;
    let now = stored(store, run.id).await;
    assert_eq!(
        (now.state, now.started_at, now.ended_at),
        (DagRunState::Running, Some(ts(10)), None)
    );
    write(store, set(DagRunState::Running, ts(20))).await;
    assert_eq!(
        stored(store, run.id).await.started_at,
        Some(ts(10)),
        "started_at is set once"
    );
    write(store, set(DagRunState::Success, ts(30))).await;
    let now = stored(store, run.id).await;
    assert_eq!(
        (now.state, now.started_at, now.ended_at),
        (DagRunState::Success, Some(ts(10)), Some(ts(30)))
    );
    // Queued again (cleared): the run starts afresh, as in Airflow, so a DAG run timeout
    // counts from its new start.
    write(store, set(DagRunState::Queued, ts(40))).await;
    let now = stored(store, run.id).await;
    assert_eq!(
        (now.state, now.started_at, now.ended_at),
        (DagRunState::Queued, None, None)
    );
    write(store, set(DagRunState::Running, ts(45))).await;
    assert_eq!(stored(store, run.id).await.started_at, Some(ts(45)));
    write(store, set(DagRunState::Failed, ts(50))).await;
    assert_eq!(stored(store, run.id).await.ended_at, Some(ts(50)));
}

pub async fn attempts_queued_before_a_time_are_found(store: &dyn Store) {
    let (_, tis) = run_of(store, "etl", &["a", "b", "c"]).await;
    // a and b are queued at ts(10); a then starts; c is never queued.
    write(
        store,
        WriteBatch {
            queue: vec![queue(&tis[0]), queue(&tis[1])],
            ..WriteBatch::default()
        },
    )
    .await;
    write(
        store,
        WriteBatch {
            start: vec![start(tis[0].id, 1)],
            ..WriteBatch::default()
        },
    )
    .await;
    assert!(store.queued_before(ts(10), 10).await.unwrap().is_empty());
    let queued = store.queued_before(ts(11), 10).await.unwrap();
    let ids: Vec<i64> = queued.iter().map(|ti| ti.id).collect();
    assert_eq!(ids, [tis[1].id]);
    assert_eq!(queued[0].state, TaskState::Queued);
    assert_eq!(queued[0].queued_at, Some(ts(10)));
    assert!(store.queued_before(ts(11), 0).await.unwrap().is_empty());
}

pub async fn expired_leases_are_found(store: &dyn Store) {
    let (_, tis) = run_of(store, "etl", &["a", "b", "c"]).await;
    let queued = write(
        store,
        WriteBatch {
            queue: tis.iter().map(queue).collect(),
            ..WriteBatch::default()
        },
    )
    .await;
    assert_eq!(queued.queued, [true, true, true]);
    // a and b start (lease until ts(80)); c stays queued and never expires.
    let starts = vec![start(tis[0].id, 1), start(tis[1].id, 1)];
    write(
        store,
        WriteBatch {
            start: starts,
            ..WriteBatch::default()
        },
    )
    .await;

    assert!(store.expired_leases(ts(79), 10).await.unwrap().is_empty());
    let expired = store.expired_leases(ts(81), 10).await.unwrap();
    let ids: Vec<i64> = expired.iter().map(|ti| ti.id).collect();
    assert_eq!(ids, [tis[0].id, tis[1].id]);
    assert!(
        expired
            .iter()
            .all(|ti| ti.state == TaskState::Running && ti.lease_expires_at == Some(ts(80)))
    );
    assert_eq!(store.expired_leases(ts(81), 1).await.unwrap().len(), 1);

    // A heartbeat extends a's lease.
    let beat = Heartbeat {
        ti: tis[0].id,
        lease: 1,
        lease_expires_at: ts(200),
    };
    write(
        store,
        WriteBatch {
            heartbeat: vec![beat],
            ..WriteBatch::default()
        },
    )
    .await;
    let ids: Vec<i64> = store
        .expired_leases(ts(81), 10)
        .await
        .unwrap()
        .iter()
        .map(|ti| ti.id)
        .collect();
    assert_eq!(ids, [tis[1].id]);
    assert_eq!(store.expired_leases(ts(201), 10).await.unwrap().len(), 2);
}

async fn stored(store: &dyn Store, run: i64) -> weft_store::DagRun {
    store.run(run).await.unwrap().unwrap().0
}

/// After a backend wrote an unknown state into task instance `ti` of `run`: reads that
/// touch it fail as `Database` errors naming it, and reads that do not still work.
pub async fn check_bad_task_state(store: &dyn Store, run: i64, ti: i64) {
    let err = store.run(run).await.unwrap_err();
    match &err {
        StoreError::Database(message) => {
            assert!(
                message.contains(&format!("task instance {ti}")) && message.contains("exploded"),
                "{message}"
            )
        }
        other => panic!("expected a database error, got {other}"),
    }
    assert!(!err.is_retriable());
    assert!(matches!(
        store.active_runs().await.unwrap_err(),
        StoreError::Database(_)
    ));
    assert!(
        store
            .run_by_id(DEFAULT_TENANT, "etl", "r1")
            .await
            .unwrap()
            .is_some()
    );
}

/// After a backend wrote an unknown run type and bad conf into `run`: reading it fails as a
/// `Database` error naming it.
pub async fn check_bad_run(store: &dyn Store, run: i64) {
    let err = store
        .run_by_id(DEFAULT_TENANT, "etl", "r1")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Database(m) if m.contains(&format!("DAG run {run}"))),
        "{err}"
    );
    assert!(
        store
            .runs(DEFAULT_TENANT, &RunFilter::default())
            .await
            .is_err()
    );
}

/// What `create_run` returns is what a read returns, times included (stored to the
/// microsecond), so a scheduler handed the created rows sees what it would read.
pub async fn a_created_run_is_returned_as_it_reads_back(store: &dyn Store) {
    let digest = deployed(store, DEFAULT_TENANT, "etl", &["a", "b"]).await;
    let mut request = new_run(DEFAULT_TENANT, "etl", "manual__ns", &digest, &["a", "b"]);
    let precise = Timestamp::from_nanosecond(1_700_000_000_123_456_789).unwrap();
    request.logical_date = precise;
    request.data_interval_start = precise;
    request.data_interval_end = precise;
    request.queued_at = precise;
    request.state = DagRunState::Running;
    let (run, mut tis) = store.create_run(request).await.unwrap();
    let (read, mut read_tis) = store.run(run.id).await.unwrap().unwrap();
    assert_eq!(run, read);
    assert_eq!(
        run.logical_date,
        Timestamp::from_microsecond(1_700_000_000_123_456).unwrap()
    );
    tis.sort_by_key(|t| t.id);
    read_tis.sort_by_key(|t| t.id);
    assert_eq!(tis, read_tis);
}

pub async fn a_run_without_task_instances_reads_back_as_created(store: &dyn Store) {
    let digest = deployed(store, DEFAULT_TENANT, "etl", &["a"]).await;
    let (run, tis) = store
        .create_run(new_run(DEFAULT_TENANT, "etl", "empty", &digest, &[]))
        .await
        .unwrap();
    assert!(tis.is_empty());
    let missing = run.id + 1000;
    assert_eq!(store.run(run.id).await.unwrap(), Some((run, Vec::new())));
    assert_eq!(store.run(missing).await.unwrap(), None);
}
