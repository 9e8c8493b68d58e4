//! The distributed backend, [`RedisQueue`]: named queues kept in a Redis server, shared by
//! schedulers and workers on any number of machines.
//!
//! # Data
//! Every key of a namespace starts with `<namespace>:q:`, so deployments and tests can share
//! a server. The unscoped queues' keys sit right under it; each scope's queues (`<scope>/…`)
//! have the same set of keys of their own under `<namespace>:q:t:<scope>:`, and no script run
//! for a scope touches a key outside that prefix. So a Redis ACL user limited to
//! `~<namespace>:q:t:<scope>:*` serves that scope's queues and cannot reach another's (see
//! `weft_redis::acl`, where the rules of every Weft Redis user are made).
//!
//! Under one prefix, a message is a hash (`m:<seq>`: queue, priority, deliveries, payload,
//! key) named by its sequence number (`seq` counts them), zero-padded so that names sort by
//! age. Each queue's ready messages are a sorted set (`ready:<queue>`, the queue named
//! without its scope) scored by minus the priority: highest priority first, then oldest, and
//! a released or expired message goes back under its old name, in its old place. Live leases
//! are one sorted set (`leases`) scored by expiry; `leased` counts them per queue, `names`
//! lists the queues, `keys` maps message keys to their holders (so keys are per scope), and
//! `generation` is a random id created when missing (a new or a flushed server, a new scope).
//!
//! The namespace's root also holds the registry of scopes: `scopes`, a set of every scope
//! pushed to, and `scopes-signal`, a stream that gets an entry when a push makes a new scope.
//! Only pushes write them and only takes of `*/<queue>` and [`stats`](Queue::stats) read
//! them, so a worker that names its scopes never needs them.
//!
//! # Operations
//! Each operation runs one Lua script (EVALSHA) per scope it concerns, atomic on the server
//! (a push to scopes also runs `register` on the root, unless it registered them within the
//! last second). Push, ack, extend, release and stats
//! send the scripts of their scopes together on the multiplexed connection, so a batch takes
//! about one round trip whatever its scopes; a take asks its scopes one after another, each
//! for what the batch still lacks. Lease times come
//! from the server's clock (`TIME`), never a client's. Every script first puts its prefix's
//! expired leases back in line, so a lease is lost the moment it expires. A delivery id is
//! `<seq>.<deliveries>@<generation>`, and `<scope>/<seq>.<deliveries>@<generation>` for a
//! scoped queue (that scope's generation): a redelivery gets a new id, ids from before the
//! contents were lost match nothing, and an id whose scope cannot be is lost without asking
//! the server. [`generation`](Queue::generation) is the root prefix's: one flush loses every
//! scope with it.
//!
//! A take starts with the scope after the one that led the previous take over several (see
//! [`scope`]) and goes on to the next scopes until it has `max` deliveries or
//! has been to every scope.
//!
//! # Waiting
//! A take that finds nothing learns, from the same scripts, the last entry id of each of its
//! queues' signal streams (`signal:<queue>` under the queue's prefix; pushes, releases and
//! expiries add an entry) and when the next lease expires; a take of `*/<queue>` has also
//! read the last entry id of `scopes-signal` together with the scopes. It then blocks on `XREAD`
//! for entries after those ids, until that expiry or its own deadline, on a connection of its
//! own (blocking commands never go through the shared multiplexed connection). A take of one
//! scope's queues sends its take script behind the `XREAD` on that connection, so Redis runs
//! it the moment the wait ends and answers both at once: a woken take costs no round trip
//! of its own. The wait itself consumes nothing: every waiter wakes, none can miss a wake-up
//! (a push to a scope new to a waiting take wakes it through `scopes-signal`). A take dropped
//! while waiting loses nothing: its wait goes on in a task of its own until it ends (30 s at
//! most), and whatever the script after it took is handed back at once, one delivery more
//! on its count.

mod connection;
mod failing;
mod join;
mod keys;
mod known_scopes;
mod registered_scopes;
mod reply;
mod scripts;
mod settings;
mod settle;
mod take;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use weft_tls::Trust;

use async_trait::async_trait;
use tracing::instrument;

use crate::error::{BadInput, QueueError};
use crate::message::{Delivery, DeliveryId, Message, QueueStats};
use crate::queue::Queue;
use crate::scope::{self, Turns};
use crate::validate;
use connection::Connections;
use keys::KeySpace;
use scripts::Scripts;

/// Named queues in a Redis server, under a namespace. Cheap to clone: clones share their
/// connections.
///
/// Connects with [`RedisQueue::connect`]; reconnects by itself after the server restarts.
/// While the server cannot be reached, operations fail promptly with
/// [`QueueError::Unavailable`]; no operation waits on the server for more than 15 s (a
/// take's own wait aside). A request the server's user may not make (its ACL does not reach
/// the scope) fails with [`QueueError::Denied`].
///
/// A `take` dropped while it waits hands back at once what the take script run at the end of
/// its wait leased; one dropped after any other script was sent may have leased messages,
/// which are delivered again when that lease runs out.
///
/// A push to one scope is atomic; a push to several runs one script per scope, so a
/// failure of the server midway may leave some scopes' messages pushed and others not.
/// Pushing the batch again mends that (keyed messages replace their first copies).
#[derive(Clone)]
pub struct RedisQueue {
    inner: Arc<Inner>,
}

struct Inner {
    connections: Connections,
    scripts: Scripts,
    keys: KeySpace,
    /// Which scope a take over several serves first.
    turns: Mutex<Turns>,
    /// Scopes a take passed over because their part failed, and when that was last said.
    failing: failing::Failing,
    /// The scope registry as a `*/<queue>` take last read it.
    known_scopes: known_scopes::KnownScopes,
    /// The scopes this queue's pushes registered lately.
    registered_scopes: registered_scopes::RegisteredScopes,
}

/// A script call's future, for running several of them at once.
type Pending<'a, T> = Pin<Box<dyn Future<Output = Result<T, QueueError>> + Send + 'a>>;

impl fmt::Debug for RedisQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisQueue")
            .field("url", &self.inner.connections.url())
            .field("prefix", &self.inner.keys.root())
            .finish_non_exhaustive()
    }
}

impl RedisQueue {
    /// Connects to the server at `url` (`redis://[user:password@]host[:port][/db]`, or
    /// `rediss://…` over TLS, trusting the web roots) and uses
    /// the keys under `<namespace>:q:`. It checks the server answers (PING) and writes
    /// nothing, so a user limited to some scopes' keys can connect.
    ///
    /// A URL that cannot be used or an empty namespace is [`QueueError::BadInput`]; a server
    /// that cannot be reached is [`QueueError::Unavailable`] naming the URL (never its
    /// password); credentials the server refuses are [`QueueError::Denied`].
    pub async fn connect(url: &str, namespace: &str) -> Result<RedisQueue, QueueError> {
        Self::connect_trusting(url, namespace, &Trust::default()).await
    }

    /// [`RedisQueue::connect`], trusting `trust`'s certificates over `rediss://`.
    pub async fn connect_trusting(
        url: &str,
        namespace: &str,
        trust: &Trust,
    ) -> Result<RedisQueue, QueueError> {
        if namespace.is_empty() {
            return Err(BadInput::EmptyNamespace.into());
        }
        let connections = Connections::open(url, trust).await?;
        connections.ping().await?;
        Ok(RedisQueue {
            inner: Arc::new(Inner {
                connections,
                scripts: Scripts::new(),
                keys: KeySpace::new(namespace),
                turns: Mutex::default(),
                failing: failing::Failing::default(),
                known_scopes: known_scopes::KnownScopes::default(),
                registered_scopes: registered_scopes::RegisteredScopes::default(),
            }),
        })
    }

    /// Runs `script` on the keys of `scope` (`None`: the unscoped queues), with the
    /// arguments `args` adds.
    async fn run(
        &self,
        operation: &'static str,
        script: &scripts::QueueScript,
        scope: Option<&str>,
        args: impl FnOnce(&mut scripts::Call<'_>),
    ) -> Result<redis::Value, QueueError> {
        let inner = &*self.inner;
        let mut call = script.call(&inner.keys.prefix(scope));
        args(&mut call);
        let started = std::time::Instant::now();
        let result = inner
            .connections
            .run(operation, call.invoke(inner.connections.shared()))
            .await;
        weft_metrics::metrics()
            .queue_call_seconds
            .get_or_create(&weft_metrics::Call { call: operation })
            .observe(started.elapsed().as_secs_f64());
        result
    }

    /// Adds `scopes` to the registry (nothing to do for none).
    async fn register(&self, scopes: Vec<&str>) -> Result<(), QueueError> {
        if scopes.is_empty() {
            return Ok(());
        }
        let args = |call: &mut scripts::Call<'_>| {
            for scope in scopes {
                call.arg(scope);
            }
        };
        self.run("push", &self.inner.scripts.register, None, args)
            .await
            .map(drop)
    }

    /// The id of the last new-scope signal, then every scope pushed to.
    async fn scopes(&self, operation: &'static str) -> Result<(String, Vec<String>), QueueError> {
        let value = self
            .run(operation, &self.inner.scripts.scopes, None, |_| {})
            .await?;
        reply::scopes(value).map_err(|e| e.into_error(operation))
    }

    fn turns(&self) -> MutexGuard<'_, Turns> {
        // A rotation is valid whatever a panicking holder did.
        self.inner
            .turns
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl Queue for RedisQueue {
    #[instrument(level = "debug", name = "queue.push", skip_all, fields(messages = messages.len()))]
    async fn push(&self, messages: Vec<Message>) -> Result<(), QueueError> {
        validate::check_push(&messages)?;
        // By scope, in order, each message with its position and its queue's name within the
        // scope.
        let mut by_scope: BTreeMap<Option<&str>, Vec<(usize, &str, &Message)>> = BTreeMap::new();
        for (position, m) in messages.iter().enumerate() {
            let (scope, queue) = scope::split(&m.queue);
            by_scope
                .entry(scope)
                .or_default()
                .push((position, queue, m));
        }
        let scripts = &self.inner.scripts;
        // Pushes to scopes also register them, so the registry never needs to be read first.
        // It is the namespace's own (no worker can write it): if it fails, nothing counts as
        // pushed. A scope this queue registered within the last second, with the contents it
        // still has, is not registered again (see `registered_scopes`).
        let now = tokio::time::Instant::now();
        let registrations = &self.inner.registered_scopes;
        // Each scope pushed to, with the generation it was registered with lately, if it was.
        let scopes: Vec<(Option<&str>, Option<String>)> = by_scope
            .keys()
            .map(|&s| (s, s.and_then(|s| registrations.fresh(s, now))))
            .collect();
        let new = scopes
            .iter()
            .filter_map(|(s, kept)| s.filter(|_| kept.is_none()))
            .collect();
        let registering = self.register(new);
        let mut positions: Vec<Vec<usize>> = Vec::with_capacity(by_scope.len());
        let mut calls: Vec<Pending<'_, (String, bool)>> = Vec::with_capacity(by_scope.len());
        for (scope, batch) in by_scope {
            positions.push(batch.iter().map(|(position, _, _)| *position).collect());
            calls.push(Box::pin(async move {
                let args = |call: &mut scripts::Call<'_>| {
                    call.arg(batch.len());
                    for (_, queue, m) in &batch {
                        call.arg(*queue).arg(m.priority);
                        match &m.key {
                            Some(key) => call.arg(format!("={key}")),
                            None => call.arg(""),
                        };
                        call.arg(&m.payload[..]);
                    }
                };
                let value = self.run("push", &scripts.push, scope, args).await?;
                reply::pushed(value).map_err(|e| e.into_error("push"))
            }));
        }
        let (registered, pushed) = tokio::join!(registering, join::join_all(calls));
        registered?;
        // A scope whose contents are new (the server lost them since it was registered, the
        // registry with them; or lost them while this push ran beside its registration) is
        // registered again before the push counts as done.
        let mut again = Vec::new();
        for ((scope, kept), result) in scopes.iter().zip(&pushed) {
            let (Some(scope), Ok((generation, made))) = (scope, result) else {
                continue;
            };
            match kept {
                Some(kept) if kept == generation && !made => {}
                None if !made => registrations.keep(scope, generation.clone(), now),
                _ => again.push((*scope, generation.clone())),
            }
        }
        if !again.is_empty() {
            self.register(again.iter().map(|(scope, _)| *scope).collect())
                .await?;
            for (scope, generation) in again {
                registrations.keep(scope, generation, now);
            }
        }
        // Each scope's part stands on its own: one that failed fails only its messages.
        let mut failed = Vec::new();
        let mut first_error = None;
        for (result, positions) in pushed.into_iter().zip(positions) {
            if let Err(e) = result {
                failed.extend(positions);
                first_error.get_or_insert(e);
            }
        }
        match first_error {
            None => Ok(()),
            Some(e) if failed.len() == messages.len() => Err(e),
            Some(e) => {
                failed.sort_unstable();
                Err(QueueError::PartlyPushed {
                    failed,
                    source: Box::new(e),
                })
            }
        }
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
        self.take_in_turns(queues, max, lease, wait).await
    }

    #[instrument(level = "debug", name = "queue.ack", skip_all, fields(ids = ids.len()))]
    async fn ack(&self, ids: &[DeliveryId]) -> Result<Vec<DeliveryId>, QueueError> {
        self.settle("ack", &self.inner.scripts.ack, None, ids).await
    }

    #[instrument(level = "debug", name = "queue.extend", skip_all, fields(ids = ids.len(), ?lease))]
    async fn extend(
        &self,
        ids: &[DeliveryId],
        lease: Duration,
    ) -> Result<Vec<DeliveryId>, QueueError> {
        validate::check_lease("extend", lease)?;
        let lease = millis(lease);
        self.settle("extend", &self.inner.scripts.extend, Some(lease), ids)
            .await
    }

    #[instrument(level = "debug", name = "queue.release", skip_all, fields(ids = ids.len()))]
    async fn release(&self, ids: &[DeliveryId]) -> Result<Vec<DeliveryId>, QueueError> {
        self.settle("release", &self.inner.scripts.release, None, ids)
            .await
    }

    #[instrument(level = "debug", name = "queue.stats", skip_all)]
    async fn stats(&self) -> Result<Vec<QueueStats>, QueueError> {
        let (_, scopes) = self.scopes("stats").await?;
        let script = &self.inner.scripts.stats;
        let calls: Vec<Pending<'_, Vec<QueueStats>>> = std::iter::once(None)
            .chain(scopes.iter().map(|s| Some(s.as_str())))
            .map(|scope| -> Pending<'_, Vec<QueueStats>> {
                Box::pin(async move {
                    let value = self.run("stats", script, scope, |_| {}).await?;
                    let mut stats = reply::stats(value).map_err(|e| e.into_error("stats"))?;
                    if let Some(scope) = scope {
                        for s in &mut stats {
                            s.queue = scope::scoped(scope, &s.queue);
                        }
                    }
                    Ok(stats)
                })
            })
            .collect();
        let mut stats: Vec<QueueStats> = join::try_join_all(calls)
            .await?
            .into_iter()
            .flatten()
            .collect();
        stats.sort_unstable_by(|a, b| a.queue.cmp(&b.queue));
        Ok(stats)
    }

    #[instrument(level = "debug", name = "queue.unheld", skip_all, fields(keys = keyed.len()))]
    async fn unheld(&self, keyed: &[(String, String)]) -> Result<Vec<usize>, QueueError> {
        // By scope: each key's position among the caller's, and the key.
        let mut by_scope: BTreeMap<Option<&str>, Vec<(usize, &str)>> = BTreeMap::new();
        for (position, (queue, key)) in keyed.iter().enumerate() {
            let (scope, _) = scope::split(queue);
            by_scope.entry(scope).or_default().push((position, key));
        }
        let script = &self.inner.scripts.unheld;
        let calls: Vec<Pending<'_, Vec<usize>>> = by_scope
            .into_iter()
            .map(|(scope, keys)| -> Pending<'_, Vec<usize>> {
                Box::pin(async move {
                    let args = |call: &mut scripts::Call<'_>| {
                        for (_, key) in &keys {
                            call.arg(*key);
                        }
                    };
                    let value = self.run("unheld", script, scope, args).await?;
                    let unheld =
                        reply::lost(value, keys.len()).map_err(|e| e.into_error("unheld"))?;
                    Ok(unheld.into_iter().map(|i| keys[i].0).collect())
                })
            })
            .collect();
        let mut unheld: Vec<usize> = join::try_join_all(calls)
            .await?
            .into_iter()
            .flatten()
            .collect();
        unheld.sort_unstable();
        Ok(unheld)
    }

    #[instrument(level = "debug", name = "queue.generation", skip_all)]
    async fn generation(&self) -> Result<String, QueueError> {
        let script = &self.inner.scripts.generation;
        let value = self.run("generation", script, None, |_| {}).await?;
        reply::text(value).map_err(|e| e.into_error("generation"))
    }
}

/// A lease in whole milliseconds, rounded up (a lease is never shortened to zero).
fn millis(lease: Duration) -> u64 {
    u64::try_from(lease.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX)
}
