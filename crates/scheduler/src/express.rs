//! Express steps: a tenant's backlog does not slow down another tenant's step.
//!
//! Under a flood of one tenant's tasks, every step carries that tenant's reports (a start and
//! an end per task, about 64 a step) and takes a millisecond or more to write them (several
//! on PostgreSQL). Another tenant's new run, or its task's end, would wait for such a step,
//! and then go in the next one with the flood's next reports. The loop instead splits a
//! pass whose inputs mix both:
//! - the *light* inputs (anything that is not a report, and reports of tenants holding few
//!   slots) go in a step of their own, which queues at most [`EXPRESS_ADMISSIONS`] task
//!   instances (the light tenants' first, by fair share) and marks none `scheduled`;
//! - the *heavy* tenants' reports are held for the step that follows at once.
//!
//! That next pass takes everything held and is not split again, so a heavy tenant's reports
//! wait for one small step at most, however many light inputs come. A pass of reports
//! alone that gathers a flow of them (see [`running`](crate::running)) stops gathering when
//! a light one arrives.

use weft_protocol::Report;

use crate::running::Input;
use crate::step::Scheduler;

/// A tenant holding more slots than this (queued and running task instances), or than half
/// the scheduler's `parallelism` if that is fewer, is heavy.
const HEAVY_SLOTS: usize = 64;
/// Fewer heavy reports than this are not worth a step of their own: the pass is not split.
const MIN_HELD: usize = 16;
/// Most task instances an express step queues: the light tenants' first, by fair share.
pub(crate) const EXPRESS_ADMISSIONS: usize = 16;

/// A pass's inputs, split or not.
pub(crate) struct Split {
    /// The inputs for this pass's step, in the order they came.
    pub take: Vec<Input>,
    /// Heavy reports held for the next pass, in the order they came.
    pub hold: Vec<Input>,
}

impl Split {
    /// Whether the pass was split (its step is an express step).
    pub(crate) fn is_express(&self) -> bool {
        !self.hold.is_empty()
    }
}

/// What a pass's inputs weigh: whether any is light, and how many heavy reports they hold.
#[derive(Default)]
pub(crate) struct Weight {
    light: bool,
    heavy: usize,
}

impl Weight {
    /// Count `input` in.
    pub(crate) fn add(&mut self, scheduler: &Scheduler, input: &Input) {
        match input {
            Input::Reports(reports, _) => {
                for report in reports {
                    if heavy(scheduler, report) {
                        self.heavy += 1;
                    } else {
                        self.light = true;
                    }
                }
            }
            _ => self.light = true,
        }
    }

    /// Whether a pass of these inputs is split into an express step and a held part.
    pub(crate) fn worth_splitting(&self) -> bool {
        self.light && self.heavy >= MIN_HELD
    }
}

/// Whether `report` is about a task of a heavy tenant (one not in memory is light).
fn heavy(scheduler: &Scheduler, report: &Report) -> bool {
    let Some((active, _)) = scheduler.runs.task(report.attempt().ti) else {
        return false;
    };
    let threshold = HEAVY_SLOTS.min(scheduler.config.parallelism / 2);
    scheduler.admission.tenant_slots(&active.run.tenant) > threshold
}

/// Split `inputs` into an express step's and the heavy reports held for the next, when they
/// mix light inputs with at least [`MIN_HELD`] heavy reports; otherwise take them all.
pub(crate) fn split(scheduler: &Scheduler, inputs: Vec<Input>) -> Split {
    let mut weight = Weight::default();
    for input in &inputs {
        weight.add(scheduler, input);
    }
    if !weight.worth_splitting() {
        return Split {
            take: inputs,
            hold: Vec::new(),
        };
    }
    let mut take = Vec::new();
    let mut hold = Vec::new();
    for input in inputs {
        let Input::Reports(reports, written) = input else {
            take.push(input);
            continue;
        };
        let (held, taken): (Vec<Report>, Vec<Report>) =
            reports.into_iter().partition(|r| heavy(scheduler, r));
        // The batch's sender hears once all of it is written: with its held part, which
        // the next step writes.
        match (held.is_empty(), taken.is_empty()) {
            (true, _) => take.push(Input::Reports(taken, written)),
            (false, true) => hold.push(Input::Reports(held, written)),
            (false, false) => {
                take.push(Input::Reports(taken, None));
                hold.push(Input::Reports(held, written));
            }
        }
    }
    Split { take, hold }
}
