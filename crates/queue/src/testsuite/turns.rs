//! Checks of takes over several scopes: `*/<queue>` covers every scope (also one made while
//! the take waits), and scopes are served in turns.

use std::collections::BTreeSet;

use tokio::time::Instant;

use super::{SuiteClock, ack_all, assert_counts, msg, names, payloads, push, take_now};
use crate::message::Delivery;
use crate::queue::Queue;

/// `*/<queue>` takes `<queue>` of every scope, naming each delivery's real queue; it leaves
/// other queues of those scopes, and the unscoped queue of that name, alone. A queue named
/// twice (once through the wildcard) is served once.
pub async fn any_scope_takes_every_scope(queue: &dyn Queue, clock: &dyn SuiteClock) {
    let (one, two) = ("suite-any-1/suite-any", "suite-any-2/suite-any");
    let (other, plain) = ("suite-any-1/suite-other", "suite-any");
    let lease = clock.lease();
    push(
        queue,
        vec![
            msg(one, 0, "one"),
            msg(other, 0, "other"),
            msg(two, 0, "two"),
            msg(plain, 0, "plain"),
        ],
    )
    .await;
    let got = take_now(queue, &["*/suite-any"], 10, lease).await;
    let found: BTreeSet<(&str, String)> = got
        .iter()
        .map(|d| (d.queue.as_str(), String::from_utf8_lossy(&d.payload).into()))
        .collect();
    let expected: BTreeSet<(&str, String)> =
        [(one, "one".to_owned()), (two, "two".to_owned())].into();
    assert_eq!(found, expected);
    assert_counts(queue, other, 1, 0).await;
    assert_counts(queue, plain, 1, 0).await;
    ack_all(queue, &got).await;

    push(queue, vec![msg(one, 0, "once")]).await;
    let got = take_now(queue, &["*/suite-any", one], 10, lease).await;
    assert_eq!(payloads(&got), ["once"]);
    ack_all(queue, &got).await;
    let rest = take_now(queue, &[other, plain], 10, lease).await;
    assert_eq!(rest.len(), 2);
    ack_all(queue, &rest).await;
}

/// A take waiting on `*/<queue>` wakes when a message is pushed to a scope that did not
/// exist when it began waiting.
pub async fn any_scope_take_wakes_for_a_new_scope(queue: &dyn Queue, clock: &dyn SuiteClock) {
    let q = "suite-new-scope/suite-new";
    let lease = clock.lease();
    let wait = lease * 10;
    let qs = names(&["*/suite-new"]);
    let start = Instant::now();
    let (got, ()) = tokio::join!(queue.take(&qs, 10, lease, wait), async {
        clock.pass(lease / 4).await;
        push(queue, vec![msg(q, 0, "new")]).await;
    });
    let got = got.expect("take");
    let waited = start.elapsed();
    assert_eq!(payloads(&got), ["new"]);
    assert_eq!(got[0].queue, q);
    assert!(
        waited >= lease / 4 && waited < lease * 2,
        "the take returned after {waited:?}; the push came after {:?}",
        lease / 4
    );
    ack_all(queue, &got).await;
}

/// Takes over several scopes serve them in turns: one scope flooded with work cannot keep
/// another waiting. A take starts with the scope after the one that led the last, fills
/// its batch from the next when that one runs dry, and keeps priority-then-age order
/// within each scope; so does a take of `*/<queue>`.
pub async fn scopes_take_turns(queue: &dyn Queue, clock: &dyn SuiteClock) {
    let (a, b) = ("suite-turns-a/suite-turns", "suite-turns-b/suite-turns");
    let lease = clock.lease();
    let batch = |q: &str, tag: &str| {
        (0..6)
            .map(|i| msg(q, i32::from(i % 2 == 1), &format!("{tag}{i}")))
            .collect::<Vec<_>>()
    };
    push(queue, batch(a, "a")).await;
    push(queue, batch(b, "b")).await;
    // In each scope, priority 1 first (1, 3, 5), then priority 0 (0, 2, 4).
    let in_order = |tag: &str| -> Vec<String> {
        [1, 3, 5, 0, 2, 4]
            .iter()
            .map(|i| format!("{tag}{i}"))
            .collect()
    };

    let first = take_now(queue, &[a, b], 4, lease).await;
    let lead = scope_of(&first);
    let (lead_tag, next_tag) = if lead == a { ("a", "b") } else { ("b", "a") };
    let next = if lead == a { b } else { a };
    assert_eq!(
        payloads(&first),
        in_order(lead_tag)[..4],
        "from {lead} alone"
    );
    let second = take_now(queue, &[a, b], 4, lease).await;
    assert_eq!(scope_of(&second), next, "the other scope's turn");
    assert_eq!(payloads(&second), in_order(next_tag)[..4]);
    let third = take_now(queue, &[a, b], 4, lease).await;
    let mut expected = in_order(lead_tag)[4..].to_vec();
    expected.extend_from_slice(&in_order(next_tag)[4..]);
    assert_eq!(
        payloads(&third),
        expected,
        "{lead}'s turn again, filled from {next}"
    );
    for done in [&first, &second, &third] {
        ack_all(queue, done).await;
    }

    push(queue, batch(a, "a")).await;
    push(queue, batch(b, "b")).await;
    let mut leads = Vec::new();
    let mut all = Vec::new();
    for _ in 0..4 {
        let got = take_now(queue, &["*/suite-turns"], 3, lease).await;
        assert_eq!(got.len(), 3);
        leads.push(scope_of(&got).to_owned());
        all.extend(got);
    }
    assert_ne!(
        leads[0], leads[1],
        "*/suite-turns serves scopes in turns: {leads:?}"
    );
    assert_eq!((&leads[0], &leads[1]), (&leads[2], &leads[3]), "{leads:?}");
    ack_all(queue, &all).await;
    assert_counts(queue, a, 0, 0).await;
    assert_counts(queue, b, 0, 0).await;
}

/// The one queue all of `deliveries` came from.
fn scope_of(deliveries: &[Delivery]) -> &str {
    let first = deliveries.first().map(|d| d.queue.as_str());
    let first = first.unwrap_or_else(|| panic!("nothing was taken"));
    assert!(
        deliveries.iter().all(|d| d.queue == first),
        "one take served several queues: {deliveries:?}"
    );
    first
}
