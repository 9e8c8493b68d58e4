//! Checks of scoped queues (`<scope>/<queue>`): scopes apart from each other and from the
//! unscoped queues, keys per scope, scoped delivery ids settled together, bad scopes.

use std::time::Duration;

use super::input::assert_bad;
use super::{SuiteClock, ack_all, assert_counts, ids, msg, names, payloads, push, take_now};
use crate::error::{BadInput, NameProblem};
use crate::message::DeliveryId;
use crate::queue::Queue;

/// A scoped queue is served under its full name, apart from the same queue of another scope
/// and from the unscoped queue of that name; its delivery ids carry its scope, and an id
/// moved to another scope, or stripped of its scope, is lost. Keys are per scope.
pub async fn scopes_are_apart(queue: &dyn Queue, clock: &dyn SuiteClock) {
    let (a, b, plain) = ("suite-apart-a/q", "suite-apart-b/q", "suite-apart");
    let lease = clock.lease();
    push(
        queue,
        vec![msg(a, 0, "a1"), msg(b, 0, "b1"), msg(plain, 0, "plain")],
    )
    .await;
    let got = take_now(queue, &[a], 10, lease).await;
    assert_eq!(payloads(&got), ["a1"]);
    assert_eq!(got[0].queue, a, "a delivery names its full queue name");
    let id = got[0].id.as_str();
    assert!(
        id.starts_with("suite-apart-a/"),
        "id {id:?} carries its scope"
    );
    assert_counts(queue, a, 0, 1).await;
    assert_counts(queue, b, 1, 0).await;
    assert_counts(queue, plain, 1, 0).await;

    let local = &id["suite-apart-a/".len()..];
    let elsewhere = vec![
        DeliveryId::new(format!("suite-apart-b/{local}")),
        DeliveryId::new(local),
    ];
    assert_eq!(queue.ack(&elsewhere).await.expect("ack"), elsewhere);
    assert_counts(queue, a, 0, 1).await;
    ack_all(queue, &got).await;

    // The same key in two scopes: neither replaces the other; within a scope it replaces.
    let key = "suite-apart/k";
    push(queue, vec![msg(a, 0, "a-old").with_key(key)]).await;
    push(queue, vec![msg(b, 0, "b-keyed").with_key(key)]).await;
    push(queue, vec![msg(a, 0, "a-new").with_key(key)]).await;
    let from_a = take_now(queue, &[a], 10, lease).await;
    assert_eq!(payloads(&from_a), ["a-new"]);
    let from_b = take_now(queue, &[b], 10, lease).await;
    assert_eq!(payloads(&from_b), ["b1", "b-keyed"]);
    let from_plain = take_now(queue, &[plain], 10, lease).await;
    assert_eq!(payloads(&from_plain), ["plain"]);
    assert_eq!(from_plain[0].queue, plain);
    for done in [from_a, from_b, from_plain] {
        ack_all(queue, &done).await;
    }
    for q in [a, b, plain] {
        assert_counts(queue, q, 0, 0).await;
    }
}

/// One ack, extend or release may mix ids of several scopes and of none: each is settled in
/// its own scope, and the lost ones (stale, unknown, of a scope that never was or cannot be)
/// come back in the order given.
pub async fn scoped_ids_settle_together(queue: &dyn Queue, clock: &dyn SuiteClock) {
    let (x, y, plain) = ("suite-ids-x/q", "suite-ids-y/q", "suite-ids");
    let lease = clock.lease();
    push(
        queue,
        vec![msg(x, 0, "x"), msg(y, 0, "y"), msg(plain, 0, "plain")],
    )
    .await;
    let first = take_now(queue, &[x, y, plain], 10, lease).await;
    assert_eq!(first.len(), 3);
    let by_queue = |q: &str| -> DeliveryId {
        let d = first.iter().find(|d| d.queue == q);
        d.unwrap_or_else(|| panic!("no delivery from {q}: {first:?}"))
            .id
            .clone()
    };
    let junk = [
        DeliveryId::new("Bad/1.1"),
        DeliveryId::new("/1.1"),
        DeliveryId::new("suite-ids-never/1.1@0123456789abcdef"),
    ];
    let mixed = vec![
        junk[0].clone(),
        by_queue(y),
        junk[1].clone(),
        by_queue(plain),
        by_queue(x),
        junk[2].clone(),
    ];
    let lost = queue.extend(&mixed, lease).await.expect("extend");
    assert_eq!(lost, junk, "extend of a mixed batch");
    let lost = queue.release(&mixed).await.expect("release");
    assert_eq!(lost, junk, "release of a mixed batch");
    for q in [x, y, plain] {
        assert_counts(queue, q, 1, 0).await;
    }

    let again = take_now(queue, &[x, y, plain], 10, lease).await;
    assert_eq!(again.len(), 3);
    assert!(again.iter().all(|d| d.deliveries == 2), "{again:?}");
    let mut stale_then_live = vec![by_queue(x)];
    stale_then_live.extend(ids(&again));
    stale_then_live.push(by_queue(plain));
    let lost = queue.ack(&stale_then_live).await.expect("ack");
    assert_eq!(lost, [by_queue(x), by_queue(plain)]);
    for q in [x, y, plain] {
        assert_counts(queue, q, 0, 0).await;
    }
}

/// Bad scoped names fail the whole push or take with a [`BadInput`] naming the message or
/// the take position and the problem; `*/<queue>` cannot be pushed to.
pub async fn bad_scopes_are_rejected(queue: &dyn Queue, clock: &dyn SuiteClock) {
    let q = "suite-bad-scope/q";
    let lease = clock.lease();
    let long = format!("{}/q", "s".repeat(64));
    let cases = [
        (
            "Bad/q",
            NameProblem::ScopeCharacter {
                scope: "Bad".into(),
                found: 'B',
            },
        ),
        ("/q", NameProblem::EmptyScope),
        ("suite-bad-scope/", NameProblem::EmptyQueue),
        ("*/q", NameProblem::AnyScopeInPush),
        (long.as_str(), NameProblem::ScopeTooLong { len: 64 }),
    ];
    for (name, problem) in cases {
        let err = queue
            .push(vec![msg(q, 0, "fine"), msg(name, 0, "bad")])
            .await
            .expect_err(name);
        let expected = BadInput::BadMessageQueue {
            index: 1,
            queue: name.to_owned(),
            problem,
        };
        assert_bad(&err, &expected);
        assert!(err.to_string().contains("message 1"), "{err}");
    }
    assert_counts(queue, q, 0, 0).await;

    let cases = [
        ("*/", NameProblem::EmptyQueue),
        (
            "a b/q",
            NameProblem::ScopeCharacter {
                scope: "a b".into(),
                found: ' ',
            },
        ),
    ];
    for (name, problem) in cases {
        let err = queue
            .take(&names(&[q, name]), 1, lease, Duration::ZERO)
            .await
            .expect_err(name);
        let expected = BadInput::BadTakeQueue {
            index: 1,
            queue: name.to_owned(),
            problem,
        };
        assert_bad(&err, &expected);
        assert!(err.to_string().contains("queue name 1"), "{err}");
    }
}
