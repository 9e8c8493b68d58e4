//! Express steps: under a flood of one tenant's reports, another tenant's new run and its
//! task's result go in a step of their own, and the flood's reports taken with them are
//! written by the step right after.
//!
//! The tests run on one thread, so the loop takes everything handed to it between two of
//! its awaits in one pass, and the test looks at what is written when the loop waits for its
//! next write.

#![allow(clippy::unwrap_used)]

mod support;

use support::{Loop, bench, start_loop, take_waiting, task_ids, tenant_with_dag};
use tokio::sync::oneshot::error::TryRecvError;
use weft_model::TaskState;
use weft_scheduler::{Control, Report, SchedulerConfig, TaskMessage, TriggerRequest};
use weft_store::{DagRun, Quotas};

const T0: &str = "2024-03-01T00:00:00Z";

/// Tasks of tenant `team-a`'s flood: more than a tenant may hold and still be light.
const FLOOD: usize = 100;

/// A loop with tenant `team-a`'s run of [`FLOOD`] tasks queued (taken, as by a worker, and
/// their results made), and tenant `team-b`'s one-task DAG `single` deployed.
async fn flooded() -> (support::Bench, Loop, DagRun, Vec<Report>) {
    let config = SchedulerConfig {
        parallelism: 1000,
        default_max_active_tasks: 1000,
        ..SchedulerConfig::default()
    };
    let b = bench(T0, config.clone()).await;
    let tasks: Vec<String> = (0..FLOOD).map(|i| format!("t{i:03}")).collect();
    let tasks: Vec<&str> = tasks.iter().map(String::as_str).collect();
    tenant_with_dag(&b, "team-a", 1, Quotas::NONE, "flood", &tasks).await;
    tenant_with_dag(&b, "team-b", 1, Quotas::NONE, "single", &["only"]).await;
    let running = start_loop(&b, config);
    let flood = running
        .handle
        .trigger("team-a", "flood", TriggerRequest::default())
        .await
        .unwrap();
    let taken = take_waiting(&b).await;
    assert_eq!(
        taken.len(),
        FLOOD,
        "the flood's tasks are queued in one step"
    );
    let results = taken.iter().flat_map(|m| b.succeed(m)).collect();
    (b, running, flood, results)
}

/// Every task of `run` succeeded.
async fn all_succeeded(b: &support::Bench, run: &DagRun) {
    let states = b.states(run.id).await;
    assert_eq!(states.len(), FLOOD);
    assert!(
        states.iter().all(|(_, s)| *s == TaskState::Success),
        "{states:?}"
    );
}

#[tokio::test]
async fn another_tenants_new_run_is_queued_before_the_floods_results_are_written() {
    let (b, running, flood, results) = flooded().await;

    // B's new run reaches the loop, then A's results: the loop takes both in one pass.
    running
        .handle
        .trigger("team-b", "single", TriggerRequest::default())
        .await
        .unwrap();
    let mut written = running.handle.report_batch(results);

    let taken: Vec<TaskMessage> = take_waiting(&b).await;
    assert_eq!(task_ids(&taken), ["only"]);
    assert_eq!(taken[0].tenant, "team-b");
    // B's task went out from a step that did not write A's results.
    assert_eq!(
        written.try_recv(),
        Err(TryRecvError::Empty),
        "A's results are written after B's task is queued"
    );
    written.await.expect("A's results are written next");
    all_succeeded(&b, &flood).await;

    running.stop().await;
}

#[tokio::test]
async fn another_tenants_result_ends_its_run_before_the_floods_results_are_written() {
    let (b, running, flood, results) = flooded().await;
    let single = running
        .handle
        .trigger("team-b", "single", TriggerRequest::default())
        .await
        .unwrap();
    let taken = take_waiting(&b).await;
    assert_eq!(task_ids(&taken), ["only"]);
    let mut ended = running.handle.subscribe_ended().unwrap();

    // A's results, then B's: one pass.
    let mut written = running.handle.report_batch(results);
    let b_written = running.handle.report_batch(b.succeed(&taken[0]));

    assert_eq!(ended.recv().await.unwrap(), single.id);
    assert_eq!(
        written.try_recv(),
        Err(TryRecvError::Empty),
        "A's results are written after B's run ended"
    );
    b_written.await.expect("B's result is written");
    written.await.expect("A's results are written next");
    all_succeeded(&b, &flood).await;

    running.stop().await;
}

#[tokio::test]
async fn another_tenants_new_run_is_queued_before_a_big_new_run_taken_with_it_is_loaded() {
    let (b, running, _, results) = flooded().await;
    // The first flood ends: the default pool's slots are free again.
    running.handle.report_batch(results).await.expect("written");
    // Written to the store only (the bench's own handle tells no loop), then handed to the
    // loop together: one pass takes both.
    let big = b
        .handle
        .trigger("team-a", "flood", TriggerRequest::default())
        .await
        .unwrap();
    let small = b
        .handle
        .trigger("team-b", "single", TriggerRequest::default())
        .await
        .unwrap();
    let (big_row, big_tis) = b.run(big.id).await;
    let (small_row, small_tis) = b.run(small.id).await;
    running.handle.run_created(big_row, big_tis);
    running.handle.run_created(small_row, small_tis);

    let first = take_waiting(&b).await;
    assert_eq!(task_ids(&first), ["only"], "B's task goes out alone, first");
    let mut rest = Vec::new();
    while rest.len() < FLOOD {
        let taken = take_waiting(&b).await;
        assert!(!taken.is_empty(), "A's new run's tasks are queued");
        rest.extend(taken);
    }
    assert_eq!(rest.len(), FLOOD);
    assert!(rest.iter().all(|m| m.tenant == "team-a"));

    running.stop().await;
}
