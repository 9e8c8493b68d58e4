//! Mapped tasks on the embedded stack: a task mapped over an upstream output runs once per
//! item (and over items known when the DAG is built), a downstream task gets the outputs
//! of all the instances as one JSON array, no items skip the mapped task, a failed
//! instance fails it (after its own retries), items that are not a JSON array or more than
//! `max_map_length` fail it saying why, clearing runs an instance, or the whole mapped task,
//! again, and marking an instance reopens its mapped task.

use crate::support;

use std::time::Duration;

use serde_json::{Value, json};
use support::{stack, stack_with, ti};
use weft_model::{DagRunState, TaskState};
use weft_scheduler::{Control, SchedulerConfig};
use weft_store::{DEFAULT_TENANT, RETURN_VALUE, RunPk, Store, TaskInstance};
use weft_test_guests_artifacts as guests;

async fn output(store: &dyn Store, run: RunPk, task: &str) -> Value {
    let bytes = store
        .xcom(run, task, RETURN_VALUE)
        .await
        .expect("xcom")
        .unwrap_or_else(|| panic!("no output of {task}"));
    serde_json::from_slice(&bytes).expect("JSON")
}

/// The instances of mapped task `task`, in map index order.
fn instances<'a>(tis: &'a [TaskInstance], task: &str) -> Vec<&'a TaskInstance> {
    let mut found: Vec<&TaskInstance> = tis
        .iter()
        .filter(|t| {
            t.map_index.is_some() && weft_model::mapping::split_instance_id(&t.task_id).0 == task
        })
        .collect();
    found.sort_by_key(|t| t.map_index);
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapped_task_runs_once_per_item_and_reduces_in_order() {
    let stack = stack().await;
    let dag = stack.deploy(guests::MAPPING).await;
    let run = stack.trigger(&dag, json!({"items": [3, 1, 4, 1, 5]})).await;
    let (row, tis) = stack.finished(run.id).await;
    assert_eq!(row.state, DagRunState::Success, "{tis:#?}");

    let square = ti(&tis, "square");
    assert_eq!(
        (square.state, square.map_count),
        (TaskState::Success, Some(5))
    );
    let each = instances(&tis, "square");
    assert_eq!(each.len(), 5);
    for (k, instance) in each.iter().enumerate() {
        assert_eq!(instance.map_index, Some(k as u32), "{instance:#?}");
        assert_eq!(instance.task_id, format!("square[{k}]"));
        assert_eq!(
            (instance.state, instance.try_number),
            (TaskState::Success, 1)
        );
    }
    assert_eq!(each[2].map_item.as_deref(), Some("4"));
    assert_eq!(
        output(&*stack.store, run.id, "square").await,
        json!([9, 1, 16, 1, 25])
    );
    assert_eq!(output(&*stack.store, run.id, "square[3]").await, json!(1));
    // Mapped over a mapped task: over its instances' outputs, read from the store.
    assert_eq!(
        output(&*stack.store, run.id, "again").await,
        json!([10, 2, 17, 2, 26])
    );
    assert_eq!(
        output(&*stack.store, run.id, "total").await,
        json!({"sum": 52, "labels": ["0:a", "1:b", "2:c"], "squares": 5})
    );
    let label = ti(&tis, "label");
    assert_eq!(
        (label.state, label.map_count),
        (TaskState::Success, Some(3))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_items_skip_the_mapped_task_and_one_item_is_one_instance() {
    let stack = stack().await;
    let dag = stack.deploy(guests::MAPPING).await;

    let empty = stack.trigger(&dag, json!({"items": []})).await;
    let (row, tis) = stack.finished(empty.id).await;
    assert_eq!(row.state, DagRunState::Success, "{tis:#?}");
    let square = ti(&tis, "square");
    assert_eq!(
        (square.state, square.map_count),
        (TaskState::Skipped, Some(0))
    );
    assert!(instances(&tis, "square").is_empty(), "{tis:#?}");
    // all_success downstream of a skipped task is skipped, as in Airflow.
    assert_eq!(ti(&tis, "total").state, TaskState::Skipped);
    assert_eq!(ti(&tis, "again").state, TaskState::Skipped);

    let one = stack.trigger(&dag, json!({"items": [7]})).await;
    let (row, tis) = stack.finished(one.id).await;
    assert_eq!(row.state, DagRunState::Success, "{tis:#?}");
    assert_eq!(instances(&tis, "square").len(), 1);
    assert_eq!(output(&*stack.store, one.id, "square").await, json!([49]));
    assert_eq!(output(&*stack.store, one.id, "total").await["sum"], 49);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_instances_run_and_reduce() {
    let stack = stack().await;
    let dag = stack.deploy(guests::MAPPING).await;
    let run = stack.trigger(&dag, json!({"items": 1000})).await;
    let (row, tis) = stack
        .finished_within(run.id, Duration::from_secs(240))
        .await;
    assert_eq!(row.state, DagRunState::Success);
    assert_eq!(instances(&tis, "square").len(), 1000);
    assert_eq!(instances(&tis, "again").len(), 1000);
    let squares = output(&*stack.store, run.id, "square").await;
    let squares = squares.as_array().expect("an array");
    assert_eq!(squares.len(), 1000);
    assert_eq!(squares[999], json!(999 * 999));
    let sum: i64 = (0..1000i64).map(|n| n * n).sum();
    assert_eq!(output(&*stack.store, run.id, "total").await["sum"], sum);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_instance_fails_the_mapped_task_after_its_retries() {
    let stack = stack().await;
    let dag = stack.deploy(guests::MAPPING).await;

    // Instance 1 fails its first try only: its own retry saves it, the others run once.
    let flaky = stack
        .trigger(
            &dag,
            json!({"items": [1, 2, 3], "fail_index": 1, "flaky": true}),
        )
        .await;
    let (row, tis) = stack.finished(flaky.id).await;
    assert_eq!(row.state, DagRunState::Success, "{tis:#?}");
    let each = instances(&tis, "square");
    let tries: Vec<u32> = each.iter().map(|t| t.try_number).collect();
    assert_eq!(tries, vec![1, 2, 1]);
    assert_eq!(output(&*stack.store, flaky.id, "total").await["sum"], 14);

    // Instance 2 fails for good: the mapped task fails, its downstream task never runs.
    let failing = stack
        .trigger(&dag, json!({"items": [1, 2, 3], "fail_index": 2}))
        .await;
    let (row, tis) = stack.finished(failing.id).await;
    assert_eq!(row.state, DagRunState::Failed, "{tis:#?}");
    let each = instances(&tis, "square");
    let states: Vec<TaskState> = each.iter().map(|t| t.state).collect();
    assert_eq!(
        states,
        vec![TaskState::Success, TaskState::Success, TaskState::Failed]
    );
    assert!(
        each[2]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("instance 2 fails")),
        "{:#?}",
        each[2]
    );
    assert_eq!(ti(&tis, "square").state, TaskState::Failed);
    assert_eq!(ti(&tis, "total").state, TaskState::UpstreamFailed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_that_cannot_be_had_fail_the_mapped_task_saying_why() {
    let config = SchedulerConfig {
        max_map_length: 4,
        ..SchedulerConfig::default()
    };
    let stack = stack_with(2, config).await;
    let dag = stack.deploy(guests::MAPPING).await;

    let too_many = stack.trigger(&dag, json!({"items": 5})).await;
    let (row, tis) = stack.finished(too_many.id).await;
    assert_eq!(row.state, DagRunState::Failed, "{tis:#?}");
    let square = ti(&tis, "square");
    assert_eq!(square.state, TaskState::Failed);
    assert_eq!(square.error_class.as_deref(), Some("mapping"));
    assert_eq!(
        square.error.as_deref(),
        Some("5 items to expand over, more than max_map_length (4)")
    );
    assert!(instances(&tis, "square").is_empty(), "nothing expanded");
    assert_eq!(ti(&tis, "total").state, TaskState::UpstreamFailed);

    let not_a_list = stack.trigger(&dag, json!({"items": {"a": 1}})).await;
    let (row, tis) = stack.finished(not_a_list.id).await;
    assert_eq!(row.state, DagRunState::Failed, "{tis:#?}");
    let error = ti(&tis, "square").error.clone().unwrap_or_default();
    assert_eq!(
        error,
        "cannot expand over the output of \"list\": the output is a JSON object, not an array"
    );

    // At the limit is fine.
    let four = stack.trigger(&dag, json!({"items": 4})).await;
    let (row, tis) = stack.finished(four.id).await;
    assert_eq!(row.state, DagRunState::Success, "{tis:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clearing_runs_one_instance_or_the_whole_mapped_task_again() {
    let stack = stack().await;
    let dag = stack.deploy(guests::MAPPING).await;
    let run = stack
        .trigger(&dag, json!({"items": [1, 2, 3], "fail_index": 2}))
        .await;
    let (row, _) = stack.finished(run.id).await;
    assert_eq!(row.state, DagRunState::Failed);

    // Clearing the failed instance alone, under a conf that still fails it, runs it again
    // (and only it): the mapped task waits for it again and fails again.
    let cleared = stack
        .handle
        .clear(DEFAULT_TENANT, run.id, &["square[2]".to_owned()], true)
        .await
        .expect("clear");
    assert_eq!(cleared, 3, "the instance, and again and total after it");
    let (row, tis) = stack.finished(run.id).await;
    assert_eq!(row.state, DagRunState::Failed, "{tis:#?}");
    let each = instances(&tis, "square");
    let tries: Vec<u32> = each.iter().map(|t| t.try_number).collect();
    assert_eq!(tries, vec![1, 1, 2], "only instance 2 ran again");

    // Clearing the mapped task whole expands it again.
    stack
        .handle
        .clear(DEFAULT_TENANT, run.id, &["square".to_owned()], true)
        .await
        .expect("clear");
    let (_, tis) = stack.finished(run.id).await;
    let each = instances(&tis, "square");
    assert_eq!(each.len(), 3);
    assert!(
        each.iter().all(|t| t.try_number == 1),
        "new instances: {each:#?}"
    );

    // Marking the failed instance a success reopens its mapped task, which sums up again.
    stack
        .handle
        .mark(DEFAULT_TENANT, run.id, "square[2]", TaskState::Success)
        .await
        .expect("mark");
    let tis = stack
        .until(run.id, "square to sum up again", |tis| {
            ti(tis, "square").state == TaskState::Success
        })
        .await;
    assert_eq!(ti(&tis, "square[2]").state, TaskState::Success);
    let squares = output(&*stack.store, run.id, "square").await;
    assert_eq!(
        squares,
        json!([1, 4, null]),
        "instance 2 has no output of its own"
    );

    let unknown = stack
        .handle
        .clear(DEFAULT_TENANT, run.id, &["square[7]".to_owned()], false)
        .await
        .expect_err("no such instance");
    assert!(
        unknown
            .to_string()
            .contains("no instance 7 of task \"square\""),
        "{unknown}"
    );
}
