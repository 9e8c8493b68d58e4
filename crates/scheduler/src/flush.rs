//! Writing a step: the outbox's one batch of results and decisions, what memory learns from
//! what was written, and what to do when nothing of it was.

use weft_model::TaskState;
use weft_store::{QueueTask, RunPk, WriteBatch};

use crate::error::SchedulerError;
use crate::step::Scheduler;

impl Scheduler {
    /// Write the step: starts, heartbeats and results, then queue ops, decided states and
    /// run states, in one batch; then send the queued attempts.
    pub(crate) async fn flush(&mut self) -> Result<(), SchedulerError> {
        let batch = self.outbox.take_batch(self.config.leader.clone());
        if batch.is_empty() {
            return Ok(());
        }
        let began = std::time::Instant::now();
        let (starts, finishes, marks) =
            (batch.start.len(), batch.finish.len(), batch.set_task.len());
        let outcome = match self.store.write(batch.clone()).await {
            Ok(outcome) if !outcome.refused => outcome,
            Ok(_) => {
                self.undo(&batch);
                return Err(SchedulerError::OutOfStep);
            }
            Err(e) => {
                self.undo(&batch);
                return Err(e.into());
            }
        };
        self.deferrals.written();
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
    fn undo(&mut self, batch: &WriteBatch) {
        for q in &batch.queue {
            self.forget_queue(q);
        }
        let tis = batch
            .start
            .iter()
            .map(|s| s.ti)
            .chain(batch.finish.iter().map(|f| f.ti))
            .chain(batch.queue.iter().map(|q| q.ti))
            .chain(batch.defer.iter().map(|d| d.ti))
            .chain(batch.resolve.iter().map(|r| r.ti))
            .chain(batch.end_mapped.iter().map(|e| e.ti))
            .chain(batch.set_task.iter().map(|t| t.ti));
        let runs: Vec<RunPk> = tis.filter_map(|ti| self.runs.run_of(ti)).collect();
        self.outbox.reload_all(runs);
        self.outbox.reload_all(batch.set_run.iter().map(|r| r.run));
        self.deferrals.not_written();
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
