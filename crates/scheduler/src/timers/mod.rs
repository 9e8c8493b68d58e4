//! Timers: what falls due at a time rather than on an event — retry delays, lease expiry,
//! scheduled runs (`cron`), run timeouts (`run_timeout`), queued attempts whose message is
//! gone (`unheld`) — and the one wake-up time
//! ([`Wake`]) they fold into, so the loop sleeps until the earliest of them.

mod cron;
mod run_timeout;
mod unheld;

pub(crate) use cron::Schedules;

use jiff::Timestamp;
use weft_model::TaskState;
use weft_store::RunPk;

use crate::error::SchedulerError;
use crate::retry;
use crate::step::Scheduler;

/// The earliest time a step is due without any report; none when nothing waits on time.
#[derive(Debug, Default)]
pub(crate) struct Wake(Option<Timestamp>);

impl Wake {
    /// When the next step is due.
    pub(crate) fn at(&self) -> Option<Timestamp> {
        self.0
    }

    /// Be due at `at` at the latest.
    pub(crate) fn no_later_than(&mut self, at: Timestamp) {
        self.0 = Some(self.0.map_or(at, |w| w.min(at)));
    }

    /// Be due at once (at `now`), whatever was due later.
    pub(crate) fn at_once(&mut self, now: Timestamp) {
        self.0 = Some(now);
    }

    /// Whether the wake time has passed at `now`; if so it is spent (the step that sees it
    /// due sets the next one).
    pub(crate) fn take_if_due(&mut self, now: Timestamp) -> bool {
        let due = self.0.is_some_and(|at| at <= now);
        if due {
            self.0 = None;
        }
        due
    }
}

impl Scheduler {
    /// Count attempts whose lease ended (their worker stopped heartbeating) as lost; they are
    /// retried like any failure.
    pub async fn expire_leases(&mut self) -> Result<(), SchedulerError> {
        let now = self.clock.now();
        for ti in self.store.expired_leases(now, 1000).await? {
            let Some((active, i)) = self.runs.task(ti.id) else {
                continue;
            };
            tracing::warn!(ti = ti.id, task = %ti.task_id, worker = ?ti.worker_id, "lease expired; the attempt is lost");
            self.outbox
                .finish(retry::lost_attempt(active.task(i), &ti, &active.run, now));
        }
        Ok(())
    }

    /// Task instances waiting to retry or to poke again whose delay has ended become ready,
    /// and waits whose time or timeout came end (ones still waiting set the next wake-up).
    pub(crate) fn retry_due(&mut self, now: Timestamp) {
        let due: Vec<(RunPk, usize)> = self
            .runs
            .iter()
            .flat_map(|(id, r)| {
                r.tis
                    .iter()
                    .enumerate()
                    .filter(|(_, ti)| {
                        matches!(
                            ti.state,
                            TaskState::UpForRetry
                                | TaskState::UpForReschedule
                                | TaskState::Deferred
                        )
                    })
                    .map(move |(i, _)| (id, i))
            })
            .collect();
        for (run, i) in due {
            if let Some(active) = self.runs.get_mut(run) {
                if active.tis[i].state == TaskState::Deferred {
                    self.wait_due(run, i, now);
                    continue;
                }
                let evaluation = active.evaluate(vec![i], now);
                self.absorb(run, evaluation, now);
            }
        }
    }
}
