//! Checks of leases: expiry and redelivery, heartbeats, fencing of stale ids, release.

use super::{SuiteClock, ack_all, assert_counts, ids, msg, payloads, push, take_now};
use crate::message::DeliveryId;
use crate::queue::Queue;

/// A lease that runs out puts the message back in its old place; it comes again with
/// `deliveries == 2` under a new id.
pub async fn lease_expiry_redelivers(queue: &dyn Queue, clock: &dyn SuiteClock) {
    let q = "suite-expiry";
    let lease = clock.lease();
    push(queue, vec![msg(q, 0, "m1"), msg(q, 0, "m2")]).await;
    let first = take_now(queue, &[q], 1, lease).await;
    assert_eq!(payloads(&first), ["m1"]);
    assert_eq!(first[0].deliveries, 1);

    clock.pass(lease + lease / 2).await;
    let again = take_now(queue, &[q], 2, lease).await;
    assert_eq!(payloads(&again), ["m1", "m2"], "m1 keeps its place in line");
    assert_eq!(again[0].deliveries, 2);
    assert_eq!(again[1].deliveries, 1);
    assert_ne!(again[0].id, first[0].id, "a redelivery gets a new id");
    ack_all(queue, &again).await;
}

/// Extending a lease keeps the message leased past its first expiry.
pub async fn extend_keeps_the_lease(queue: &dyn Queue, clock: &dyn SuiteClock) {
    let q = "suite-extend";
    let lease = clock.lease();
    push(queue, vec![msg(q, 0, "m")]).await;
    let got = take_now(queue, &[q], 1, lease).await;
    assert_eq!(got.len(), 1);

    clock.pass(lease * 3 / 4).await;
    let lost = queue.extend(&ids(&got), lease).await.expect("extend");
    assert!(lost.is_empty(), "a live lease was reported lost: {lost:?}");
    clock.pass(lease * 3 / 4).await;
    assert!(take_now(queue, &[q], 1, lease).await.is_empty());
    assert_counts(queue, q, 0, 1).await;

    ack_all(queue, &got).await;
    assert_counts(queue, q, 0, 0).await;
    let lost = queue.extend(&ids(&got), lease).await.expect("extend");
    assert_eq!(lost, ids(&got), "extending an acknowledged delivery");
}

/// The id of an expired delivery can neither acknowledge, extend nor release the message's
/// next delivery.
pub async fn stale_ids_cannot_touch_a_redelivery(queue: &dyn Queue, clock: &dyn SuiteClock) {
    let q = "suite-stale";
    let lease = clock.lease();
    push(queue, vec![msg(q, 0, "m")]).await;
    let old = take_now(queue, &[q], 1, lease).await;
    clock.pass(lease + lease / 2).await;
    let new = take_now(queue, &[q], 1, lease).await;
    assert_eq!(payloads(&new), ["m"]);
    assert_eq!(new[0].deliveries, 2);

    let stale = ids(&old);
    assert_eq!(queue.ack(&stale).await.expect("ack"), stale);
    assert_eq!(queue.extend(&stale, lease).await.expect("extend"), stale);
    assert_eq!(queue.release(&stale).await.expect("release"), stale);
    assert_counts(queue, q, 0, 1).await;
    assert!(take_now(queue, &[q], 1, lease).await.is_empty());

    ack_all(queue, &new).await;
    assert_counts(queue, q, 0, 0).await;
}

/// A lease is lost as soon as it expires, even before anyone takes the message again:
/// acknowledging, extending or releasing it then reports it lost and leaves the message ready.
pub async fn expired_lease_is_lost_at_once(queue: &dyn Queue, clock: &dyn SuiteClock) {
    let q = "suite-lost";
    let lease = clock.lease();
    for operation in ["ack", "extend", "release"] {
        push(queue, vec![msg(q, 0, operation)]).await;
        let got = take_now(queue, &[q], 1, lease).await;
        clock.pass(lease + lease / 2).await;

        let expired = ids(&got);
        let lost = match operation {
            "ack" => queue.ack(&expired).await,
            "extend" => queue.extend(&expired, lease).await,
            _ => queue.release(&expired).await,
        }
        .expect(operation);
        assert_eq!(lost, expired, "{operation} of an expired lease");
        assert_counts(queue, q, 1, 0).await;
        let again = take_now(queue, &[q], 1, lease).await;
        assert_eq!(payloads(&again), [operation]);
        assert_eq!(again[0].deliveries, 2);
        ack_all(queue, &again).await;
    }
}

/// A released message is ready at once, in its old place, and counts one more delivery; the
/// released id is then stale.
pub async fn release_makes_ready_at_once(queue: &dyn Queue, clock: &dyn SuiteClock) {
    let q = "suite-release";
    let lease = clock.lease();
    push(queue, vec![msg(q, 0, "a"), msg(q, 0, "b")]).await;
    let first = take_now(queue, &[q], 2, lease).await;
    assert_eq!(payloads(&first), ["a", "b"]);

    let a = ids(&first[..1]);
    let lost = queue.release(&a).await.expect("release");
    assert!(lost.is_empty(), "a live lease was reported lost: {lost:?}");
    assert_counts(queue, q, 1, 1).await;
    let a_again = take_now(queue, &[q], 2, lease).await;
    assert_eq!(payloads(&a_again), ["a"]);
    assert_eq!(a_again[0].deliveries, 2);
    assert_eq!(queue.release(&a).await.expect("release"), a);

    let both = [a_again[0].id.clone(), first[1].id.clone()];
    let lost = queue.release(&both).await.expect("release");
    assert!(lost.is_empty(), "live leases were reported lost: {lost:?}");
    let last = take_now(queue, &[q], 2, lease).await;
    assert_eq!(
        payloads(&last),
        ["a", "b"],
        "released messages keep their order"
    );
    let deliveries: Vec<u32> = last.iter().map(|d| d.deliveries).collect();
    assert_eq!(deliveries, [3, 2]);
    ack_all(queue, &last).await;
}

/// Ids the backend never issued are reported lost, not errors; empty lists are fine.
pub async fn unknown_ids_are_reported_lost(queue: &dyn Queue, clock: &dyn SuiteClock) {
    let unknown = vec![
        DeliveryId::new(""),
        DeliveryId::new("no-such-delivery"),
        DeliveryId::new("999999999.1"),
        DeliveryId::new("0-0"),
    ];
    assert_eq!(queue.ack(&unknown).await.expect("ack"), unknown);
    let lost = queue.extend(&unknown, clock.lease()).await.expect("extend");
    assert_eq!(lost, unknown);
    assert_eq!(queue.release(&unknown).await.expect("release"), unknown);

    assert!(queue.ack(&[]).await.expect("ack").is_empty());
    assert!(
        queue
            .extend(&[], clock.lease())
            .await
            .expect("extend")
            .is_empty()
    );
    assert!(queue.release(&[]).await.expect("release").is_empty());
}
