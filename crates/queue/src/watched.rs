//! [`Watched`]: a queue that hands every call to another and tells a [`Watch`] what goes
//! through it, for tests that look at what was pushed or taken, and when.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::error::QueueError;
use crate::message::{Delivery, DeliveryId, Message, QueueStats};
use crate::queue::Queue;

/// What a [`Watched`] queue tells of the calls it hands on; each does nothing unless
/// implemented.
#[async_trait]
pub trait Watch: Send + Sync + 'static {
    /// `messages` are about to be pushed (the push waits for this).
    async fn pushing(&self, _messages: &[Message]) {}

    /// `deliveries` were taken.
    fn taken(&self, _deliveries: &[Delivery]) {}
}

/// `inner`, with `watch` told of every push and take.
pub struct Watched<W> {
    /// The queue every call goes to.
    pub inner: Arc<dyn Queue>,
    /// What is told of the pushes and takes.
    pub watch: W,
}

#[async_trait]
impl<W: Watch> Queue for Watched<W> {
    async fn push(&self, messages: Vec<Message>) -> Result<(), QueueError> {
        self.watch.pushing(&messages).await;
        self.inner.push(messages).await
    }

    async fn take(
        &self,
        queues: &[String],
        max: usize,
        lease: Duration,
        wait: Duration,
    ) -> Result<Vec<Delivery>, QueueError> {
        let taken = self.inner.take(queues, max, lease, wait).await?;
        self.watch.taken(&taken);
        Ok(taken)
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
        self.inner.unheld(keyed).await
    }

    async fn generation(&self) -> Result<String, QueueError> {
        self.inner.generation().await
    }
}
