//! Big runs built away from the loop: a run of 1,000 task instances or more, created in this
//! process or announced by its ids, is put in memory by the reader and taken up by the loop
//! when built; its tasks are queued and it runs to its end. A new run of a DAG whose run is
//! being built (triggered, or scheduled by the loop itself) waits its turn, so the runs of
//! one DAG still start oldest first.

#![allow(clippy::unwrap_used)]

use crate::support;

use std::time::Duration;

use support::{Bench, bench, deploy_version_in, start_loop, task_ids};
use weft_model::{DagRunState, DagSpec, TaskSpec};
use weft_protocol::IdRange;
use weft_scheduler::{Control as _, Notice, SchedulerConfig, TaskMessage};
use weft_store::{DEFAULT_TENANT, RunPk};

const T0: &str = "2024-03-01T00:00:00Z";

/// Tasks of the big DAG: a run of them is built away from the loop.
const BIG: usize = 1000;

fn config() -> SchedulerConfig {
    SchedulerConfig {
        parallelism: 2 * BIG,
        default_max_active_tasks: 2000,
        // No resync during a test: only what the test hands the loop brings a run in.
        resync_interval: Duration::from_secs(3600),
        ..SchedulerConfig::default()
    }
}

/// The tasks of the big DAG, `t0000` on.
fn big_tasks() -> Vec<TaskSpec> {
    (0..BIG)
        .map(|i| TaskSpec::new(format!("t{i:04}")))
        .collect()
}

/// Deploy `tasks` as DAG `dag_id` of the default tenant, under a component named by `version`.
async fn deploy(b: &Bench, dag_id: &str, version: &str, tasks: Vec<TaskSpec>) {
    let mut spec = DagSpec::new(dag_id);
    spec.tasks = tasks;
    deploy_spec(b, spec, version).await;
}

/// Deploy `spec` in the default tenant as its `version`.
async fn deploy_spec(b: &Bench, spec: DagSpec, version: &str) {
    deploy_version_in(b, DEFAULT_TENANT, spec, version).await;
}

/// DAG `dag_id` run on `schedule` from the day before [`T0`], of `tasks`.
fn scheduled(dag_id: &str, schedule: &str, tasks: Vec<TaskSpec>) -> DagSpec {
    let mut spec = DagSpec::new(dag_id);
    spec.schedule = Some(schedule.into());
    spec.start_date = Some("2024-02-29".into());
    spec.tasks = tasks;
    spec
}

/// Hand the loop run `run` of DAG `dag_id` as created, and a notice that the DAG changed:
/// one pass takes both, so the run goes to be built before the step looks at the DAG's
/// schedule.
async fn hand_in_with_its_dag(b: &Bench, running: &support::Loop, run: RunPk, dag_id: &str) {
    let (row, tis) = b.run(run).await;
    running.handle.run_created(row, tis);
    running.handle.notify(Notice::DagChanged {
        tenant: DEFAULT_TENANT.into(),
        dag_id: dag_id.into(),
    });
}

/// `taken` ends with task `only`, after every other: `what` says whose it is.
fn only_is_last(taken: &[TaskMessage], what: &str) {
    assert_eq!(
        taken.iter().position(|m| m.task_id == "only"),
        Some(taken.len() - 1),
        "{what} is queued after the older run's: {:?}",
        &task_ids(taken)[..5]
    );
}

/// A loop over `b` that has read the store: a run written before it started has been
/// queued and has succeeded, so what follows is new to it.
async fn started(b: &Bench) -> support::Loop {
    deploy(b, "first", "v1", vec![TaskSpec::new("only")]).await;
    let first = b.trigger("first").await;
    let running = start_loop(b, config());
    let taken = run_in_order(b, &running, 1).await;
    assert_eq!(taken[0].run_id, first.run_id);
    succeeded(b, first.id).await;
    running
}

/// Every message the loop queues until `count` were taken, in the order queued, each batch
/// taken succeeded (the default pool's slots are fewer than a big run's tasks).
async fn run_in_order(b: &Bench, running: &support::Loop, count: usize) -> Vec<TaskMessage> {
    let mut taken = Vec::new();
    while taken.len() < count {
        let more = b.take_within(Duration::from_secs(10)).await;
        assert!(
            !more.is_empty(),
            "{} of {count} tasks queued in 10 s",
            taken.len()
        );
        let reports = more.iter().flat_map(|m| b.succeed(m)).collect();
        running.handle.report_batch(reports).await.expect("written");
        taken.extend(more);
    }
    assert_eq!(taken.len(), count, "no more tasks than asked for");
    taken
}

/// Wait for run `run` to end; it succeeded.
async fn succeeded(b: &Bench, run: RunPk) {
    for _ in 0..1000 {
        let (row, _) = b.run(run).await;
        if row.state.is_finished() {
            assert_eq!(row.state, DagRunState::Success);
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("run {run} did not end in 10 s");
}

#[tokio::test]
async fn a_new_run_of_a_dag_whose_big_run_is_being_built_is_queued_after_it() {
    let b = bench(T0, config()).await;
    let running = started(&b).await;
    deploy(&b, "grows", "v1", big_tasks()).await;
    // Written to the store only (the bench's own handle tells no loop).
    let big = b.trigger("grows").await;
    // A new version of one task: the next run is small, and would be loaded at once.
    deploy(&b, "grows", "v2", vec![TaskSpec::new("only")]).await;
    let small = b.trigger("grows").await;
    let (big_row, big_tis) = b.run(big.id).await;
    let (small_row, small_tis) = b.run(small.id).await;
    assert_eq!((big_tis.len(), small_tis.len()), (BIG, 1));
    running.handle.run_created(big_row, big_tis);
    running.handle.run_created(small_row, small_tis);

    // The older run's tasks go first (the same priority, the older run): the small run was
    // not taken up ahead of the big one while it was being built.
    let taken = run_in_order(&b, &running, BIG + 1).await;
    only_is_last(&taken, "the new run's task");
    succeeded(&b, big.id).await;
    succeeded(&b, small.id).await;
    running.stop().await;
}

#[tokio::test]
async fn a_scheduled_run_of_a_dag_whose_big_run_is_being_built_is_queued_after_it() {
    let b = bench(T0, config()).await;
    let running = started(&b).await;
    deploy(&b, "grows", "v1", big_tasks()).await;
    let big = b.trigger("grows").await;
    // Its next version runs daily: the day before T0 is due at once.
    let daily = scheduled("grows", "@daily", vec![TaskSpec::new("only")]);
    deploy_spec(&b, daily, "v2").await;
    // The step that takes the notice creates the scheduled run.
    hand_in_with_its_dag(&b, &running, big.id, "grows").await;

    let taken = run_in_order(&b, &running, BIG + 1).await;
    only_is_last(&taken, "the scheduled run's task");
    succeeded(&b, big.id).await;
    let scheduled = taken[BIG].run;
    succeeded(&b, scheduled).await;
    running.stop().await;
}

#[tokio::test]
async fn a_big_run_being_built_counts_against_a_continuous_dags_active_runs() {
    let b = bench(T0, config()).await;
    let running = started(&b).await;
    // `@continuous`, one run at a time: a run starts whenever none is active.
    deploy_spec(&b, scheduled("loops", "@continuous", big_tasks()), "v1").await;
    let manual = b.trigger("loops").await;
    // The step that takes the notice looks for room for a run.
    hand_in_with_its_dag(&b, &running, manual.id, "loops").await;

    let first = b.take_within(Duration::from_secs(10)).await;
    assert!(!first.is_empty(), "the manual run's tasks are queued");
    assert!(first.iter().all(|m| m.run_id == manual.run_id), "{first:?}");
    let runs = b.runs("loops").await;
    assert_eq!(
        runs.len(),
        1,
        "no scheduled run while the manual one is built or running: {:?}",
        runs.iter().map(|r| &r.run_id).collect::<Vec<_>>()
    );
    running.stop().await;
}

#[tokio::test]
async fn a_big_run_announced_by_its_ids_is_built_else_read_and_runs_to_its_end() {
    let b = bench(T0, config()).await;
    let running = started(&b).await;
    deploy(&b, "fan", "v1", big_tasks()).await;
    // The message's conf differs from the stored run's, so the tasks' messages show where
    // the loop took the run from.
    let from_message = serde_json::json!({"from": "the message"});
    let announce = |ids_match: bool| {
        let (b, running, from_message) = (&b, &running, from_message.clone());
        async move {
            let run = b.trigger("fan").await;
            let (row, tis) = b.run(run.id).await;
            let mut spec = DagSpec::new("fan");
            spec.tasks = big_tasks();
            let tasks = weft_scheduler::new_runs::new_task_instances(&spec.validate().unwrap());
            let mut created = weft_store::wire::run_created_from_dag(&row, tasks, &tis)
                .expect("a new run's task instances");
            created.run.conf = from_message;
            if !ids_match {
                // One id too many (still a big run's): the reader reads the run from the
                // store instead.
                created.ids = vec![IdRange(tis[0].id, 1001)];
            }
            running.handle.run_created_from_dag(created);
            run
        }
    };

    let built = announce(true).await;
    let taken = run_in_order(&b, &running, BIG).await;
    assert!(
        taken.iter().all(|m| m.conf == from_message),
        "built from the message"
    );
    let (_, tis) = b.run(built.id).await;
    let mut ids: Vec<_> = taken.iter().map(|m| (m.task_id.clone(), m.ti)).collect();
    let mut stored: Vec<_> = tis.iter().map(|ti| (ti.task_id.clone(), ti.id)).collect();
    ids.sort();
    stored.sort();
    assert_eq!(ids, stored, "each task its own id");
    succeeded(&b, built.id).await;

    let read = announce(false).await;
    let taken = run_in_order(&b, &running, BIG).await;
    assert!(
        taken.iter().all(|m| m.conf == serde_json::json!({})),
        "read from the store"
    );
    succeeded(&b, read.id).await;
    running.stop().await;
}
