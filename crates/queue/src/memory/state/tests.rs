//! Unit checks of the in-process state: ids, places in line, expiry bookkeeping, keys.

use super::*;

const LEASE: Duration = Duration::from_secs(30);

fn payloads(ds: &[Delivery]) -> Vec<&[u8]> {
    ds.iter().map(|d| &d.payload[..]).collect()
}

#[test]
fn delivery_ids_round_trip_and_reject_other_text() {
    assert_eq!(parse_delivery_id(&delivery_id(42, 3)), Some((42, 3)));
    for bad in ["", "42", "42.", ".3", "x.3", "42.x", "-1.1", "1.2.3"] {
        assert_eq!(parse_delivery_id(&DeliveryId::new(bad)), None, "{bad:?}");
    }
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
