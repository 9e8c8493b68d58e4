//! Throughput of a queue backend: 10,000 messages pushed in one batch, taken in batches of
//! 256 and acknowledged batch by batch; then one message at a time (push, take, ack); then
//! the wake-up latency of a take that waits, from a push to the take's return.
//! Each measure is the best of a few rounds, as other work on the machine adds noise.
//!
//! In-process: `cargo run -p weft-queue --release --example throughput`
//! Redis: `cargo run -p weft-queue --release --example throughput -- redis://127.0.0.1:6379/`
//! (on a namespace of its own, `throughput-<pid>`; only a few empty bookkeeping keys remain).

use std::time::{Duration, Instant};

use bytes::Bytes;
use weft_queue::{MemoryQueue, Message, Queue, QueueError, RedisQueue};

const MESSAGES: usize = 10_000;
const BATCH: usize = 256;
const ROUNDS: usize = 5;
const LEASE: Duration = Duration::from_secs(30);

/// Time spent pushing, taking and acknowledging.
#[derive(Debug, Clone, Copy, Default)]
struct Times {
    push: Duration,
    take: Duration,
    ack: Duration,
}

impl Times {
    fn total(&self) -> Duration {
        self.push + self.take + self.ack
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), QueueError> {
    let queue: Box<dyn Queue> = match std::env::args().nth(1) {
        Some(url) => {
            let namespace = format!("throughput-{}", std::process::id());
            println!("Redis at {url}, namespace {namespace}");
            Box::new(RedisQueue::connect(&url, &namespace).await?)
        }
        None => {
            println!("in-process");
            Box::new(MemoryQueue::new())
        }
    };
    let queue = &*queue;
    let queues = vec!["default".to_owned()];
    let payload = Bytes::from_static(&[0u8; 64]);

    let mut best: Option<Times> = None;
    for _ in 0..ROUNDS {
        let times = batched(queue, &queues, &payload).await?;
        if best.is_none_or(|b| times.total() < b.total()) {
            best = Some(times);
        }
    }
    let best = best.unwrap_or_default();
    println!(
        "batched: {MESSAGES} messages, push {:.2?} + take {:.2?} (batches of {BATCH}) + ack {:.2?} \
         = {:.2?} ({:.0} messages/s; best of {ROUNDS})",
        best.push,
        best.take,
        best.ack,
        best.total(),
        MESSAGES as f64 / best.total().as_secs_f64()
    );

    let mut best_single = Duration::MAX;
    for _ in 0..ROUNDS {
        let start = Instant::now();
        for _ in 0..MESSAGES {
            let message = Message::new("default", payload.clone());
            queue.push(vec![message]).await?;
            let deliveries = queue.take(&queues, 1, LEASE, Duration::ZERO).await?;
            let ids: Vec<_> = deliveries.into_iter().map(|d| d.id).collect();
            let lost = queue.ack(&ids).await?;
            assert!(ids.len() == 1 && lost.is_empty(), "lost leases: {lost:?}");
        }
        best_single = best_single.min(start.elapsed());
    }
    println!(
        "one at a time: {MESSAGES} x (push + take + ack) = {best_single:.2?} \
         ({:.2} µs per message; best of {ROUNDS})",
        best_single.as_secs_f64() * 1e6 / MESSAGES as f64
    );
    wake_latency(queue, &queues, &payload).await
}

/// Push to a queue a take is waiting on, `SAMPLES` times: the time from the push to the
/// take's return, p50 and p99.
async fn wake_latency(
    queue: &dyn Queue,
    queues: &[String],
    payload: &Bytes,
) -> Result<(), QueueError> {
    const SAMPLES: usize = 300;
    let mut samples = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let waiting = queue.take(queues, 1, LEASE, Duration::from_secs(5));
        let push = async {
            // Let the take start waiting first.
            tokio::time::sleep(Duration::from_millis(2)).await;
            let start = Instant::now();
            queue
                .push(vec![Message::new("default", payload.clone())])
                .await
                .map(|()| start)
        };
        let (taken, pushed) = tokio::join!(waiting, push);
        let taken = taken?;
        let latency = pushed?.elapsed();
        let ids: Vec<_> = taken.into_iter().map(|d| d.id).collect();
        assert_eq!(ids.len(), 1, "the waiting take got the message");
        queue.ack(&ids).await?;
        samples.push(latency);
    }
    samples.sort_unstable();
    println!(
        "wake-up, push to a waiting take's return: p50 {:.2?}, p99 {:.2?} ({SAMPLES} samples)",
        samples[SAMPLES / 2],
        samples[SAMPLES * 99 / 100]
    );
    Ok(())
}

/// One round: push `MESSAGES` in one batch, take and acknowledge them `BATCH` at a time.
async fn batched(
    queue: &dyn Queue,
    queues: &[String],
    payload: &Bytes,
) -> Result<Times, QueueError> {
    let mut times = Times::default();
    let batch: Vec<Message> = (0..MESSAGES)
        .map(|i| Message::new("default", payload.clone()).with_priority((i % 3) as i32))
        .collect();
    let t = Instant::now();
    queue.push(batch).await?;
    times.push = t.elapsed();
    let mut taken = 0;
    loop {
        let t = Instant::now();
        let deliveries = queue.take(queues, BATCH, LEASE, Duration::ZERO).await?;
        times.take += t.elapsed();
        if deliveries.is_empty() {
            break;
        }
        taken += deliveries.len();
        let ids: Vec<_> = deliveries.into_iter().map(|d| d.id).collect();
        let t = Instant::now();
        let lost = queue.ack(&ids).await?;
        times.ack += t.elapsed();
        assert!(lost.is_empty(), "lost leases: {lost:?}");
    }
    assert_eq!(taken, MESSAGES, "every pushed message is taken once");
    Ok(times)
}
