//! Checks of waiting takes: woken by push and by lease expiry, timing out, cancelled.

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::Poll;

use tokio::time::Instant;

use super::{SuiteClock, ack_all, assert_counts, msg, names, payloads, push, take_now};
use crate::queue::Queue;

/// A take waiting on an empty queue returns as soon as a message is pushed.
pub async fn push_wakes_a_waiting_take(queue: &dyn Queue, clock: &dyn SuiteClock) {
    let q = "suite-wake-push";
    let lease = clock.lease();
    let wait = lease * 10;
    let qs = names(&[q]);
    let start = Instant::now();
    let (got, ()) = tokio::join!(queue.take(&qs, 10, lease, wait), async {
        clock.pass(lease / 4).await;
        push(queue, vec![msg(q, 0, "m")]).await;
    });
    let got = got.expect("take");
    let waited = start.elapsed();
    assert_eq!(payloads(&got), ["m"]);
    assert!(
        waited >= lease / 4 && waited < lease * 2,
        "the take returned after {waited:?}; the push came after {:?}",
        lease / 4
    );
    ack_all(queue, &got).await;
}

/// A take that finds nothing returns an empty list once its wait runs out, not before.
pub async fn waiting_take_times_out_empty(queue: &dyn Queue, clock: &dyn SuiteClock) {
    let q = "suite-timeout";
    let lease = clock.lease();
    let wait = lease / 2;
    let start = Instant::now();
    let got = queue
        .take(&names(&[q]), 10, lease, wait)
        .await
        .expect("take");
    let waited = start.elapsed();
    assert!(got.is_empty(), "nothing was pushed, got {got:?}");
    assert!(
        waited >= wait && waited < wait + lease,
        "waited {waited:?} for a wait of {wait:?}"
    );
}

/// A take waiting on a queue whose only message is leased gets it when the lease expires.
pub async fn expiry_wakes_a_waiting_take(queue: &dyn Queue, clock: &dyn SuiteClock) {
    let q = "suite-wake-expiry";
    let lease = clock.lease();
    push(queue, vec![msg(q, 0, "m")]).await;
    let first = take_now(queue, &[q], 1, lease).await;
    assert_eq!(first.len(), 1);
    let start = Instant::now();
    let again = queue
        .take(&names(&[q]), 1, lease, lease * 10)
        .await
        .expect("take");
    let waited = start.elapsed();
    assert_eq!(payloads(&again), ["m"]);
    assert_eq!(again[0].deliveries, 2);
    assert!(
        waited < lease * 3,
        "the lease of {lease:?} expired but the take waited {waited:?}"
    );
    ack_all(queue, &again).await;
}

/// A take dropped before it completes loses nothing: neither one dropped while waiting, nor
/// one dropped after a push woke it but before it ran again.
pub async fn cancelled_take_loses_nothing(queue: &dyn Queue, clock: &dyn SuiteClock) {
    let q = "suite-cancel";
    let lease = clock.lease();
    let qs = names(&[q]);
    tokio::select! {
        got = queue.take(&qs, 1, lease, lease * 10) => {
            panic!("nothing was pushed, yet the take returned {got:?}")
        }
        () = clock.pass(lease / 4) => {}
    }
    {
        let mut take = pin!(queue.take(&qs, 1, lease, lease * 10));
        assert!(
            poll_once(take.as_mut()).await.is_none(),
            "nothing is ready yet"
        );
        push(queue, vec![msg(q, 0, "m")]).await;
        // `take` is dropped here, woken but not run again.
    }
    // The message is ready now, or at the latest once a lease taken by the dropped take ends.
    let got = queue.take(&qs, 10, lease, lease * 3).await.expect("take");
    assert_eq!(payloads(&got), ["m"]);
    ack_all(queue, &got).await;
    assert_counts(queue, q, 0, 0).await;
}

/// Polls `fut` once: its output if it is ready, `None` if not.
async fn poll_once<F: Future>(mut fut: Pin<&mut F>) -> Option<F::Output> {
    poll_fn(|cx| match fut.as_mut().poll(cx) {
        Poll::Ready(out) => Poll::Ready(Some(out)),
        Poll::Pending => Poll::Ready(None),
    })
    .await
}
