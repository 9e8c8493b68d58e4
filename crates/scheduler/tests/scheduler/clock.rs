//! The scheduler driven by a manual clock, never by sleeping: schedules and catchup, retry
//! delays, backfills, fencing and clearing (slots and caps: `admission.rs`). The test plays
//! the worker.

#![allow(clippy::unwrap_used)]

use crate::support;

use std::time::Duration;

use support::{DAY, Now as _, bench, failure, manual, success, task_ids, ts};
use weft_model::{DagRunState, DagSpec, RunType, TaskSpec, TaskState};
use weft_scheduler::{Control, ControlError, SchedulerConfig, TriggerRequest};
use weft_store::DEFAULT_TENANT;

fn daily(dag_id: &str, catchup: bool) -> DagSpec {
    let mut spec = DagSpec::new(dag_id);
    spec.schedule = Some("@daily".into());
    spec.start_date = Some("2024-01-01".into());
    spec.catchup = catchup;
    spec.tasks = vec![TaskSpec::new("a")];
    spec
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
    let run = b.trigger("retrying").await;
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
    let run = b.trigger("retrying").await;
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
    let run = b.trigger("retrying").await;
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
async fn a_run_id_is_1_to_250_bytes_of_any_character_but_control() {
    let b = bench("2024-02-01T00:00:00Z", SchedulerConfig::default()).await;
    b.deploy(manual("by_hand", vec![TaskSpec::new("a")])).await;
    let trigger = |run_id: String| {
        let request = TriggerRequest {
            run_id: Some(run_id),
            ..TriggerRequest::default()
        };
        b.handle.trigger(DEFAULT_TENANT, "by_hand", request)
    };
    let wide = "é".repeat(125);
    assert_eq!(trigger(wide.clone()).await.unwrap().run_id, wide);
    for (run_id, why) in [
        (String::new(), "is empty"),
        (
            "two\nlines".to_owned(),
            "contains the control character '\\n'",
        ),
        ("é".repeat(126), "is 252 bytes long"),
    ] {
        match trigger(run_id.clone()).await {
            Err(ControlError::Invalid(message)) => assert!(message.contains(why), "{message}"),
            other => panic!("{run_id:?}: {other:?}"),
        }
    }
    assert_eq!(b.runs("by_hand").await.len(), 1, "only the good one");
}

/// A log sink shared with the test.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log lock").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A result under an old lease is rejected, and said so at the default level (warn), where
/// an operator sees it.
#[tokio::test(flavor = "current_thread")]
async fn a_stale_result_changes_nothing() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let b = bench("2024-03-01T00:00:00Z", SchedulerConfig::default()).await;
    b.deploy(manual("fenced", vec![TaskSpec::new("a")])).await;
    let run = b.trigger("fenced").await;
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
    let logs = String::from_utf8_lossy(&captured.0.lock().expect("log lock")).into_owned();
    assert!(
        logs.contains("stale attempt result rejected"),
        "not said at warn: {logs}"
    );
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
    let run = b.trigger("chain").await;
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
    let first = b.trigger("evolving").await;
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
    let second = b.trigger("evolving").await;
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
    let third = b.trigger("evolving").await;
    assert_eq!(third.digest, v2);
    assert_eq!(b.runs("evolving").await.len(), 3);
}
