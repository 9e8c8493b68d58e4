//! Express steps: a tenant's backlog does not slow down another tenant's step.
//!
//! Under a flood of one tenant's tasks, every step carries that tenant's reports (a start and
//! an end per task, about 64 a step) and takes a millisecond or more to write them (several
//! on PostgreSQL). Another tenant's new run, or its task's end, would wait for such a step,
//! and then go in the next one with the flood's next reports. The loop instead splits a
//! pass whose inputs mix both:
//! - the *light* inputs (reports of tenants holding few slots, new runs, commands, notices)
//!   go in a step of their own, which queues at most [`EXPRESS_ADMISSIONS`] task instances
//!   (the light tenants' first, by fair share) and marks none `scheduled`;
//! - the *heavy* work is held for the step that follows at once: the reports of tenants
//!   holding many slots, and big runs ([`BIG_RUN`] task instances or more) that were built
//!   away from the loop (`run_builds`; the step after taking one up queues its first
//!   tasks), with any later input naming a held run or a new run of the same DAG, so that
//!   each still comes after it.
//!
//! A pass is split only when it holds at least [`MIN_HELD`] of heavy work and the express
//! step can move something on: a light report, a command or notice, or a new run loaded at
//! once while a slot is free (with every slot taken, the new run's task waits for the
//! results held). Reports of runs not in memory are neither (they are refused or passed
//! over, cheaply), nor are new runs handed over to be built.
//! The next pass takes everything held and is not split again, so heavy work waits for one
//! small step at most, however many light inputs come; the timers that went off run with
//! it. (A step beside a batch in flight is another matter: see [`flight`](crate::flight).) A pass of reports alone that gathers a flow of them (see [`running`](crate::running))
//! stops gathering when a light one arrives.

use std::collections::HashSet;

use weft_protocol::Report;
use weft_store::RunPk;

use crate::run_builds::{self, BIG_RUN};
use crate::running::Input;
use crate::step::Scheduler;

/// A tenant holding more slots than this (queued and running task instances), or than half
/// the scheduler's `parallelism` if that is fewer, is heavy.
const HEAVY_SLOTS: usize = 64;
/// Less heavy work than this (reports, and task instances of big runs built) is not worth a
/// step of its own: the pass is not split.
const MIN_HELD: usize = 16;
/// Most task instances an express step queues: the light tenants' first, by fair share.
pub(crate) const EXPRESS_ADMISSIONS: usize = 16;

/// How much a step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pace {
    /// Everything due, up to `max_tis_per_step` queued.
    Full,
    /// An express step: at most [`EXPRESS_ADMISSIONS`] queued, no task marked `scheduled`.
    Express,
    /// An express step beside a batch in flight ([`flight`](crate::flight)): only tenants
    /// the batch does not touch, and no run read from the store.
    Overlapped,
}

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

/// What a pass's inputs weigh: what light inputs they hold, and how much heavy work.
#[derive(Default)]
pub(crate) struct Weight {
    /// A report of a light tenant.
    light_report: bool,
    /// A command, a notice or a run read: an express step carries it out.
    light_other: bool,
    /// A new run the loop loads at once.
    new_run: bool,
    /// Heavy tenants' reports, and the task instances of big runs built.
    heavy: usize,
}

impl Weight {
    /// Count `input` in.
    pub(crate) fn add(&mut self, scheduler: &Scheduler, input: &Input) {
        self.add_classified(scheduler, input, &classify(scheduler, input));
    }

    /// Count `input` in, its reports classified as [`classify`] does.
    fn add_classified(&mut self, scheduler: &Scheduler, input: &Input, classes: &[Option<bool>]) {
        match input {
            Input::Reports(..) => {
                for class in classes {
                    match class {
                        Some(true) => self.heavy += 1,
                        Some(false) => self.light_report = true,
                        None => {}
                    }
                }
            }
            Input::Created(..) | Input::CreatedFromDag(_) => {
                self.new_run |= loaded_at_once(scheduler, input);
            }
            _ if stale_build(scheduler, input) => {}
            _ => match big_built(scheduler, input) {
                Some(tis) => self.heavy = self.heavy.saturating_add(tis),
                None => self.light_other = true,
            },
        }
    }

    /// Whether a pass of these inputs is worth an express step and a held part.
    pub(crate) fn worth_splitting(&self, scheduler: &Scheduler) -> bool {
        self.heavy >= MIN_HELD
            && (self.light_report
                || self.light_other
                || (self.new_run && scheduler.admission.has_free_slot(&scheduler.config)))
    }
}

/// Each report of `input`, in order: of a heavy tenant, of a light one, or of a task not in
/// memory (none); empty for an input that is not reports.
fn classify(scheduler: &Scheduler, input: &Input) -> Vec<Option<bool>> {
    match input {
        Input::Reports(reports, _) => reports.iter().map(|r| heavy(scheduler, r)).collect(),
        _ => Vec::new(),
    }
}

/// Whether `report` is about a task of a heavy tenant; none for a task not in memory.
fn heavy(scheduler: &Scheduler, report: &Report) -> Option<bool> {
    let (active, _) = scheduler.runs.task(report.attempt().ti)?;
    let light_at_most = HEAVY_SLOTS.min(scheduler.config.parallelism / 2);
    Some(scheduler.admission.tenant_slots(&active.run.tenant) > light_at_most)
}

/// The task instances of the run `input` brings when it is a big run built away from the
/// loop and still the latest word on it: taking it up costs the loop half a millisecond, and
/// the step after queues its first tasks.
fn big_built(scheduler: &Scheduler, input: &Input) -> Option<usize> {
    let Input::Read(read) = input else {
        return None;
    };
    let tis = read.answer.built()?.active.tis.len();
    (tis >= BIG_RUN && scheduler.reads.is_current(read)).then_some(tis)
}

/// Whether `input` brings a run built that is no longer the latest word on it: the loop
/// only frees it, away from the loop, so it weighs nothing.
fn stale_build(scheduler: &Scheduler, input: &Input) -> bool {
    matches!(input, Input::Read(read) if read.answer.built().is_some() && !scheduler.reads.is_current(read))
}

/// Whether `input` is a new run that the loop loads at once when it takes it: one not yet
/// in memory that is not handed over to be built ([`run_builds`](crate::run_builds)).
pub(crate) fn loaded_at_once(scheduler: &Scheduler, input: &Input) -> bool {
    let (run, tis, tenant, dag_id) = match input {
        Input::Created(run, tis) => (run.id, tis.len(), &run.tenant, &run.dag_id),
        Input::CreatedFromDag(created) => (
            created.run.id,
            run_builds::carried(created),
            &created.run.tenant,
            &created.run.dag_id,
        ),
        _ => return false,
    };
    tis < BIG_RUN && !scheduler.holds_run(run) && !scheduler.reads.building(tenant, dag_id)
}

/// The DAG of the run `input` creates or brings built, if it does: (tenant, DAG id).
fn run_dag(input: &Input) -> Option<(String, String)> {
    match input {
        Input::Created(run, _) => Some((run.tenant.clone(), run.dag_id.clone())),
        Input::CreatedFromDag(created) => {
            Some((created.run.tenant.clone(), created.run.dag_id.clone()))
        }
        Input::Read(read) => {
            let run = &read.answer.built()?.active.run;
            Some((run.tenant.clone(), run.dag_id.clone()))
        }
        _ => None,
    }
}

/// Where an input of a split pass goes.
enum Place {
    /// Into the express step.
    Take,
    /// Into the next step.
    Hold,
    /// A report batch whose heavy reports are held and the rest taken.
    Divide,
}

/// Split `inputs` into an express step's and the heavy work held for the next, when a step
/// of the light part moves something on ahead of at least [`MIN_HELD`] of heavy work;
/// otherwise take them all.
pub(crate) fn split(scheduler: &Scheduler, inputs: Vec<Input>) -> Split {
    // Each report is classified once, for the weight, the places and the division.
    let classes: Vec<Vec<Option<bool>>> = inputs.iter().map(|i| classify(scheduler, i)).collect();
    let mut weight = Weight::default();
    for (input, classes) in inputs.iter().zip(&classes) {
        weight.add_classified(scheduler, input, classes);
    }
    if !weight.worth_splitting(scheduler) {
        return Split {
            take: inputs,
            hold: Vec::new(),
        };
    }
    // Where each input goes; held new runs and their DAGs, for what names them later.
    let mut places = Vec::with_capacity(inputs.len());
    let mut held_runs: HashSet<RunPk> = HashSet::new();
    let mut held_dags: HashSet<(String, String)> = HashSet::new();
    let mut moves_on = false;
    for (input, classes) in inputs.iter().zip(&classes) {
        let place = match input {
            Input::Reports(..) => match classes.iter().filter(|c| **c == Some(true)).count() {
                0 => Place::Take,
                n if n == classes.len() => Place::Hold,
                _ => Place::Divide,
            },
            other => {
                let run = other.names_run();
                let dag = run_dag(other);
                let after_held = run.is_some_and(|r| held_runs.contains(&r))
                    || dag.as_ref().is_some_and(|d| held_dags.contains(d));
                if big_built(scheduler, other).is_some() || after_held {
                    held_runs.extend(run);
                    held_dags.extend(dag);
                    Place::Hold
                } else {
                    Place::Take
                }
            }
        };
        moves_on |= match (&place, input) {
            (Place::Hold, _) => false,
            (_, Input::Reports(..)) => classes.contains(&Some(false)),
            (_, Input::Created(..) | Input::CreatedFromDag(_)) => {
                loaded_at_once(scheduler, input)
                    && scheduler.admission.has_free_slot(&scheduler.config)
            }
            (_, input) if stale_build(scheduler, input) => false,
            _ => true,
        };
        places.push(place);
    }
    // Inputs naming held runs may leave nothing that moves on: then nothing is held.
    if !moves_on {
        return Split {
            take: inputs,
            hold: Vec::new(),
        };
    }
    let mut take = Vec::new();
    let mut hold = Vec::new();
    for ((input, place), classes) in inputs.into_iter().zip(places).zip(classes) {
        match (place, input) {
            (Place::Take, input) => take.push(input),
            (Place::Hold, input) => hold.push(input),
            (Place::Divide, Input::Reports(reports, written)) => {
                let (held, taken): (Vec<_>, Vec<_>) = reports
                    .into_iter()
                    .zip(classes)
                    .partition(|(_, class)| *class == Some(true));
                // The batch's sender hears once all of it is written: with its held part,
                // which the next step writes.
                take.push(Input::Reports(
                    taken.into_iter().map(|(r, _)| r).collect(),
                    None,
                ));
                hold.push(Input::Reports(
                    held.into_iter().map(|(r, _)| r).collect(),
                    written,
                ));
            }
            (Place::Divide, input) => take.push(input),
        }
    }
    Split { take, hold }
}
