//! The distributed backend, [`RedisQueue`]: named queues kept in a Redis server, shared by
//! schedulers and workers on any number of machines.
//!
//! # Data
//! Every key of a namespace starts with `<namespace>:q:`, so deployments and tests can share
//! a server. A message is a hash (`m:<seq>`: queue, priority, deliveries, payload, key) named
//! by its sequence number, zero-padded so that names sort by age. Each queue's ready messages
//! are a sorted set (`ready:<queue>`) scored by minus the priority: highest priority first,
//! then oldest, and a released or expired message goes back under its old name, in its old
//! place. Live leases are one sorted set (`leases`) scored by expiry; `leased` counts them
//! per queue, `names` lists the queues, `keys` maps message keys to their holders, and
//! `generation` is a random id created when missing (a new or a flushed server).
//!
//! # Operations
//! Each operation is one Lua script (EVALSHA), one round trip for a whole batch, atomic on
//! the server. Lease times come from the server's clock (`TIME`), never a client's. Every
//! script first puts expired leases back in line, so a lease is lost the moment it expires.
//! A delivery id is `<seq>.<deliveries>@<generation>`: a redelivery gets a new id, and ids
//! from before the contents were lost match nothing.
//!
//! # Waiting
//! A take that finds nothing learns, from the same script, the last entry id of each of its
//! queues' signal streams (`signal:<queue>`; pushes, releases and expiries add an entry) and
//! when the next lease expires. It then blocks on `XREAD` for entries after those ids, until
//! that expiry or its own deadline, on a connection of its own (blocking commands never go
//! through the shared multiplexed connection). Nothing is consumed by waiting: every waiter
//! wakes, none can miss a wake-up, and a take dropped while waiting loses nothing.

mod connection;
mod reply;
mod scripts;
#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;
use tracing::instrument;

use crate::error::{BadInput, QueueError};
use crate::message::{Delivery, DeliveryId, Message, QueueStats};
use crate::queue::Queue;
use crate::validate;
use connection::Connections;
use reply::TakeReply;
use scripts::Scripts;

/// The longest single blocking wait; a longer `take` wait blocks again after it.
const MAX_BLOCK: Duration = Duration::from_secs(30);
/// The most deliveries one take returns.
const MAX_TAKE: usize = 1 << 30;
/// Waited past a lease's expiry before looking again, so the server sees it expired.
const EXPIRY_MARGIN: Duration = Duration::from_millis(2);

/// Named queues in a Redis server, under a namespace. Cheap to clone: clones share their
/// connections.
///
/// Connects with [`RedisQueue::connect`]; reconnects by itself after the server restarts.
/// While the server cannot be reached, operations fail promptly with
/// [`QueueError::Unavailable`]; no operation waits on the server for more than 15 s (a
/// take's own wait aside).
///
/// A `take` dropped while it waits leases nothing; one dropped after its script was sent
/// may have leased messages, which are delivered again when that lease runs out.
#[derive(Clone)]
pub struct RedisQueue {
    inner: Arc<Inner>,
}

struct Inner {
    connections: Connections,
    scripts: Scripts,
    /// `<namespace>:q:`
    prefix: String,
}

impl fmt::Debug for RedisQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisQueue")
            .field("url", &self.inner.connections.url())
            .field("prefix", &self.inner.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisQueue {
    /// Connects to the server at `url` (`redis://[user:password@]host[:port][/db]`) and uses
    /// the keys under `<namespace>:q:`.
    ///
    /// A URL that cannot be used or an empty namespace is [`QueueError::BadInput`]; a server
    /// that cannot be reached is [`QueueError::Unavailable`] naming the URL (never its
    /// password).
    pub async fn connect(url: &str, namespace: &str) -> Result<RedisQueue, QueueError> {
        if namespace.is_empty() {
            return Err(BadInput::EmptyNamespace.into());
        }
        let connections = Connections::open(url).await?;
        let queue = RedisQueue {
            inner: Arc::new(Inner {
                connections,
                scripts: Scripts::new(),
                prefix: format!("{namespace}:q:"),
            }),
        };
        queue.generation().await?;
        Ok(queue)
    }

    /// Runs one take script: deliveries, or what to wait on.
    async fn take_once(
        &self,
        queues: &[String],
        max: usize,
        lease: Duration,
    ) -> Result<TakeReply, QueueError> {
        let inner = &*self.inner;
        let mut call = inner.scripts.take.call(&inner.prefix);
        call.arg(max).arg(millis(lease));
        for q in queues {
            call.arg(q);
        }
        let value = inner
            .connections
            .run("take", call.invoke(inner.connections.shared()))
            .await?;
        reply::take(value, queues.len()).map_err(|e| e.into_error("take"))
    }

    /// Runs a script over delivery ids, with `args` before them; the ids whose lease was lost.
    async fn settle(
        &self,
        operation: &'static str,
        script: &scripts::QueueScript,
        args: &[u64],
        ids: &[DeliveryId],
    ) -> Result<Vec<DeliveryId>, QueueError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let inner = &*self.inner;
        let mut call = script.call(&inner.prefix);
        for a in args {
            call.arg(*a);
        }
        for id in ids {
            call.arg(id.as_str());
        }
        let value = inner
            .connections
            .run(operation, call.invoke(inner.connections.shared()))
            .await?;
        reply::lost(value, ids).map_err(|e| e.into_error(operation))
    }
}

#[async_trait]
impl Queue for RedisQueue {
    #[instrument(level = "debug", name = "queue.push", skip_all, fields(messages = messages.len()))]
    async fn push(&self, messages: Vec<Message>) -> Result<(), QueueError> {
        validate::check_push(&messages)?;
        if messages.is_empty() {
            return Ok(());
        }
        let inner = &*self.inner;
        let mut call = inner.scripts.push.call(&inner.prefix);
        call.arg(messages.len());
        for m in &messages {
            call.arg(&m.queue).arg(m.priority);
            match &m.key {
                Some(key) => call.arg(format!("={key}")),
                None => call.arg(""),
            };
            call.arg(&m.payload[..]);
        }
        inner
            .connections
            .run("push", call.invoke(inner.connections.shared()))
            .await?;
        Ok(())
    }

    #[instrument(level = "debug", name = "queue.take", skip_all, fields(?queues, max, ?lease, ?wait))]
    async fn take(
        &self,
        queues: &[String],
        max: usize,
        lease: Duration,
        wait: Duration,
    ) -> Result<Vec<Delivery>, QueueError> {
        validate::check_take(queues, max, lease)?;
        let mut distinct: Vec<String> = Vec::with_capacity(queues.len());
        for q in queues {
            if !distinct.contains(q) {
                distinct.push(q.clone());
            }
        }
        // Beyond any real batch; keeps the count a plain integer for the script.
        let max = max.min(MAX_TAKE);
        let deadline = Instant::now().checked_add(wait);
        loop {
            let (next_expiry, signals) = match self.take_once(&distinct, max, lease).await? {
                TakeReply::Taken(deliveries) => return Ok(deliveries),
                TakeReply::Empty {
                    next_expiry,
                    signals,
                } => (next_expiry, signals),
            };
            let remaining = match deadline {
                Some(deadline) => deadline.saturating_duration_since(Instant::now()),
                None => MAX_BLOCK,
            };
            if remaining.is_zero() {
                return Ok(Vec::new());
            }
            let mut block = remaining.min(MAX_BLOCK);
            if let Some(expiry) = next_expiry {
                block = block.min(expiry + EXPIRY_MARGIN);
            }
            let streams: Vec<String> = distinct
                .iter()
                .map(|q| format!("{}signal:{q}", self.inner.prefix))
                .collect();
            self.inner
                .connections
                .wait_for_signal(&streams, &signals, block)
                .await?;
        }
    }

    #[instrument(level = "debug", name = "queue.ack", skip_all, fields(ids = ids.len()))]
    async fn ack(&self, ids: &[DeliveryId]) -> Result<Vec<DeliveryId>, QueueError> {
        self.settle("ack", &self.inner.scripts.ack, &[], ids).await
    }

    #[instrument(level = "debug", name = "queue.extend", skip_all, fields(ids = ids.len(), ?lease))]
    async fn extend(
        &self,
        ids: &[DeliveryId],
        lease: Duration,
    ) -> Result<Vec<DeliveryId>, QueueError> {
        validate::check_lease("extend", lease)?;
        self.settle("extend", &self.inner.scripts.extend, &[millis(lease)], ids)
            .await
    }

    #[instrument(level = "debug", name = "queue.release", skip_all, fields(ids = ids.len()))]
    async fn release(&self, ids: &[DeliveryId]) -> Result<Vec<DeliveryId>, QueueError> {
        self.settle("release", &self.inner.scripts.release, &[], ids)
            .await
    }

    #[instrument(level = "debug", name = "queue.stats", skip_all)]
    async fn stats(&self) -> Result<Vec<QueueStats>, QueueError> {
        let inner = &*self.inner;
        let call = inner.scripts.stats.call(&inner.prefix);
        let value = inner
            .connections
            .run("stats", call.invoke(inner.connections.shared()))
            .await?;
        reply::stats(value).map_err(|e| e.into_error("stats"))
    }

    #[instrument(level = "debug", name = "queue.generation", skip_all)]
    async fn generation(&self) -> Result<String, QueueError> {
        let inner = &*self.inner;
        let call = inner.scripts.generation.call(&inner.prefix);
        let value = inner
            .connections
            .run("generation", call.invoke(inner.connections.shared()))
            .await?;
        reply::text(value).map_err(|e| e.into_error("generation"))
    }
}

/// A lease in whole milliseconds, rounded up (a lease is never shortened to zero).
fn millis(lease: Duration) -> u64 {
    u64::try_from(lease.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX)
}
