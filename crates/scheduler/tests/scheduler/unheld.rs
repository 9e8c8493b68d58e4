//! The watchdog of queued attempts: one whose message is gone (taken and acknowledged with
//! its reports lost, or evicted) is queued again once it has been queued for
//! `requeue_unheld_after`; one whose message still waits keeps it, in its place.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use weft_model::{TaskSpec, TaskState};
use weft_scheduler::SchedulerConfig;

use crate::support::{bench, manual};

const T0: &str = "2024-03-01T00:00:00Z";

fn config() -> SchedulerConfig {
    SchedulerConfig {
        requeue_unheld_after: Duration::from_secs(60),
        ..SchedulerConfig::default()
    }
}

#[tokio::test]
async fn an_attempt_whose_reports_were_lost_is_queued_again_and_completes() {
    let b = bench(T0, config()).await;
    b.deploy(manual("lost", vec![TaskSpec::new("a")])).await;
    let run = b.trigger("lost").await;
    let mut s = b.scheduler();
    s.start().await.unwrap();
    // A worker takes the attempt and acknowledges it; its start and result never arrive
    // (trimmed from the report stream).
    let first = b.take().await;
    assert_eq!(first.len(), 1);
    assert_eq!(b.ti(run.id, "a").await.state, TaskState::Queued);

    // Within the bound nothing happens.
    b.clock.advance(Duration::from_secs(59));
    s.requeue_unheld().await.unwrap();
    s.step(Vec::new()).await.unwrap();
    assert!(b.take().await.is_empty(), "queued again too early");

    // Past it the attempt is queued again, under a new lease, in the same try.
    b.clock.advance(Duration::from_secs(2));
    s.requeue_unheld().await.unwrap();
    s.step(Vec::new()).await.unwrap();
    let second = b.take().await;
    assert_eq!(second.len(), 1, "the attempt was not queued again");
    assert!(second[0].lease > first[0].lease);
    assert_eq!(second[0].try_number, first[0].try_number);
    let ti = b.ti(run.id, "a").await;
    assert_eq!((ti.state, ti.lease), (TaskState::Queued, second[0].lease));

    // The lost attempt's reports, should they come late, are refused; the new one's end it.
    s.step(b.succeed(&first[0])).await.unwrap();
    assert_eq!(b.ti(run.id, "a").await.state, TaskState::Queued);
    s.step(b.succeed(&second[0])).await.unwrap();
    let ti = b.ti(run.id, "a").await;
    assert_eq!((ti.state, ti.try_number), (TaskState::Success, 1));
}

#[tokio::test]
async fn an_attempt_whose_message_waits_is_left_in_its_place() {
    let b = bench(T0, config()).await;
    b.deploy(manual("waits", vec![TaskSpec::new("a")])).await;
    let run = b.trigger("waits").await;
    let mut s = b.scheduler();
    s.start().await.unwrap();
    let lease = b.ti(run.id, "a").await.lease;

    // No worker for long: the message still waits, so nothing is queued again.
    b.clock.advance(Duration::from_secs(3600));
    s.requeue_unheld().await.unwrap();
    s.step(Vec::new()).await.unwrap();
    let taken = b.take().await;
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].lease, lease, "the waiting message was replaced");
    assert_eq!(b.ti(run.id, "a").await.lease, lease);
}
