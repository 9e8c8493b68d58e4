//! A step's write left in flight, and the steps that go beside it.
//!
//! Under a flood of one tenant's tasks each full step carries a batch of that tenant's
//! results and queue ops, which takes PostgreSQL several milliseconds to write. Another
//! tenant's new run or result arriving meanwhile would wait for that write, then for its own
//! step's. So the running loop leaves such a batch in flight (written by a task of its own)
//! and goes on taking what arrives: reports and new runs of tenants the batch does not touch
//! go in an *overlapped* step ([`Pace::Overlapped`](crate::express::Pace)), written beside
//! the batch in flight. The two batches touch different tenants' rows, so neither waits for
//! the other's locks; what arrives of the batch's tenants waits for it to land.
//!
//! Memory already holds what the batch in flight decided (steps decide before they write),
//! so an overlapped step stays off everything that batch could change:
//! - it touches no run of a tenant the batch touches: it takes none of their reports (nor
//!   reports of runs waiting to be read again), starts none of their runs, queues none of
//!   their tasks. Tenants' quotas, DAGs' active runs and pools are each one tenant's, so such
//!   a decision about one tenant never rests on another's batch;
//! - what the tenants share is `parallelism` and their fair shares. An overlapped step
//!   leaves the slots the batch in flight freed on the whole (its results less its queue
//!   ops), which its runs would take back were it not written, and gives no tenant more than
//!   its share (the slots left over wait for the full step after the landing);
//! - it reads no run from the store, which may not have the batch yet: runs to read again,
//!   waits to check, scheduled runs, retries and timeouts wait for the next full step, which
//!   comes after the batch lands;
//! - should its own batch touch one of those tenants all the same, it is not written: it is
//!   undone, and its runs are read again after the landing.
//!
//! A batch lands when the loop hears its write answered: what memory learns from it is
//! applied then, and its queued attempts are sent, exactly as for a step written in turn.

use std::collections::HashSet;
use std::time::Instant;

use tokio::task::{JoinError, JoinHandle};
use weft_store::{StoreResult, WriteBatch, WriteOutcome};

use crate::deferrals::StepEnds;
use crate::error::SchedulerError;
use crate::flush;
use crate::step::Scheduler;

/// A full step's batch with at least this many starts, results, queue ops and marks is left
/// in flight, when a tenant it does not touch has DAGs; a smaller one (a chain's next task),
/// or one of the only tenant, is written in turn, saving the hand-off.
pub(crate) const FLY_AT: usize = 16;

/// A batch being written by a task of its own.
pub(crate) struct Flight {
    /// The batch, to learn from once written (or undo).
    batch: WriteBatch,
    /// The ends it decided and the waits it started.
    ends: StepEnds,
    /// The tenants whose runs it touches.
    tenants: HashSet<String>,
    /// The slots its step freed on the whole, which it takes back if not written.
    freed: usize,
    /// When its write began.
    began: Instant,
    /// The write.
    write: JoinHandle<StoreResult<WriteOutcome>>,
}

impl Flight {
    /// The tenants whose runs the batch touches: overlapped steps leave them be.
    pub(crate) fn tenants(&self) -> &HashSet<String> {
        &self.tenants
    }

    /// The slots its step freed on the whole (results, less queue ops): a step beside it
    /// leaves them be, so that `parallelism` holds should the batch not be written and its
    /// runs be read again.
    pub(crate) fn freed(&self) -> usize {
        self.freed
    }
}

/// Whether `batch` is worth leaving in flight (see [`FLY_AT`]).
pub(crate) fn worth_flying(batch: &WriteBatch) -> bool {
    batch.start.len() + batch.finish.len() + batch.queue.len() + batch.set_task.len() >= FLY_AT
}

impl Scheduler {
    /// Leave `batch`, which touches `tenants` ([`tenants_of`](Self::tenants_of)), in
    /// flight: written by a task of its own while the loop goes on.
    pub(crate) fn fly(
        &mut self,
        batch: WriteBatch,
        ends: StepEnds,
        tenants: HashSet<String>,
        freed: usize,
    ) {
        let store = self.store.clone();
        let sent = batch.clone();
        let write = tokio::spawn(async move { store.write(sent).await });
        self.flight = Some(Flight {
            batch,
            ends,
            tenants,
            freed,
            began: Instant::now(),
            write,
        });
    }

    /// The write of the batch in flight, to await; none when no batch is in flight.
    pub(crate) fn flight_write(&mut self) -> Option<&mut JoinHandle<StoreResult<WriteOutcome>>> {
        self.flight.as_mut().map(|f| &mut f.write)
    }

    /// The batch in flight was written (or not), as `joined` says: learn from it as from a
    /// step written in turn, and send its queued attempts.
    pub(crate) async fn landed(
        &mut self,
        joined: Result<StoreResult<WriteOutcome>, JoinError>,
    ) -> Result<(), SchedulerError> {
        let Some(flight) = self.flight.take() else {
            return Ok(());
        };
        // A write task that ended without an answer may or may not have written: what it
        // touched is read again, as after any failed write.
        let result = joined
            .map_err(SchedulerError::WriteLost)
            .and_then(|written| written.map_err(SchedulerError::from));
        self.learn(flight.batch, flight.ends, flight.began, result)
            .await
    }

    /// Wait for the batch in flight, if any, to land.
    pub(crate) async fn land(&mut self) -> Result<(), SchedulerError> {
        let Some(write) = self.flight_write() else {
            return Ok(());
        };
        let joined = write.await;
        self.landed(joined).await
    }

    /// Whether `tenants` are apart from those of the batch in flight (true when none is).
    pub(crate) fn apart_from_flight(&self, tenants: &HashSet<String>) -> bool {
        self.flight
            .as_ref()
            .is_none_or(|f| f.tenants.is_disjoint(tenants))
    }

    /// The tenants whose runs `batch` touches: those of its task instances and runs still
    /// in memory, and `left`, those of runs that left memory while it was made.
    pub(crate) fn tenants_of(&self, batch: &WriteBatch, left: HashSet<String>) -> HashSet<String> {
        let mut tenants = left;
        let tis = flush::changed_tis(batch).chain(batch.heartbeat.iter().map(|h| h.ti));
        let runs = tis
            .filter_map(|ti| self.runs.run_of(ti))
            .chain(batch.set_run.iter().map(|r| r.run));
        for run in runs {
            if let Some(active) = self.runs.get(run)
                && !tenants.contains(&active.run.tenant)
            {
                tenants.insert(active.run.tenant.clone());
            }
        }
        for event in &batch.asset_events {
            if !tenants.contains(&event.tenant) {
                tenants.insert(event.tenant.clone());
            }
        }
        tenants
    }
}
