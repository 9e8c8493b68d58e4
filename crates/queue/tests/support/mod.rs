//! Shared by the Redis tests: the lease they take, servers of their own, queue names and
//! counts.

#![allow(dead_code)]

use std::time::Duration;

use weft_queue::{Queue, QueueStats};
use weft_testkit::RedisServer;

/// Short enough to wait out a few times, long enough for any one operation on a busy machine.
pub const LEASE: Duration = Duration::from_secs(1);

/// A Redis server of the test's own.
pub fn own_server() -> RedisServer {
    RedisServer::start().expect("start a Redis server")
}

/// Queue names as a take wants them.
pub fn names(queues: &[&str]) -> Vec<String> {
    queues.iter().map(|&q| q.to_owned()).collect()
}

/// Ready and leased messages of queue `name`.
pub async fn counts(queue: &dyn Queue, name: &str) -> (u64, u64) {
    let s = QueueStats::find(&queue.stats().await.expect("stats"), name);
    (s.ready, s.leased)
}
