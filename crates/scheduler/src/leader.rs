//! High availability: any number of schedulers run at once; the one holding the store's
//! leadership lease schedules, the others stand by and take over when its lease runs out.
//!
//! The lease lives in the store ([`Store::try_lead`]) and is renewed every third of its
//! length. A leader that cannot renew stops scheduling before its lease can have run out,
//! and every batch it writes is fenced by its epoch ([`LeaderFence`]), so even a leader that
//! was paused past its lease can never write over its successor: no attempt is queued twice.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use weft_store::{LeaderFence, Store};

use crate::clock::Clock;

/// The lease every scheduler of a store competes for.
pub const SCHEDULER_LEASE: &str = "scheduler";

/// One scheduler's part in the election.
pub struct Election {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    holder: String,
    ttl: Duration,
}

/// A term of leadership: the fence to write with, and a signal that it ended.
pub struct Term {
    /// Put on every batch written during the term.
    pub fence: LeaderFence,
    lost: watch::Receiver<bool>,
}

impl Term {
    /// Resolves when the term ends (the lease was lost or could not be renewed in time, or
    /// the election is shutting down). Every clone of it resolves.
    pub fn lost(&self) -> impl Future<Output = ()> + Send + use<> {
        let mut lost = self.lost.clone();
        async move {
            let _ = lost.wait_for(|lost| *lost).await;
        }
    }
}

impl Election {
    /// `holder` (unique per scheduler process) competing for leases of `ttl`.
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        holder: impl Into<String>,
        ttl: Duration,
    ) -> Election {
        Election {
            store,
            clock,
            holder: holder.into(),
            ttl: ttl.max(Duration::from_millis(300)),
        }
    }

    /// Stand by, lead when the lease is free, and run `term` for each term of leadership
    /// until `shutdown` resolves; then resign so another scheduler takes over at once.
    /// `term` must return soon after its [`Term::lost`] resolves.
    pub async fn run<F, Fut>(self, shutdown: impl Future<Output = ()>, mut term: F)
    where
        F: FnMut(Term) -> Fut,
        Fut: Future<Output = ()>,
    {
        tokio::pin!(shutdown);
        let every = self.ttl / 3;
        loop {
            let epoch = tokio::select! {
                _ = &mut shutdown => break,
                epoch = self.wait_to_lead(every) => epoch,
            };
            tracing::info!(holder = %self.holder, epoch, "leading the schedulers");
            let (tx, rx) = watch::channel(false);
            let fence = LeaderFence {
                name: SCHEDULER_LEASE.to_owned(),
                holder: self.holder.clone(),
                epoch,
            };
            let work = term(Term { fence, lost: rx });
            let mut stopping = false;
            tokio::select! {
                _ = work => {}
                _ = self.keep(epoch, every) => {
                    tracing::warn!(holder = %self.holder, epoch, "lost the lead; standing by");
                    let _ = tx.send(true);
                    // The lease ends here, so that leading again starts a new epoch: a write
                    // of this term still under way in the store then fails the next term's
                    // fence instead of landing after that term read the store.
                    if let Err(e) = self.store.resign(SCHEDULER_LEASE, &self.holder).await {
                        tracing::warn!(error = %e, "could not end the lost lease; it runs out by itself");
                    }
                }
                _ = &mut shutdown => {
                    let _ = tx.send(true);
                    stopping = true;
                }
            }
            if stopping {
                break;
            }
        }
        if let Err(e) = self.store.resign(SCHEDULER_LEASE, &self.holder).await {
            tracing::warn!(error = %e, "could not resign the lead; it passes on when the lease runs out");
        }
    }

    async fn wait_to_lead(&self, every: Duration) -> i64 {
        loop {
            match self
                .store
                .try_lead(SCHEDULER_LEASE, &self.holder, self.clock.now(), self.ttl)
                .await
            {
                Ok(Some(epoch)) => return epoch,
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "cannot reach the store to take the lead"),
            }
            tokio::time::sleep(every).await;
        }
    }

    /// Renew the lease of `epoch` until it is lost; returns when it is (or may be).
    async fn keep(&self, epoch: i64, every: Duration) {
        let mut renewed = tokio::time::Instant::now();
        loop {
            tokio::time::sleep(every).await;
            let attempt = tokio::time::Instant::now();
            match self
                .store
                .try_lead(SCHEDULER_LEASE, &self.holder, self.clock.now(), self.ttl)
                .await
            {
                Ok(Some(e)) if e == epoch => renewed = attempt,
                Ok(_) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot renew the lead");
                    // Step down while the lease surely still holds: before a successor can
                    // have taken over.
                    if renewed.elapsed() + every >= self.ttl {
                        return;
                    }
                }
            }
        }
    }
}
