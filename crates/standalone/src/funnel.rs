//! One physical queue for every queue name (in each tenant's scope), so that the single
//! worker of standalone mode runs tasks routed to any queue (`vm2_queue`, `gpu`, …). Tasks
//! still see the queue they were routed to: it travels in the task message.
//!
//! The funnel keeps each message's scope (its tenant): a message for `a/gpu` waits on
//! `a/standalone`, and the worker takes `standalone` of every scope, which the queue serves
//! in turns. So one tenant's backlog does not stand in line before another tenant's task, as
//! on a distributed installation, and a message key replaces only its own tenant's holder.

use std::time::Duration;

use async_trait::async_trait;
use weft_queue::{Delivery, DeliveryId, Message, Queue, QueueError, QueueStats, scope};

/// The name of the one physical queue (within each scope).
const FUNNEL: &str = "standalone";

/// Every push lands on one queue of `inner` in its own scope; every take reads that queue of
/// every scope, and of none.
pub struct Funnel<Q> {
    inner: Q,
}

impl<Q> Funnel<Q> {
    /// A funnel in front of `inner`.
    pub fn new(inner: Q) -> Funnel<Q> {
        Funnel { inner }
    }

    /// The queue a worker behind the funnel serves, as it names it (its takes read that
    /// queue of every scope, whatever it asks for).
    pub fn queues() -> Vec<String> {
        vec![FUNNEL.to_owned()]
    }
}

/// What every take reads: the funnel's queue of every scope, and the unscoped one.
fn taken() -> [String; 2] {
    [FUNNEL.to_owned(), scope::every_scope(FUNNEL)]
}

/// The funnel's queue in the scope of queue `name` (unscoped for an unscoped name).
fn funneled(name: &str) -> String {
    match scope::split(name) {
        (Some(scope), _) => scope::scoped(scope, FUNNEL),
        (None, _) => FUNNEL.to_owned(),
    }
}

#[async_trait]
impl<Q: Queue> Queue for Funnel<Q> {
    async fn push(&self, messages: Vec<Message>) -> Result<(), QueueError> {
        let messages = messages
            .into_iter()
            .map(|m| Message {
                queue: funneled(&m.queue),
                ..m
            })
            .collect();
        self.inner.push(messages).await
    }

    async fn take(
        &self,
        _queues: &[String],
        max: usize,
        lease: Duration,
        wait: Duration,
    ) -> Result<Vec<Delivery>, QueueError> {
        self.inner.take(&taken(), max, lease, wait).await
    }

    async fn ack(&self, ids: &[DeliveryId]) -> Result<Vec<DeliveryId>, QueueError> {
        self.inner.ack(ids).await
    }

    async fn extend(
        &self,
        ids: &[DeliveryId],
        lease: Duration,
    ) -> Result<Vec<DeliveryId>, QueueError> {
        self.inner.extend(ids, lease).await
    }

    async fn release(&self, ids: &[DeliveryId]) -> Result<Vec<DeliveryId>, QueueError> {
        self.inner.release(ids).await
    }

    async fn stats(&self) -> Result<Vec<QueueStats>, QueueError> {
        self.inner.stats().await
    }

    async fn unheld(&self, keyed: &[(String, String)]) -> Result<Vec<usize>, QueueError> {
        // Keys are per scope, and the funnel keeps each message's scope.
        self.inner.unheld(keyed).await
    }

    async fn generation(&self) -> Result<String, QueueError> {
        self.inner.generation().await
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use weft_queue::{MemoryQueue, Message, Queue};

    use super::Funnel;

    const LEASE: Duration = Duration::from_secs(60);

    async fn take_one(funnel: &Funnel<MemoryQueue>) -> (String, Vec<u8>) {
        let mut taken = funnel
            .take(&[], 1, LEASE, Duration::ZERO)
            .await
            .expect("take");
        assert_eq!(taken.len(), 1, "one ready message taken");
        let delivery = taken.remove(0);
        (delivery.queue, delivery.payload.to_vec())
    }

    #[tokio::test]
    async fn a_tenants_task_does_not_wait_behind_another_tenants_backlog() {
        let funnel = Funnel::new(MemoryQueue::new());
        let backlog = (0..50)
            .map(|i| Message::new("flood/default", format!("flood {i}").into_bytes()))
            .collect();
        funnel.push(backlog).await.expect("push the backlog");
        funnel
            .push(vec![Message::new("probe/gpu", b"probe".to_vec())])
            .await
            .expect("push the probe");
        let first_two = [take_one(&funnel).await, take_one(&funnel).await];
        assert!(
            first_two.contains(&("probe/standalone".to_owned(), b"probe".to_vec())),
            "the probe's message is among the first two taken: {first_two:?}"
        );
        // The whole backlog follows, in its order.
        let first_flood = first_two
            .iter()
            .filter(|(queue, _)| queue == "flood/standalone")
            .count();
        for i in first_flood..50 {
            assert_eq!(
                take_one(&funnel).await,
                (
                    "flood/standalone".to_owned(),
                    format!("flood {i}").into_bytes()
                )
            );
        }
    }

    #[tokio::test]
    async fn a_key_replaces_only_its_own_tenants_message() {
        let funnel = Funnel::new(MemoryQueue::new());
        funnel
            .push(vec![
                Message::new("a/default", b"a's".to_vec()).with_key("ti:1"),
                Message::new("b/other", b"b's".to_vec()).with_key("ti:1"),
                Message::new("a/gpu", b"a's again".to_vec()).with_key("ti:1"),
            ])
            .await
            .expect("push");
        let mut taken: Vec<(String, Vec<u8>)> = funnel
            .take(&[], 10, LEASE, Duration::ZERO)
            .await
            .expect("take")
            .into_iter()
            .map(|d| (d.queue, d.payload.to_vec()))
            .collect();
        taken.sort();
        assert_eq!(
            taken,
            vec![
                ("a/standalone".to_owned(), b"a's again".to_vec()),
                ("b/standalone".to_owned(), b"b's".to_vec()),
            ]
        );
    }

    #[tokio::test]
    async fn a_tenants_delivery_is_released_and_acknowledged_by_its_id() {
        let funnel = Funnel::new(MemoryQueue::new());
        funnel
            .push(vec![Message::new("a/default", b"task".to_vec())])
            .await
            .expect("push");
        let first = funnel
            .take(&[], 1, LEASE, Duration::ZERO)
            .await
            .expect("take");
        let ids: Vec<_> = first.iter().map(|d| d.id.clone()).collect();
        assert_eq!(funnel.release(&ids).await.expect("release"), vec![]);
        let again = funnel
            .take(&[], 1, LEASE, Duration::ZERO)
            .await
            .expect("take");
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].deliveries, 2, "taken once more after the release");
        let ids: Vec<_> = again.iter().map(|d| d.id.clone()).collect();
        assert_eq!(funnel.ack(&ids).await.expect("ack"), vec![]);
        assert!(
            funnel
                .take(&[], 1, LEASE, Duration::ZERO)
                .await
                .expect("take")
                .is_empty(),
            "acknowledged for good"
        );
    }

    #[tokio::test]
    async fn unscoped_messages_are_taken_too() {
        let funnel = Funnel::new(MemoryQueue::new());
        funnel
            .push(vec![Message::new("default", b"old".to_vec())])
            .await
            .expect("push");
        assert_eq!(
            take_one(&funnel).await,
            ("standalone".to_owned(), b"old".to_vec())
        );
    }
}
