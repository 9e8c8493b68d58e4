//! Checks of stats and of bad requests.

use std::time::Duration;

use super::{SuiteClock, ack_all, assert_counts, msg, names, push, take_now};
use crate::error::{BadInput, QueueError};
use crate::queue::Queue;
use crate::validate::MAX_LEASE;

/// Stats count ready and leased messages per queue and are sorted by queue name.
pub async fn stats_count_ready_and_leased(queue: &dyn Queue, clock: &dyn SuiteClock) {
    let (a, b) = ("suite-stats-a", "suite-stats-b");
    let lease = clock.lease();
    push(
        queue,
        vec![
            msg(b, 0, "b1"),
            msg(a, 0, "a1"),
            msg(a, 0, "a2"),
            msg(b, 0, "b2"),
        ],
    )
    .await;
    push(queue, vec![msg(a, 0, "a3")]).await;
    let one = take_now(queue, &[a], 1, lease).await;
    assert_counts(queue, a, 2, 1).await;
    assert_counts(queue, b, 2, 0).await;

    let stats = queue.stats().await.expect("stats");
    assert!(
        stats.windows(2).all(|w| w[0].queue < w[1].queue),
        "stats must be sorted by queue name, without duplicates: {stats:?}"
    );

    ack_all(queue, &one).await;
    assert_counts(queue, a, 2, 0).await;
    let rest = take_now(queue, &[a, b], 10, lease).await;
    assert_eq!(rest.len(), 4);
    assert_counts(queue, a, 0, 2).await;
    assert_counts(queue, b, 0, 2).await;
    ack_all(queue, &rest).await;
    assert_counts(queue, a, 0, 0).await;
    assert_counts(queue, b, 0, 0).await;
}

/// Bad requests fail with the [`BadInput`] that names the problem, and change nothing.
pub async fn bad_input_is_rejected(queue: &dyn Queue, clock: &dyn SuiteClock) {
    let q = "suite-bad-input";
    let lease = clock.lease();

    let err = queue
        .push(vec![msg(q, 0, "fine"), msg("", 0, "no queue")])
        .await
        .expect_err("a message without a queue name");
    assert_bad(&err, &BadInput::EmptyMessageQueue { index: 1 });
    assert!(err.to_string().contains("message 1"), "{err}");
    assert_counts(queue, q, 0, 0).await;

    let take = |queues: Vec<String>, max: usize, lease: Duration| async move {
        queue
            .take(&queues, max, lease, Duration::ZERO)
            .await
            .expect_err("a bad take")
    };
    assert_bad(&take(vec![], 1, lease).await, &BadInput::NoQueues);
    assert_bad(
        &take(names(&[q, ""]), 1, lease).await,
        &BadInput::EmptyTakeQueue { index: 1 },
    );
    let err = take(names(&[q]), 0, lease).await;
    assert_bad(&err, &BadInput::ZeroMax);
    assert!(err.to_string().contains("max"), "{err}");
    assert_bad(
        &take(names(&[q]), 1, Duration::ZERO).await,
        &BadInput::ZeroLease { operation: "take" },
    );
    let too_long = MAX_LEASE + Duration::from_secs(1);
    assert_bad(
        &take(names(&[q]), 1, too_long).await,
        &BadInput::LeaseTooLong {
            operation: "take",
            lease: too_long,
            max: MAX_LEASE,
        },
    );

    push(queue, vec![msg(q, 0, "m")]).await;
    let got = take_now(queue, &[q], 1, lease).await;
    let err = queue
        .extend(&super::ids(&got), Duration::ZERO)
        .await
        .expect_err("a zero extension");
    assert_bad(
        &err,
        &BadInput::ZeroLease {
            operation: "extend",
        },
    );
    assert_counts(queue, q, 0, 1).await;
    ack_all(queue, &got).await;
}

/// Asserts that `err` is the bad input `expected`, not retriable.
pub(super) fn assert_bad(err: &QueueError, expected: &BadInput) {
    match err {
        QueueError::BadInput(bad) => assert_eq!(bad, expected, "{err}"),
        other => panic!("expected bad input {expected:?}, got {other:?}"),
    }
    assert!(
        !err.is_retriable(),
        "bad input must not be retriable: {err}"
    );
}
