//! Sensors in reschedule mode on the embedded stack: a sensor that is not satisfied gives its
//! worker slot back (`up_for_reschedule`) and pokes again on time with the same try number;
//! past its timeout it fails, or is skipped with `soft_fail`.

use crate::support;

use serde_json::json;
use support::{Stack, stack_with_slots, ti};
use weft_model::{DagRunState, TaskState};
use weft_store::{DEFAULT_TENANT, Variable};
use weft_test_guests_artifacts as guests;

async fn set_flag(stack: &Stack, value: &str) {
    stack
        .store
        .set_variable(
            DEFAULT_TENANT,
            Variable {
                key: "sensor_flag".into(),
                value: value.into(),
                description: String::new(),
                updated_at: jiff::Timestamp::now(),
            },
        )
        .await
        .expect("variable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_sensor_holds_no_slot_and_keeps_its_try() {
    // One slot: while the sensors wait, another DAG's run must still get through.
    let stack = stack_with_slots(1).await;
    let sensors = stack.deploy(guests::SENSOR).await;
    let flow = stack.deploy(guests::FLOW).await;
    let run = stack.trigger(&sensors, json!({})).await;

    let tis = stack
        .until(run.id, "sensors rescheduled", |tis| {
            ti(tis, "wait_for_flag").pokes >= 2 && ti(tis, "asks_its_delay").pokes >= 1
        })
        .await;
    let waiting = ti(&tis, "wait_for_flag");
    assert!(
        matches!(
            waiting.state,
            TaskState::UpForReschedule | TaskState::Queued | TaskState::Running
        ),
        "{waiting:#?}"
    );
    assert_eq!(waiting.try_number, 1, "a poke is not a new try");
    assert!(waiting.sensor_started_at.is_some());

    let other = stack.trigger(&flow, json!({})).await;
    let (row, other_tis) = stack.finished(other.id).await;
    assert_eq!(row.state, DagRunState::Success, "{other_tis:#?}");

    set_flag(&stack, "up").await;
    let (row, tis) = stack.finished(run.id).await;
    // `times_out` fails the run; the sensors that were satisfied succeeded on their first try.
    assert_eq!(row.state, DagRunState::Failed);
    let done = ti(&tis, "wait_for_flag");
    assert_eq!(done.state, TaskState::Success, "{done:#?}");
    assert_eq!(done.try_number, 1);
    let output = stack
        .store
        .xcom(run.id, "wait_for_flag", weft_store::RETURN_VALUE)
        .await
        .expect("xcom")
        .expect("output");
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&output).expect("JSON"),
        json!({"flag": "up", "try": 1})
    );
    assert_eq!(ti(&tis, "asks_its_delay").state, TaskState::Success);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sensor_past_its_timeout_fails_or_is_skipped_with_soft_fail() {
    let stack = stack_with_slots(2).await;
    let sensors = stack.deploy(guests::SENSOR).await;
    let run = stack.trigger(&sensors, json!({})).await;
    let tis = stack
        .until(run.id, "timeouts", |tis| {
            ti(tis, "times_out").state.is_finished() && ti(tis, "after_soft").state.is_finished()
        })
        .await;
    let failed = ti(&tis, "times_out");
    assert_eq!(failed.state, TaskState::Failed, "{failed:#?}");
    assert_eq!(failed.error_class.as_deref(), Some("sensor_timeout"));
    assert_eq!(failed.try_number, 1, "a timed-out sensor is not retried");
    let error = failed.error.as_deref().unwrap_or_default();
    assert!(
        error.contains("sensor timed out") && error.contains("its timeout is 150ms"),
        "{error}"
    );
    assert!(failed.pokes >= 2, "it poked more than once: {failed:#?}");
    let soft = ti(&tis, "soft");
    assert_eq!(soft.state, TaskState::Skipped, "{soft:#?}");
    assert_eq!(soft.error_class.as_deref(), Some("sensor_timeout"));
    assert_eq!(ti(&tis, "after_soft").state, TaskState::Skipped);
    // The others still wait; let them end so the stack stops cleanly.
    set_flag(&stack, "x").await;
    let (row, _) = stack.finished(run.id).await;
    assert_eq!(row.state, DagRunState::Failed);
}
