//! Deliveries taken ahead of free slots, oldest first, each with the moment it was taken.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;
use weft_queue::{Delivery, DeliveryId};

/// Prefetched deliveries waiting for a slot.
#[derive(Default)]
pub(crate) struct Held {
    waiting: VecDeque<(Instant, Delivery)>,
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

    /// The oldest delivery.
    pub(crate) fn next(&mut self) -> Option<Delivery> {
        self.waiting.pop_front().map(|(_, d)| d)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(id: &str) -> Delivery {
        Delivery {
            id: DeliveryId::new(id),
            queue: "q".into(),
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
}
