//! Admission driven by a manual clock: which ready tasks a step queues under `parallelism`,
//! pools, `max_active_tasks`, `max_active_runs` and `max_active_tis`, the step's caps, and
//! when the tasks left waiting for a slot are marked `scheduled`. The test plays the worker.

#![allow(clippy::unwrap_used)]

use crate::support;

use support::{Now as _, bench, manual, task_ids};
use weft_model::{DagRunState, DagSpec, TaskSpec, TaskState};
use weft_scheduler::{Control as _, SchedulerConfig, TriggerRequest};
use weft_store::{DEFAULT_TENANT, Pool};

/// Five independent tasks `t1`..`t5` with priority weights 1..5.
fn five(dag_id: &str, pool: Option<&str>) -> DagSpec {
    let tasks = (1..=5)
        .map(|n| {
            let mut t = TaskSpec::new(format!("t{n}"));
            t.settings.priority_weight = Some(n);
            t.settings.pool = pool.map(str::to_owned);
            t
        })
        .collect();
    manual(dag_id, tasks)
}

async fn one_slot_pool(b: &support::Bench, name: &str) {
    b.store
        .set_pool(
            DEFAULT_TENANT,
            Pool {
                name: name.into(),
                slots: 1,
                description: String::new(),
            },
        )
        .await
        .unwrap();
}

/// Trigger `dag_id` once and start a scheduler; the run's primary key and the first messages.
async fn five_ready(
    b: &support::Bench,
    dag_id: &str,
) -> (
    weft_store::RunPk,
    weft_scheduler::Scheduler,
    Vec<weft_scheduler::TaskMessage>,
) {
    let run = b.trigger(dag_id).await;
    let mut s = b.scheduler();
    s.start().await.unwrap();
    let taken = b.take().await;
    (run.id, s, taken)
}

#[tokio::test]
async fn parallelism_caps_queued_tasks_highest_priority_first() {
    let config = SchedulerConfig {
        parallelism: 2,
        ..SchedulerConfig::default()
    };
    let b = bench("2024-03-01T00:00:00Z", config).await;
    b.deploy(five("five", None)).await;
    let (run, mut s, taken) = five_ready(&b, "five").await;
    assert_eq!(task_ids(&taken), ["t5", "t4"]);
    s.step(Vec::new()).await.unwrap();
    assert!(b.take().await.is_empty(), "no slot frees without a result");

    s.step(b.succeed(&taken[0])).await.unwrap();
    assert_eq!(task_ids(&b.take().await), ["t3"]);
    let states = b.states(run).await;
    assert_eq!(states[0], ("t1".into(), TaskState::None));
    assert_eq!(states[4], ("t5".into(), TaskState::Success));
}

#[tokio::test]
async fn a_step_queues_at_most_its_cap_and_the_next_step_is_due_at_once() {
    let config = SchedulerConfig {
        max_tis_per_step: 2,
        ..SchedulerConfig::default()
    };
    let b = bench("2024-03-01T00:00:00Z", config).await;
    b.deploy(five("five", None)).await;
    let (run, mut s, taken) = five_ready(&b, "five").await;
    assert_eq!(task_ids(&taken), ["t5", "t4"]);
    let now = b.clock.now_ts();
    assert_eq!(s.wake_at(), Some(now), "the rest goes in the next step");
    // Left for the next step, not waiting for a slot: still as they were.
    let states = b.states(run).await;
    assert_eq!(states[0], ("t1".into(), TaskState::None));
    assert_eq!(states[2], ("t3".into(), TaskState::None));

    s.step(Vec::new()).await.unwrap();
    assert_eq!(task_ids(&b.take().await), ["t3", "t2"]);
    assert_eq!(s.wake_at(), Some(now));
    s.step(Vec::new()).await.unwrap();
    assert_eq!(task_ids(&b.take().await), ["t1"]);
    assert!(
        s.wake_at().is_none_or(|at| at > now),
        "nothing left: no step due, {:?}",
        s.wake_at()
    );
}

#[tokio::test]
async fn a_step_marks_at_most_its_cap_scheduled_and_queues_past_those_it_left() {
    let config = SchedulerConfig {
        max_tis_per_step: 2,
        ..SchedulerConfig::default()
    };
    let b = bench("2024-03-01T00:00:00Z", config).await;
    one_slot_pool(&b, "single").await;
    // t1..t5 share a one-slot pool; `free`, last in the order, has a slot of its own.
    let mut spec = five("five", Some("single"));
    let mut free = TaskSpec::new("free");
    free.settings.priority_weight = Some(0);
    spec.tasks.push(free);
    b.deploy(spec).await;
    let (run, mut s, taken) = five_ready(&b, "five").await;
    // Out of marks after t4 and t3, the walk still queues `free` behind them.
    assert_eq!(task_ids(&taken), ["t5", "free"]);
    let state = |states: &[(String, TaskState)]| -> Vec<TaskState> {
        states.iter().map(|(_, state)| *state).collect()
    };
    use TaskState::{Queued, Scheduled, Success};
    // By task id: free, t1, t2, t3, t4, t5.
    assert_eq!(
        state(&b.states(run).await),
        [
            Queued,
            TaskState::None,
            TaskState::None,
            Scheduled,
            Scheduled,
            Queued
        ]
    );
    let due = b.clock.now_ts() + jiff::SignedDuration::from_millis(100);
    assert_eq!(s.wake_at(), Some(due), "two are left to mark, 100 ms on");

    // The next step, with nothing else to write, marks the rest.
    s.step(Vec::new()).await.unwrap();
    assert_eq!(
        state(&b.states(run).await),
        [Queued, Scheduled, Scheduled, Scheduled, Scheduled, Queued]
    );
    assert!(s.wake_at().is_none_or(|at| at > b.clock.now_ts()));
    // t4 goes in the slot t5 leaves.
    s.step(b.succeed(&taken[0])).await.unwrap();
    assert_eq!(task_ids(&b.take().await), ["t4"]);
    assert_eq!(
        state(&b.states(run).await),
        [Queued, Scheduled, Scheduled, Scheduled, Queued, Success]
    );
}

#[tokio::test]
async fn a_step_with_results_to_write_leaves_marks_for_a_quiet_step_or_100_ms_later() {
    let b = bench("2024-03-01T12:00:00Z", SchedulerConfig::default()).await;
    one_slot_pool(&b, "single").await;
    let mut spec = five("five", Some("single"));
    spec.max_active_runs = Some(1);
    b.deploy(spec).await;
    let runs = [
        b.trigger_at("five", "2024-03-01T10:00:00Z").await,
        b.trigger_at("five", "2024-03-01T11:00:00Z").await,
    ];
    let mut s = b.scheduler();
    s.start().await.unwrap();
    use TaskState::{Queued, Scheduled};
    let state = |states: Vec<(String, TaskState)>| -> Vec<TaskState> {
        states.into_iter().map(|(_, state)| state).collect()
    };
    // The first step marks the first run's waiting tasks (by task id: t1..t5).
    assert_eq!(
        state(b.states(runs[0].id).await),
        [Scheduled, Scheduled, Scheduled, Scheduled, Queued]
    );
    let marked = b.clock.now_ts();
    // Its tasks run one at a time; the step ending the last starts the second run.
    let mut current = b.take().await;
    for _ in 0..5 {
        s.step(b.succeed(&current[0])).await.unwrap();
        current = b.take().await;
    }
    assert_eq!(current[0].run, runs[1].id);
    // That step wrote results: the second run's waiting tasks are left for later.
    let none = TaskState::None;
    assert_eq!(
        state(b.states(runs[1].id).await),
        [none, none, none, none, Queued]
    );
    let due = marked + jiff::SignedDuration::from_millis(100);
    assert_eq!(
        s.wake_at(),
        Some(due),
        "marks are due 100 ms after the last"
    );
    b.clock.advance(std::time::Duration::from_millis(99));
    s.step(b.succeed(&current[0])).await.unwrap();
    current = b.take().await;
    // t4 went from none straight to queued.
    assert_eq!(
        state(b.states(runs[1].id).await),
        [none, none, none, Queued, TaskState::Success]
    );

    // 100 ms on, a step marks them although it writes a result too.
    b.clock.advance(std::time::Duration::from_millis(1));
    s.step(b.succeed(&current[0])).await.unwrap();
    assert_eq!(
        state(b.states(runs[1].id).await),
        [
            Scheduled,
            Scheduled,
            Queued,
            TaskState::Success,
            TaskState::Success
        ]
    );
}

#[tokio::test]
async fn a_big_run_behind_a_full_pool_is_marked_32_at_a_time_whatever_the_cap() {
    let b = bench("2024-03-01T00:00:00Z", SchedulerConfig::default()).await;
    one_slot_pool(&b, "single").await;
    let tasks = (0..80)
        .map(|n| {
            let mut t = TaskSpec::new(format!("t{n:03}"));
            t.settings.pool = Some("single".into());
            t
        })
        .collect();
    b.deploy(manual("wide", tasks)).await;
    let (run, mut s, taken) = five_ready(&b, "wide").await;
    assert_eq!(taken.len(), 1, "one slot");
    let count = |states: &[(String, TaskState)], state: TaskState| {
        states.iter().filter(|(_, s)| *s == state).count()
    };
    let states = b.states(run).await;
    assert_eq!(count(&states, TaskState::Scheduled), 32, "{states:?}");
    assert_eq!(count(&states, TaskState::None), 47);
    let due = b.clock.now_ts() + jiff::SignedDuration::from_millis(100);
    assert_eq!(s.wake_at(), Some(due), "the rest are marked 100 ms on");
    // A step with nothing else to write marks more sooner.
    s.step(Vec::new()).await.unwrap();
    assert_eq!(count(&b.states(run).await, TaskState::Scheduled), 64);
    assert_eq!(s.wake_at(), Some(due));
    b.clock.advance(std::time::Duration::from_millis(100));
    s.step(Vec::new()).await.unwrap();
    let states = b.states(run).await;
    assert_eq!(count(&states, TaskState::Scheduled), 79);
    assert_eq!(count(&states, TaskState::Queued), 1);
    assert!(b.take().await.is_empty(), "the slot is still held");
    let now = b.clock.now_ts();
    assert!(s.wake_at().is_none_or(|at| at > now), "all marked");
}

/// Runs held back by a full pool are walked past as a whole once the step marks no more,
/// and the runs behind them still get their slots, in order, with the marks they had.
#[tokio::test]
async fn runs_behind_a_full_pool_still_go_and_the_held_are_marked_in_order() {
    let b = bench("2024-03-01T00:00:00Z", SchedulerConfig::default()).await;
    one_slot_pool(&b, "single").await;
    let in_pool = |count: usize| -> Vec<TaskSpec> {
        (0..count)
            .map(|n| {
                let mut t = TaskSpec::new(format!("t{n:03}"));
                t.settings.pool = Some("single".into());
                t
            })
            .collect()
    };
    b.deploy(manual("held", in_pool(50))).await;
    let free = || vec![TaskSpec::new("a"), TaskSpec::new("b")];
    b.deploy(manual("free", free())).await;
    b.deploy(manual("last", free())).await;
    // In admission order: held, free, held, last.
    let first = b.trigger("held").await;
    let free_run = b.trigger("free").await;
    let second = b.trigger("held").await;
    let last = b.trigger("last").await;
    let mut s = b.scheduler();
    s.start().await.unwrap();
    let taken = b.take().await;
    let runs_of = |taken: &[weft_scheduler::TaskMessage]| {
        let mut runs: Vec<_> = taken.iter().map(|m| m.run).collect();
        runs.sort_unstable();
        runs
    };
    assert_eq!(
        runs_of(&taken),
        [first.id, free_run.id, free_run.id, last.id, last.id],
        "the pool's one slot, and both runs behind the held ones"
    );
    let count = |states: &[(String, TaskState)], state: TaskState| {
        states.iter().filter(|(_, s)| *s == state).count()
    };
    assert_eq!(count(&b.states(first.id).await, TaskState::Scheduled), 32);
    assert_eq!(count(&b.states(second.id).await, TaskState::Scheduled), 0);
    let due = b.clock.now_ts() + jiff::SignedDuration::from_millis(100);
    assert_eq!(s.wake_at(), Some(due), "more are left to mark");

    // 100 ms on, the first run's last 17 are marked, then the second's first 15.
    b.clock.advance(std::time::Duration::from_millis(100));
    s.step(Vec::new()).await.unwrap();
    assert_eq!(count(&b.states(first.id).await, TaskState::Scheduled), 49);
    let second_states = b.states(second.id).await;
    assert_eq!(count(&second_states, TaskState::Scheduled), 15);
    let marked: Vec<&str> = second_states
        .iter()
        .filter(|(_, s)| *s == TaskState::Scheduled)
        .map(|(id, _)| id.as_str())
        .collect();
    assert_eq!(marked.first(), Some(&"t000"));
    assert_eq!(marked.last(), Some(&"t014"));
    assert!(b.take().await.is_empty(), "the pool's slot is still held");
}

#[tokio::test]
async fn max_active_tasks_caps_one_dag() {
    let b = bench("2024-03-01T00:00:00Z", SchedulerConfig::default()).await;
    let mut spec = five("five", None);
    spec.max_active_tasks = Some(3);
    b.deploy(spec).await;
    let (_, mut s, taken) = five_ready(&b, "five").await;
    assert_eq!(task_ids(&taken), ["t5", "t4", "t3"]);
    s.step(b.succeed(&taken[1])).await.unwrap();
    assert_eq!(task_ids(&b.take().await), ["t2"]);
}

#[tokio::test]
async fn a_one_slot_pool_runs_one_at_a_time() {
    let b = bench("2024-03-01T00:00:00Z", SchedulerConfig::default()).await;
    one_slot_pool(&b, "single").await;
    b.deploy(five("five", Some("single"))).await;
    let (run, mut s, taken) = five_ready(&b, "five").await;
    assert_eq!(task_ids(&taken), ["t5"]);
    // The others are ready and wait for the slot: `scheduled`, as in Airflow.
    let states = b.states(run).await;
    let waiting: Vec<_> = states
        .iter()
        .filter(|(id, _)| id != "t5")
        .map(|(_, state)| *state)
        .collect();
    assert_eq!(waiting, [TaskState::Scheduled; 4], "{states:?}");
    let mut order = vec!["t5".to_owned()];
    let mut current = taken;
    for _ in 0..4 {
        s.step(b.succeed(&current[0])).await.unwrap();
        current = b.take().await;
        assert_eq!(current.len(), 1, "one slot, one task");
        order.push(current[0].task_id.clone());
    }
    assert_eq!(order, ["t5", "t4", "t3", "t2", "t1"]);
    s.step(b.succeed(&current[0])).await.unwrap();
    assert_eq!(b.run(run).await.0.state, DagRunState::Success);
}

#[tokio::test]
async fn max_active_runs_holds_the_second_run_until_the_first_ends() {
    let b = bench("2024-03-01T12:00:00Z", SchedulerConfig::default()).await;
    let mut spec = manual("one_at_a_time", vec![TaskSpec::new("a")]);
    spec.max_active_runs = Some(1);
    b.deploy(spec).await;
    let runs = [
        b.trigger_at("one_at_a_time", "2024-03-01T10:00:00Z").await,
        b.trigger_at("one_at_a_time", "2024-03-01T11:00:00Z").await,
    ];
    let mut s = b.scheduler();
    s.start().await.unwrap();
    let first = b.take().await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].run, runs[0].id);
    assert_eq!(b.run(runs[1].id).await.0.state, DagRunState::Queued);
    s.step(Vec::new()).await.unwrap();
    assert_eq!(b.run(runs[1].id).await.0.state, DagRunState::Queued);

    s.step(b.succeed(&first[0])).await.unwrap();
    assert_eq!(b.run(runs[0].id).await.0.state, DagRunState::Success);
    assert_eq!(
        b.run(runs[1].id).await.0.state,
        DagRunState::Running,
        "the queued run starts in the step that ends the first"
    );
    let second = b.take().await;
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].run, runs[1].id);
}

#[tokio::test]
async fn max_active_tis_caps_one_task_across_runs() {
    let b = bench("2024-03-01T00:00:00Z", SchedulerConfig::default()).await;
    let mut capped = TaskSpec::new("capped");
    capped.settings.max_active_tis = Some(1);
    let free = TaskSpec::new("free");
    b.deploy(manual("capped", vec![capped, free])).await;
    for n in 0..3 {
        let request = TriggerRequest {
            run_id: Some(format!("r{n}")),
            ..TriggerRequest::default()
        };
        b.handle
            .trigger(DEFAULT_TENANT, "capped", request)
            .await
            .unwrap();
    }
    let mut s = b.scheduler();
    s.start().await.unwrap();
    let taken = b.take().await;
    let mut ids = task_ids(&taken);
    ids.sort();
    // Every run's `free`, and one `capped` across the three runs.
    assert_eq!(ids, ["capped", "free", "free", "free"], "{taken:?}");
    let mut capped_done = 0;
    let mut current = taken.into_iter().find(|m| m.task_id == "capped");
    while let Some(message) = current {
        s.step(b.succeed(&message)).await.unwrap();
        capped_done += 1;
        let next = b.take().await;
        assert!(next.len() <= 1, "one capped task at a time: {next:?}");
        current = next.into_iter().find(|m| m.task_id == "capped");
    }
    assert_eq!(capped_done, 3);
}
