//! Unit checks of the in-process state: ids, places in line, expiry bookkeeping, keys.

use super::*;

const LEASE: Duration = Duration::from_secs(30);

fn payloads(ds: &[Delivery]) -> Vec<&[u8]> {
    ds.iter().map(|d| &d.payload[..]).collect()
}

#[test]
fn delivery_ids_round_trip_and_reject_other_text() {
    assert_eq!(
        parse_delivery_id(&delivery_id(None, 42, 3)),
        Some((None, 42, 3))
    );
    let scoped = delivery_id(Some("a"), 42, 3);
    assert_eq!(scoped.as_str(), "a/42.3");
    assert_eq!(parse_delivery_id(&scoped), Some((Some("a"), 42, 3)));
    for bad in [
        "", "42", "42.", ".3", "x.3", "42.x", "-1.1", "1.2.3", "/42.3", "A/42.3", "*/42.3",
    ] {
        assert_eq!(parse_delivery_id(&DeliveryId::new(bad)), None, "{bad:?}");
    }
}

#[test]
fn an_id_under_another_scope_is_not_live() {
    let now = Instant::now();
    let mut s = State::default();
    s.push(vec![Message::new("a/q", "m")]);
    let q = s.queue_index("a/q");
    let got = s.take(&[q], 1, now, LEASE);
    assert_eq!(got[0].id.as_str(), "a/0.1");
    let elsewhere = [DeliveryId::new("b/0.1"), DeliveryId::new("0.1")];
    assert_eq!(s.ack(&elsewhere), elsewhere);
    assert!(s.ack(&[got[0].id.clone()]).is_empty());
}

#[test]
fn scopes_are_known_from_their_first_push() {
    let mut s = State::default();
    s.push(vec![
        Message::new("q", "unscoped"),
        Message::new("b/q", "1"),
    ]);
    let taken_from = s.queue_index("c/q");
    assert_eq!(s.queues[taken_from].scope.as_deref(), Some("c"));
    s.push(vec![Message::new("a/r", "2")]);
    let known: Vec<&str> = s.scopes.iter().map(String::as_str).collect();
    assert_eq!(known, ["a", "b"], "a take does not make a scope");
    let groups = s.resolve(&[Target::AnyScope("q"), Target::One(None, "q")]);
    let names: Vec<(Option<&str>, Vec<&str>)> = groups
        .iter()
        .map(|(scope, indexes)| {
            let names = indexes.iter().map(|&i| s.queues[i].name.as_str()).collect();
            (scope.as_deref(), names)
        })
        .collect();
    assert_eq!(
        names,
        [
            (None, vec!["q"]),
            (Some("a"), vec!["a/q"]),
            (Some("b"), vec!["b/q"])
        ]
    );
}

#[test]
fn redelivery_keeps_its_place_and_counts_deliveries() {
    let now = Instant::now();
    let mut s = State::default();
    s.push(vec![Message::new("q", "a"), Message::new("q", "b")]);
    let q = s.queue_index("q");
    let first = s.take(&[q], 1, now, LEASE);
    assert_eq!(payloads(&first), [b"a"]);
    s.reclaim(now + LEASE);
    let again = s.take(&[q], 2, now + LEASE, LEASE);
    assert_eq!(payloads(&again), [b"a", b"b"]);
    assert_eq!(again[0].deliveries, 2);
    assert_eq!(again[1].deliveries, 1);
    assert_ne!(again[0].id, first[0].id);
}

#[test]
fn settled_leases_leave_no_expiry_behind() {
    let now = Instant::now();
    let mut s = State::default();
    s.push(vec![Message::new("q", "a"), Message::new("q", "b")]);
    let q = s.queue_index("q");
    let ds = s.take(&[q], 2, now, LEASE);
    assert_eq!(s.next_expiry(), Some(now + LEASE));
    assert!(s.extend(&[ds[0].id.clone()], now, LEASE * 2).is_empty());
    assert!(s.ack(&[ds[1].id.clone()]).is_empty());
    assert_eq!(s.next_expiry(), Some(now + LEASE * 2));
    assert!(s.release(&[ds[0].id.clone()]).is_empty());
    assert_eq!(s.next_expiry(), None);
    assert!(s.leases.is_empty() && s.expiries.is_empty());
}

#[test]
fn a_replaced_message_leaves_nothing_behind() {
    let now = Instant::now();
    let mut s = State::default();
    s.push(vec![Message::new("a", "ready").with_key("k1")]);
    s.push(vec![Message::new("b", "leased").with_key("k2")]);
    let b = s.queue_index("b");
    let leased = s.take(&[b], 1, now, LEASE);
    s.push(vec![
        Message::new("c", "new1").with_key("k1"),
        Message::new("c", "new2").with_key("k2"),
    ]);
    assert!(s.leases.is_empty() && s.expiries.is_empty());
    assert_eq!(s.keys.len(), 2);
    assert_eq!(s.ack(&[leased[0].id.clone()]), [leased[0].id.clone()]);
    let counts: Vec<(String, u64, u64)> = s
        .stats()
        .into_iter()
        .map(|q| (q.queue, q.ready, q.leased))
        .collect();
    assert_eq!(
        counts,
        [
            ("a".to_owned(), 0, 0),
            ("b".to_owned(), 0, 0),
            ("c".to_owned(), 2, 0)
        ]
    );
}

#[test]
fn an_acknowledged_message_frees_its_key() {
    let now = Instant::now();
    let mut s = State::default();
    s.push(vec![Message::new("q", "m").with_key("k")]);
    let q = s.queue_index("q");
    let got = s.take(&[q], 1, now, LEASE);
    assert!(s.ack(&[got[0].id.clone()]).is_empty());
    assert!(s.keys.is_empty());
    s.push(vec![Message::new("q", "again").with_key("k")]);
    assert_eq!(payloads(&s.take(&[q], 2, now, LEASE)), [b"again"]);
}
