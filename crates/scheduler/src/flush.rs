//! Writing a scheduler step: the one batch of results and decisions, what to do when nothing
//! of it was written, and sending the queued attempts' messages.

use weft_model::TaskState;
use weft_queue::Message;
use weft_store::{QueueTask, RunPk, WriteBatch};

use crate::core::{Scheduler, SchedulerError, slot};
use crate::message::TaskMessage;

impl Scheduler {
    /// Write the step: starts, heartbeats and results, then queue ops, decided states and
    /// run states, in one batch; then send the queued attempts.
    pub(crate) async fn flush(&mut self) -> Result<(), SchedulerError> {
        let batch = WriteBatch {
            start: std::mem::take(&mut self.batch.start),
            heartbeat: std::mem::take(&mut self.batch.heartbeat),
            finish: std::mem::take(&mut self.batch.finish),
            queue: std::mem::take(&mut self.batch.queue),
            set_task: std::mem::take(&mut self.batch.set_task),
            set_run: std::mem::take(&mut self.batch.set_run),
            leader: self.config.leader.clone(),
            all_finishes: true,
        };
        if batch.is_empty() {
            return Ok(());
        }
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
        for (start, applied) in batch.start.iter().zip(&outcome.started) {
            if *applied {
                self.update_ti(start.ti, |ti| {
                    if ti.state == TaskState::Queued {
                        ti.state = TaskState::Running;
                    }
                    ti.started_at = Some(start.at);
                    ti.worker_id = Some(start.worker_id.clone());
                    ti.hostname = Some(start.hostname.clone());
                });
            }
        }
        for ended in batch.set_run.iter().filter(|r| r.state.is_finished()) {
            // No subscriber is fine: nobody is waiting.
            let _ = self.ended.send(ended.run);
        }
        let mut queued = Vec::new();
        for (q, ok) in batch.queue.into_iter().zip(&outcome.queued) {
            if *ok {
                queued.push(q);
            } else {
                // Someone else moved it on: read the run again.
                self.forget_queue(&q);
                if let Some(run) = self.run_of(q.ti) {
                    self.reload.insert(run);
                }
            }
        }
        self.after_queued(&queued).await
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
            .chain(batch.set_task.iter().map(|t| t.ti));
        let runs: Vec<RunPk> = tis.filter_map(|ti| self.run_of(ti)).collect();
        self.reload.extend(runs);
        self.reload.extend(batch.set_run.iter().map(|r| r.run));
        self.wake_at = Some(self.clock.now());
    }

    pub(crate) fn run_of(&self, ti: weft_store::TiPk) -> Option<RunPk> {
        self.index.get(&ti).map(|&(run, _)| run)
    }

    /// Give back the slot a queue op that was not written took. A re-queue of an attempt
    /// already queued took none: its slot stays taken until the run is read again.
    pub(crate) fn forget_queue(&mut self, q: &QueueTask) {
        let Some(&(run, i)) = self.index.get(&q.ti) else {
            return;
        };
        if let Some(active) = self.runs.get(&run)
            && active.tis[i].state != TaskState::Queued
        {
            self.capacity.give(&slot(&active.tis[i]));
        }
    }

    /// Record queued attempts in memory and put their messages on the queues.
    pub(crate) async fn after_queued(
        &mut self,
        queued: &[QueueTask],
    ) -> Result<(), SchedulerError> {
        if queued.is_empty() {
            return Ok(());
        }
        let mut messages = Vec::with_capacity(queued.len());
        let mut encoding = Ok(());
        for q in queued {
            let Some(&(run, i)) = self.index.get(&q.ti) else {
                continue;
            };
            let Some(active) = self.runs.get_mut(&run) else {
                continue;
            };
            active.pending.remove(&i);
            let upstream_outputs = crate::outputs::Outputs::of(active, &active.graph.upstream[i]);
            let ti = &mut active.tis[i];
            ti.state = TaskState::Queued;
            ti.lease = q.lease + 1;
            ti.try_number = q.try_number;
            ti.queued_at = Some(q.at);
            let message = TaskMessage {
                ti: ti.id,
                lease: ti.lease,
                run,
                tenant: active.run.tenant.clone(),
                dag_id: active.run.dag_id.clone(),
                run_id: active.run.run_id.clone(),
                task_id: ti.task_id.clone(),
                try_number: ti.try_number,
                max_tries: ti.max_tries,
                digest: active.run.digest.clone(),
                queue: ti.queue.clone(),
                logical_date: active.run.logical_date,
                data_interval_start: active.run.data_interval_start,
                data_interval_end: active.run.data_interval_end,
                conf: active.run.conf.clone(),
                upstream: active.graph.upstream[i]
                    .iter()
                    .map(|&u| active.graph.ids[u].clone())
                    .collect(),
                upstream_outputs,
            };
            match message.encode() {
                Ok(payload) => messages.push(
                    // Keyed by task instance: a new attempt's message replaces any stale one.
                    Message::new(ti.queue.clone(), payload)
                        .with_priority(ti.priority_weight)
                        .with_key(format!("ti:{}", ti.id)),
                ),
                Err(e) => {
                    encoding = Err(e);
                    break;
                }
            }
        }
        let pushed = match encoding {
            Ok(()) => self
                .queue
                .push(messages)
                .await
                .map_err(SchedulerError::from),
            Err(e) => Err(SchedulerError::from(e)),
        };
        if let Err(e) = pushed {
            // The store says queued but no message went out: queue them again (new lease)
            // on the next step, so nothing is left stuck in queued.
            for q in queued {
                self.batch.queue.push(QueueTask {
                    ti: q.ti,
                    lease: q.lease + 1,
                    from: TaskState::Queued,
                    try_number: q.try_number,
                    at: q.at,
                });
            }
            return Err(e);
        }
        Ok(())
    }
}
