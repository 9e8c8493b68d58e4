//! Writing a step: the outbox's one batch of results and decisions, what memory learns from
//! what was written, and what to do when nothing of it was.

use std::time::Instant;

use weft_model::TaskState;
use weft_store::{QueueTask, RunPk, TiPk, WriteBatch, WriteOutcome};

use crate::deferrals::StepEnds;
use crate::error::SchedulerError;
use crate::express::Pace;
use crate::flight;
use crate::step::Scheduler;

impl Scheduler {
    /// Write the step: starts, heartbeats and results, then queue ops, decided states and
    /// run states, in one batch; then send the queued attempts. Under the running loop a
    /// full step with much to write leaves it in flight instead, and an overlapped step
    /// writes beside it ([`flight`](crate::flight)).
    pub(crate) async fn flush(&mut self, pace: Pace) -> Result<(), SchedulerError> {
        let batch = self.outbox.take_batch(self.config.leader.clone());
        let left = std::mem::take(&mut self.left_tenants);
        let freed = self.admission.take_freed();
        if batch.is_empty() {
            return Ok(());
        }
        let ends = self.deferrals.take_step();
        match pace {
            Pace::Full if self.may_fly && self.flight.is_none() && flight::worth_flying(&batch) => {
                // Worth it only when another tenant could send something meanwhile.
                let tenants = self.tenants_of(&batch, left);
                if self.dags.any_beyond(&tenants) {
                    self.fly(batch, ends, tenants, freed);
                    return Ok(());
                }
            }
            Pace::Overlapped if !self.apart_from_flight(&self.tenants_of(&batch, left)) => {
                // It touches a tenant of the batch in flight after all, and may rest on what
                // that batch decided: it is not written, and its runs are read again once
                // that batch has landed.
                tracing::warn!(
                    "a step beside a batch in flight touched that batch's tenants; undone"
                );
                self.undo(&batch, ends);
                return Err(SchedulerError::BesideFlight);
            }
            _ => {}
        }
        let began = Instant::now();
        let result = self.store.write(batch.clone()).await;
        self.learn(batch, ends, began, result.map_err(SchedulerError::from))
            .await
    }

    /// What memory learns from `batch`'s write, begun at `began`, as `result` says: what
    /// the store took or refused; then its queued attempts are sent.
    pub(crate) async fn learn(
        &mut self,
        batch: WriteBatch,
        ends: StepEnds,
        began: Instant,
        result: Result<WriteOutcome, SchedulerError>,
    ) -> Result<(), SchedulerError> {
        let (starts, finishes, marks) =
            (batch.start.len(), batch.finish.len(), batch.set_task.len());
        let outcome = match result {
            Ok(outcome) if !outcome.refused => outcome,
            Ok(_) => {
                self.undo(&batch, ends);
                return Err(SchedulerError::OutOfStep);
            }
            Err(e) => {
                self.undo(&batch, ends);
                return Err(e);
            }
        };
        self.deferrals.step_written(ends);
        if !batch.asset_events.is_empty() {
            self.assets_updated(
                batch
                    .asset_events
                    .iter()
                    .map(|e| (e.tenant.as_str(), e.uri.as_str())),
            );
        }
        // A wait started or ended, or a mapped task ended, on a task instance someone else
        // moved on: read its run again.
        let moved = (batch.defer.iter().map(|d| d.ti).zip(&outcome.deferred))
            .chain(batch.resolve.iter().map(|r| r.ti).zip(&outcome.resolved))
            .chain(
                batch
                    .end_mapped
                    .iter()
                    .map(|e| e.ti)
                    .zip(&outcome.ended_mapped),
            )
            .filter(|(_, applied)| !**applied)
            .filter_map(|(ti, _)| self.runs.run_of(ti))
            .collect::<Vec<_>>();
        self.outbox.reload_all(moved);
        for (start, applied) in batch.start.iter().zip(&outcome.started) {
            if *applied {
                self.runs.record_start(start);
            }
        }
        for ended in batch.set_run.iter().filter(|r| r.state.is_finished()) {
            self.outbox.announce_ended(ended.run);
        }
        let mut queued = Vec::new();
        for (q, ok) in batch.queue.into_iter().zip(&outcome.queued) {
            if *ok {
                queued.push(q);
            } else {
                // Someone else moved it on: read the run again.
                self.forget_queue(&q);
                if let Some(run) = self.runs.run_of(q.ti) {
                    self.outbox.reload(run);
                }
            }
        }
        let written = began.elapsed();
        self.dispatch(&queued).await?;
        tracing::debug!(
            queued = queued.len(),
            starts,
            finishes,
            marks,
            write_ms = written.as_secs_f64() * 1e3,
            dispatch_ms = (began.elapsed() - written).as_secs_f64() * 1e3,
            "step written"
        );
        Ok(())
    }

    /// Nothing of `batch` was written: give back the slots its queue ops took and read every
    /// run it touched again from the store at the start of the next step, which is due now.
    fn undo(&mut self, batch: &WriteBatch, ends: StepEnds) {
        for q in &batch.queue {
            self.forget_queue(q);
        }
        let runs: Vec<RunPk> = changed_tis(batch)
            .filter_map(|ti| self.runs.run_of(ti))
            .collect();
        self.outbox.reload_all(runs);
        self.outbox.reload_all(batch.set_run.iter().map(|r| r.run));
        self.deferrals.step_not_written(ends);
        self.wake.at_once(self.clock.now());
    }

    /// Give back the slot a queue op that was not written took. A re-queue of an attempt
    /// already queued took none: its slot stays taken until the run is read again.
    fn forget_queue(&mut self, q: &QueueTask) {
        let Some((active, i)) = self.runs.task(q.ti) else {
            return;
        };
        if active.tis[i].state != TaskState::Queued {
            self.admission.release(&active.tis[i]);
        }
    }
}

/// The task instances `batch` changes (its heartbeats aside): their runs are read again if it
/// is not written, and their tenants are the ones it touches.
pub(crate) fn changed_tis(batch: &WriteBatch) -> impl Iterator<Item = TiPk> + '_ {
    (batch.start.iter().map(|s| s.ti))
        .chain(batch.finish.iter().map(|f| f.ti))
        .chain(batch.queue.iter().map(|q| q.ti))
        .chain(batch.defer.iter().map(|d| d.ti))
        .chain(batch.resolve.iter().map(|r| r.ti))
        .chain(batch.end_mapped.iter().map(|e| e.ti))
        .chain(batch.set_task.iter().map(|t| t.ti))
}
