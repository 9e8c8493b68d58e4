//! The in-process queue's state and its synchronous operations, run under one lock.
//!
//! Each queue keeps its ready messages in a heap ordered by (priority, push sequence); a
//! message keeps its sequence number for life, so a redelivered message goes back to its old
//! place in line. Leases live in a map by sequence number, with their expiry times in an
//! ordered set, so the next expiry is always at hand and expired leases are reclaimed at the
//! start of every operation.

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeSet, BinaryHeap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::message::{Delivery, DeliveryId, Message, QueueStats};

/// All queues and leases of one [`MemoryQueue`](super::MemoryQueue).
#[derive(Debug, Default)]
pub(super) struct State {
    /// Queue index by name.
    names: HashMap<String, usize>,
    queues: Vec<QueueState>,
    /// Live leases by message sequence number.
    leases: HashMap<u64, Lease>,
    /// (expiry, sequence number) of every live lease.
    expiries: BTreeSet<(Instant, u64)>,
    next_seq: u64,
}

#[derive(Debug)]
struct QueueState {
    name: String,
    ready: BinaryHeap<Ready>,
    leased: u64,
    /// Woken when a message becomes ready on this queue.
    notify: Arc<Notify>,
}

/// A message waiting to be taken.
#[derive(Debug)]
struct Ready {
    priority: i32,
    seq: u64,
    /// Deliveries so far.
    deliveries: u32,
    payload: Bytes,
}

impl Ready {
    /// Greater is served first: higher priority, then older.
    fn rank(&self) -> (i32, Reverse<u64>) {
        (self.priority, Reverse(self.seq))
    }
}

impl Ord for Ready {
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank().cmp(&other.rank())
    }
}
impl PartialOrd for Ready {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Ready {
    fn eq(&self, other: &Self) -> bool {
        self.seq == other.seq
    }
}
impl Eq for Ready {}

/// A delivered message and its lease.
#[derive(Debug)]
struct Lease {
    queue: usize,
    priority: i32,
    deliveries: u32,
    payload: Bytes,
    expires: Instant,
}

impl State {
    /// The index of queue `name`, created if new.
    pub(super) fn queue_index(&mut self, name: &str) -> usize {
        if let Some(&index) = self.names.get(name) {
            return index;
        }
        let index = self.queues.len();
        self.queues.push(QueueState {
            name: name.to_owned(),
            ready: BinaryHeap::new(),
            leased: 0,
            notify: Arc::new(Notify::new()),
        });
        self.names.insert(name.to_owned(), index);
        index
    }

    /// The notifier of queue `index`.
    pub(super) fn notify(&self, index: usize) -> Arc<Notify> {
        Arc::clone(&self.queues[index].notify)
    }

    /// Puts checked messages on their queues and wakes their waiters.
    pub(super) fn push(&mut self, messages: Vec<Message>) {
        let mut last: Option<(String, usize)> = None;
        let mut touched = Vec::new();
        for m in messages {
            let index = match &last {
                Some((name, index)) if *name == m.queue => *index,
                _ => {
                    let index = self.queue_index(&m.queue);
                    touched.push(index);
                    last = Some((m.queue, index));
                    index
                }
            };
            let seq = self.next_seq;
            self.next_seq += 1;
            self.queues[index].ready.push(Ready {
                priority: m.priority,
                seq,
                deliveries: 0,
                payload: m.payload,
            });
        }
        touched.sort_unstable();
        touched.dedup();
        for index in touched {
            self.queues[index].notify.notify_waiters();
        }
    }

    /// Puts every message whose lease ran out by `now` back in line.
    pub(super) fn reclaim(&mut self, now: Instant) {
        while let Some(&(expires, seq)) = self.expiries.first() {
            if expires > now {
                break;
            }
            self.expiries.pop_first();
            if let Some(lease) = self.leases.remove(&seq) {
                let queue = &self.queues[lease.queue];
                tracing::debug!(
                    queue = %queue.name,
                    deliveries = lease.deliveries,
                    "lease expired; message ready again"
                );
                self.requeue(seq, lease);
            }
        }
    }

    /// When the next lease runs out, if any is live.
    pub(super) fn next_expiry(&self) -> Option<Instant> {
        self.expiries.first().map(|&(expires, _)| expires)
    }

    /// Leases up to `max` ready messages of the queues at `indexes` (no duplicates), best first.
    pub(super) fn take(
        &mut self,
        indexes: &[usize],
        max: usize,
        now: Instant,
        lease: Duration,
    ) -> Vec<Delivery> {
        let expires = far_after(now, lease);
        let mut out = Vec::new();
        while out.len() < max {
            let best = indexes
                .iter()
                .filter_map(|&i| self.queues[i].ready.peek().map(|r| (r.rank(), i)))
                .max();
            let Some((_, index)) = best else { break };
            let queue = &mut self.queues[index];
            let Some(ready) = queue.ready.pop() else {
                break;
            };
            queue.leased += 1;
            let deliveries = ready.deliveries.saturating_add(1);
            out.push(Delivery {
                id: delivery_id(ready.seq, deliveries),
                queue: queue.name.clone(),
                priority: ready.priority,
                payload: ready.payload.clone(),
                deliveries,
            });
            self.expiries.insert((expires, ready.seq));
            self.leases.insert(
                ready.seq,
                Lease {
                    queue: index,
                    priority: ready.priority,
                    deliveries,
                    payload: ready.payload,
                    expires,
                },
            );
        }
        out
    }

    /// Removes the messages of live leases for good; returns the ids of lost leases.
    pub(super) fn ack(&mut self, ids: &[DeliveryId]) -> Vec<DeliveryId> {
        self.settle(ids, |state, _seq, lease| {
            state.queues[lease.queue].leased -= 1;
        })
    }

    /// Puts the messages of live leases back in line; returns the ids of lost leases.
    pub(super) fn release(&mut self, ids: &[DeliveryId]) -> Vec<DeliveryId> {
        self.settle(ids, Self::requeue)
    }

    /// Moves the expiry of live leases to `lease` after `now`; returns the ids of lost leases.
    pub(super) fn extend(
        &mut self,
        ids: &[DeliveryId],
        now: Instant,
        lease: Duration,
    ) -> Vec<DeliveryId> {
        let expires = far_after(now, lease);
        let mut lost = Vec::new();
        for id in ids {
            match self.live_lease(id) {
                Some(seq) => {
                    if let Some(held) = self.leases.get_mut(&seq) {
                        self.expiries.remove(&(held.expires, seq));
                        held.expires = expires;
                        self.expiries.insert((expires, seq));
                    }
                }
                None => lost.push(id.clone()),
            }
        }
        lost
    }

    /// Counts per queue, sorted by name.
    pub(super) fn stats(&self) -> Vec<QueueStats> {
        let mut stats: Vec<QueueStats> = self
            .queues
            .iter()
            .map(|q| QueueStats {
                queue: q.name.clone(),
                ready: q.ready.len() as u64,
                leased: q.leased,
            })
            .collect();
        stats.sort_unstable_by(|a, b| a.queue.cmp(&b.queue));
        stats
    }

    /// Ends the live leases among `ids` with `end`; returns the ids of lost leases.
    fn settle(
        &mut self,
        ids: &[DeliveryId],
        mut end: impl FnMut(&mut Self, u64, Lease),
    ) -> Vec<DeliveryId> {
        let mut lost = Vec::new();
        for id in ids {
            let lease = self.live_lease(id).and_then(|seq| {
                let lease = self.leases.remove(&seq)?;
                self.expiries.remove(&(lease.expires, seq));
                Some((seq, lease))
            });
            match lease {
                Some((seq, lease)) => end(self, seq, lease),
                None => lost.push(id.clone()),
            }
        }
        lost
    }

    /// Puts a message whose lease ended (already out of `leases`) back in line.
    fn requeue(&mut self, seq: u64, lease: Lease) {
        let queue = &mut self.queues[lease.queue];
        queue.leased -= 1;
        queue.ready.push(Ready {
            priority: lease.priority,
            seq,
            deliveries: lease.deliveries,
            payload: lease.payload,
        });
        queue.notify.notify_waiters();
    }

    /// The sequence number of the message whose live lease `id` names.
    fn live_lease(&self, id: &DeliveryId) -> Option<u64> {
        let (seq, deliveries) = parse_delivery_id(id)?;
        let lease = self.leases.get(&seq)?;
        (lease.deliveries == deliveries).then_some(seq)
    }
}

/// `now + d`, or a time decades away if that does not fit.
fn far_after(now: Instant, d: Duration) -> Instant {
    now.checked_add(d)
        .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 60 * 60))
}

/// The id of delivery number `deliveries` of message `seq`: unique per delivery.
fn delivery_id(seq: u64, deliveries: u32) -> DeliveryId {
    DeliveryId::new(format!("{seq}.{deliveries}"))
}

fn parse_delivery_id(id: &DeliveryId) -> Option<(u64, u32)> {
    let (seq, deliveries) = id.as_str().split_once('.')?;
    Some((seq.parse().ok()?, deliveries.parse().ok()?))
}

#[cfg(test)]
mod tests {
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
}
