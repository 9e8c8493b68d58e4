//! Express steps: under a flood of one tenant's reports, another tenant's new run and its
//! task's result go in a step of their own, and the flood's reports taken with them are
//! written by the step right after; a big run handed in with another tenant's new run is
//! built beside the loop and its tasks follow.
//!
//! The tests run on one thread, so the loop takes everything handed to it between two of
//! its awaits in one pass. The queue the loop pushes to reads the store at each push: what
//! had been written when the light tenant's task went out.

#![allow(clippy::unwrap_used)]

use crate::support;

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use support::{
    Loop, bench, deploy_in, deploy_spec_in, start_loop_on, take_waiting, task_ids, tenant_with_dag,
};
use tokio::sync::oneshot;
use weft_model::{DagSpec, TaskSpec, TaskState};
use weft_queue::Message;
use weft_queue::watched::{Watch, Watched};
use weft_scheduler::{Control, Report, SchedulerConfig, TaskMessage, TriggerRequest};
use weft_store::{DagRun, Quotas, RunPk, Store};

const T0: &str = "2024-03-01T00:00:00Z";

/// Tasks of tenant `team-a`'s flood: more than a tenant may hold and still be light.
const FLOOD: usize = 100;

/// Notes at each push the tasks pushed and the states of the watched run's task instances
/// as the store held them then.
struct StoreAtPush {
    store: Arc<dyn Store>,
    watched: Mutex<Option<RunPk>>,
    pushes: Mutex<Vec<(Vec<String>, Vec<TaskState>)>>,
}

impl StoreAtPush {
    /// Watch run `run` from now on.
    fn watch(&self, run: RunPk) {
        *self.watched.lock().unwrap() = Some(run);
    }

    /// The watched run's task states when task `task_id` was pushed.
    fn states_when_pushed(&self, task_id: &str) -> Vec<TaskState> {
        let pushes = self.pushes.lock().unwrap();
        let (_, states) = pushes
            .iter()
            .find(|(ids, _)| ids.iter().any(|id| id == task_id))
            .expect("the task was pushed");
        states.clone()
    }
}

#[async_trait]
impl Watch for StoreAtPush {
    async fn pushing(&self, messages: &[Message]) {
        let ids = messages
            .iter()
            .map(|m| TaskMessage::decode(&m.payload).unwrap().task_id)
            .collect();
        let watched = *self.watched.lock().unwrap();
        let mut states = Vec::new();
        if let Some(run) = watched {
            let (_, tis) = self.store.run(run).await.unwrap().unwrap();
            states = tis.into_iter().map(|t| t.state).collect();
        }
        self.pushes.lock().unwrap().push((ids, states));
    }
}

/// A flooded installation: tenant `team-a`'s run of [`FLOOD`] tasks queued (taken, as by a
/// worker, and their results made, not yet handed in) and watched; tenant `team-b`'s
/// one-task DAG `single` and two-task DAG `pair` (`first` then `second`) deployed.
struct Flooded {
    b: support::Bench,
    running: Loop,
    watching: Arc<Watched<StoreAtPush>>,
    flood: DagRun,
    results: Vec<Report>,
}

async fn flooded() -> Flooded {
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
    let mut pair = DagSpec::new("pair");
    let mut second = TaskSpec::new("second");
    second.upstream = vec!["first".into()];
    pair.tasks = vec![TaskSpec::new("first"), second];
    deploy_spec_in(&b, "team-b", pair).await;
    let watching = Arc::new(Watched {
        inner: b.queue.clone(),
        watch: StoreAtPush {
            store: b.store.clone(),
            watched: Mutex::new(None),
            pushes: Mutex::new(Vec::new()),
        },
    });
    let running = start_loop_on(&b, watching.clone(), config);
    let flood = running
        .handle
        .trigger("team-a", "flood", TriggerRequest::default())
        .await
        .unwrap();
    watching.watch.watch(flood.id);
    let taken = take_waiting(&b).await;
    assert_eq!(
        taken.len(),
        FLOOD,
        "the flood's tasks are queued in one step"
    );
    let results = taken.iter().flat_map(|m| b.succeed(m)).collect();
    Flooded {
        b,
        running,
        watching,
        flood,
        results,
    }
}

impl Flooded {
    /// When task `task_id` went out, the flood had been read and none of its results were
    /// written; `written` says they are written after, and all succeeded. Stops the loop.
    async fn results_written_after(self, task_id: &str, written: oneshot::Receiver<()>) {
        let then = self.watching.watch.states_when_pushed(task_id);
        assert_eq!(
            then.len(),
            FLOOD,
            "the flood was read when {task_id} went out"
        );
        assert_eq!(
            count(&then, TaskState::Success),
            0,
            "{task_id} went out before A's results were written: {then:?}"
        );
        written.await.expect("A's results are written next");
        all_succeeded(&self.b, &self.flood).await;
        self.running.stop().await;
    }
}

/// How many of `states` are `state`.
fn count(states: &[TaskState], state: TaskState) -> usize {
    states.iter().filter(|s| **s == state).count()
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
    let mut f = flooded().await;
    let results = std::mem::take(&mut f.results);

    // B's new run reaches the loop, then A's results: the loop takes both in one pass.
    f.running
        .handle
        .trigger("team-b", "single", TriggerRequest::default())
        .await
        .unwrap();
    let written = f.running.handle.report_batch(results);

    let taken = take_waiting(&f.b).await;
    assert_eq!(task_ids(&taken), ["only"]);
    assert_eq!(taken[0].tenant, "team-b");
    f.results_written_after("only", written).await;
}

/// B's one-task-then-another DAG run, its first task taken; A's results and B's first
/// result handed to the loop in one pass, as two batches or as one (as one worker running
/// both tenants' tasks sends them); B's second task goes out before A's results are written.
async fn result_goes_first(one_batch: bool) {
    let mut f = flooded().await;
    let mut results = std::mem::take(&mut f.results);
    f.running
        .handle
        .trigger("team-b", "pair", TriggerRequest::default())
        .await
        .unwrap();
    let taken = take_waiting(&f.b).await;
    assert_eq!(task_ids(&taken), ["first"]);

    let b_results = f.b.succeed(&taken[0]);
    let written = if one_batch {
        results.extend(b_results);
        f.running.handle.report_batch(results)
    } else {
        let written = f.running.handle.report_batch(results);
        drop(f.running.handle.report_batch(b_results));
        written
    };

    let next = take_waiting(&f.b).await;
    assert_eq!(
        task_ids(&next),
        ["second"],
        "B's result queued its next task"
    );
    f.results_written_after("second", written).await;
}

#[tokio::test]
async fn another_tenants_result_is_written_before_the_floods_results() {
    result_goes_first(false).await;
}

#[tokio::test]
async fn in_one_batch_another_tenants_result_goes_first_and_the_batch_is_answered_once_all_written()
{
    result_goes_first(true).await;
}

#[tokio::test]
async fn another_tenants_new_run_is_queued_before_a_big_new_run_handed_in_with_it_is_taken_up() {
    let f = flooded().await;
    // The first flood ends: the default pool's slots are free again.
    f.running
        .handle
        .report_batch(f.results)
        .await
        .expect("written");
    // A run of 1,000 tasks is big: it is built beside the loop.
    let tasks: Vec<String> = (0..1000).map(|i| format!("b{i:04}")).collect();
    let tasks: Vec<&str> = tasks.iter().map(String::as_str).collect();
    deploy_in(&f.b, "team-a", "big", &tasks).await;
    // Written to the store only (the bench's own handle tells no loop), then handed to the
    // loop together: one pass takes both.
    let big =
        f.b.handle
            .trigger("team-a", "big", TriggerRequest::default())
            .await
            .unwrap();
    let small =
        f.b.handle
            .trigger("team-b", "single", TriggerRequest::default())
            .await
            .unwrap();
    f.watching.watch.watch(big.id);
    let (big_row, big_tis) = f.b.run(big.id).await;
    let (small_row, small_tis) = f.b.run(small.id).await;
    f.running.handle.run_created(big_row, big_tis);
    f.running.handle.run_created(small_row, small_tis);

    let mut taken = Vec::new();
    while taken.len() < 2 {
        taken.extend(take_waiting(&f.b).await);
    }
    let then = f.watching.watch.states_when_pushed("only");
    assert_eq!(
        then.len(),
        1000,
        "the big run was read when B's task went out"
    );
    assert_eq!(
        count(&then, TaskState::Queued),
        0,
        "B's task went out before A's big run was taken up"
    );
    assert!(
        taken.iter().any(|m| m.tenant == "team-a"),
        "A's big run's tasks are queued next"
    );

    f.running.stop().await;
}
