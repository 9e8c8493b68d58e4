//! How a worker's reports land: a start reported together with its result is written by the
//! result, and a start written earlier is kept.

#![allow(clippy::unwrap_used)]

use crate::support;

use std::time::Duration;

use support::{Bench, Now, bench, success};
use weft_model::{DagSpec, TaskSpec, TaskState};
use weft_scheduler::{Scheduler, SchedulerConfig, TaskMessage};
use weft_store::DagRun;

const T0: &str = "2024-03-01T00:00:00Z";

fn pair() -> DagSpec {
    let mut spec = DagSpec::new("pair");
    spec.tasks = vec![TaskSpec::new("a"), TaskSpec::new("b")];
    spec
}

/// A bench with a run of `pair` triggered and both its tasks queued, their messages
/// taken (`a`'s first), and the scheduler that queued them.
async fn pair_queued() -> (Bench, Scheduler, DagRun, Vec<TaskMessage>) {
    let b = bench(T0, SchedulerConfig::default()).await;
    b.deploy(pair()).await;
    let run = b.trigger("pair").await;
    let mut s = b.scheduler();
    s.start().await.unwrap();
    let mut messages = b.take().await;
    messages.sort_by(|x, y| x.task_id.cmp(&y.task_id));
    (b, s, run, messages)
}

#[tokio::test]
async fn a_start_reported_with_its_result_and_one_reported_before_both_count() {
    let (b, mut s, run, messages) = pair_queued().await;
    let (a, bm) = (&messages[0], &messages[1]);
    let started_at = b.clock.now_ts();

    // `b` reports its start on its own first (a long task).
    s.step(vec![b.started(bm)]).await.unwrap();
    assert_eq!(b.ti(run.id, "b").await.state, TaskState::Running);

    b.clock.advance(Duration::from_secs(5));
    let ended_at = b.clock.now_ts();
    // `a` reports start and end together; `b` its end (its result names a later start).
    let mut reports = vec![b.started(a), b.finished(a, success())];
    reports.push(b.finished(bm, success()));
    s.step(reports).await.unwrap();

    let a = b.ti(run.id, "a").await;
    assert_eq!(a.state, TaskState::Success);
    assert_eq!((a.started_at, a.ended_at), (Some(ended_at), Some(ended_at)));
    assert_eq!(
        (a.worker_id.as_deref(), a.hostname.as_deref()),
        (Some("w-1"), Some("host-a"))
    );
    let bt = b.ti(run.id, "b").await;
    assert_eq!(bt.state, TaskState::Success);
    assert_eq!(
        (bt.started_at, bt.ended_at),
        (Some(started_at), Some(ended_at)),
        "the start written before stays"
    );
    assert_eq!(
        b.run(run.id).await.0.state,
        weft_model::DagRunState::Success
    );
}

#[tokio::test]
async fn a_result_whose_words_cannot_be_stored_as_given_lands_with_the_rest_of_its_step() {
    let (b, mut s, run, messages) = pair_queued().await;
    let (a, bm) = (&messages[0], &messages[1]);

    // `a` fails saying something with NUL in it, past the length kept; `b` succeeds in the
    // same step. The store refuses NUL in text: the step would fail whole if it got there.
    let said = format!(
        "bad\0news {}",
        "x".repeat(weft_model::message::MAX_MESSAGE_BYTES)
    );
    let failed = weft_protocol::AttemptOutcome::Failed {
        retryable: false,
        class: "task\0error".into(),
        message: said,
    };
    s.step(vec![b.finished(a, failed), b.finished(bm, success())])
        .await
        .unwrap();

    let a = b.ti(run.id, "a").await;
    assert_eq!(a.state, TaskState::Failed);
    assert_eq!(a.error_class.as_deref(), Some("task\u{FFFD}error"));
    let error = a.error.unwrap();
    assert!(error.starts_with("bad\u{FFFD}news xxx"), "{error:.40}");
    assert!(error.ends_with("more bytes not kept)"), "{error:.40}");
    assert_eq!(b.ti(run.id, "b").await.state, TaskState::Success);
}

#[tokio::test]
async fn a_result_pushing_an_xcom_key_the_store_cannot_keep_fails_alone() {
    let (b, mut s, run, messages) = pair_queued().await;
    let (a, bm) = (&messages[0], &messages[1]);

    // `a` succeeds pushing a key with a line break (a worker's runtime refuses such a push:
    // only a broken or hostile worker reports it); `b` succeeds in the same step.
    let mut bad = b.finished(a, success());
    if let weft_protocol::Report::Finished(result) = &mut bad {
        result.xcom = vec![
            ("fine".to_owned(), b"1".to_vec()),
            ("two\nlines".to_owned(), b"2".to_vec()),
        ];
    }
    s.step(vec![bad, b.finished(bm, success())]).await.unwrap();

    let a = b.ti(run.id, "a").await;
    assert_eq!(a.state, TaskState::Failed, "no retries left: {a:?}");
    assert_eq!(a.error_class.as_deref(), Some("bad_report"));
    let error = a.error.unwrap_or_default();
    assert!(
        error.contains("XCom key") && error.contains("two\\nlines"),
        "{error}"
    );
    assert_eq!(
        b.store.xcom(run.id, "a", "fine").await.unwrap(),
        None,
        "nothing of the attempt's pushes is kept"
    );
    assert_eq!(b.ti(run.id, "b").await.state, TaskState::Success);
}
