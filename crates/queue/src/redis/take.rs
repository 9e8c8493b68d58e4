//! Taking: a take's queues grouped by scope (`*/<queue>` over the registry's scopes), the
//! take script of one scope after another, in turns, until the batch is full, and, when no
//! scope had anything, one blocking wait on every signal stream concerned.

use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;
use tracing::Instrument as _;

use crate::error::QueueError;
use crate::message::{Delivery, DeliveryId};
use crate::queue::Queue;
use crate::scope::{self, Target};

use super::connection::classify;
use super::known_scopes::Read;
use super::reply::{self, TakeReply};
use super::scripts::Call;
use super::{RedisQueue, millis};

/// The longest single blocking wait; a longer `take` wait blocks again after it.
const MAX_BLOCK: Duration = Duration::from_secs(30);
/// The most deliveries one take returns.
const MAX_TAKE: usize = 1 << 30;
/// Waited past a lease's expiry before looking again, so the server sees it expired.
const EXPIRY_MARGIN: Duration = Duration::from_millis(2);

/// The queues of one scope in a take: the scope (`None`: unscoped) and the queues' names
/// within it.
type Group<'a> = (Option<&'a str>, Vec<&'a str>);

/// What one round over a take's scopes found.
enum Round {
    /// Deliveries.
    Taken(Vec<Delivery>),
    /// Nothing ready: what to wait on.
    Empty {
        /// Time to the next lease expiry in any of the scopes, if a lease is live.
        next_expiry: Option<Duration>,
        /// The signal streams of the queues.
        streams: Vec<String>,
        /// For each stream, the id of its last entry.
        after: Vec<String>,
    },
    /// Nothing delivered, yet a script found ready entries whose message was gone and
    /// dropped them: look again at once.
    Again,
}

impl RedisQueue {
    /// Takes up to `max` deliveries from checked `queues`, waiting up to `wait`.
    pub(super) async fn take_in_turns(
        &self,
        queues: &[String],
        max: usize,
        lease: Duration,
        wait: Duration,
    ) -> Result<Vec<Delivery>, QueueError> {
        let targets: Vec<Target<'_>> = queues.iter().map(|q| scope::target(q)).collect();
        let any_scope = targets.iter().any(|t| matches!(t, Target::AnyScope(_)));
        // Beyond any real batch; keeps the count a plain integer for the script.
        let max = max.min(MAX_TAKE);
        let deadline = Instant::now().checked_add(wait);
        // What the take run at the end of the last wait found, when it found nothing: the
        // next round, unless the scopes changed since.
        let mut found_after_wait: Option<FoundAfterWait> = None;
        loop {
            // The registry as read within the last second serves a take that finds tasks (a
            // busy worker's take is one round trip) and one that finds none and waits (the
            // wait watches the registry's signal after that read); one that finds none and
            // gives up reads it again first, so no scope made since is missed.
            let mut cached = false;
            let (seen, scopes) = if any_scope {
                let read = match self.inner.known_scopes.fresh() {
                    Some(read) => {
                        cached = true;
                        read
                    }
                    None => {
                        let (seen, scopes) = self.scopes("take").await?;
                        let read = Read { seen, scopes };
                        self.inner.known_scopes.keep(&read);
                        read
                    }
                };
                (Some(read.seen), read.scopes)
            } else {
                (None, Vec::new())
            };
            let groups = scope::group(&targets, &scopes);
            let waits = deadline.is_none_or(|d| Instant::now() < d);
            let round = match (found_after_wait.take(), groups.as_slice()) {
                (Some(found), [(only, _)]) if found.scope.as_deref() == *only => Round::Empty {
                    next_expiry: found.next_expiry,
                    streams: found.streams,
                    after: found.after,
                },
                _ => self.take_round(&groups, max, lease).await?,
            };
            let (next_expiry, mut streams, mut after) = match round {
                Round::Taken(deliveries) => return Ok(deliveries),
                // Dropped entries without a message: look again, within the wait.
                Round::Again if waits => continue,
                Round::Again => return Ok(Vec::new()),
                // A take that gives up now reads the registry once more first, so that a
                // scope made since the kept read is not missed. One that waits needs no
                // second read: it waits on the registry's signal after the kept read's
                // entry, so a scope made since wakes it at once (and the registry is then
                // read again). An idle worker woken with others by a push that another
                // takes pays one script, not three.
                Round::Empty { .. } if cached && !waits => {
                    self.inner.known_scopes.forget();
                    continue;
                }
                Round::Empty {
                    next_expiry,
                    streams,
                    after,
                } => (next_expiry, streams, after),
            };
            if let Some(seen) = seen {
                streams.push(self.inner.keys.scopes_signal());
                after.push(seen);
            }
            let remaining = match deadline {
                Some(deadline) => deadline.saturating_duration_since(Instant::now()),
                None => MAX_BLOCK,
            };
            if remaining.is_zero() {
                // The deadline passed during the round: giving up, so look once more with the
                // registry read afresh, as a take that never meant to wait does.
                if cached {
                    self.inner.known_scopes.forget();
                    continue;
                }
                return Ok(Vec::new());
            }
            let mut block = remaining.min(MAX_BLOCK);
            if let Some(expiry) = next_expiry {
                block = block.min(expiry + EXPIRY_MARGIN);
            }
            // A take of one scope's queues runs its script the moment the wait ends, in the
            // same request (no second round trip after a wake-up); one of several scopes
            // takes in turns after it.
            let (woken, taken) = match groups.as_slice() {
                [(scope, queues)] => {
                    let wait = (streams, after, block);
                    self.wait_then_take(*scope, queues, wait, max, lease)
                        .await?
                }
                _ => {
                    let woken = self
                        .inner
                        .connections
                        .wait_for_signal(&streams, &after, block)
                        .await?;
                    (woken, None)
                }
            };
            // The registry read before the wait still serves the take after it, unless a new
            // scope was registered meanwhile (the registry's signal has an entry after the
            // one that read saw).
            let scopes_changed = woken.contains(&self.inner.keys.scopes_signal());
            if scopes_changed {
                self.inner.known_scopes.forget();
            }
            match taken {
                Some(TakeReply::Taken(deliveries)) if !deliveries.is_empty() => {
                    return Ok(deliveries);
                }
                Some(TakeReply::Empty {
                    next_expiry,
                    signals,
                }) if !scopes_changed => {
                    if let [(scope, queues)] = groups.as_slice() {
                        found_after_wait = Some(FoundAfterWait {
                            scope: scope.map(str::to_owned),
                            next_expiry,
                            streams: self.signals(*scope, queues),
                            after: signals,
                        });
                    }
                }
                // Dropped entries without a message, or scopes to read again: a new round.
                _ => {}
            }
        }
    }

    /// Blocks until one of `streams` has an entry after the matching id of `after`, or
    /// `block` passes, then runs the take script of `scope`'s `queues` on the same
    /// connection: what woke the wait, and what the take found (none when its script failed,
    /// say on a server that lost its scripts: the next round's take runs it again).
    /// Deliveries the take made are returned even if the wait's own answer was unreadable.
    ///
    /// The request runs in a task of its own, so that a take dropped while it waits does
    /// not drop it half-way: what the script took after such a wait goes back in line at
    /// once rather than when its lease runs out.
    async fn wait_then_take(
        &self,
        scope: Option<&str>,
        queues: &[&str],
        (streams, after, block): (Vec<String>, Vec<String>, Duration),
        max: usize,
        lease: Duration,
    ) -> Result<(Vec<String>, Option<TakeReply>), QueueError> {
        let queue = self.clone();
        let scope = scope.map(str::to_owned);
        let queues: Vec<String> = queues.iter().map(|q| (*q).to_owned()).collect();
        let (answer, answered) = oneshot::channel();
        let wait = async move {
            let mut call = queue
                .inner
                .scripts
                .take
                .call(&queue.inner.keys.prefix(scope.as_deref()));
            take_args(&mut call, max, lease, &queues);
            let connections = &queue.inner.connections;
            let after_wait = connections
                .wait_then_run(&streams, &after, block, call.invocation())
                .await
                .map(|(woken, ran)| {
                    let what = || format!("take after a wait on {}", connections.url());
                    let taken = ran
                        .map_err(|e| classify(&what(), e))
                        .and_then(|value| {
                            reply::take(value, queues.len()).map_err(|e| e.into_error(&what()))
                        })
                        .map(|reply| named(scope.as_deref(), reply));
                    let taken = match taken {
                        Ok(taken) => Some(taken),
                        Err(error) => {
                            tracing::debug!(%error, "the take after a wait failed; taking again");
                            None
                        }
                    };
                    (woken, taken)
                });
            if let Err(unread) = answer.send(after_wait) {
                hand_back(&queue, unread).await;
            }
        };
        tokio::spawn(wait.in_current_span());
        let mut answered = Answered {
            answer: answered,
            queue: self.clone(),
        };
        match (&mut answered.answer).await {
            Ok(Ok((Ok(woken), taken))) => Ok((woken, taken)),
            // The wait's own answer failed, yet the take after it may have taken deliveries:
            // they are the caller's.
            Ok(Ok((Err(_), Some(TakeReply::Taken(deliveries))))) if !deliveries.is_empty() => {
                Ok((Vec::new(), Some(TakeReply::Taken(deliveries))))
            }
            Ok(Ok((Err(e), _)) | Err(e)) => Err(e),
            Err(_) => Err(QueueError::Backend {
                message: format!(
                    "waiting on {}: the wait's task ended without an answer",
                    self.inner.connections.url()
                ),
                source: None,
            }),
        }
    }

    /// The signal streams of `scope`'s `queues`.
    fn signals(&self, scope: Option<&str>, queues: &[&str]) -> Vec<String> {
        let keys = &self.inner.keys;
        queues.iter().map(|q| keys.signal(scope, q)).collect()
    }

    /// Runs the take script of each scope of `groups` (sorted by scope), in turns, until
    /// `max` deliveries are taken or every scope was asked.
    async fn take_round(
        &self,
        groups: &[Group<'_>],
        max: usize,
        lease: Duration,
    ) -> Result<Round, QueueError> {
        let scopes: Vec<Option<&str>> = groups.iter().map(|(s, _)| *s).collect();
        let order = self.turns().order(&scopes);
        let mut taken = Vec::new();
        let mut again = false;
        // A scope whose part fails (its keys damaged, its user refused) is passed over, so
        // that one scope's trouble stops no other scope's tasks; the take fails only when
        // every scope did.
        let mut failure = None;
        let mut answered = false;
        let mut next_expiry: Option<Duration> = None;
        let (mut streams, mut after) = (Vec::new(), Vec::new());
        for i in order {
            if taken.len() >= max {
                break;
            }
            let (scope, queues) = &groups[i];
            let reply = match self
                .take_once(*scope, queues, max - taken.len(), lease)
                .await
            {
                Ok(reply) => reply,
                Err(e) => {
                    self.inner.failing.warn(*scope, &e);
                    failure.get_or_insert(e);
                    continue;
                }
            };
            answered = true;
            match reply {
                TakeReply::Taken(deliveries) if deliveries.is_empty() => again = true,
                TakeReply::Taken(deliveries) => {
                    if taken.is_empty() && groups.len() > 1 {
                        self.turns().led(*scope);
                    }
                    taken.extend(deliveries);
                }
                TakeReply::Empty {
                    next_expiry: expiry,
                    signals,
                } => {
                    next_expiry = match (next_expiry, expiry) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                    streams.extend(self.signals(*scope, queues));
                    after.extend(signals);
                }
            }
        }
        if let (false, Some(e)) = (answered, failure) {
            return Err(e);
        }
        Ok(if !taken.is_empty() {
            Round::Taken(taken)
        } else if again {
            Round::Again
        } else {
            Round::Empty {
                next_expiry,
                streams,
                after,
            }
        })
    }

    /// Runs the take script on `queues` (distinct names within `scope`): deliveries named by
    /// their full queue names and scoped ids, or what to wait on.
    async fn take_once(
        &self,
        scope: Option<&str>,
        queues: &[&str],
        max: usize,
        lease: Duration,
    ) -> Result<TakeReply, QueueError> {
        let args = |call: &mut Call<'_>| take_args(call, max, lease, queues);
        let value = self
            .run("take", &self.inner.scripts.take, scope, args)
            .await?;
        let reply = reply::take(value, queues.len()).map_err(|e| e.into_error("take"))?;
        Ok(named(scope, reply))
    }
}

/// What the take script run at the end of a wait found when it found nothing: the next
/// round of a take of that one scope.
struct FoundAfterWait {
    scope: Option<String>,
    /// Time to the next lease expiry, if a lease is live.
    next_expiry: Option<Duration>,
    /// The queues' signal streams, and the id of each one's last entry.
    streams: Vec<String>,
    after: Vec<String>,
}

/// What a wait's task answers: the streams that woke the wait (or why the wait failed), and
/// what the take after it found.
type AfterWait = (Result<Vec<String>, QueueError>, Option<TakeReply>);

/// The answer of a wait's task, for a take that may be dropped before it reads it: dropped
/// unread, it hands back what the take after the wait took.
struct Answered {
    answer: oneshot::Receiver<Result<AfterWait, QueueError>>,
    queue: RedisQueue,
}

impl Drop for Answered {
    fn drop(&mut self) {
        self.answer.close();
        if let Ok(unread) = self.answer.try_recv()
            && let Ok(handle) = tokio::runtime::Handle::try_current()
        {
            let queue = self.queue.clone();
            handle.spawn(async move { hand_back(&queue, unread).await });
        }
    }
}

/// Hands back the deliveries of `unread`, the answer of a wait nobody read.
async fn hand_back(queue: &RedisQueue, unread: Result<AfterWait, QueueError>) {
    let Ok((_, Some(TakeReply::Taken(deliveries)))) = unread else {
        return;
    };
    if deliveries.is_empty() {
        return;
    }
    let ids: Vec<DeliveryId> = deliveries.into_iter().map(|d| d.id).collect();
    if let Err(error) = queue.release(&ids).await {
        tracing::warn!(%error, deliveries = ids.len(), "a take dropped while it waited took deliveries that could not be handed back; they come back when their leases run out");
    }
}

/// The take script's arguments after the prefix: `max`, the lease, the queues.
fn take_args(call: &mut Call<'_>, max: usize, lease: Duration, queues: &[impl AsRef<str>]) {
    call.arg(max).arg(millis(lease));
    for q in queues {
        call.arg(q.as_ref());
    }
}

/// `reply` of a take script run in `scope`, its deliveries named by their full queue names
/// and scoped ids.
fn named(scope: Option<&str>, mut reply: TakeReply) -> TakeReply {
    if let (Some(scope), TakeReply::Taken(deliveries)) = (scope, &mut reply) {
        for d in deliveries {
            d.queue = scope::scoped(scope, &d.queue);
            d.id = DeliveryId::new(scope::scoped_id(Some(scope), d.id.as_str()));
        }
    }
    reply
}
