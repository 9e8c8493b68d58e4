//! The conformance suite on [`MemoryQueue`], on paused time, and checks of what only the
//! in-process backend promises (concurrency within one process, cancelled takes lease nothing).

use std::collections::HashSet;
use std::future::poll_fn;
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use tokio::time::Instant;

use super::MemoryQueue;
use crate::message::Message;
use crate::queue::Queue;
use crate::testsuite::{self, PausedClock};

const LEASE: Duration = Duration::from_secs(30);

macro_rules! suite {
    ($($check:ident),* $(,)?) => {$(
        #[tokio::test(start_paused = true)]
        async fn $check() {
            testsuite::$check(&MemoryQueue::new(), &PausedClock::default()).await;
        }
    )*};
}

suite!(
    priority_order,
    fifo_within_a_priority,
    multiple_queues,
    batches_of_many,
    lease_expiry_redelivers,
    extend_keeps_the_lease,
    stale_ids_cannot_touch_a_redelivery,
    expired_lease_is_lost_at_once,
    release_makes_ready_at_once,
    unknown_ids_are_reported_lost,
    push_wakes_a_waiting_take,
    waiting_take_times_out_empty,
    expiry_wakes_a_waiting_take,
    cancelled_take_loses_nothing,
    stats_count_ready_and_leased,
    bad_input_is_rejected,
    keyed_push_replaces_a_waiting_message,
    keyed_push_replaces_a_leased_message,
    keyed_batch_last_wins,
    generation_is_stable,
    keys_are_held_until_acknowledged,
    scopes_are_apart,
    scoped_ids_settle_together,
    bad_scopes_are_rejected,
    any_scope_takes_every_scope,
    any_scope_take_wakes_for_a_new_scope,
    scopes_take_turns,
);

#[tokio::test(start_paused = true)]
async fn whole_suite_on_one_queue() {
    testsuite::run_all(&MemoryQueue::new(), &PausedClock::default()).await;
}

#[tokio::test]
async fn each_queue_has_its_own_generation() {
    let (a, b) = (MemoryQueue::new(), MemoryQueue::default());
    let (ga, gb) = (a.generation().await, b.generation().await);
    assert_ne!(ga.expect("generation"), gb.expect("generation"));
}

fn queues(name: &str) -> Vec<String> {
    vec![name.to_owned()]
}

#[tokio::test(start_paused = true)]
async fn push_from_another_task_wakes_a_waiting_take() {
    let queue = Arc::new(MemoryQueue::new());
    let pusher = Arc::clone(&queue);
    let start = Instant::now();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(2)).await;
        pusher.push(vec![Message::new("q", "m")]).await
    });
    let got = queue
        .take(&queues("q"), 1, LEASE, Duration::from_secs(60))
        .await
        .expect("take");
    assert_eq!(got.len(), 1);
    assert_eq!(start.elapsed(), Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_take_leases_nothing() {
    let queue = MemoryQueue::new();
    let qs = queues("q");
    {
        let mut take = pin!(queue.take(&qs, 1, LEASE, Duration::from_secs(60)));
        let first = poll_fn(|cx| Poll::Ready(take.as_mut().poll(cx).is_pending())).await;
        assert!(first, "nothing is ready yet");
        queue
            .push(vec![Message::new("q", "m")])
            .await
            .expect("push");
    }
    let stats = queue.stats().await.expect("stats");
    let q = crate::message::QueueStats::find(&stats, "q");
    assert_eq!((q.ready, q.leased), (1, 0));
    let got = queue
        .take(&qs, 1, LEASE, Duration::ZERO)
        .await
        .expect("take");
    assert_eq!(got[0].deliveries, 1);
}

#[tokio::test(start_paused = true)]
async fn a_push_wakes_every_waiter_that_can_use_it_and_no_message_goes_twice() {
    let queue = Arc::new(MemoryQueue::new());
    let waiters: Vec<_> = (0..4)
        .map(|_| {
            let queue = Arc::clone(&queue);
            tokio::spawn(async move {
                queue
                    .take(&queues("q"), 1, LEASE, Duration::from_secs(60))
                    .await
            })
        })
        .collect();
    tokio::task::yield_now().await;
    let batch = (0..4).map(|i| Message::new("q", i.to_string())).collect();
    queue.push(batch).await.expect("push");
    let mut seen = HashSet::new();
    for waiter in waiters {
        let got = waiter.await.expect("join").expect("take");
        assert_eq!(got.len(), 1);
        assert!(seen.insert(got[0].payload.clone()), "delivered twice");
    }
    assert_eq!(seen.len(), 4);
}

/// Producers and consumers on several threads: every message is delivered exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_producers_and_consumers_deliver_each_message_once() {
    crate::testsuite::concurrent_clients_deliver_each_message_once(
        Arc::new(MemoryQueue::new()),
        2_000,
    )
    .await;
}
