//! Taking worker reports into a step: starts and heartbeats pass through to the batch;
//! results become the task instance's next state (Airflow's retry rules), are screened
//! against memory (stale attempts are rejected here, as the store would), and make their
//! downstream tasks ready in the same step.

use std::collections::HashSet;

use jiff::Timestamp;
use weft_model::message::storable;
use weft_model::{TaskKind, TaskState, TaskStateClass, branch_choice};
use weft_store::FinishTask;

use crate::step::Scheduler;
use crate::{notify, retry};
use weft_protocol::{AttemptOutcome, Report};

impl Scheduler {
    /// Take `reports` into the step and apply the results memory accepts, with what follows
    /// them (downstream tasks decided or made ready, retries timed).
    pub(crate) fn take_reports(&mut self, reports: Vec<Report>, now: Timestamp) {
        let mut refused = 0usize;
        for report in reports {
            if self.authentic(&report) {
                self.take_report(report);
            } else {
                refused += 1;
            }
        }
        if refused > 0 {
            // One line per batch: whoever floods the stream with forgeries floods no log.
            tracing::warn!(
                refused,
                "reports refused: they do not carry their attempts' keys (forged, or sent by a \
                 worker given another WEFT_SECRET_KEY's attempts)"
            );
        }
        let finishes = self.screen_finishes();
        // A start reported with its attempt's result is written by the result (which carries
        // the start time): one change of the task instance instead of two.
        self.outbox.drop_starts_ended_by(&finishes);
        for finish in &finishes {
            self.apply_finish(finish, now);
        }
        self.assets.forget_extras();
        self.outbox.put_finishes(finishes);
    }

    /// Whether `report` carries the key of the attempt it names, when attempts have keys. A
    /// report that does not is refused whole: it was not sent by a worker that was handed the
    /// attempt (a forgery with a guessed lease, or a worker of another installation).
    fn authentic(&self, report: &Report) -> bool {
        let Some(keys) = &self.config.attempt_keys else {
            return true;
        };
        let attempt = report.attempt();
        let authentic = attempt
            .key
            .is_some_and(|key| keys.check(attempt.ti, attempt.lease, &key));
        if !authentic {
            tracing::debug!(
                ti = attempt.ti,
                lease = attempt.lease,
                kind = report.kind(),
                keyed = attempt.key.is_some(),
                "report refused: it does not carry its attempt's key"
            );
        }
        authentic
    }

    /// Put one report in the outbox; a result becomes the change that records it.
    fn take_report(&mut self, report: Report) {
        match report {
            Report::Started(start) => {
                let mut start: weft_store::StartTask = start.into();
                // Stored as text, like a result's words (see `retry::finish_for`).
                start.worker_id = storable(start.worker_id);
                start.hostname = storable(start.hostname);
                self.outbox.start(start);
            }
            Report::Heartbeat(beat) => self.outbox.heartbeat(beat.into()),
            Report::Finished(mut result) => {
                let Some((active, i)) = self.runs.task(result.ti) else {
                    // Not an active run: the result is stale.
                    tracing::debug!(
                        ti = result.ti,
                        "result for a task instance that is not active"
                    );
                    return;
                };
                if let AttemptOutcome::Success { asset_extras, .. } = &mut result.outcome {
                    let extras = std::mem::take(asset_extras);
                    self.assets.keep_extras(result.ti, result.lease, extras);
                }
                let task = active.task(i);
                self.outbox.finish(retry::finish_for(
                    task,
                    &active.tis[i],
                    &active.run,
                    *result,
                ));
            }
        }
    }

    /// The finishes the store will take: the attempt is still going under the lease the
    /// result names, and no earlier finish of this step ended it. The rest are stale.
    fn screen_finishes(&mut self) -> Vec<FinishTask> {
        let mut ended = HashSet::new();
        let mut taken = Vec::new();
        for finish in self.outbox.take_finishes() {
            let current = self
                .runs
                .task(finish.ti)
                .and_then(|(active, i)| active.tis.get(i));
            let live = current.is_some_and(|ti| {
                ti.lease == finish.lease && ti.state.is(TaskStateClass::InFlight)
            });
            if live && ended.insert(finish.ti) {
                taken.push(finish);
            } else {
                // At warn, the default level: an operator must see that a worker cut off
                // from the control plane (its lease given to another attempt) lost a result.
                tracing::warn!(
                    ti = finish.ti,
                    lease = finish.lease,
                    "stale attempt result rejected"
                );
            }
        }
        taken
    }

    /// Record an applied finish in memory and decide what follows it.
    fn apply_finish(&mut self, finish: &FinishTask, now: Timestamp) {
        let Some((run_id, i)) = self.runs.locate(finish.ti) else {
            return;
        };
        let Some(active) = self.runs.get_mut(run_id) else {
            return;
        };
        self.admission.release(&active.tis[i]);
        let task = active.task(i);
        let ti = &active.tis[i];
        let notifications =
            notify::of_finish(task, &active.run, ti.try_number, ti.map_index, finish);
        self.outbox.notify(notifications);
        if finish.state == TaskState::Success && !task.outlets.is_empty() {
            let extras = self.assets.take_extras(finish.ti, finish.lease);
            let events = Scheduler::outlet_events(active, i, finish.ti, now, extras);
            self.outbox.asset_events(events);
        }
        active.record_finish(i, finish);
        let task = active.task(i);
        let followed = match (&task.kind, finish.state, finish.output.as_deref()) {
            (TaskKind::Branch, TaskState::Success, Some(output)) => {
                branch_choice(&task.id, output, &task.downstream).ok()
            }
            _ => None,
        };
        // An instance of a mapped task is not the task: waits hear of the task when its
        // last instance ends.
        if !active.is_instance(i) {
            self.deferrals
                .task_ended(&active.run, &task.id, finish.state);
        }
        let evaluation = if matches!(
            finish.state,
            TaskState::UpForRetry | TaskState::UpForReschedule | TaskState::Deferred
        ) {
            active.evaluate(vec![i], now)
        } else if let Some(followed) = followed {
            active.branch_finished(i, &followed, now)
        } else {
            active.evaluate_downstream(i, now)
        };
        self.absorb(run_id, evaluation, now);
        if finish.state == TaskState::Deferred {
            self.watch_wait(run_id, i);
        }
    }
}
