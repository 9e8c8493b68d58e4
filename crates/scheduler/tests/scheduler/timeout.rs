//! DAG run timeouts (`dagrun_timeout_ms`) on a manual clock: a run past its timeout fails
//! with Airflow's task states, a run that finishes in time is untouched, the deadline counts
//! from the run's start, and a timed-out attempt's late reports are rejected. The test plays
//! the worker.

#![allow(clippy::unwrap_used)]

use crate::support;

use std::time::Duration;

use jiff::Timestamp;
use support::{Now as _, bench, failure, success, task_ids, ts};
use weft_model::{DagRunState, DagSpec, TaskSpec, TaskState};
use weft_scheduler::{Control, SchedulerConfig, TaskMessage, TriggerRequest};
use weft_store::{DEFAULT_TENANT, FinishTask, Heartbeat, StartTask, WriteBatch};

const T0: &str = "2024-03-01T00:00:00Z";

/// A DAG without a schedule whose runs time out after `timeout_ms`.
fn timed(dag_id: &str, timeout_ms: u64, tasks: Vec<TaskSpec>) -> DagSpec {
    let mut spec = DagSpec::new(dag_id);
    spec.dagrun_timeout_ms = Some(timeout_ms);
    spec.tasks = tasks;
    spec
}

/// Four independent tasks (`done`, `running`, `queued`, `retrying`, which retries an hour
/// later) and `after`, downstream of `running`.
fn five_ways(timeout_ms: u64) -> DagSpec {
    let mut retrying = TaskSpec::new("retrying");
    retrying.settings.retries = Some(1);
    retrying.settings.retry_delay_ms = Some(3_600_000);
    let tasks = vec![
        TaskSpec::new("done"),
        TaskSpec::new("running"),
        TaskSpec::new("queued"),
        retrying,
        TaskSpec::new("after").after(["running"]),
    ];
    timed("five_ways", timeout_ms, tasks)
}

fn at(seconds: i64) -> Timestamp {
    ts(T0)
        .checked_add(jiff::SignedDuration::from_secs(seconds))
        .unwrap()
}

fn by_task<'a>(messages: &'a [TaskMessage], task_id: &str) -> &'a TaskMessage {
    messages.iter().find(|m| m.task_id == task_id).unwrap()
}

#[tokio::test]
async fn a_run_past_its_timeout_fails_its_tasks_and_frees_their_slots() {
    let config = SchedulerConfig {
        parallelism: 4,
        ..SchedulerConfig::default()
    };
    let b = bench(T0, config).await;
    let mut spec = five_ways(60_000);
    spec.defaults.priority_weight = Some(10);
    b.deploy(spec).await;
    let mut other = DagSpec::new("other");
    other.tasks = (1..=4).map(|n| TaskSpec::new(format!("t{n}"))).collect();
    b.deploy(other).await;
    let run = b.trigger("five_ways").await;
    b.trigger("other").await;
    let mut s = b.scheduler();
    s.start().await.unwrap();
    assert_eq!(b.run(run.id).await.0.started_at, Some(at(0)));
    assert_eq!(s.wake_at(), Some(at(60)), "the deadline is a timer");
    let queued = b.take().await;
    let mut ids = task_ids(&queued);
    ids.sort_unstable();
    assert_eq!(ids, ["done", "queued", "retrying", "running"]);

    // `done` succeeds and `retrying` waits an hour: two slots go to the other DAG.
    b.clock.advance(Duration::from_secs(10));
    let mut reports = b.succeed(by_task(&queued, "done"));
    reports.push(b.started(by_task(&queued, "running")));
    let retrying = by_task(&queued, "retrying");
    reports.push(b.started(retrying));
    reports.push(b.finished(retrying, failure(true)));
    s.step(reports).await.unwrap();
    assert_eq!(b.ti(run.id, "retrying").await.state, TaskState::UpForRetry);
    assert_eq!(
        s.wake_at(),
        Some(at(60)),
        "the deadline comes before the retry"
    );
    let others = b.take().await;
    assert_eq!(others.len(), 2);
    assert!(others.iter().all(|m| m.dag_id == "other"));

    b.clock.advance(Duration::from_secs(49));
    s.step(Vec::new()).await.unwrap();
    assert_eq!(b.run(run.id).await.0.state, DagRunState::Running);
    assert!(b.take().await.is_empty());

    b.clock.advance(Duration::from_secs(1));
    s.step(Vec::new()).await.unwrap();
    let (row, _) = b.run(run.id).await;
    assert_eq!(row.state, DagRunState::Failed);
    assert_eq!(row.ended_at, Some(at(60)));
    assert_eq!(
        b.states(run.id).await,
        [
            ("after".into(), TaskState::Skipped),
            ("done".into(), TaskState::Success),
            ("queued".into(), TaskState::Failed),
            ("retrying".into(), TaskState::Failed),
            ("running".into(), TaskState::Failed),
        ]
    );
    for task in ["running", "queued"] {
        let ti = b.ti(run.id, task).await;
        assert_eq!(
            ti.lease,
            by_task(&queued, task).lease + 1,
            "{task}'s attempt is fenced"
        );
        assert_eq!(ti.ended_at, Some(at(60)));
    }
    assert_eq!(b.ti(run.id, "done").await.ended_at, Some(at(10)));
    assert_eq!(s.active_runs(), 1, "only the other DAG's run is left");

    // The two slots it held go, in the same step, to the other DAG's last two tasks.
    let rest = b.take().await;
    assert_eq!(rest.len(), 2);
    assert!(
        rest.iter().all(|m| m.dag_id == "other"),
        "nothing of the run is queued"
    );

    // `retrying` lost its retry.
    b.clock.advance(Duration::from_secs(3_600));
    s.step(Vec::new()).await.unwrap();
    assert!(b.take().await.is_empty());
    assert_eq!(b.ti(run.id, "retrying").await.state, TaskState::Failed);
}

#[tokio::test]
async fn a_run_that_finishes_in_time_is_untouched() {
    let b = bench(T0, SchedulerConfig::default()).await;
    let tasks = vec![TaskSpec::new("a"), TaskSpec::new("b").after(["a"])];
    b.deploy(timed("quick", 60_000, tasks)).await;
    let run = b.trigger("quick").await;
    let mut s = b.scheduler();
    s.start().await.unwrap();
    for task in ["a", "b"] {
        let m = b.take().await;
        assert_eq!(task_ids(&m), [task]);
        b.clock.advance(Duration::from_secs(25));
        s.step(b.succeed(&m[0])).await.unwrap();
    }
    let (finished, tis) = b.run(run.id).await;
    assert_eq!(finished.state, DagRunState::Success);
    assert_eq!(finished.ended_at, Some(at(50)));

    b.clock.advance(Duration::from_secs(60));
    s.step(Vec::new()).await.unwrap();
    assert_eq!(
        b.run(run.id).await,
        (finished, tis),
        "nothing changes after the deadline"
    );
}

#[tokio::test]
async fn the_deadline_counts_from_the_run_start_not_its_creation() {
    let b = bench(T0, SchedulerConfig::default()).await;
    let mut spec = timed("one_at_a_time", 60_000, vec![TaskSpec::new("a")]);
    spec.max_active_runs = Some(1);
    b.deploy(spec).await;
    let mut runs = Vec::new();
    for n in 1..=2 {
        let request = TriggerRequest {
            run_id: Some(format!("r{n}")),
            logical_date: Some(at(-10 + n)),
            ..TriggerRequest::default()
        };
        let run = b
            .handle
            .trigger(DEFAULT_TENANT, "one_at_a_time", request)
            .await
            .unwrap();
        runs.push(run.id);
    }
    let mut s = b.scheduler();
    s.start().await.unwrap();
    let first = b.take().await;
    assert_eq!(first[0].run, runs[0]);

    // The first run ends after 50 s; the second starts then, queued for 50 s already.
    b.clock.advance(Duration::from_secs(50));
    s.step(b.succeed(&first[0])).await.unwrap();
    let second = b.take().await;
    assert_eq!(second[0].run, runs[1]);
    assert_eq!(b.run(runs[1]).await.0.started_at, Some(at(50)));
    assert!(s.wake_at() <= Some(at(110)), "{:?}", s.wake_at());

    // Past the first run's deadline (a wake-up with nothing to do), not the second's.
    b.clock.advance(Duration::from_secs(20));
    s.step(Vec::new()).await.unwrap();
    assert_eq!(b.run(runs[1]).await.0.state, DagRunState::Running);
    assert_eq!(s.wake_at(), Some(at(110)));
    b.clock.advance(Duration::from_secs(40));
    s.step(vec![b.started(&second[0])]).await.unwrap();
    assert_eq!(b.run(runs[1]).await.0.state, DagRunState::Failed);
    assert_eq!(b.ti(runs[1], "a").await.state, TaskState::Failed);
}

#[tokio::test]
async fn a_scheduler_started_after_the_deadline_fails_the_run_at_once() {
    let b = bench(T0, SchedulerConfig::default()).await;
    b.deploy(timed("restarted", 60_000, vec![TaskSpec::new("a")]))
        .await;
    let run = b.trigger("restarted").await;
    let mut s = b.scheduler();
    s.start().await.unwrap();
    let m = b.take().await.remove(0);
    s.step(vec![b.started(&m)]).await.unwrap();
    drop(s);

    // Restarted before the deadline: the loaded run's deadline is the wake-up time.
    b.clock.advance(Duration::from_secs(30));
    let mut again = b.scheduler();
    again.start().await.unwrap();
    assert_eq!(again.wake_at(), Some(at(60)));
    assert_eq!(b.run(run.id).await.0.state, DagRunState::Running);
    drop(again);

    b.clock.advance(Duration::from_secs(60));
    let mut late = b.scheduler();
    late.start().await.unwrap();
    assert_eq!(b.run(run.id).await.0.state, DagRunState::Failed);
    assert_eq!(b.ti(run.id, "a").await.state, TaskState::Failed);
}

#[tokio::test]
async fn the_late_reports_of_a_timed_out_attempt_are_rejected() {
    let b = bench(T0, SchedulerConfig::default()).await;
    let tasks = vec![TaskSpec::new("slow"), TaskSpec::new("waiting")];
    b.deploy(timed("late", 60_000, tasks)).await;
    let run = b.trigger("late").await;
    let mut s = b.scheduler();
    s.start().await.unwrap();
    let queued = b.take().await;
    let slow = by_task(&queued, "slow").clone();
    let waiting = by_task(&queued, "waiting").clone();
    s.step(vec![b.started(&slow)]).await.unwrap();
    b.clock.advance(Duration::from_secs(60));
    s.step(Vec::new()).await.unwrap();
    let timed_out = b.ti(run.id, "slow").await;
    assert_eq!(timed_out.state, TaskState::Failed);

    // Through the scheduler: the result arrives after the run failed.
    b.clock.advance(Duration::from_secs(5));
    s.step(vec![b.finished(&slow, success())]).await.unwrap();
    assert_eq!(b.ti(run.id, "slow").await, timed_out);
    assert_eq!(b.run(run.id).await.0.state, DagRunState::Failed);
    assert!(
        b.store
            .xcom(run.id, "slow", "return_value")
            .await
            .unwrap()
            .is_none(),
        "no output recorded"
    );

    // At the store: the attempts' leases are no longer current, so nothing is applied.
    let now = b.clock.now_ts();
    let outcome = b
        .store
        .write(WriteBatch {
            start: vec![StartTask {
                ti: waiting.ti,
                lease: waiting.lease,
                worker_id: "w-2".into(),
                hostname: "host-b".into(),
                at: now,
                lease_expires_at: now,
            }],
            heartbeat: vec![Heartbeat {
                ti: slow.ti,
                lease: slow.lease,
                lease_expires_at: now,
            }],
            finish: vec![finish(&slow, now)],
            ..WriteBatch::default()
        })
        .await
        .unwrap();
    assert_eq!(outcome.started, [false]);
    assert_eq!(outcome.heartbeats, [false]);
    assert_eq!(outcome.finished, [false]);
    assert_eq!(b.ti(run.id, "slow").await, timed_out);
    assert_eq!(b.ti(run.id, "waiting").await.state, TaskState::Failed);
}

/// The success of `message`'s attempt, written straight to the store.
fn finish(message: &TaskMessage, at: Timestamp) -> FinishTask {
    FinishTask {
        ti: message.ti,
        lease: message.lease,
        state: TaskState::Success,
        at,
        duration_ms: 65_000,
        worker_id: Some("w-1".into()),
        hostname: Some("host-a".into()),
        output: Some(b"42".to_vec()),
        ..FinishTask::default()
    }
}

#[tokio::test]
async fn a_cleared_timed_out_run_gets_a_new_deadline_from_its_new_start() {
    let b = bench(T0, SchedulerConfig::default()).await;
    b.deploy(timed("again", 60_000, vec![TaskSpec::new("a")]))
        .await;
    let run = b.trigger("again").await;
    let mut s = b.scheduler();
    s.start().await.unwrap();
    let _ = b.take().await;
    b.clock.advance(Duration::from_secs(61));
    s.step(Vec::new()).await.unwrap();
    assert_eq!(b.run(run.id).await.0.state, DagRunState::Failed);

    // Cleared an hour later, as in Airflow the run starts afresh, with a fresh deadline.
    b.clock.advance(Duration::from_secs(3600));
    let cleared = s
        .clear(DEFAULT_TENANT, run.id, &["a".to_owned()], false)
        .await
        .unwrap();
    assert_eq!(cleared, 1);
    s.step(Vec::new()).await.unwrap();
    let (row, _) = b.run(run.id).await;
    assert_eq!(row.state, DagRunState::Running);
    assert_eq!(row.started_at, Some(at(3661)));
    assert_eq!(s.wake_at(), Some(at(3721)));
    let m = b.take().await.remove(0);
    s.step(b.succeed(&m)).await.unwrap();
    assert_eq!(b.run(run.id).await.0.state, DagRunState::Success);
}
