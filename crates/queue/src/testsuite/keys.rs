//! Checks of keyed messages (a push replaces the holder of its key) and of the generation.

use super::{SuiteClock, ack_all, assert_counts, ids, msg, payloads, push, take_now};
use crate::message::Message;
use crate::queue::Queue;

/// A keyed message with its key.
fn keyed(queue: &str, key: &str, payload: &str) -> Message {
    msg(queue, 0, payload).with_key(key)
}

/// Pushing a keyed message removes the waiting message with the same key, on any queue;
/// messages without a key or with another key stay.
pub async fn keyed_push_replaces_a_waiting_message(queue: &dyn Queue, clock: &dyn SuiteClock) {
    let (a, b) = ("suite-key-wait-a", "suite-key-wait-b");
    let lease = clock.lease();
    let key = "suite-key-wait/k";
    push(
        queue,
        vec![
            keyed(a, key, "old"),
            msg(a, 0, "plain"),
            keyed(a, "suite-key-wait/other", "other"),
        ],
    )
    .await;
    push(queue, vec![keyed(b, key, "new").with_priority(4)]).await;
    assert_counts(queue, a, 2, 0).await;
    assert_counts(queue, b, 1, 0).await;

    let got = take_now(queue, &[a, b], 10, lease).await;
    assert_eq!(payloads(&got), ["new", "plain", "other"]);
    assert_eq!(got[0].queue, b);
    assert_eq!(got[0].priority, 4, "the replacement keeps its own priority");
    assert!(got.iter().all(|d| d.deliveries == 1));
    ack_all(queue, &got).await;
    assert_counts(queue, a, 0, 0).await;
    assert_counts(queue, b, 0, 0).await;
}

/// Pushing a keyed message removes the leased message with the same key: its lease is lost
/// (ack, extend and release report it) and it is never delivered again.
pub async fn keyed_push_replaces_a_leased_message(queue: &dyn Queue, clock: &dyn SuiteClock) {
    let q = "suite-key-leased";
    let lease = clock.lease();
    let key = "suite-key-leased/k";
    push(queue, vec![keyed(q, key, "attempt-1")]).await;
    let old = take_now(queue, &[q], 1, lease).await;
    assert_eq!(payloads(&old), ["attempt-1"]);

    push(queue, vec![keyed(q, key, "attempt-2")]).await;
    assert_counts(queue, q, 1, 0).await;
    let stale = ids(&old);
    assert_eq!(queue.extend(&stale, lease).await.expect("extend"), stale);
    assert_eq!(queue.release(&stale).await.expect("release"), stale);
    assert_eq!(queue.ack(&stale).await.expect("ack"), stale);
    assert_counts(queue, q, 1, 0).await;

    clock.pass(lease + lease / 2).await;
    let got = take_now(queue, &[q], 10, lease).await;
    assert_eq!(
        payloads(&got),
        ["attempt-2"],
        "the replaced message never comes back"
    );
    assert_eq!(got[0].deliveries, 1);
    ack_all(queue, &got).await;

    // Once acknowledged, the key is free: a new message with it replaces nothing.
    push(queue, vec![keyed(q, key, "attempt-3")]).await;
    let last = take_now(queue, &[q], 10, lease).await;
    assert_eq!(payloads(&last), ["attempt-3"]);
    ack_all(queue, &last).await;
    assert_counts(queue, q, 0, 0).await;
}

/// Within one pushed batch the last message with a key wins, in its own place in line.
pub async fn keyed_batch_last_wins(queue: &dyn Queue, clock: &dyn SuiteClock) {
    let q = "suite-key-batch";
    let lease = clock.lease();
    push(
        queue,
        vec![
            keyed(q, "suite-key-batch/x", "x1"),
            keyed(q, "suite-key-batch/y", "y1"),
            msg(q, 0, "plain"),
            keyed(q, "suite-key-batch/x", "x2"),
            keyed(q, "suite-key-batch/x", "x3"),
        ],
    )
    .await;
    assert_counts(queue, q, 3, 0).await;
    let got = take_now(queue, &[q], 10, lease).await;
    assert_eq!(payloads(&got), ["y1", "plain", "x3"]);
    ack_all(queue, &got).await;
    assert_counts(queue, q, 0, 0).await;
}

/// The generation is a non-empty id that ordinary operations leave alone.
pub async fn generation_is_stable(queue: &dyn Queue, clock: &dyn SuiteClock) {
    let q = "suite-generation";
    let lease = clock.lease();
    let first = queue.generation().await.expect("generation");
    assert!(!first.is_empty(), "the generation must not be empty");

    push(
        queue,
        vec![msg(q, 0, "a"), keyed(q, "suite-generation/k", "b")],
    )
    .await;
    let got = take_now(queue, &[q], 1, lease).await;
    assert!(
        queue
            .extend(&ids(&got), lease)
            .await
            .expect("extend")
            .is_empty()
    );
    assert!(queue.release(&ids(&got)).await.expect("release").is_empty());
    let all = take_now(queue, &[q], 10, lease).await;
    assert_eq!(all.len(), 2);
    ack_all(queue, &all).await;
    queue.stats().await.expect("stats");

    let again = queue.generation().await.expect("generation");
    assert_eq!(
        again, first,
        "the generation changed without the contents being lost"
    );
}

/// A key is held from its message's push until that message is acknowledged, waiting or
/// leased, and only in its own scope; an unknown key is held by nothing.
pub async fn keys_are_held_until_acknowledged(queue: &dyn Queue, clock: &dyn SuiteClock) {
    let q = "suite-key-held/q";
    let other_scope = "suite-key-held-other/q";
    let lease = clock.lease();
    let pairs = |keys: &[&str]| -> Vec<(String, String)> {
        keys.iter()
            .map(|k| (q.to_owned(), (*k).to_owned()))
            .collect()
    };
    push(queue, vec![keyed(q, "k1", "one"), keyed(q, "k2", "two")]).await;
    let held =
        |keys: Vec<(String, String)>| async move { queue.unheld(&keys).await.expect("unheld") };
    // Waiting: both held; an unknown key and the same key in another scope are not.
    let mut asked = pairs(&["k1", "unknown", "k2"]);
    asked.push((other_scope.to_owned(), "k1".to_owned()));
    assert_eq!(held(asked).await, [1, 3]);
    // Leased: still held.
    let got = take_now(queue, &[q], 1, lease).await;
    assert_eq!(payloads(&got), ["one"]);
    assert_eq!(held(pairs(&["k1", "k2"])).await, Vec::<usize>::new());
    // Acknowledged: no longer held.
    ack_all(queue, &got).await;
    assert_eq!(held(pairs(&["k1", "k2"])).await, [0]);
    let rest = take_now(queue, &[q], 10, lease).await;
    ack_all(queue, &rest).await;
    assert_eq!(held(pairs(&["k1", "k2"])).await, [0, 1]);
    assert_eq!(held(Vec::new()).await, Vec::<usize>::new());
}
