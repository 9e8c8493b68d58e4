//! A batch left in flight: while a flooding tenant's results are being written, another
//! tenant's new run and its result go in steps beside that write; the flooding tenant's own
//! new run waits for it to land; and when it fails, what went beside it stands while the
//! flood's runs are read again and their results taken when they come again.
//!
//! The store holds the flood's batch of results (`HeldWrites`) until the test lets it go,
//! so each test sees what the loop does while that write is still under way.

#![allow(clippy::unwrap_used)]

use crate::support;

use std::sync::Arc;

use support::{
    Bench, Loop, bench, deploy_in, start_loop_over, take_waiting, task_ids, tenant_with_dag,
};
use tokio::sync::oneshot;
use weft_model::{DagRunState, TaskState};
use weft_scheduler::{Control as _, SchedulerConfig, TaskMessage, TriggerRequest};
use weft_store::held_writes::{HeldWrites, Release};
use weft_store::{DagRun, Quotas, WriteBatch};

const T0: &str = "2024-03-01T00:00:00Z";

/// Tasks of tenant `team-a`'s flood: a batch of their results is left in flight.
const FLOOD: usize = 40;

/// Whether `batch` carries the flood's results (a result a task, and no other batch does).
fn floods_results(batch: &WriteBatch) -> bool {
    batch.finish.len() >= FLOOD
}

/// Tenant `team-a`'s run of [`FLOOD`] tasks queued and taken, with DAG `solo` beside it;
/// tenant `team-b`'s one-task DAG `single`; the loop over a store that holds the flood's
/// results once they are handed in.
struct Flight {
    b: Bench,
    held: Arc<HeldWrites>,
    running: Loop,
    flood: DagRun,
    taken: Vec<TaskMessage>,
    /// Hears once the flood's results are written; dropped if they were not.
    written: oneshot::Receiver<()>,
}

/// A scheduler of `parallelism` slots queuing at most `per_step` a step: tenant `team-a`'s
/// DAG `flood` of `tasks` tasks and DAG `solo`, tenant `team-b`'s DAG `single`, and the loop
/// over a store that holds nothing back yet.
async fn installation(
    parallelism: usize,
    per_step: u32,
    tasks: usize,
) -> (Bench, Arc<HeldWrites>, Loop) {
    let config = SchedulerConfig {
        parallelism,
        max_tis_per_step: per_step,
        default_max_active_tasks: 1000,
        ..SchedulerConfig::default()
    };
    let b = bench(T0, config.clone()).await;
    let tasks: Vec<String> = (0..tasks).map(|i| format!("t{i:03}")).collect();
    let tasks: Vec<&str> = tasks.iter().map(String::as_str).collect();
    tenant_with_dag(&b, "team-a", 1, Quotas::NONE, "flood", &tasks).await;
    deploy_in(&b, "team-a", "solo", &["alone"]).await;
    tenant_with_dag(&b, "team-b", 1, Quotas::NONE, "single", &["only"]).await;
    let held = b.store.held_writes();
    let running = start_loop_over(&b, b.store.clone(), b.queue.clone(), config);
    // The loop answers a mark only once it has started: a run triggered from now on is
    // stepped by the loop, not read by its start.
    let unknown = running
        .handle
        .mark("team-a", 0, "t000", TaskState::Success)
        .await;
    assert!(unknown.is_err(), "no run 0 to mark");
    (b, held, running)
}

/// [`installation`] with room for everything, its flood queued and taken, and the flood's
/// results handed in and held.
async fn flood_in_flight() -> Flight {
    flood_in_flight_on(1000).await
}

/// [`flood_in_flight`] on a scheduler of `parallelism` slots.
async fn flood_in_flight_on(parallelism: usize) -> Flight {
    let (b, held, running) = installation(parallelism, 1000, FLOOD).await;
    let flood = running
        .handle
        .trigger("team-a", "flood", TriggerRequest::default())
        .await
        .unwrap();
    let taken = take_waiting(&b).await;
    assert_eq!(taken.len(), FLOOD, "the flood's tasks are queued");

    held.hold(Some(Box::new(floods_results)));
    let results = taken.iter().flat_map(|m| b.succeed(m)).collect();
    let written = running.handle.report_batch(results);
    held.until_held(1).await;
    Flight {
        b,
        held,
        running,
        flood,
        taken,
        written,
    }
}

impl Flight {
    /// The states of the flood's task instances in the store.
    async fn flood_states(&self) -> Vec<TaskState> {
        let states = self.b.states(self.flood.id).await;
        states.into_iter().map(|(_, s)| s).collect()
    }

    /// Trigger `dag_id` of `tenant` through the loop's handle.
    async fn trigger(&self, tenant: &str, dag_id: &str) -> DagRun {
        self.running
            .handle
            .trigger(tenant, dag_id, TriggerRequest::default())
            .await
            .unwrap()
    }

    /// Run `run` as the store has it.
    async fn state(&self, run: &DagRun) -> DagRunState {
        self.b.run(run.id).await.0.state
    }

    /// Trigger B's one-task run beside the batch in flight, and take its task.
    async fn b_beside(&self) -> (DagRun, TaskMessage) {
        let single = self.trigger("team-b", "single").await;
        let mut taken = take_waiting(&self.b).await;
        assert_eq!(task_ids(&taken), ["only"], "B's task went out");
        (single, taken.remove(0))
    }

    /// Every task of the flood and its run succeeded. Stops the loop.
    async fn flood_succeeded(self) {
        assert!(all(&self.flood_states().await, TaskState::Success));
        assert_eq!(self.state(&self.flood).await, DagRunState::Success);
        self.running.stop().await;
    }

    /// Hand in `message`'s start and success, and wait until they are written.
    async fn succeed(&self, message: &TaskMessage) {
        self.running
            .handle
            .report_batch(self.b.succeed(message))
            .await
            .expect("written");
    }
}

/// Whether every one of `states` is `state`.
fn all(states: &[TaskState], state: TaskState) -> bool {
    states.iter().all(|s| *s == state)
}

#[tokio::test]
async fn another_tenants_run_goes_and_ends_beside_the_floods_results_in_flight() {
    let mut f = flood_in_flight().await;

    let (single, only) = f.b_beside().await;
    assert_eq!(
        f.held.held(),
        1,
        "while A's results were still being written"
    );
    f.succeed(&only).await;
    assert_eq!(f.state(&single).await, DagRunState::Success);
    assert!(
        all(&f.flood_states().await, TaskState::Queued),
        "B's run ended before any of A's results was written"
    );

    assert_eq!(f.held.release(Release::Write), 1);
    (&mut f.written)
        .await
        .expect("A's results are written once let go");
    f.flood_succeeded().await;
}

#[tokio::test]
async fn the_flooding_tenants_new_run_waits_for_its_batch_to_land() {
    let mut f = flood_in_flight().await;

    // A's new run comes first, then B's: B's goes beside the batch in flight, A's waits.
    let solo = f.trigger("team-a", "solo").await;
    f.trigger("team-b", "single").await;
    let taken = take_waiting(&f.b).await;
    assert_eq!(task_ids(&taken), ["only"], "only B's task went out");
    assert_eq!(f.b.ti(solo.id, "alone").await.state, TaskState::None);

    f.held.release(Release::Write);
    (&mut f.written).await.expect("A's results are written");
    let next = take_waiting(&f.b).await;
    assert_eq!(
        task_ids(&next),
        ["alone"],
        "A's new run goes once its batch landed"
    );
    f.running.stop().await;
}

#[tokio::test]
async fn a_batch_that_fails_in_flight_is_read_again_and_what_went_beside_it_stands() {
    let mut f = flood_in_flight().await;
    let (single, only) = f.b_beside().await;
    f.succeed(&only).await;

    f.held.hold(None);
    assert_eq!(f.held.release(Release::Fail), 1);
    assert!(
        (&mut f.written).await.is_err(),
        "the sender of results that were not written does not hear they were"
    );
    assert!(all(&f.flood_states().await, TaskState::Queued));
    assert_eq!(
        f.state(&single).await,
        DagRunState::Success,
        "B's run, written beside the failed batch, stands"
    );

    // The results come again (a worker sends what was not acknowledged): the flood's run,
    // read again, takes them.
    let again = f.taken.iter().flat_map(|m| f.b.succeed(m)).collect();
    f.running
        .handle
        .report_batch(again)
        .await
        .expect("written this time");
    f.flood_succeeded().await;
}

#[tokio::test]
async fn a_step_beside_a_batch_in_flight_queues_none_of_that_batchs_tenants_tasks() {
    // A step queues at most 20: A's first 20 tasks are in flight, its other 80 wait.
    let (b, held, running) = installation(1000, 20, 100).await;
    held.hold(Some(Box::new(|batch: &WriteBatch| batch.queue.len() == 20)));
    running
        .handle
        .trigger("team-a", "flood", TriggerRequest::default())
        .await
        .unwrap();
    held.until_held(1).await;

    // B's run goes beside it, and queues B's task alone: A's waiting tasks are the next
    // full step's.
    running
        .handle
        .trigger("team-b", "single", TriggerRequest::default())
        .await
        .unwrap();
    let taken = take_waiting(&b).await;
    assert_eq!(task_ids(&taken), ["only"], "B's task alone went out");
    assert_eq!(held.held(), 1);

    held.hold(None);
    held.release(Release::Write);
    let mut flood = Vec::new();
    while flood.len() < 100 {
        let more = take_waiting(&b).await;
        assert!(
            !more.is_empty(),
            "the flood's tasks go out, {} so far",
            flood.len()
        );
        flood.extend(more);
    }
    assert!(flood.iter().all(|m| m.tenant == "team-a"));
    running.stop().await;
}

#[tokio::test]
async fn a_step_beside_a_batch_in_flight_leaves_the_slots_that_batch_freed() {
    // Every slot is the flood's; its results free them all, in a batch held in flight.
    let f = flood_in_flight_on(FLOOD).await;
    let Flight {
        b,
        held,
        running,
        flood,
        written,
        ..
    } = f;

    // B's run starts beside it, but its task does not take a slot that batch freed: were
    // the batch not written, the flood's tasks would hold every slot again.
    let single = running
        .handle
        .trigger("team-b", "single", TriggerRequest::default())
        .await
        .unwrap();
    let started = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while b.run(single.id).await.0.state != DagRunState::Running {
            tokio::task::yield_now().await;
        }
    });
    started.await.expect("B's run starts beside the batch");
    assert_eq!(b.ti(single.id, "only").await.state, TaskState::None);
    assert!(b.take().await.is_empty(), "no task went out");

    held.release(Release::Write);
    written.await.expect("the flood's results are written");
    let next = take_waiting(&b).await;
    assert_eq!(
        task_ids(&next),
        ["only"],
        "B's task goes once the batch landed"
    );
    assert_eq!(b.run(flood.id).await.0.state, DagRunState::Success);
    running.stop().await;
}
