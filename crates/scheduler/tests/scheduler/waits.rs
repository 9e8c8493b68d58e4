//! Waits against the scheduler's step with a manual clock: an awaited task that ends in the
//! very step its wait starts is not missed; a wait task waits only once its run runs; a task
//! that resumed after a deferral and then failed retries in a new try, without the event; a
//! scheduler with no slot left still starts waits and expands mapped tasks.

use crate::support;

use std::time::Duration;

use support::{Now, bench, failure, manual, success, task_ids};
use weft_model::{ExternalWait, RunSelector, TaskKind, TaskSpec, TaskState, WaitCondition};
use weft_scheduler::{AttemptOutcome, Control, SchedulerConfig, TriggerRequest};
use weft_store::{DEFAULT_TENANT, DagRun};

fn on_child_condition(task_id: Option<&str>, run_id: &str) -> WaitCondition {
    WaitCondition::External(ExternalWait {
        dag_id: "child".into(),
        run: RunSelector::RunId(run_id.into()),
        task_id: task_id.map(str::to_owned),
        allowed_states: Vec::new(),
        failed_states: Vec::new(),
    })
}

fn on_child(task_id: Option<&str>, run_id: &str) -> TaskKind {
    TaskKind::Wait(on_child_condition(task_id, run_id))
}

async fn trigger(b: &support::Bench, dag_id: &str, run_id: &str) -> DagRun {
    let request = TriggerRequest {
        run_id: Some(run_id.into()),
        ..TriggerRequest::default()
    };
    b.handle
        .trigger(DEFAULT_TENANT, dag_id, request)
        .await
        .expect("trigger")
}

#[tokio::test]
async fn an_end_in_the_step_a_wait_starts_is_not_missed() {
    let b = bench("2026-03-01T00:00:00Z", SchedulerConfig::default()).await;
    b.deploy(manual("child", vec![TaskSpec::new("work")])).await;
    let mut wait = TaskSpec::new("on_work").after(["kick"]);
    wait.kind = on_child(Some("work"), "c1");
    let tasks = vec![TaskSpec::new("kick"), wait, TaskSpec::new("defers")];
    b.deploy(manual("parent", tasks)).await;
    trigger(&b, "child", "c1").await;
    let parent = trigger(&b, "parent", "p1").await;
    let mut s = b.scheduler();
    s.start().await.expect("start");
    let taken = b.take().await;
    assert_eq!(task_ids(&taken).len(), 3, "{taken:?}");
    // One step: the child's task ends first; then the parent's `kick` ends, which starts the
    // wait task, and `defers` defers on the same task. Both waits start in the step that
    // ends what they wait for.
    let by = |id: &str| taken.iter().find(|m| m.task_id == id).expect("message");
    let mut reports = b.succeed(by("work"));
    reports.extend(b.succeed(by("kick")));
    let defers = by("defers");
    let deferred = AttemptOutcome::Deferred {
        until: on_child_condition(Some("work"), "c1"),
        resume: false,
    };
    reports.extend([b.started(defers), b.finished(defers, deferred)]);
    s.step(reports).await.expect("step");
    for _ in 0..3 {
        s.step(Vec::new()).await.expect("step");
    }
    for task in ["on_work", "defers"] {
        let ti = b.ti(parent.id, task).await;
        assert_eq!(ti.state, TaskState::Success, "{ti:#?}");
    }
}

#[tokio::test]
async fn a_wait_task_waits_only_once_its_run_runs() {
    let b = bench("2026-03-01T00:00:00Z", SchedulerConfig::default()).await;
    let mut wait = TaskSpec::new("on_child");
    wait.kind = on_child(None, "never");
    let mut dag = manual("parent", vec![wait]);
    dag.max_active_runs = Some(1);
    b.deploy(dag).await;
    let first = trigger(&b, "parent", "p1").await;
    let second = trigger(&b, "parent", "p2").await;
    let mut s = b.scheduler();
    s.start().await.expect("start");
    s.step(Vec::new()).await.expect("step");
    assert_eq!(b.ti(first.id, "on_child").await.state, TaskState::Deferred);
    let queued = b.ti(second.id, "on_child").await;
    assert_eq!(
        (queued.state, queued.deferral.is_some()),
        (TaskState::None, false),
        "its run is queued behind max_active_runs: {queued:#?}"
    );
    assert!(b.take().await.is_empty(), "a wait task is never queued");
}

#[tokio::test]
async fn a_resumed_task_that_fails_retries_in_a_new_try_without_the_event() {
    let b = bench("2026-03-01T00:00:00Z", SchedulerConfig::default()).await;
    let mut poll = TaskSpec::new("poll");
    poll.settings.retries = Some(1);
    poll.settings.retry_delay_ms = Some(0);
    b.deploy(manual("poller", vec![poll])).await;
    let run = trigger(&b, "poller", "r1").await;
    let mut s = b.scheduler();
    s.start().await.expect("start");
    let first = b.take().await.pop().expect("poll is queued");
    assert_eq!((first.try_number, first.event.as_deref()), (1, None));
    let deferred = AttemptOutcome::Deferred {
        until: WaitCondition::AfterDataIntervalEndMs(60_000),
        resume: true,
    };
    s.step(vec![b.started(&first), b.finished(&first, deferred)])
        .await
        .expect("step");
    assert_eq!(b.ti(run.id, "poll").await.state, TaskState::Deferred);
    assert!(b.take().await.is_empty(), "a deferred task holds no slot");

    b.clock.advance(Duration::from_secs(61));
    s.step(Vec::new()).await.expect("step");
    let resumed = b.take().await.pop().expect("poll is queued again");
    assert_eq!(resumed.try_number, 1, "resuming is the same try");
    let event: serde_json::Value =
        serde_json::from_str(resumed.event.as_deref().expect("an event")).expect("JSON");
    assert_eq!(event["kind"], "time", "{event}");

    s.step(vec![
        b.started(&resumed),
        b.finished(&resumed, failure(true)),
    ])
    .await
    .expect("step");
    s.step(Vec::new()).await.expect("step");
    let retry = b.take().await.pop().expect("poll is retried");
    assert_eq!((retry.try_number, retry.event.as_deref()), (2, None));
    s.step(vec![b.started(&retry), b.finished(&retry, success())])
        .await
        .expect("step");
    let ti = b.ti(run.id, "poll").await;
    assert_eq!((ti.state, ti.deferral), (TaskState::Success, None));
    let _ = b.clock.now_ts();
}

#[tokio::test]
async fn a_full_scheduler_still_starts_waits_and_expands_mapped_tasks() {
    // One slot, taken by `busy`; `also_busy` finds none, which ends the walk for tasks that
    // need one. The wait task and the mapped task come after both in priority order, and
    // take no slot: they start all the same.
    let config = SchedulerConfig {
        parallelism: 1,
        ..SchedulerConfig::default()
    };
    let b = bench("2026-03-01T00:00:00Z", config).await;
    let mut busy = TaskSpec::new("busy");
    busy.settings.priority_weight = Some(10);
    let mut also_busy = TaskSpec::new("also_busy");
    also_busy.settings.priority_weight = Some(9);
    let mut wait = TaskSpec::new("waits");
    wait.kind = TaskKind::Wait(WaitCondition::Until("2026-03-02T00:00:00Z".into()));
    let mut mapped = TaskSpec::new("mapped");
    mapped.expand = Some(weft_model::Expand::Items(vec!["1".into(), "2".into()]));
    b.deploy(manual("full", vec![busy, also_busy, wait, mapped]))
        .await;
    let run = trigger(&b, "full", "r1").await;
    let mut s = b.scheduler();
    s.start().await.expect("start");
    s.step(Vec::new()).await.expect("step");
    let taken = b.take().await;
    assert_eq!(task_ids(&taken), vec!["busy"], "one slot");
    assert_eq!(b.ti(run.id, "also_busy").await.state, TaskState::Scheduled);
    let waits = b.ti(run.id, "waits").await;
    assert_eq!(waits.state, TaskState::Deferred, "{waits:#?}");
    let mapped = b.ti(run.id, "mapped").await;
    assert_eq!(
        (mapped.state, mapped.map_count),
        (TaskState::Running, Some(2)),
        "{mapped:#?}"
    );
}

#[tokio::test]
async fn a_deferral_on_a_run_id_the_store_cannot_look_up_fails_its_task_alone() {
    let b = bench("2026-03-01T00:00:00Z", SchedulerConfig::default()).await;
    b.deploy(manual(
        "pair",
        vec![TaskSpec::new("defers"), TaskSpec::new("works")],
    ))
    .await;
    let run = trigger(&b, "pair", "p1").await;
    let mut s = b.scheduler();
    s.start().await.expect("start");
    let taken = b.take().await;
    let by = |id: &str| taken.iter().find(|m| m.task_id == id).expect("message");
    // A run id with NUL: PostgreSQL could not even look it up, every step would fail on it.
    let deferred = AttemptOutcome::Deferred {
        until: on_child_condition(None, "c\0"),
        resume: false,
    };
    let mut reports = vec![b.finished(by("defers"), deferred)];
    reports.extend(b.succeed(by("works")));
    s.step(reports).await.expect("step");
    s.step(Vec::new()).await.expect("the next step goes on");
    let defers = b.ti(run.id, "defers").await;
    assert_eq!(
        (defers.state, defers.error_class.as_deref()),
        (TaskState::Failed, Some("wait")),
        "{defers:#?}"
    );
    assert!(
        defers
            .error
            .as_deref()
            .is_some_and(|e| e.contains("control character")),
        "{defers:#?}"
    );
    assert_eq!(b.ti(run.id, "works").await.state, TaskState::Success);
}
