//! One physical queue for every queue name, so that the single worker of standalone mode
//! runs tasks routed to any queue (`vm2_queue`, `gpu`, …). Tasks still see the queue they
//! were routed to: it travels in the task message.

use std::time::Duration;

use async_trait::async_trait;
use weft_queue::{Delivery, DeliveryId, Message, Queue, QueueError, QueueStats};

/// The name of the one physical queue.
const FUNNEL: &str = "standalone";

/// Every push lands on one queue of `inner`; every take reads it.
pub struct Funnel<Q> {
    inner: Q,
}

impl<Q> Funnel<Q> {
    /// A funnel in front of `inner`.
    pub fn new(inner: Q) -> Funnel<Q> {
        Funnel { inner }
    }

    /// The queue names a worker behind the funnel takes from.
    pub fn queues() -> Vec<String> {
        vec![FUNNEL.to_owned()]
    }
}

#[async_trait]
impl<Q: Queue> Queue for Funnel<Q> {
    async fn push(&self, messages: Vec<Message>) -> Result<(), QueueError> {
        let funneled = messages
            .into_iter()
            .map(|m| Message {
                queue: FUNNEL.to_owned(),
                ..m
            })
            .collect();
        self.inner.push(funneled).await
    }

    async fn take(
        &self,
        _queues: &[String],
        max: usize,
        lease: Duration,
        wait: Duration,
    ) -> Result<Vec<Delivery>, QueueError> {
        self.inner
            .take(&Funnel::<Q>::queues(), max, lease, wait)
            .await
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

    async fn generation(&self) -> Result<String, QueueError> {
        self.inner.generation().await
    }
}
