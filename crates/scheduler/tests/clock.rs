//! The scheduler driven by a manual clock, never by sleeping: schedules and catchup, retry
//! delays, slots, max_active_runs, backfills, fencing and clearing. The test plays the worker.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use support::{DAY, Now as _, bench, failure, success, task_ids, ts};
use weft_model::{DagRunState, DagSpec, RunType, TaskSpec, TaskState};
use weft_scheduler::{Control, ControlError, SchedulerConfig, TriggerRequest};
use weft_store::{DEFAULT_TENANT, Pool};

fn daily(dag_id: &str, catchup: bool) -> DagSpec {
    let mut spec = DagSpec::new(dag_id);
    spec.schedule = Some("@daily".into());
    spec.start_date = Some("2024-01-01".into());
    spec.catchup = catchup;
    spec.tasks = vec![TaskSpec::new("a")];
    spec
}

fn manual(dag_id: &str, tasks: Vec<TaskSpec>) -> DagSpec {
    let mut spec = DagSpec::new(dag_id);
    spec.tasks = tasks;
    spec
}

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

#[tokio::test]
async fn catchup_creates_every_missed_interval_then_one_per_day() {
    let b = bench("2024-01-04T12:00:00Z", SchedulerConfig::default()).await;
    b.deploy(daily("daily", true)).await;
    let mut s = b.scheduler();
    s.start().await.unwrap();

    let runs = b.runs("daily").await;
    let ids: Vec<&str> = runs.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "scheduled__2024-01-01T00:00:00+00:00",
            "scheduled__2024-01-02T00:00:00+00:00",
            "scheduled__2024-01-03T00:00:00+00:00",
        ]
    );
    for (run, day) in runs.iter().zip(1..) {
        let start = ts(&format!("2024-01-0{day}T00:00:00Z"));
        let end = ts(&format!("2024-01-0{}T00:00:00Z", day + 1));
        assert_eq!(run.run_type, RunType::Scheduled);
        assert_eq!(run.logical_date, start);
        assert_eq!(
            (run.data_interval_start, run.data_interval_end),
            (start, end)
        );
        assert_eq!(run.state, DagRunState::Running);
    }
    assert_eq!(b.take().await.len(), 3, "one task instance per run queued");
    assert_eq!(s.wake_at(), Some(ts("2024-01-05T00:00:00Z")));

    // Nothing more is due until the next interval ends.
    b.clock.advance(Duration::from_secs(11 * 3600));
    s.step(Vec::new()).await.unwrap();
    assert_eq!(b.runs("daily").await.len(), 3);

    b.clock.advance(Duration::from_secs(3600));
    s.step(Vec::new()).await.unwrap();
    let runs = b.runs("daily").await;
    assert_eq!(runs.len(), 4);
    let last = &runs[3];
    assert_eq!(last.run_id, "scheduled__2024-01-04T00:00:00+00:00");
    assert_eq!(
        (last.data_interval_start, last.data_interval_end),
        (ts("2024-01-04T00:00:00Z"), ts("2024-01-05T00:00:00Z"))
    );
    assert_eq!(task_ids(&b.take().await), ["a"]);

    b.clock.advance(DAY);
    s.step(Vec::new()).await.unwrap();
    assert_eq!(b.runs("daily").await.len(), 5);
}

#[tokio::test]
async fn without_catchup_only_the_latest_interval_runs() {
    let b = bench("2024-01-04T12:00:00Z", SchedulerConfig::default()).await;
    b.deploy(daily("daily", false)).await;
    let mut s = b.scheduler();
    s.start().await.unwrap();
    let runs = b.runs("daily").await;
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].run_id, "scheduled__2024-01-03T00:00:00+00:00");
    assert_eq!(runs[0].data_interval_end, ts("2024-01-04T00:00:00Z"));

    // A restarted scheduler picks up after the latest run, creating nothing twice.
    let mut again = b.scheduler();
    again.start().await.unwrap();
    assert_eq!(b.runs("daily").await.len(), 1);
    b.clock.advance(DAY);
    again.step(Vec::new()).await.unwrap();
    let runs = b.runs("daily").await;
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1].run_id, "scheduled__2024-01-04T00:00:00+00:00");
}

fn retrying(backoff: bool) -> DagSpec {
    let mut t = TaskSpec::new("a");
    t.settings.retries = Some(2);
    t.settings.retry_delay_ms = Some(60_000);
    t.settings.retry_exponential_backoff = Some(backoff);
    manual("retrying", vec![t])
}

#[tokio::test]
async fn a_retryable_failure_waits_its_delay_then_runs_again() {
    let b = bench("2024-03-01T00:00:00Z", SchedulerConfig::default()).await;
    b.deploy(retrying(false)).await;
    let run = b
        .handle
        .trigger(DEFAULT_TENANT, "retrying", TriggerRequest::default())
        .await
        .unwrap();
    let mut s = b.scheduler();
    s.start().await.unwrap();
    let first = b.take().await;
    assert_eq!(first.len(), 1);
    assert_eq!((first[0].try_number, first[0].max_tries), (1, 3));

    b.clock.advance(Duration::from_secs(5));
    let end = b.clock.now_ts();
    let mut reports = vec![b.started(&first[0])];
    reports.push(b.finished(&first[0], failure(true)));
    s.step(reports).await.unwrap();
    let ti = b.ti(run.id, "a").await;
    assert_eq!(ti.state, TaskState::UpForRetry);
    assert_eq!(ti.next_retry_at, Some(ts("2024-03-01T00:01:05Z")));
    assert_eq!(ti.ended_at, Some(end));
    assert_eq!(s.wake_at(), Some(ts("2024-03-01T00:01:05Z")));

    b.clock.advance(Duration::from_secs(59));
    s.step(Vec::new()).await.unwrap();
    assert!(
        b.take().await.is_empty(),
        "queued before its retry delay ended"
    );
    assert_eq!(b.ti(run.id, "a").await.state, TaskState::UpForRetry);

    b.clock.advance(Duration::from_secs(1));
    s.step(Vec::new()).await.unwrap();
    let second = b.take().await;
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].try_number, 2);
    assert!(second[0].lease > first[0].lease);
    let ti = b.ti(run.id, "a").await;
    assert_eq!((ti.state, ti.try_number), (TaskState::Queued, 2));

    // Without backoff the second delay is the same; the third failure is final.
    let mut reports = vec![b.started(&second[0])];
    reports.push(b.finished(&second[0], failure(true)));
    s.step(reports).await.unwrap();
    assert_eq!(
        b.ti(run.id, "a").await.next_retry_at,
        Some(ts("2024-03-01T00:02:05Z"))
    );
    b.clock.advance(Duration::from_secs(60));
    s.step(Vec::new()).await.unwrap();
    let third = b.take().await;
    assert_eq!(third[0].try_number, 3);
    let mut reports = vec![b.started(&third[0])];
    reports.push(b.finished(&third[0], failure(true)));
    s.step(reports).await.unwrap();
    assert_eq!(b.ti(run.id, "a").await.state, TaskState::Failed);
    assert_eq!(b.run(run.id).await.0.state, DagRunState::Failed);
    assert_eq!(s.active_runs(), 0);
}

#[tokio::test]
async fn a_permanent_failure_is_not_retried() {
    let b = bench("2024-03-01T00:00:00Z", SchedulerConfig::default()).await;
    b.deploy(retrying(false)).await;
    let run = b
        .handle
        .trigger(DEFAULT_TENANT, "retrying", TriggerRequest::default())
        .await
        .unwrap();
    let mut s = b.scheduler();
    s.start().await.unwrap();
    let m = b.take().await;
    let mut reports = vec![b.started(&m[0])];
    reports.push(b.finished(&m[0], failure(false)));
    s.step(reports).await.unwrap();
    let ti = b.ti(run.id, "a").await;
    assert_eq!((ti.state, ti.next_retry_at), (TaskState::Failed, None));
    assert_eq!(b.run(run.id).await.0.state, DagRunState::Failed);
}

#[tokio::test]
async fn exponential_backoff_doubles_the_second_delay() {
    let b = bench("2024-03-01T00:00:00Z", SchedulerConfig::default()).await;
    b.deploy(retrying(true)).await;
    let run = b
        .handle
        .trigger(DEFAULT_TENANT, "retrying", TriggerRequest::default())
        .await
        .unwrap();
    let mut s = b.scheduler();
    s.start().await.unwrap();
    let first = b.take().await;
    let mut reports = vec![b.started(&first[0])];
    reports.push(b.finished(&first[0], failure(true)));
    s.step(reports).await.unwrap();
    assert_eq!(
        b.ti(run.id, "a").await.next_retry_at,
        Some(ts("2024-03-01T00:01:00Z"))
    );

    b.clock.advance(Duration::from_secs(60));
    s.step(Vec::new()).await.unwrap();
    let second = b.take().await;
    assert_eq!(second[0].try_number, 2);
    let mut reports = vec![b.started(&second[0])];
    reports.push(b.finished(&second[0], failure(true)));
    s.step(reports).await.unwrap();
    assert_eq!(
        b.ti(run.id, "a").await.next_retry_at,
        Some(ts("2024-03-01T00:03:00Z")),
        "second delay is 120 s"
    );
    b.clock.advance(Duration::from_secs(119));
    s.step(Vec::new()).await.unwrap();
    assert!(b.take().await.is_empty());
    b.clock.advance(Duration::from_secs(1));
    s.step(Vec::new()).await.unwrap();
    assert_eq!(b.take().await[0].try_number, 3);
}

/// Make pool `name` of the default tenant, of one slot.
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
    let run = b
        .handle
        .trigger(DEFAULT_TENANT, dag_id, TriggerRequest::default())
        .await
        .unwrap();
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
    let mut runs = Vec::new();
    for at in ["2024-03-01T10:00:00Z", "2024-03-01T11:00:00Z"] {
        let request = TriggerRequest {
            logical_date: Some(ts(at)),
            ..TriggerRequest::default()
        };
        runs.push(
            b.handle
                .trigger(DEFAULT_TENANT, "five", request)
                .await
                .unwrap(),
        );
    }
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
async fn a_big_run_behind_a_full_pool_is_marked_128_at_a_time_whatever_the_cap() {
    let b = bench("2024-03-01T00:00:00Z", SchedulerConfig::default()).await;
    one_slot_pool(&b, "single").await;
    let tasks = (0..300)
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
    assert_eq!(count(&states, TaskState::Scheduled), 128, "{states:?}");
    assert_eq!(count(&states, TaskState::None), 171);
    let due = b.clock.now_ts() + jiff::SignedDuration::from_millis(100);
    assert_eq!(s.wake_at(), Some(due), "the rest are marked 100 ms on");
    // A step with nothing else to write marks more sooner.
    s.step(Vec::new()).await.unwrap();
    assert_eq!(count(&b.states(run).await, TaskState::Scheduled), 256);
    assert_eq!(s.wake_at(), Some(due));
    b.clock.advance(std::time::Duration::from_millis(100));
    s.step(Vec::new()).await.unwrap();
    let states = b.states(run).await;
    assert_eq!(count(&states, TaskState::Scheduled), 299);
    assert_eq!(count(&states, TaskState::Queued), 1);
    assert!(b.take().await.is_empty(), "the slot is still held");
    let now = b.clock.now_ts();
    assert!(s.wake_at().is_none_or(|at| at > now), "all marked");
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
    let mut runs = Vec::new();
    for at in ["2024-03-01T10:00:00Z", "2024-03-01T11:00:00Z"] {
        let request = TriggerRequest {
            logical_date: Some(ts(at)),
            ..TriggerRequest::default()
        };
        runs.push(
            b.handle
                .trigger(DEFAULT_TENANT, "one_at_a_time", request)
                .await
                .unwrap(),
        );
    }
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
async fn backfill_creates_each_interval_once() {
    let b = bench("2024-02-01T00:00:00Z", SchedulerConfig::default()).await;
    b.deploy(daily("daily", false)).await;
    let (start, end) = (ts("2024-01-10T00:00:00Z"), ts("2024-01-12T00:00:00Z"));
    let created = b
        .handle
        .backfill(DEFAULT_TENANT, "daily", start, end)
        .await
        .unwrap();
    let ids: Vec<&str> = created.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "backfill__2024-01-10T00:00:00+00:00",
            "backfill__2024-01-11T00:00:00+00:00",
            "backfill__2024-01-12T00:00:00+00:00",
        ]
    );
    for run in &created {
        assert_eq!(run.run_type, RunType::Backfill);
        assert_eq!(run.state, DagRunState::Queued);
        assert_eq!(run.data_interval_start, run.logical_date);
        assert_eq!(
            run.data_interval_end
                .duration_since(run.data_interval_start),
            jiff::SignedDuration::from_hours(24)
        );
    }
    let again = b
        .handle
        .backfill(DEFAULT_TENANT, "daily", start, end)
        .await
        .unwrap();
    assert!(
        again.is_empty(),
        "a second identical backfill creates nothing"
    );

    let backwards = b.handle.backfill(DEFAULT_TENANT, "daily", end, start).await;
    assert!(
        matches!(backwards, Err(ControlError::Invalid(_))),
        "{backwards:?}"
    );
    let missing = b.handle.backfill(DEFAULT_TENANT, "nope", start, end).await;
    assert!(
        matches!(missing, Err(ControlError::NotFound(_))),
        "{missing:?}"
    );

    // The scheduler runs them (and, without catchup, the latest scheduled interval).
    let mut s = b.scheduler();
    s.start().await.unwrap();
    let mut run_ids: Vec<String> = b.take().await.into_iter().map(|m| m.run_id).collect();
    run_ids.sort();
    assert_eq!(
        run_ids,
        [
            "backfill__2024-01-10T00:00:00+00:00",
            "backfill__2024-01-11T00:00:00+00:00",
            "backfill__2024-01-12T00:00:00+00:00",
            "scheduled__2024-01-31T00:00:00+00:00",
        ]
    );
}

#[tokio::test]
async fn a_backfill_of_an_unscheduled_dag_is_refused() {
    let b = bench("2024-02-01T00:00:00Z", SchedulerConfig::default()).await;
    b.deploy(manual("by_hand", vec![TaskSpec::new("a")])).await;
    let result = b
        .handle
        .backfill(
            DEFAULT_TENANT,
            "by_hand",
            ts("2024-01-10T00:00:00Z"),
            ts("2024-01-12T00:00:00Z"),
        )
        .await;
    assert!(
        matches!(result, Err(ControlError::Invalid(_))),
        "{result:?}"
    );
    assert!(b.runs("by_hand").await.is_empty());
}

#[tokio::test]
async fn a_stale_result_changes_nothing() {
    let b = bench("2024-03-01T00:00:00Z", SchedulerConfig::default()).await;
    b.deploy(manual("fenced", vec![TaskSpec::new("a")])).await;
    let run = b
        .handle
        .trigger(DEFAULT_TENANT, "fenced", TriggerRequest::default())
        .await
        .unwrap();
    let mut s = b.scheduler();
    s.start().await.unwrap();
    let m = b.take().await.remove(0);
    s.step(vec![b.started(&m)]).await.unwrap();
    let before = b.ti(run.id, "a").await;
    assert_eq!(before.state, TaskState::Running);

    let mut stale = m.clone();
    stale.lease -= 1;
    b.clock.advance(Duration::from_secs(10));
    s.step(vec![b.finished(&stale, success())]).await.unwrap();
    let after = b.ti(run.id, "a").await;
    assert_eq!(after, before, "a result under an old lease is rejected");
    assert_eq!(b.run(run.id).await.0.state, DagRunState::Running);
    assert!(
        b.store
            .xcom(run.id, "a", "return_value")
            .await
            .unwrap()
            .is_none(),
        "no output recorded"
    );

    s.step(vec![b.finished(&m, success())]).await.unwrap();
    assert_eq!(b.ti(run.id, "a").await.state, TaskState::Success);
    assert_eq!(b.run(run.id).await.0.state, DagRunState::Success);
}

#[tokio::test]
async fn clearing_a_task_reruns_it_and_its_downstream() {
    let b = bench("2024-03-01T00:00:00Z", SchedulerConfig::default()).await;
    let tasks = vec![
        TaskSpec::new("a"),
        TaskSpec::new("b").after(["a"]),
        TaskSpec::new("c").after(["b"]),
    ];
    b.deploy(manual("chain", tasks)).await;
    let run = b
        .handle
        .trigger(DEFAULT_TENANT, "chain", TriggerRequest::default())
        .await
        .unwrap();
    let mut s = b.scheduler();
    s.start().await.unwrap();
    for expected in ["a", "b", "c"] {
        let m = b.take().await;
        assert_eq!(task_ids(&m), [expected]);
        s.step(b.succeed(&m[0])).await.unwrap();
    }
    assert_eq!(b.run(run.id).await.0.state, DagRunState::Success);

    let unknown = s.clear(DEFAULT_TENANT, run.id, &["zz".into()], true).await;
    assert!(
        matches!(unknown, Err(ControlError::NotFound(_))),
        "{unknown:?}"
    );
    let none = s.clear(DEFAULT_TENANT, run.id, &[], true).await;
    assert!(matches!(none, Err(ControlError::Invalid(_))), "{none:?}");
    let other = s.clear("someone-else", run.id, &["b".into()], true).await;
    assert!(matches!(other, Err(ControlError::NotFound(_))), "{other:?}");
    assert_eq!(b.run(run.id).await.0.state, DagRunState::Success);

    b.clock.advance(Duration::from_secs(60));
    let cleared = s
        .clear(DEFAULT_TENANT, run.id, &["b".into()], true)
        .await
        .unwrap();
    assert_eq!(cleared, 2);
    assert_eq!(
        b.states(run.id).await,
        [
            ("a".into(), TaskState::Success),
            ("b".into(), TaskState::None),
            ("c".into(), TaskState::None),
        ]
    );
    s.step(Vec::new()).await.unwrap();
    assert_eq!(b.run(run.id).await.0.state, DagRunState::Running);
    let m = b.take().await;
    assert_eq!(task_ids(&m), ["b"]);
    assert_eq!((m[0].try_number, m[0].max_tries), (2, 2));
    s.step(b.succeed(&m[0])).await.unwrap();
    let m = b.take().await;
    assert_eq!(task_ids(&m), ["c"]);
    s.step(b.succeed(&m[0])).await.unwrap();
    assert_eq!(b.run(run.id).await.0.state, DagRunState::Success);
    assert!(b.take().await.is_empty(), "a is not run again");
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

#[tokio::test]
async fn triggers_in_the_same_microsecond_get_runs_of_their_own() {
    let b = bench("2024-03-01T00:00:00Z", SchedulerConfig::default()).await;
    b.deploy(retrying(false)).await;
    // The clock stands still: every trigger asks for the same default id.
    let mut ids = Vec::new();
    for _ in 0..3 {
        let run = b
            .handle
            .trigger(DEFAULT_TENANT, "retrying", TriggerRequest::default())
            .await
            .expect("a trigger with nothing given never conflicts");
        ids.push((run.run_id, run.logical_date));
    }
    assert_eq!(
        ids.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
        [
            "manual__2024-03-01T00:00:00+00:00",
            "manual__2024-03-01T00:00:00.000001+00:00",
            "manual__2024-03-01T00:00:00.000002+00:00",
        ]
    );
    assert_eq!(ids[1].1, ts("2024-03-01T00:00:00.000001Z"));
    assert_eq!(b.runs("retrying").await.len(), 3);

    // A date or an id the caller chose is theirs: taken, it is a conflict.
    let dated = TriggerRequest {
        logical_date: Some(ts("2024-03-01T00:00:00Z")),
        ..TriggerRequest::default()
    };
    let refused = b
        .handle
        .trigger(DEFAULT_TENANT, "retrying", dated)
        .await
        .expect_err("the date's run exists");
    assert!(matches!(refused, ControlError::Conflict(_)), "{refused:?}");
    let named = TriggerRequest {
        run_id: Some("manual__2024-03-01T00:00:00.000001+00:00".to_owned()),
        ..TriggerRequest::default()
    };
    let refused = b
        .handle
        .trigger(DEFAULT_TENANT, "retrying", named)
        .await
        .expect_err("the id is taken");
    assert!(matches!(refused, ControlError::Conflict(_)), "{refused:?}");
    assert_eq!(b.runs("retrying").await.len(), 3);
}

#[tokio::test]
async fn a_trigger_after_a_deploy_through_another_server_runs_the_new_version() {
    let b = bench("2024-03-01T00:00:00Z", SchedulerConfig::default()).await;
    let v1 = b.deploy(manual("evolving", vec![TaskSpec::new("a")])).await;
    let first = b
        .handle
        .trigger(DEFAULT_TENANT, "evolving", TriggerRequest::default())
        .await
        .unwrap();
    assert_eq!(first.digest, v1);

    // A second version, deployed straight to the store as another API server would: the
    // handle read the DAG before it and still holds the first version.
    let mut spec = manual("evolving", vec![TaskSpec::new("a"), TaskSpec::new("b")]);
    spec.description = "second version".into();
    let bytes = b"component of evolving, second version".to_vec();
    let v2 = format!(
        "sha256:{}",
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes))
    );
    b.store
        .deploy(weft_store::Deploy {
            tenant: DEFAULT_TENANT.into(),
            digest: v2.clone(),
            bytes,
            dag_id: "evolving".into(),
            spec,
            at: ts("2024-03-01T00:00:01Z"),
        })
        .await
        .unwrap();
    b.clock.advance(Duration::from_secs(2));
    let second = b
        .handle
        .trigger(DEFAULT_TENANT, "evolving", TriggerRequest::default())
        .await
        .unwrap();
    assert_eq!(
        second.digest, v2,
        "the run is pinned to the current version"
    );
    let (_, tis) = b.run(second.id).await;
    let mut tasks: Vec<&str> = tis.iter().map(|ti| ti.task_id.as_str()).collect();
    tasks.sort_unstable();
    assert_eq!(tasks, ["a", "b"], "built from the current spec");
    // And the DAG as read again serves the next trigger.
    b.clock.advance(Duration::from_secs(1));
    let third = b
        .handle
        .trigger(DEFAULT_TENANT, "evolving", TriggerRequest::default())
        .await
        .unwrap();
    assert_eq!(third.digest, v2);
    assert_eq!(b.runs("evolving").await.len(), 3);
}
