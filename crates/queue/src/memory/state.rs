//! The in-process queue's state and its synchronous operations, run under one lock.
//!
//! Each queue keeps its ready messages in an ordered map by (priority, push sequence); a
//! message keeps its sequence number for life, so a redelivered message goes back to its old
//! place in line. Leases live in a map by sequence number, with their expiry times in an
//! ordered set, so the next expiry is always at hand and expired leases are reclaimed at the
//! start of every operation. Keys map to the message holding them, wherever it is in its
//! scope. Scopes are known from the first push to them; a take over `*/<queue>` looks them up
//! each time it looks for messages, and waits on `scopes_notify` for new ones.

#[cfg(test)]
mod tests;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::message::{Delivery, DeliveryId, Message, QueueStats};
use crate::scope::{self, Target, Turns};

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
    /// The message holding each key (ready or leased), by scope and key.
    keys: HashMap<(Option<String>, String), Place>,
    next_seq: u64,
    /// Every scope pushed to.
    scopes: BTreeSet<String>,
    /// Woken when a push makes a new scope.
    scopes_notify: Arc<Notify>,
    /// Which scope serves first in a take over several.
    turns: Turns,
}

/// The queues of one take in one scope: the scope (`None`: unscoped) and their indexes.
pub(super) type Group = (Option<String>, Vec<usize>);

#[derive(Debug)]
struct QueueState {
    name: String,
    /// The scope of the name, if it has one.
    scope: Option<String>,
    /// Ready messages, first served first.
    ready: BTreeMap<Rank, Ready>,
    leased: u64,
    /// Woken when a message becomes ready on this queue.
    notify: Arc<Notify>,
}

/// Lesser is served first: higher priority, then older.
type Rank = (Reverse<i32>, u64);

/// A message waiting to be taken.
#[derive(Debug)]
struct Ready {
    /// Deliveries so far.
    deliveries: u32,
    payload: Bytes,
    key: Option<String>,
}

/// A delivered message and its lease.
#[derive(Debug)]
struct Lease {
    queue: usize,
    priority: i32,
    deliveries: u32,
    payload: Bytes,
    key: Option<String>,
    expires: Instant,
}

/// Where the message holding a key is: enough to find it whether ready or leased.
#[derive(Debug, Clone, Copy)]
struct Place {
    seq: u64,
    queue: usize,
    priority: i32,
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
            scope: scope::split(name).0.map(str::to_owned),
            ready: BTreeMap::new(),
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

    /// The notifier of new scopes.
    pub(super) fn scopes_notify(&self) -> Arc<Notify> {
        Arc::clone(&self.scopes_notify)
    }

    /// The queues that checked take targets cover now, by scope, sorted by scope (created if
    /// new; `*/<queue>` covers `<queue>` of every scope known).
    pub(super) fn resolve(&mut self, targets: &[Target<'_>]) -> Vec<Group> {
        let any_scope = targets.iter().any(|t| matches!(t, Target::AnyScope(_)));
        let scopes: Vec<String> = if any_scope {
            self.scopes.iter().cloned().collect()
        } else {
            Vec::new()
        };
        scope::group(targets, &scopes)
            .into_iter()
            .map(|(scope, queues)| {
                let indexes = queues
                    .iter()
                    .map(|q| match scope {
                        Some(s) => self.queue_index(&scope::scoped(s, q)),
                        None => self.queue_index(q),
                    })
                    .collect();
                (scope.map(str::to_owned), indexes)
            })
            .collect()
    }

    /// Puts checked messages on their queues, replacing the holders of their keys, and wakes
    /// their waiters.
    pub(super) fn push(&mut self, messages: Vec<Message>) {
        let mut last: Option<(String, usize)> = None;
        let mut touched = Vec::new();
        let mut new_scope = false;
        for m in messages {
            let index = match &last {
                Some((name, index)) if *name == m.queue => *index,
                _ => {
                    let index = self.queue_index(&m.queue);
                    if let Some(scope) = &self.queues[index].scope
                        && !self.scopes.contains(scope)
                    {
                        self.scopes.insert(scope.clone());
                        new_scope = true;
                    }
                    touched.push(index);
                    last = Some((m.queue, index));
                    index
                }
            };
            let seq = self.next_seq;
            self.next_seq += 1;
            if let Some(key) = &m.key {
                let place = Place {
                    seq,
                    queue: index,
                    priority: m.priority,
                };
                let held = (self.queues[index].scope.clone(), key.clone());
                if let Some(old) = self.keys.insert(held, place) {
                    self.remove(old);
                }
            }
            self.queues[index].ready.insert(
                (Reverse(m.priority), seq),
                Ready {
                    deliveries: 0,
                    payload: m.payload,
                    key: m.key,
                },
            );
        }
        touched.sort_unstable();
        touched.dedup();
        for index in touched {
            self.queues[index].notify.notify_waiters();
        }
        if new_scope {
            self.scopes_notify.notify_waiters();
        }
    }

    /// The positions of the `(queue, key)` pairs whose key no message of the queue's scope
    /// holds (a message holds its key from its push until it is acknowledged or replaced).
    pub(super) fn unheld(&self, keyed: &[(String, String)]) -> Vec<usize> {
        keyed
            .iter()
            .enumerate()
            .filter(|(_, (queue, key))| {
                let scope = crate::scope::split(queue).0.map(str::to_owned);
                !self.keys.contains_key(&(scope, key.clone()))
            })
            .map(|(position, _)| position)
            .collect()
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

    /// Leases up to `max` ready messages of the queues of `groups` (sorted by scope, no
    /// duplicates), serving scopes in turns: best first within a scope.
    pub(super) fn take_turns(
        &mut self,
        groups: &[Group],
        max: usize,
        now: Instant,
        lease: Duration,
    ) -> Vec<Delivery> {
        if let [(_, indexes)] = groups {
            return self.take(indexes, max, now, lease);
        }
        let scopes: Vec<Option<&str>> = groups.iter().map(|(s, _)| s.as_deref()).collect();
        let mut out = Vec::new();
        for i in self.turns.order(&scopes) {
            if out.len() >= max {
                break;
            }
            let got = self.take(&groups[i].1, max - out.len(), now, lease);
            if out.is_empty() && !got.is_empty() {
                self.turns.led(scopes[i]);
            }
            out.extend(got);
        }
        out
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
                .filter_map(|&i| self.queues[i].ready.first_key_value().map(|(r, _)| (*r, i)))
                .min();
            let Some((_, index)) = best else { break };
            let queue = &mut self.queues[index];
            let Some(((Reverse(priority), seq), ready)) = queue.ready.pop_first() else {
                break;
            };
            queue.leased += 1;
            let deliveries = ready.deliveries.saturating_add(1);
            out.push(Delivery {
                id: delivery_id(queue.scope.as_deref(), seq, deliveries),
                queue: queue.name.clone(),
                priority,
                payload: ready.payload.clone(),
                deliveries,
            });
            self.expiries.insert((expires, seq));
            self.leases.insert(
                seq,
                Lease {
                    queue: index,
                    priority,
                    deliveries,
                    payload: ready.payload,
                    key: ready.key,
                    expires,
                },
            );
        }
        out
    }

    /// Removes the messages of live leases for good; returns the ids of lost leases.
    pub(super) fn ack(&mut self, ids: &[DeliveryId]) -> Vec<DeliveryId> {
        self.settle(ids, |state, seq, lease| {
            let queue = &mut state.queues[lease.queue];
            queue.leased -= 1;
            if let Some(key) = lease.key {
                let held = (queue.scope.clone(), key);
                if state.keys.get(&held).is_some_and(|place| place.seq == seq) {
                    state.keys.remove(&held);
                }
            }
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

    /// Removes the message at `place` (replaced by a message with its key), ready or leased;
    /// a lease on it is lost.
    fn remove(&mut self, place: Place) {
        if let Some(lease) = self.leases.remove(&place.seq) {
            self.expiries.remove(&(lease.expires, place.seq));
            self.queues[lease.queue].leased -= 1;
        } else {
            let rank = (Reverse(place.priority), place.seq);
            self.queues[place.queue].ready.remove(&rank);
        }
    }

    /// Puts a message whose lease ended (already out of `leases`) back in line.
    fn requeue(&mut self, seq: u64, lease: Lease) {
        let queue = &mut self.queues[lease.queue];
        queue.leased -= 1;
        queue.ready.insert(
            (Reverse(lease.priority), seq),
            Ready {
                deliveries: lease.deliveries,
                payload: lease.payload,
                key: lease.key,
            },
        );
        queue.notify.notify_waiters();
    }

    /// The sequence number of the message whose live lease `id` names.
    fn live_lease(&self, id: &DeliveryId) -> Option<u64> {
        let (scope, seq, deliveries) = parse_delivery_id(id)?;
        let lease = self.leases.get(&seq)?;
        let same_scope = self.queues[lease.queue].scope.as_deref() == scope;
        (lease.deliveries == deliveries && same_scope).then_some(seq)
    }
}

/// `now + d`, or a time decades away if that does not fit.
fn far_after(now: Instant, d: Duration) -> Instant {
    now.checked_add(d)
        .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 60 * 60))
}

/// The id of delivery number `deliveries` of message `seq` of `scope`: unique per delivery,
/// `[<scope>/]<seq>.<deliveries>`.
fn delivery_id(scope: Option<&str>, seq: u64, deliveries: u32) -> DeliveryId {
    DeliveryId::new(scope::scoped_id(scope, &format!("{seq}.{deliveries}")))
}

/// The scope, message and delivery count an id names.
fn parse_delivery_id(id: &DeliveryId) -> Option<(Option<&str>, u64, u32)> {
    let (scope, rest) = scope::split_id(id.as_str())?;
    let (seq, deliveries) = rest.split_once('.')?;
    Some((scope, seq.parse().ok()?, deliveries.parse().ok()?))
}
