//! The watchdog of queued attempts: one queued for longer than
//! [`requeue_unheld_after`](crate::SchedulerConfig::requeue_unheld_after) whose message the
//! queue no longer holds is queued again. Its message was lost without the queue's
//! generation changing (a Redis server evicting keys under memory pressure), or a worker took
//! and acknowledged it while its reports never arrived (a trimmed report stream, a failed
//! write); either way no worker runs it and nothing else would ever look at it again.
//!
//! Queuing again is safe whatever the queue holds: messages are keyed by task instance (the
//! new one replaces any old one) and attempts are fenced by lease (an old attempt's reports
//! are refused). Asking the queue first keeps a message that waits in a long line in its
//! place. One store query per check (queued task instances are indexed by state) and, only
//! when it finds any, one queue call.

use jiff::SignedDuration;
use weft_model::TaskState;
use weft_queue::scope;

use crate::dispatch::message_key;
use crate::error::SchedulerError;
use crate::step::Scheduler;

/// Most task instances looked at in one check; the rest wait for the next.
const CHECK_LIMIT: u32 = 1000;

impl Scheduler {
    /// Queue again the attempts queued since before the bound whose message the queue no
    /// longer holds (each under a new lease). A queue that cannot be asked is left for the
    /// next check.
    pub async fn requeue_unheld(&mut self) -> Result<(), SchedulerError> {
        let now = self.clock.now();
        let bound = SignedDuration::try_from(self.config.requeue_unheld_after)
            .unwrap_or(SignedDuration::MAX);
        let Some(before) = now.checked_sub(bound).ok() else {
            return Ok(());
        };
        let queued = self.store.queued_before(before, CHECK_LIMIT).await?;
        // Those memory holds as queued under the same lease (memory may be a step ahead):
        // each with its message's queue and key.
        let mut waiting = Vec::new();
        let mut keyed = Vec::new();
        for row in queued {
            let Some((active, i)) = self.runs.task(row.id) else {
                continue;
            };
            let ti = &active.tis[i];
            if ti.state != TaskState::Queued || ti.lease != row.lease {
                continue;
            }
            keyed.push((
                scope::scoped(&active.run.tenant, &ti.queue),
                message_key(ti.id),
            ));
            waiting.push((ti.id, ti.lease, ti.try_number));
        }
        if keyed.is_empty() {
            return Ok(());
        }
        let unheld = match self.queue.unheld(&keyed).await {
            Ok(unheld) => unheld,
            Err(e) => {
                tracing::warn!(error = %e, "cannot ask the queue which queued attempts it holds");
                return Ok(());
            }
        };
        for position in unheld {
            let Some(&(ti, lease, try_number)) = waiting.get(position) else {
                continue;
            };
            tracing::warn!(
                ti,
                queued_for = ?self.config.requeue_unheld_after,
                "a queued attempt's message is gone and no worker reported it; queued again"
            );
            self.outbox.requeue(ti, lease, try_number, now);
        }
        Ok(())
    }
}
