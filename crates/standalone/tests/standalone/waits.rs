//! Waits the scheduler resolves by itself, on the embedded stack: wait tasks and tasks that
//! defer hold no worker slot while they wait; a time wait ends on time, a task that asked to
//! resume runs again (same try) with the event, waits on another DAG's run or task end when
//! it does (or at once, when it ended before), a failed run fails them, and a wait for what
//! never comes times out (skipped with `soft_fail`).

use crate::support;

use serde_json::json;
use support::{stack_with_slots, ti};
use weft_model::{DagRunState, TaskState};
use weft_store::TaskInstance;
use weft_test_guests_artifacts as guests;

fn output(stack_xcom: Option<Vec<u8>>) -> serde_json::Value {
    serde_json::from_slice(&stack_xcom.expect("an output")).expect("JSON")
}

fn deferred(tis: &[TaskInstance], ids: &[&str]) -> bool {
    ids.iter()
        .all(|id| ti(tis, id).state == TaskState::Deferred)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waits_hold_no_slot_and_end_on_their_event() {
    // One slot: while the waits wait, another DAG's run must still get through.
    let stack = stack_with_slots(1).await;
    let waits = stack.deploy(guests::WAITS).await;
    let child = stack.deploy(guests::WAITS_CHILD).await;
    let flow = stack.deploy(guests::FLOW).await;
    let at = jiff::Timestamp::now();
    let run = stack.trigger_at(&waits, json!({}), at).await;

    let tis = stack
        .until(run.id, "the waits deferred", |tis| {
            deferred(tis, &["on_child", "on_child_task"])
        })
        .await;
    let waiting = ti(&tis, "on_child");
    assert_eq!(waiting.try_number, 1, "{waiting:#?}");
    assert!(waiting.worker_id.is_none(), "a wait task runs nowhere");
    assert!(waiting.deferral.is_some(), "{waiting:#?}");

    let other = stack.trigger(&flow, json!({})).await;
    let (row, other_tis) = stack.finished(other.id).await;
    assert_eq!(row.state, DagRunState::Success, "{other_tis:#?}");

    // The time waits end on their own, the one that never comes times out.
    let tis = stack
        .until(run.id, "the time waits ended", |tis| {
            ti(tis, "after_soon").state.is_finished()
                && ti(tis, "resumes").state.is_finished()
                && ti(tis, "never").state.is_finished()
        })
        .await;
    let soon = ti(&tis, "soon");
    assert_eq!(soon.state, TaskState::Success, "{soon:#?}");
    let xcom = |task: &'static str| {
        let store = stack.store.clone();
        async move {
            store
                .xcom(run.id, task, weft_store::RETURN_VALUE)
                .await
                .expect("xcom")
        }
    };
    let saw = output(xcom("after_soon").await);
    assert_eq!(saw["saw"]["kind"], "time", "{saw}");
    let resumed = ti(&tis, "resumes");
    assert_eq!(resumed.state, TaskState::Success, "{resumed:#?}");
    assert_eq!(resumed.try_number, 1, "resuming is not a new try");
    let resumed = output(xcom("resumes").await);
    assert_eq!(resumed["event"]["kind"], "time", "{resumed}");
    assert_eq!(resumed["try"], 1, "{resumed}");
    let never = ti(&tis, "never");
    assert_eq!(never.state, TaskState::Skipped, "{never:#?}");
    assert_eq!(never.error_class.as_deref(), Some("sensor_timeout"));
    assert!(deferred(&tis, &["on_child", "on_child_task"]), "{tis:#?}");

    // The child's run with the same logical date ends them.
    let child_run = stack.trigger_at(&child, json!({}), at).await;
    let (row, _) = stack.finished(child_run.id).await;
    assert_eq!(row.state, DagRunState::Success);
    let (row, tis) = stack.finished(run.id).await;
    assert_eq!(row.state, DagRunState::Success, "{tis:#?}");
    let event = output(xcom("on_child").await);
    assert_eq!(
        event,
        json!({"kind": "external", "dag_id": "waits_child", "run_id": child_run.run_id,
            "state": "success"})
    );
    let event = output(xcom("on_child_task").await);
    assert_eq!(event["task_id"], "work", "{event}");
    assert_eq!(ti(&tis, "on_child_task").state, TaskState::Success);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_failed_before_the_wait_fails_it_at_once() {
    let stack = stack_with_slots(2).await;
    let waits = stack.deploy(guests::WAITS).await;
    let child = stack.deploy(guests::WAITS_CHILD).await;
    let at = jiff::Timestamp::now();
    // The child fails first: the waits find it ended in the store when they start.
    let child_run = stack.trigger_at(&child, json!({"fail": true}), at).await;
    let (row, _) = stack.finished(child_run.id).await;
    assert_eq!(row.state, DagRunState::Failed);

    let run = stack.trigger_at(&waits, json!({}), at).await;
    let (row, tis) = stack.finished(run.id).await;
    assert_eq!(row.state, DagRunState::Failed, "{tis:#?}");
    for id in ["on_child", "on_child_task"] {
        let wait = ti(&tis, id);
        assert_eq!(wait.state, TaskState::Failed, "{wait:#?}");
        assert_eq!(
            wait.error_class.as_deref(),
            Some("wait_failed"),
            "{wait:#?}"
        );
        let error = wait.error.as_deref().unwrap_or_default();
        assert!(
            error.contains("waits_child") && error.contains("failed"),
            "{error}"
        );
    }
    assert!(
        stack
            .store
            .xcom(run.id, "on_child", weft_store::RETURN_VALUE)
            .await
            .expect("xcom")
            .is_none(),
        "a failed wait has no output"
    );
}
