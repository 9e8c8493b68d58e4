//! Acknowledging deliveries in batches: an attempt hands its delivery id over and goes on;
//! a background task gathers the acks that arrive within [`LINGER`] of the first and
//! acknowledges them in one queue call, and what arrives while a call is on its way joins the
//! next one. Nothing waits on an ack (the attempt's result travels separately), so the
//! linger costs no latency, and under load one call serves dozens of attempts instead of
//! one or two. A flush sends at once.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use weft_queue::{DeliveryId, Queue};

/// Most ids acknowledged in one call.
const MAX_BATCH: usize = 1024;
/// How long the first ack of a batch waits for others to join it; far below any lease.
const LINGER: Duration = Duration::from_millis(5);

enum Request {
    Ack(DeliveryId),
    /// Answered once every ack sent before it has been through the queue.
    Flush(oneshot::Sender<()>),
}

/// Sends acks to the queue in batches. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Acks {
    tx: mpsc::UnboundedSender<Request>,
}

impl Acks {
    /// Acks on `queue`; the background task ends when the last clone is dropped.
    pub(crate) fn new(queue: Arc<dyn Queue>) -> Acks {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(ack_loop(queue, rx));
        Acks { tx }
    }

    /// Acknowledge `id` soon; does not wait. Should the ack fail, the delivery comes back
    /// when its lease runs out, and its attempt's lease fences it off.
    pub(crate) fn ack(&self, id: DeliveryId) {
        let _ = self.tx.send(Request::Ack(id));
    }

    /// Wait until every ack handed over so far has been sent.
    pub(crate) async fn flush(&self) {
        let (done, flushed) = oneshot::channel();
        if self.tx.send(Request::Flush(done)).is_ok() {
            let _ = flushed.await;
        }
    }
}

async fn ack_loop(queue: Arc<dyn Queue>, mut rx: mpsc::UnboundedReceiver<Request>) {
    while let Some(first) = rx.recv().await {
        let mut ids = Vec::new();
        let mut flushes = Vec::new();
        let until = tokio::time::Instant::now() + LINGER;
        let mut next = Some(first);
        while let Some(request) = next.take() {
            match request {
                Request::Ack(id) => ids.push(id),
                Request::Flush(done) => flushes.push(done),
            }
            if ids.len() >= MAX_BATCH {
                break;
            }
            next = match rx.try_recv() {
                Ok(request) => Some(request),
                Err(_) if flushes.is_empty() => tokio::time::timeout_at(until, rx.recv())
                    .await
                    .ok()
                    .flatten(),
                Err(_) => None,
            };
        }
        if !ids.is_empty() {
            match queue.ack(&ids).await {
                Ok(lost) if !lost.is_empty() => {
                    tracing::debug!(
                        lost = lost.len(),
                        "acks for deliveries whose lease was lost"
                    );
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, count = ids.len(), "acknowledging deliveries failed; they come back when their leases run out");
                }
            }
        }
        for done in flushes {
            let _ = done.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use weft_queue::{MemoryQueue, Message};

    use super::*;

    #[tokio::test]
    async fn acks_handed_over_are_sent_by_the_flush() {
        let queue = Arc::new(MemoryQueue::new());
        let messages = (0..5)
            .map(|i| Message::new("q", vec![i]))
            .collect::<Vec<_>>();
        queue.push(messages).await.expect("push");
        let queues = ["q".to_owned()];
        let lease = Duration::from_secs(60);
        let taken = queue
            .take(&queues, 5, lease, Duration::ZERO)
            .await
            .expect("take");
        assert_eq!(taken.len(), 5);
        let acks = Acks::new(queue.clone());
        for delivery in &taken {
            acks.ack(delivery.id.clone());
        }
        acks.flush().await;
        let stats = queue.stats().await.expect("stats");
        let q = stats.iter().find(|s| s.queue == "q");
        assert!(
            q.is_none_or(|s| s.ready == 0 && s.leased == 0),
            "every delivery is acknowledged: {stats:?}"
        );
        // Acknowledged for good: an ack of the same ids again reports them all lost.
        let ids: Vec<_> = taken.iter().map(|d| d.id.clone()).collect();
        assert_eq!(queue.ack(&ids).await.expect("ack").len(), 5);
    }

    #[tokio::test]
    async fn a_lone_ack_goes_out_after_the_linger_without_a_flush() {
        let queue = Arc::new(MemoryQueue::new());
        queue
            .push(vec![Message::new("q", vec![1])])
            .await
            .expect("push");
        let queues = ["q".to_owned()];
        let taken = queue
            .take(&queues, 1, Duration::from_secs(60), Duration::ZERO)
            .await
            .expect("take");
        let acks = Acks::new(queue.clone());
        acks.ack(taken[0].id.clone());
        let leased = || async {
            let stats = queue.stats().await.expect("stats");
            stats
                .iter()
                .find(|s| s.queue == "q")
                .map_or(0, |s| s.leased)
        };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while leased().await > 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the ack never went out"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}
