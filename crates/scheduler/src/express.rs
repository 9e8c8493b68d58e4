//! Express steps: a tenant's backlog does not slow down another tenant's step.
//!
//! Under a flood of one tenant's tasks, every step carries that tenant's reports (a start and
//! an end per task, about 64 a step) and takes a millisecond or more to write them (several
//! on PostgreSQL). Another tenant's new run, or its task's end, would wait for such a step,
//! and then go in the next one with the flood's next reports. The loop instead splits a
//! pass whose inputs mix both:
//! - the *light* inputs (reports of tenants holding few slots, new small runs, commands,
//!   notices) go in a step of their own, which queues at most [`EXPRESS_ADMISSIONS`] task
//!   instances (the light tenants' first, by fair share) and marks none `scheduled`;
//! - the *heavy* work is held for the step that follows at once: the reports of tenants
//!   holding many slots, and new big runs (loading 10,000 task instances takes the loop
//!   milliseconds), with any later input naming a held run, so that it still comes after.
//!
//! That next pass takes everything held and is not split again, so heavy work waits for one
//! small step at most, however many light inputs come. A pass of reports
//! alone that gathers a flow of them (see [`running`](crate::running)) stops gathering when
//! a light one arrives.

use std::collections::HashSet;

use weft_protocol::Report;

use crate::running::Input;
use crate::step::Scheduler;

/// A tenant holding more slots than this (queued and running task instances), or than half
/// the scheduler's `parallelism` if that is fewer, is heavy.
const HEAVY_SLOTS: usize = 64;
/// Less heavy work than this (reports, and task instances of new big runs) is not worth a
/// step of its own: the pass is not split.
const MIN_HELD: usize = 16;
/// Most task instances an express step queues: the light tenants' first, by fair share.
pub(crate) const EXPRESS_ADMISSIONS: usize = 16;

/// A pass's inputs, split or not.
pub(crate) struct Split {
    /// The inputs for this pass's step, in the order they came.
    pub take: Vec<Input>,
    /// Heavy work held for the next pass, in the order it came.
    pub hold: Vec<Input>,
}

impl Split {
    /// Whether the pass was split (its step is an express step).
    pub(crate) fn is_express(&self) -> bool {
        !self.hold.is_empty()
    }
}

/// What a pass's inputs weigh: whether any is light, and how much heavy work they hold.
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
            other => match big_run(scheduler, other) {
                Some(tis) => self.heavy += tis,
                None => self.light = true,
            },
        }
    }

    /// Whether a pass of these inputs is split into an express step and a held part.
    pub(crate) fn worth_splitting(&self) -> bool {
        self.light && self.heavy >= MIN_HELD
    }
}

/// Most slots a light tenant holds, and most task instances of a light new run.
fn light_at_most(scheduler: &Scheduler) -> usize {
    HEAVY_SLOTS.min(scheduler.config.parallelism / 2)
}

/// Whether `report` is about a task of a heavy tenant (one not in memory is light).
fn heavy(scheduler: &Scheduler, report: &Report) -> bool {
    let Some((active, _)) = scheduler.runs.task(report.attempt().ti) else {
        return false;
    };
    scheduler.admission.tenant_slots(&active.run.tenant) > light_at_most(scheduler)
}

/// The task instances of a new run too big to be light, if `input` is one.
fn big_run(scheduler: &Scheduler, input: &Input) -> Option<usize> {
    let tis = match input {
        Input::Created(_, tis) => tis.len(),
        Input::CreatedFromDag(created) => created
            .ids
            .iter()
            .map(|range| usize::try_from(range.1).unwrap_or(usize::MAX))
            .fold(0, usize::saturating_add),
        _ => return None,
    };
    (tis > light_at_most(scheduler)).then_some(tis)
}

/// Split `inputs` into an express step's and the heavy work held for the next, when they mix
/// light inputs with at least [`MIN_HELD`] of heavy work; otherwise take them all.
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
    // Runs whose new-run input is held: what names them later is held too.
    let mut held_runs = HashSet::new();
    for input in inputs {
        let Input::Reports(reports, written) = input else {
            let run = input.names_run();
            if big_run(scheduler, &input).is_some() || run.is_some_and(|r| held_runs.contains(&r)) {
                held_runs.extend(run);
                hold.push(input);
            } else {
                take.push(input);
            }
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
