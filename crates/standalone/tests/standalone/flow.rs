//! The embedded stack end to end, in one process: a real SQLite store, the in-process queue,
//! the scheduler, a worker and the sandbox, running the `flow` test DAG.

use crate::support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::{stack, ti};
use weft_model::{DagRunState, TaskState};
use weft_scheduler::{Control, Notice, TriggerRequest};
use weft_store::DEFAULT_TENANT;
use weft_test_guests_artifacts as guests;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_goes_through_retries_xcom_and_trigger_rules() {
    let stack = stack().await;
    let dag_id = stack.deploy(guests::FLOW).await;
    let started = Instant::now();
    let run = stack.trigger(&dag_id, json!({"x": 1})).await;
    let (row, tis) = stack.finished(run.id).await;
    eprintln!("flow run: {:?} in {:?}", row.state, started.elapsed());
    assert_eq!(row.state, DagRunState::Success, "{tis:#?}");
    let states: Vec<(&str, TaskState, u32)> = tis
        .iter()
        .map(|t| (t.task_id.as_str(), t.state, t.try_number))
        .collect();
    for (id, state, tries) in [
        ("start", TaskState::Success, 1),
        ("flaky", TaskState::Success, 2),
        ("pusher", TaskState::Success, 1),
        ("join", TaskState::Success, 1),
        ("cleanup", TaskState::Success, 1),
        ("never", TaskState::Skipped, 0),
    ] {
        assert!(
            states.contains(&(id, state, tries)),
            "{id} should be {state:?} after {tries} tries: {states:?}"
        );
    }
    let join = stack
        .store
        .xcom(run.id, "join", weft_store::RETURN_VALUE)
        .await
        .expect("xcom")
        .expect("join output");
    let join: serde_json::Value = serde_json::from_slice(&join).expect("JSON");
    assert_eq!(
        join,
        json!({"upstream": ["flaky", "pusher"], "extra": "pushed"})
    );
    let start = stack
        .store
        .xcom(run.id, "start", weft_store::RETURN_VALUE)
        .await
        .expect("xcom")
        .expect("start output");
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&start).expect("JSON"),
        json!({"conf": {"x": 1}})
    );
    let flaky = ti(&tis, "flaky");
    let first = stack.store.task_log(flaky.id, 1).await.expect("log");
    let first =
        String::from_utf8(first.expect("the failed first try's log is kept")).expect("UTF-8");
    assert!(first.contains("flaky: failing on purpose"), "{first}");
    let second = stack.store.task_log(flaky.id, 2).await.expect("log");
    assert_eq!(second, None, "the second try logged nothing");
    assert_eq!(flaky.worker_id.as_deref(), Some("w-1"));
    assert_eq!(flaky.hostname.as_deref(), Some("host-a"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_task_fails_downstream_and_all_done_still_runs() {
    let stack = stack().await;
    let dag_id = stack.deploy(guests::FLOW).await;
    let run = stack.trigger(&dag_id, json!({"fail_join": true})).await;
    let (row, tis) = stack.finished(run.id).await;
    assert_eq!(ti(&tis, "join").state, TaskState::Failed);
    assert_eq!(ti(&tis, "join").error_class.as_deref(), Some("task_error"));
    assert_eq!(
        ti(&tis, "cleanup").state,
        TaskState::Success,
        "all_done runs after a failure"
    );
    assert_eq!(
        row.state,
        DagRunState::Success,
        "the leaves (cleanup, never) succeeded or were skipped"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_dag_queues_its_runs_until_unpaused() {
    let stack = stack().await;
    let dag_id = stack.deploy(guests::FLOW).await;
    let now = jiff::Timestamp::now();
    assert!(
        stack
            .store
            .set_paused(DEFAULT_TENANT, &dag_id, true, now)
            .await
            .expect("pause")
    );
    stack.handle.notify(Notice::DagChanged {
        tenant: DEFAULT_TENANT.into(),
        dag_id: dag_id.clone(),
    });
    let run = stack.trigger(&dag_id, json!({})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (row, tis) = stack.store.run(run.id).await.expect("read").expect("run");
    assert_eq!(row.state, DagRunState::Queued);
    assert!(tis.iter().all(|t| t.state == TaskState::None), "{tis:#?}");
    assert!(
        stack
            .store
            .set_paused(DEFAULT_TENANT, &dag_id, false, now)
            .await
            .expect("unpause")
    );
    stack.handle.notify(Notice::DagChanged {
        tenant: DEFAULT_TENANT.into(),
        dag_id,
    });
    assert_eq!(stack.finished(run.id).await.0.state, DagRunState::Success);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_triggers_are_refused_and_store_nothing() {
    let stack = stack().await;
    let dag_id = stack.deploy(guests::FLOW).await;
    let unknown = stack
        .handle
        .trigger(DEFAULT_TENANT, "nope", TriggerRequest::default())
        .await;
    assert!(
        matches!(unknown, Err(weft_scheduler::ControlError::NotFound(_))),
        "{unknown:?}"
    );
    let bad_conf = TriggerRequest {
        conf: Some(json!([1])),
        ..TriggerRequest::default()
    };
    let refused = stack
        .handle
        .trigger(DEFAULT_TENANT, &dag_id, bad_conf)
        .await;
    assert!(
        matches!(&refused, Err(weft_scheduler::ControlError::Invalid(m)) if m.contains("JSON object")),
        "{refused:?}"
    );
    let future = TriggerRequest {
        logical_date: Some(jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24)),
        ..TriggerRequest::default()
    };
    let refused = stack.handle.trigger(DEFAULT_TENANT, &dag_id, future).await;
    assert!(
        matches!(&refused, Err(weft_scheduler::ControlError::Invalid(m)) if m.contains("future")),
        "{refused:?}"
    );
    let runs = stack
        .store
        .runs(DEFAULT_TENANT, &weft_store::RunFilter::default())
        .await
        .expect("runs");
    assert!(runs.is_empty(), "nothing stored: {runs:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manual_runs_keep_their_own_logical_dates() {
    let stack = stack().await;
    let dag_id = stack.deploy(guests::FLOW).await;
    let first = stack.trigger(&dag_id, json!({})).await;
    let second = stack.trigger(&dag_id, json!({})).await;
    assert_ne!(
        first.run_id, second.run_id,
        "two triggers in a row are two runs"
    );
    let at: jiff::Timestamp = "2024-03-01T12:30:00Z".parse().expect("timestamp");
    let request = TriggerRequest {
        logical_date: Some(at),
        ..TriggerRequest::default()
    };
    let dated = stack
        .handle
        .trigger(DEFAULT_TENANT, &dag_id, request)
        .await
        .expect("trigger");
    assert_eq!(dated.logical_date, at);
    assert_eq!(dated.run_id, "manual__2024-03-01T12:30:00+00:00");
    for run in [first.id, second.id, dated.id] {
        assert_eq!(stack.finished(run).await.0.state, DagRunState::Success);
    }
}
