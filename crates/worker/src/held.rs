//! Deliveries taken ahead of free slots, each with the moment it was taken. A slot that frees
//! starts the oldest delivery of the scope (tenant) served least lately, so that a tenant's
//! task taken behind another tenant's backlog does not wait for all of it.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::time::Instant;
use weft_queue::{Delivery, DeliveryId};

/// Prefetched deliveries waiting for a slot.
#[derive(Default)]
pub(crate) struct Held {
    /// Oldest first.
    waiting: VecDeque<(Instant, Delivery)>,
    /// When each scope last had a delivery started, in starts counted by `starts`.
    served: HashMap<String, u64>,
    /// Deliveries started so far.
    starts: u64,
}

impl Held {
    pub(crate) fn len(&self) -> usize {
        self.waiting.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    /// Hold deliveries taken at `at`.
    pub(crate) fn extend(&mut self, at: Instant, deliveries: Vec<Delivery>) {
        self.waiting.extend(deliveries.into_iter().map(|d| (at, d)));
    }

    /// The oldest delivery of the scope served least lately (one never served first).
    pub(crate) fn next(&mut self) -> Option<Delivery> {
        let (index, _) =
            self.waiting.iter().enumerate().min_by_key(|(i, (_, d))| {
                (self.served.get(scope_of(d)).copied().unwrap_or(0), *i)
            })?;
        let (_, delivery) = self.waiting.remove(index)?;
        self.starts += 1;
        let scope = scope_of(&delivery);
        match self.served.get_mut(scope) {
            Some(at) => *at = self.starts,
            None => {
                self.served.insert(scope.to_owned(), self.starts);
            }
        }
        Some(delivery)
    }

    /// When the oldest delivery's hold runs out.
    pub(crate) fn next_expiry(&self, hold: Duration) -> Option<Instant> {
        self.waiting.front().map(|(at, _)| *at + hold)
    }

    /// Remove and return the ids of deliveries held for `hold` or longer at `now`.
    pub(crate) fn expired(&mut self, now: Instant, hold: Duration) -> Vec<DeliveryId> {
        let mut ids = Vec::new();
        while let Some((at, _)) = self.waiting.front() {
            if now.saturating_duration_since(*at) < hold {
                break;
            }
            if let Some((_, delivery)) = self.waiting.pop_front() {
                ids.push(delivery.id);
            }
        }
        ids
    }

    /// Remove and return every held delivery's id.
    pub(crate) fn drain_ids(&mut self) -> Vec<DeliveryId> {
        self.waiting.drain(..).map(|(_, d)| d.id).collect()
    }
}

/// The scope a delivery's queue belongs to (empty for an unscoped queue).
fn scope_of(delivery: &Delivery) -> &str {
    weft_queue::scope::split(&delivery.queue).0.unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(id: &str) -> Delivery {
        in_scope("team", id)
    }

    fn in_scope(scope: &str, id: &str) -> Delivery {
        Delivery {
            id: DeliveryId::new(id),
            queue: weft_queue::scope::scoped(scope, "default"),
            priority: 0,
            payload: Default::default(),
            deliveries: 1,
        }
    }

    #[test]
    fn oldest_first_and_expiry_takes_only_what_waited_long_enough() {
        let start = Instant::now();
        let hold = Duration::from_secs(2);
        let mut held = Held::default();
        held.extend(start, vec![delivery("a"), delivery("b")]);
        held.extend(start + Duration::from_secs(1), vec![delivery("c")]);
        assert_eq!(held.next_expiry(hold), Some(start + hold));
        assert!(
            held.expired(start + Duration::from_millis(1999), hold)
                .is_empty()
        );
        let gone = held.expired(start + hold, hold);
        assert_eq!(gone, vec![DeliveryId::new("a"), DeliveryId::new("b")]);
        assert_eq!(held.len(), 1);
        assert_eq!(held.next().map(|d| d.id), Some(DeliveryId::new("c")));
        assert!(held.is_empty());
        assert_eq!(held.next_expiry(hold), None);
    }

    fn order(held: &mut Held) -> Vec<String> {
        std::iter::from_fn(|| held.next())
            .map(|d| d.id.to_string())
            .collect()
    }

    #[test]
    fn a_task_taken_behind_another_tenants_backlog_starts_next() {
        let mut held = Held::default();
        let backlog: Vec<Delivery> = (1..=4)
            .map(|i| in_scope("flood", &format!("f{i}")))
            .collect();
        held.extend(Instant::now(), backlog);
        held.extend(Instant::now(), vec![in_scope("probe", "p1")]);
        assert_eq!(order(&mut held), ["f1", "p1", "f2", "f3", "f4"]);
    }

    #[test]
    fn busy_tenants_take_turns_each_oldest_first() {
        let mut held = Held::default();
        let deliveries = [
            ("a", "a1"),
            ("a", "a2"),
            ("b", "b1"),
            ("b", "b2"),
            ("a", "a3"),
        ];
        held.extend(
            Instant::now(),
            deliveries.iter().map(|(s, id)| in_scope(s, id)).collect(),
        );
        assert_eq!(order(&mut held), ["a1", "b1", "a2", "b2", "a3"]);
        // The tenant served least lately goes first, whatever the order taken.
        held.extend(
            Instant::now(),
            vec![in_scope("a", "a4"), in_scope("b", "b3")],
        );
        assert_eq!(order(&mut held), ["b3", "a4"]);
    }
}
