//! Checks of delivery order: priority, FIFO, several queues, batches.

use std::collections::HashSet;

use super::{SuiteClock, ack_all, assert_counts, msg, payloads, push, take_now};
use crate::queue::Queue;

/// Higher priorities come first, whatever the push order.
pub async fn priority_order(queue: &dyn Queue, clock: &dyn SuiteClock) {
    let q = "suite-priority";
    push(
        queue,
        vec![
            msg(q, 0, "a"),
            msg(q, 5, "b"),
            msg(q, -1, "c"),
            msg(q, 5, "d"),
            msg(q, i32::MAX, "e"),
            msg(q, i32::MIN, "f"),
        ],
    )
    .await;
    let got = take_now(queue, &[q], 10, clock.lease()).await;
    assert_eq!(payloads(&got), ["e", "b", "d", "a", "c", "f"]);
    let priorities: Vec<i32> = got.iter().map(|d| d.priority).collect();
    assert_eq!(priorities, [i32::MAX, 5, 5, 0, -1, i32::MIN]);
    assert!(got.iter().all(|d| d.queue == q && d.deliveries == 1));
    ack_all(queue, &got).await;
}

/// Equal priorities come in push order, across pushes and across takes of a few at a time.
pub async fn fifo_within_a_priority(queue: &dyn Queue, clock: &dyn SuiteClock) {
    let q = "suite-fifo";
    let all: Vec<String> = (0..120).map(|i| format!("m{i:03}")).collect();
    for chunk in [&all[..50], &all[50..51], &all[51..]] {
        push(queue, chunk.iter().map(|p| msg(q, 3, p)).collect()).await;
    }
    let mut got = Vec::new();
    loop {
        let batch = take_now(queue, &[q], 7, clock.lease()).await;
        if batch.is_empty() {
            break;
        }
        assert!(batch.len() <= 7, "take returned {} > max 7", batch.len());
        got.extend(batch);
    }
    assert_eq!(payloads(&got), all);
    let distinct: HashSet<_> = got.iter().map(|d| d.id.clone()).collect();
    assert_eq!(distinct.len(), got.len(), "delivery ids must be distinct");
    ack_all(queue, &got).await;
}

/// A take over several queues serves them by priority, then age, across all of them; other
/// queues are left alone, and a queue named twice is served once.
pub async fn multiple_queues(queue: &dyn Queue, clock: &dyn SuiteClock) {
    let (a, b, c) = ("suite-multi-a", "suite-multi-b", "suite-multi-c");
    push(queue, vec![msg(a, 1, "a1"), msg(b, 5, "b1")]).await;
    push(
        queue,
        vec![msg(a, 5, "a2"), msg(c, 9, "c1"), msg(b, 0, "b2")],
    )
    .await;
    let got = take_now(queue, &[a, b], 10, clock.lease()).await;
    assert_eq!(payloads(&got), ["b1", "a2", "a1", "b2"]);
    let from: Vec<&str> = got.iter().map(|d| d.queue.as_str()).collect();
    assert_eq!(from, [b, a, a, b]);
    assert_counts(queue, c, 1, 0).await;
    ack_all(queue, &got).await;

    let only_c = take_now(queue, &[c, c], 10, clock.lease()).await;
    assert_eq!(payloads(&only_c), ["c1"]);
    ack_all(queue, &only_c).await;
}

/// A batch of 1,000 is taken 256 at a time, in order, and acknowledged in one call.
pub async fn batches_of_many(queue: &dyn Queue, clock: &dyn SuiteClock) {
    let q = "suite-batches";
    let all: Vec<String> = (0..1000).map(|i| i.to_string()).collect();
    push(queue, all.iter().map(|p| msg(q, 0, p)).collect()).await;
    assert_counts(queue, q, 1000, 0).await;
    let mut got = Vec::new();
    let mut sizes = Vec::new();
    loop {
        let batch = take_now(queue, &[q], 256, clock.lease()).await;
        if batch.is_empty() {
            break;
        }
        sizes.push(batch.len());
        got.extend(batch);
    }
    assert_eq!(sizes, [256, 256, 256, 232]);
    assert_eq!(payloads(&got), all);
    assert_counts(queue, q, 0, 1000).await;
    ack_all(queue, &got).await;
    assert_counts(queue, q, 0, 0).await;
}
