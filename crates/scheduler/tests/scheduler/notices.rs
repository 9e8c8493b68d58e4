//! The running scheduler told of a run it does not hold (a run created by an API server): it
//! builds the run's task instances from its DAG when the message carries their ids, reads
//! the run from the store otherwise, and queues its tasks.

#![allow(clippy::unwrap_used)]

use crate::support;

use std::time::Duration;

use sqlx::Connection;

use support::{Loop, bench, start_loop, take_waiting, task_ids};
use weft_model::{DagSpec, TaskSpec};
use weft_protocol::IdRange;
use weft_scheduler::{Control, ControlError, Notice, SchedulerConfig, TaskMessage};
use weft_store::DagRun;

const T0: &str = "2024-03-01T00:00:00Z";

fn pair(dag_id: &str) -> DagSpec {
    let mut spec = DagSpec::new(dag_id);
    spec.tasks = vec![TaskSpec::new("a"), TaskSpec::new("b")];
    spec
}

/// A bench with the DAGs `first` and `dag_ids` deployed and a loop started after a run of
/// `first` was written (a resync every `resync`): once that run's tasks are queued, the loop
/// has read the store, and what follows is new to it.
async fn started(resync: Duration, dag_ids: &[&str]) -> (support::Bench, Loop) {
    let config = SchedulerConfig {
        resync_interval: resync,
        ..SchedulerConfig::default()
    };
    let b = bench(T0, config.clone()).await;
    for dag_id in ["first"].iter().chain(dag_ids) {
        b.deploy(pair(dag_id)).await;
    }
    // Written to the store only: the bench's handle tells no running loop.
    let first = b.trigger("first").await;
    let running = start_loop(&b, config);
    let taken = take_waiting(&b).await;
    assert_eq!(task_ids(&taken), ["a", "b"]);
    assert!(taken.iter().all(|m| m.run_id == first.run_id), "{taken:?}");
    (b, running)
}

/// A run of `dag_id` written to the store, told of by a notice, and its two tasks taken.
async fn told_of(b: &support::Bench, running: &Loop, dag_id: &str) -> (DagRun, Vec<TaskMessage>) {
    let run = b.trigger(dag_id).await;
    running.handle.notify(Notice::RunChanged(run.id));
    let taken = take_waiting(b).await;
    assert_eq!(task_ids(&taken), ["a", "b"]);
    assert!(taken.iter().all(|m| m.run_id == run.run_id), "{taken:?}");
    (run, taken)
}

#[tokio::test]
async fn a_run_told_of_by_a_notice_is_read_and_its_tasks_queued() {
    // No resync during the test: only the notice can bring the run in.
    let (b, running) = started(Duration::from_secs(3600), &["later"]).await;
    told_of(&b, &running, "later").await;
    running.stop().await;
}

#[tokio::test]
async fn a_run_nobody_told_of_is_found_by_the_resync_and_its_tasks_queued() {
    let (b, running) = started(Duration::from_millis(50), &["unannounced"]).await;

    // Written to the store only, and no notice: the resync reads it (away from the loop).
    let unannounced = b.trigger("unannounced").await;
    let taken = take_waiting(&b).await;
    assert_eq!(task_ids(&taken), ["a", "b"]);
    assert!(
        taken.iter().all(|m| m.run_id == unannounced.run_id),
        "{taken:?}"
    );

    running.stop().await;
}

#[tokio::test]
async fn a_run_announced_by_its_ids_is_built_from_its_dag_else_read_from_the_store() {
    let (b, running) = started(Duration::from_secs(3600), &["built", "read", "unknown"]).await;
    // The message's conf differs from the stored run's, so the tasks' messages show which
    // the loop took the run from.
    let from_message = serde_json::json!({"from": "the message"});
    let announce = |dag_id: &'static str| {
        let b = &b;
        let from_message = from_message.clone();
        async move {
            let run = b.trigger(dag_id).await;
            let (row, tis) = b.run(run.id).await;
            let dag = pair(dag_id).validate().unwrap();
            let tasks = weft_scheduler::new_runs::new_task_instances(&dag);
            let mut created = weft_store::wire::run_created_from_dag(&row, tasks, &tis)
                .expect("a new run's task instances");
            created.run.conf = from_message;
            (created, tis)
        }
    };

    let (created, tis) = announce("built").await;
    let id_of = |task: &str| tis.iter().find(|ti| ti.task_id == task).unwrap().id;
    assert_eq!(
        created.ids,
        [IdRange(id_of("a"), 2)],
        "one range, in the DAG's order"
    );
    running.handle.run_created_from_dag(created);
    let taken = take_waiting(&b).await;
    assert_eq!(task_ids(&taken), ["a", "b"]);
    assert!(taken.iter().all(|m| m.conf == from_message), "{taken:?}");
    let ids: Vec<_> = taken.iter().map(|m| m.ti).collect();
    assert_eq!(ids, [id_of("a"), id_of("b")], "each task its own id");

    // One id for two tasks: the run is read from the store instead.
    let (mut created, tis) = announce("read").await;
    created.ids = vec![IdRange(tis[0].id, 1)];
    running.handle.run_created_from_dag(created);
    let taken = take_waiting(&b).await;
    assert_eq!(task_ids(&taken), ["a", "b"]);
    assert!(
        taken.iter().all(|m| m.conf == serde_json::json!({})),
        "{taken:?}"
    );

    // A DAG version the scheduler cannot find: read from the store too.
    let (mut created, _) = announce("unknown").await;
    created.run.digest = "sha256:0000".into();
    running.handle.run_created_from_dag(created);
    let taken = take_waiting(&b).await;
    assert_eq!(task_ids(&taken), ["a", "b"]);
    assert!(
        taken.iter().all(|m| m.conf == serde_json::json!({})),
        "{taken:?}"
    );

    running.stop().await;
}

#[tokio::test]
async fn a_clear_is_answered_when_a_notice_taken_with_it_fails() {
    let (b, running) = started(Duration::from_secs(3600), &["second"]).await;
    let (run, taken) = told_of(&b, &running, "second").await;
    for message in taken {
        running
            .handle
            .report_batch(b.succeed(&message))
            .await
            .expect("the results are written");
    }

    // Reading the tenants' pools now fails, so the notice below fails to be taken.
    let path = b.dir.path().join("weft.db");
    let mut db = sqlx::sqlite::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::query("DROP TABLE pools")
        .execute(&mut db)
        .await
        .unwrap();

    // Both reach the loop before it runs again, so one step takes both.
    running.handle.notify(Notice::TenantChanged {
        tenant: weft_store::DEFAULT_TENANT.to_owned(),
    });
    let cleared = running
        .handle
        .clear(weft_store::DEFAULT_TENANT, run.id, &["a".to_owned()], false)
        .await;
    assert_eq!(cleared.unwrap(), 1);
    // The clear was carried out: `a` runs again.
    let taken = take_waiting(&b).await;
    assert_eq!(task_ids(&taken), ["a"]);

    running.stop().await;
}

#[tokio::test]
async fn with_the_store_unreachable_a_clear_is_refused_and_no_result_acknowledged() {
    let (b, running) = started(Duration::from_secs(3600), &["second"]).await;
    let (run, taken) = told_of(&b, &running, "second").await;

    b.sqlite.close().await;
    // One pass takes both: reading the run again fails, the store being gone, and the clear
    // is not tried.
    running.handle.notify(Notice::RunChanged(run.id));
    let cleared = running
        .handle
        .clear(weft_store::DEFAULT_TENANT, run.id, &["b".to_owned()], false)
        .await;
    match cleared {
        Err(ControlError::Unavailable(why)) => {
            assert!(why.contains("store is unavailable"), "{why}");
        }
        other => panic!("the clear was answered {other:?}"),
    }
    // The next pass: a result of the run that could not be read. It must wait for the run,
    // not be taken for one of a run the scheduler does not hold and acknowledged.
    let written = running
        .handle
        .report_batch(vec![b.finished(&taken[0], support::success())]);
    assert!(
        written.await.is_err(),
        "a result of a run that could not be read again is not acknowledged"
    );

    running.stop().await;
}
