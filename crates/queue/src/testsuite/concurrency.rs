//! Many clients at once: producers and consumers on several tasks (threads, on a
//! multi-threaded runtime), every message delivered exactly once.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::message::Message;
use crate::queue::Queue;

/// Two producers push `per_producer` messages each in batches of 50 while four consumers
/// take and acknowledge: every message is delivered once, and the queue ends empty.
/// Run it on a multi-threaded runtime so that the clients really run at once.
pub async fn concurrent_clients_deliver_each_message_once(
    queue: Arc<dyn Queue>,
    per_producer: usize,
) {
    let name = "suite-concurrent";
    let mut producers = Vec::new();
    for p in 0..2 {
        let queue = Arc::clone(&queue);
        producers.push(tokio::spawn(async move {
            for chunk in (0..per_producer).collect::<Vec<_>>().chunks(50) {
                let batch = chunk
                    .iter()
                    .map(|i| Message::new(name, format!("{p}-{i}")))
                    .collect();
                queue.push(batch).await.expect("push");
            }
        }));
    }
    let acked = Arc::new(AtomicUsize::new(0));
    let mut consumers = Vec::new();
    for _ in 0..4 {
        let queue = Arc::clone(&queue);
        let acked = Arc::clone(&acked);
        consumers.push(tokio::spawn(async move {
            let mut got = Vec::new();
            while acked.load(Ordering::SeqCst) < 2 * per_producer {
                let batch = queue
                    .take(
                        &[name.to_owned()],
                        32,
                        Duration::from_secs(30),
                        Duration::from_millis(20),
                    )
                    .await
                    .expect("take");
                let ids: Vec<_> = batch.iter().map(|d| d.id.clone()).collect();
                assert!(queue.ack(&ids).await.expect("ack").is_empty());
                acked.fetch_add(ids.len(), Ordering::SeqCst);
                got.extend(batch.into_iter().map(|d| d.payload));
            }
            got
        }));
    }
    for producer in producers {
        producer.await.expect("producer");
    }
    let mut all = HashSet::new();
    for consumer in consumers {
        for payload in consumer.await.expect("consumer") {
            assert!(all.insert(payload), "delivered twice");
        }
    }
    assert_eq!(all.len(), 2 * per_producer);
    let stats = crate::QueueStats::find(&queue.stats().await.expect("stats"), name);
    assert_eq!((stats.ready, stats.leased), (0, 0));
}
