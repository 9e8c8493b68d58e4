//! Taking: a take's queues grouped by scope (`*/<queue>` over the registry's scopes), the
//! take script of one scope after another, in turns, until the batch is full, and, when no
//! scope had anything, one blocking wait on every signal stream concerned.

use std::time::Duration;

use tokio::time::Instant;

use crate::error::QueueError;
use crate::message::{Delivery, DeliveryId};
use crate::scope::{self, Target};

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
            let (next_expiry, mut streams, mut after) =
                match self.take_round(&groups, max, lease).await? {
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
            let woken = self
                .inner
                .connections
                .wait_for_signal(&streams, &after, block)
                .await?;
            // The registry read before the wait still serves the take after it, unless a new
            // scope was registered meanwhile (the registry's signal has an entry after the
            // one that read saw); the take's round trip after a wake-up is then its only one.
            let scopes_signal = self.inner.keys.scopes_signal();
            if woken.contains(&scopes_signal) {
                self.inner.known_scopes.forget();
            }
        }
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
                    let keys = &self.inner.keys;
                    streams.extend(queues.iter().map(|q| keys.signal(*scope, q)));
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
        let args = |call: &mut Call<'_>| {
            call.arg(max).arg(millis(lease));
            for q in queues {
                call.arg(*q);
            }
        };
        let value = self
            .run("take", &self.inner.scripts.take, scope, args)
            .await?;
        let mut reply = reply::take(value, queues.len()).map_err(|e| e.into_error("take"))?;
        if let (Some(scope), TakeReply::Taken(deliveries)) = (scope, &mut reply) {
            for d in deliveries {
                d.queue = scope::scoped(scope, &d.queue);
                d.id = DeliveryId::new(scope::scoped_id(Some(scope), d.id.as_str()));
            }
        }
        Ok(reply)
    }
}
