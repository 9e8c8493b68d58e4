//! Admission: which ready task instances are queued (which queued runs start is
//! `run_starts`'s), under the limits — global `parallelism`, each DAG's `max_active_tasks`, each
//! pool's slots, each task's `max_active_tis` — and a paused DAG holding its runs back. [`Admission`] owns the ready task
//! instances waiting for a slot and the count of slots taken. Tenants share `parallelism`
//! fairly ([`fair_share`](crate::fair_share)): each is served up to its share before the
//! slots left over go to whoever has ready tasks; none past its own quotas of running tasks
//! and active runs.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ops::Bound;

use jiff::Timestamp;
use weft_model::{Dag, DagRunState, TaskKind, TaskState};
use weft_store::{QueueTask, RunPk, TaskInstance};

use crate::active_run::ActiveRun;
use crate::active_runs::{ActiveRuns, FastMap};
use crate::capacity::{Capacity, Slot};
use crate::config::SchedulerConfig;
use crate::dags::Dags;
use crate::express::{EXPRESS_ADMISSIONS, Pace};
use crate::fair_share::{self, Claim};
use crate::outbox::Outbox;
use crate::step::Scheduler;

/// A ready task instance waiting for a slot: highest priority first, then oldest run, then
/// topological order.
type ReadyKey = (std::cmp::Reverse<i32>, i64, RunPk, usize);

/// Ready task instances in the order they get slots, and the slots taken.
#[derive(Default)]
pub(crate) struct Admission {
    /// Task instances whose dependencies are met, waiting to be queued, by tenant, each
    /// tenant's in admission order.
    ready: BTreeMap<String, BTreeSet<ReadyKey>>,
    /// Ready tasks that take no slot (wait tasks to start, mapped tasks to expand), apart:
    /// a full scheduler, which stops walking `ready` early, still starts them.
    slotless: BTreeSet<ReadyKey>,
    /// Slots taken by queued and running task instances, and each pool's size.
    slots: Capacity,
    /// How much each tenant has been served, for fair turns ([`fair_share`]).
    passes: HashMap<String, u64>,
    /// The last admission stopped at the scheduler's `max_tis_per_step` with ready tasks
    /// it did not look at: the next step is due at once.
    capped: bool,
    /// When a step last marked ready tasks `scheduled` (see [`MARKS_EVERY`]).
    marked_at: Option<Timestamp>,
    /// When a step is due to mark the waiting tasks the last admission left unmarked; none
    /// when it left none. A wake of its own, apart from the retries' (whose wake scans every
    /// task instance held).
    marks_wake: Option<Timestamp>,
    /// Slots given back since the last batch was taken (see [`take_freed`](Self::take_freed)).
    released: usize,
    /// Slots admission took since the last batch was taken.
    admitted: usize,
}

impl Admission {
    /// Whether a task instance could still be queued under `parallelism`.
    pub(crate) fn has_free_slot(&self, config: &SchedulerConfig) -> bool {
        self.slots.total() < config.parallelism
    }

    /// Slots held by `tenant`'s queued and running task instances.
    pub(crate) fn tenant_slots(&self, tenant: &str) -> usize {
        self.slots.tenant_count(tenant)
    }

    /// Task `i` of run `run` is ready: queue it when its turn comes and a slot allows.
    pub(crate) fn make_ready(&mut self, run: RunPk, active: &ActiveRun, i: usize) {
        let key = (
            std::cmp::Reverse(active.tis[i].priority_weight),
            active.run.queued_at.as_microsecond(),
            run,
            i,
        );
        if slotless(active, i).is_some() {
            self.slotless.insert(key);
        } else if let Some(ready) = self.ready.get_mut(&active.run.tenant) {
            ready.insert(key);
        } else {
            self.ready
                .insert(active.run.tenant.clone(), BTreeSet::from([key]));
        }
    }

    /// Whether the last admission's per-step cap left ready tasks to queue.
    pub(crate) fn capped(&self) -> bool {
        self.capped
    }

    /// When a step is due to mark waiting tasks left unmarked, if any were.
    pub(crate) fn marks_wake(&self) -> Option<Timestamp> {
        self.marks_wake
    }

    /// When a step may next mark ready tasks `scheduled` even though it has other writes:
    /// [`MARKS_EVERY`] after the last marks (now, if none were ever made).
    fn marks_due_at(&self, now: Timestamp) -> Timestamp {
        self.marked_at
            .and_then(|at| at.checked_add(MARKS_EVERY).ok())
            .unwrap_or(now)
    }

    /// Whether a step with `outbox` to write makes marks at `now`: when it has nothing else
    /// to write, or [`MARKS_EVERY`] after the last marks.
    fn marks_due(&self, outbox: &Outbox, now: Timestamp) -> bool {
        outbox.is_empty() || self.marks_due_at(now) <= now
    }

    /// Forget the ready task instances of run `run` (it left memory).
    pub(crate) fn drop_run(&mut self, run: RunPk) {
        for ready in self.ready.values_mut() {
            ready.retain(|(_, _, r, _)| *r != run);
        }
        self.slotless.retain(|(_, _, r, _)| *r != run);
    }

    /// Take the ready wait tasks and mapped tasks of runs that may run now (running, DAG not
    /// paused), into `waits` and `expand`; the rest stay.
    fn take_slotless(
        &mut self,
        runs: &ActiveRuns,
        dags: &Dags,
        apart: Option<&HashSet<String>>,
        waits: &mut Vec<TaskAt>,
        expand: &mut Vec<TaskAt>,
    ) {
        self.slotless.retain(|&(_, _, run, i)| {
            let Some(active) = runs.get(run) else {
                return false;
            };
            if apart.is_some_and(|a| a.contains(&active.run.tenant)) {
                return true;
            }
            if !active.pending.contains(&i) {
                return false;
            }
            let may_run = active.run.state == DagRunState::Running
                && !dags.paused(&active.run.tenant, &active.run.dag_id);
            match slotless(active, i) {
                Some(_) if !may_run => true,
                Some(Slotless::Wait) => {
                    waits.push((run, i));
                    false
                }
                Some(Slotless::Expand) => {
                    expand.push((run, i));
                    false
                }
                None => false,
            }
        });
    }

    /// Count task instance `ti` (queued or running) as holding its slots. A mapped task's
    /// own task instance holds none: its instances do.
    pub(crate) fn hold(&mut self, ti: &TaskInstance) {
        if ti.map_count.is_none() {
            self.slots.take(&slot(ti));
        }
    }

    /// Give back the slots task instance `ti` held.
    pub(crate) fn release(&mut self, ti: &TaskInstance) {
        if ti.map_count.is_none() {
            self.released += 1;
        }
        self.release_uncounted(ti);
    }

    /// Give back the slots task instance `ti` held, not as a step's decision (a run read
    /// again, whose slots are taken again as it is): not counted as freed by a batch.
    pub(crate) fn release_uncounted(&mut self, ti: &TaskInstance) {
        if ti.map_count.is_none() {
            self.slots.give(&slot(ti));
        }
    }

    /// The slots the batch being taken frees on the whole: those given back since the last
    /// batch, less those admission took. Were that batch not written, its runs read again
    /// would take them back (and its queue ops give theirs up). Counts start again.
    pub(crate) fn take_freed(&mut self) -> usize {
        let freed = self.released.saturating_sub(self.admitted);
        self.released = 0;
        self.admitted = 0;
        freed
    }

    /// Set every pool of `tenant` with its size: a pool not among them has no slots.
    pub(crate) fn set_pools<'a>(
        &mut self,
        tenant: &str,
        pools: impl IntoIterator<Item = (&'a str, i64)>,
    ) {
        self.slots.set_pools(tenant, pools);
    }

    /// Queue ready task instances in order while slots and the step's cap allow, into
    /// `outbox`, each tenant up to its fair share first, then anyone with slots left over,
    /// the least served first; the ready task instances of running runs left waiting for a
    /// slot (as many as the step may mark), and the wait tasks to start and the mapped tasks
    /// to expand (neither takes a slot). An `express` step's admission queues at most
    /// [`EXPRESS_ADMISSIONS`] and marks none.
    fn queue_ready(
        &mut self,
        runs: &ActiveRuns,
        dags: &Dags,
        config: &SchedulerConfig,
        outbox: &mut Outbox,
        now: Timestamp,
        how: How<'_>,
    ) -> Admitted {
        let How {
            express,
            apart,
            parallelism,
        } = how;
        let is_apart = |tenant: &str| apart.is_some_and(|a| a.contains(tenant));
        let mut waits = Vec::new();
        let mut expand = Vec::new();
        self.take_slotless(runs, dags, apart, &mut waits, &mut expand);
        // A step that will not mark (it has other writes, and marks were made lately) needs
        // to learn only whether a task waits unmarked, to come back for it.
        let marks_due = !express && self.marks_due(outbox, now);
        let per_step = if express {
            EXPRESS_ADMISSIONS.min(per_step(config))
        } else {
            per_step(config)
        };
        let mut walk = Walk {
            runs,
            dags,
            config,
            outbox,
            now,
            parallelism,
            left: per_step,
            marks_left: if marks_due { marks_per_step(config) } else { 1 },
            capped: false,
            marks_capped: false,
            may_run: FastMap::default(),
            full: FastMap::default(),
            waiting: Vec::new(),
        };
        let slots = &mut self.slots;
        let passes = &mut self.passes;
        let mut tenants: Vec<(&String, &mut BTreeSet<ReadyKey>)> = self
            .ready
            .iter_mut()
            .filter(|(_, ready)| !ready.is_empty())
            .collect();
        // What each tenant may still have queued or running, under its `max_running_tasks`.
        let mut room: Vec<Option<usize>> = tenants
            .iter()
            .map(|(tenant, _)| {
                dags.quotas(tenant).max_running_tasks.map(|max| {
                    usize::try_from(max)
                        .unwrap_or(usize::MAX)
                        .saturating_sub(slots.tenant_count(tenant))
                })
            })
            .collect();
        if let [(tenant, ready)] = tenants.as_mut_slice() {
            // One tenant: no share to keep, one walk.
            if room[0] != Some(0) && !is_apart(tenant) {
                walk_ready(ready, slots, None, room[0], &mut walk);
            }
        } else if !tenants.is_empty() {
            // A tenant not served before starts level with the least served of the others.
            let floor = tenants
                .iter()
                .filter_map(|(tenant, _)| passes.get(tenant.as_str()).copied())
                .min()
                .unwrap_or(0);
            let mut claims: Vec<Claim> = tenants
                .iter()
                .map(|(tenant, _)| Claim {
                    weight: dags.weight(tenant),
                    held: slots.tenant_count(tenant),
                    pass: passes.get(tenant.as_str()).copied().unwrap_or(floor),
                })
                .collect();
            // Up to each tenant's share; where a tenant's walk stopped for its budget, the
            // slots left over pick it up.
            let mut stopped: Vec<Option<Option<ReadyKey>>> = vec![Some(None); tenants.len()];
            for (i, budget) in fair_share::budgets(&claims, parallelism) {
                let budget = room[i].map_or(budget, |room| budget.min(room));
                if budget == 0 || is_apart(tenants[i].0) {
                    continue;
                }
                let (admitted, stop) =
                    walk_ready(tenants[i].1, slots, None, Some(budget), &mut walk);
                claims[i].pass += Claim::advance(claims[i].weight, admitted);
                if let Some(room) = &mut room[i] {
                    *room -= admitted;
                }
                // Walked to its end (or to a full scheduler): nothing left for it.
                stopped[i] = stop.map(Some);
            }
            let mut order: Vec<usize> = (0..tenants.len()).collect();
            order.sort_by_key(|&i| (claims[i].pass, i));
            // Beside a batch in flight, the slots left over wait for its tenants too; a tenant
            // stopped at its share then waits for the full step after the landing, due at once.
            if apart.is_some() {
                if stopped.iter().any(|s| matches!(s, Some(Some(_)))) {
                    walk.capped = true;
                }
                order.clear();
            }
            for i in order {
                let Some(from) = stopped[i] else {
                    continue;
                };
                // At its own quota: it waits for its own tasks to end.
                if room[i] == Some(0) {
                    continue;
                }
                let (admitted, _) = walk_ready(tenants[i].1, slots, from, room[i], &mut walk);
                claims[i].pass += Claim::advance(claims[i].weight, admitted);
            }
            for ((tenant, _), claim) in tenants.iter().zip(&claims) {
                match passes.get_mut(tenant.as_str()) {
                    Some(pass) => *pass = claim.pass,
                    None => {
                        passes.insert((*tenant).clone(), claim.pass);
                    }
                }
            }
        }
        // Beside a batch in flight, its tenants' tasks were not looked at: what the last
        // full step left capped stays so.
        self.admitted += per_step - walk.left;
        self.capped = walk.capped || (apart.is_some() && self.capped);
        Admitted {
            waiting: walk.waiting,
            marks_capped: walk.marks_capped,
            waits,
            expand,
        }
    }
}

/// Walk `ready` in order from `from` (the start if none), queueing those tasks slots allow
/// (at most `budget`, if given, and at most what the step has left) and noting those of
/// running runs left waiting for a slot (as many as the step may mark): how many it queued,
/// and the first task it did not look at when it stopped for its budget or the step's cap.
fn walk_ready<'a>(
    ready: &mut BTreeSet<ReadyKey>,
    slots: &mut Capacity,
    from: Option<ReadyKey>,
    budget: Option<usize>,
    walk: &mut Walk<'a>,
) -> (usize, Option<ReadyKey>) {
    let Walk {
        runs,
        dags,
        config,
        ref mut outbox,
        now,
        parallelism,
        ref mut left,
        ref mut marks_left,
        ref mut capped,
        ref mut marks_capped,
        ref mut may_run,
        ref mut full,
        ref mut waiting,
    } = *walk;
    // Walk the ready tasks in order without taking them out: only the admitted and the stale
    // leave the set. Slots only fill up during an admission, so a run that may not run, or a
    // run's pool or DAG found full, stays so for the rest of it (`may_run` and `full` serve
    // every walk of one admission). Ready tasks of one run (of one priority) sit together in
    // the order, so what was found of a run is kept while its tasks go by, and a run none of
    // whose tasks can fit is passed over in one jump (see below).
    let mut leaving = Vec::new();
    let mut admitted = 0usize;
    let mut stop = None;
    let mut current: Option<Walked<'a>> = None;
    let mut keys = match from {
        Some(from) => ready.range(from..),
        None => ready.range(..),
    };
    while let Some(&key) = keys.next() {
        if budget.is_some_and(|budget| admitted >= budget) {
            stop = Some(key);
            break;
        }
        if *left == 0 {
            *capped = true;
            stop = Some(key);
            break;
        }
        let (_, _, run, i) = key;
        if current.as_ref().is_none_or(|c| c.run != run) {
            if let Some(done) = current.take() {
                full.insert(done.run, done.full);
            }
            current = runs.get(run).map(|active| Walked {
                run,
                active,
                runs: *may_run.entry(run).or_insert_with(|| {
                    active.run.state == DagRunState::Running
                        && !dags.paused(&active.run.tenant, &active.run.dag_id)
                }),
                limit: max_active_tasks(config, &active.dag),
                full: full.remove(&run).unwrap_or_default(),
            });
        }
        let Some(walked) = current.as_mut() else {
            leaving.push(key);
            continue;
        };
        if !walked.active.pending.contains(&i) {
            leaving.push(key);
            continue;
        }
        let ti = &walked.active.tis[i];
        // A task at its own cap (max_active_tis) waits; the run's other tasks may go on.
        if let Some(cap) = walked.active.task(i).max_active_tis
            && slots.task_count(&slot(ti)) >= cap as usize
        {
            if walked.runs && ti.state == TaskState::None {
                mark(waiting, marks_left, marks_capped, (run, i));
            }
            continue;
        }
        let fits = walked.runs
            && !walked.full.contains(&ti.pool.as_str())
            && slots.fits(&slot(ti), parallelism, walked.limit);
        if !fits {
            if walked.runs {
                if !walked.full.contains(&ti.pool.as_str()) {
                    walked.full.push(ti.pool.as_str());
                }
                // Waiting for a slot only: a paused DAG's tasks stay as they are, as in Airflow.
                if ti.state == TaskState::None {
                    mark(waiting, marks_left, marks_capped, (run, i));
                }
            }
            if slots.total() >= parallelism {
                break;
            }
            // None of the run's other tasks here fits either when it may not run, or when
            // they all share one pool (what did not fit is then the pool or the DAG, the
            // same for all of them); once the step marks no more, they are passed over
            // together rather than one by one (a big run held back costs one look a walk, not
            // one a task). Some may be left to mark: a step is due for them.
            if !walked.runs || (walked.active.one_pool() && *marks_left == 0) {
                if walked.runs {
                    *marks_capped = true;
                }
                keys = ready.range((
                    Bound::Excluded((key.0, key.1, run, usize::MAX)),
                    Bound::Unbounded,
                ));
            }
            continue;
        }
        slots.take(&slot(ti));
        // A sensor poking again keeps its try (Airflow's reschedule mode), and so does a task
        // resuming after its deferral.
        let resumes = ti.state == TaskState::Scheduled
            && ti.deferral.as_ref().is_some_and(|d| d.event.is_some());
        let try_number =
            if resumes || matches!(ti.state, TaskState::Queued | TaskState::UpForReschedule) {
                ti.try_number
            } else {
                ti.try_number + 1
            };
        outbox.queue(QueueTask {
            ti: ti.id,
            lease: ti.lease,
            from: ti.state,
            try_number,
            at: now,
        });
        admitted += 1;
        *left -= 1;
        leaving.push(key);
    }
    if let Some(done) = current.take() {
        full.insert(done.run, done.full);
    }
    for key in &leaving {
        ready.remove(key);
    }
    (admitted, stop)
}

/// Note ready task `at` as waiting for a slot, to be marked `scheduled`, if the step may
/// still mark one; otherwise it stays as it is for a later step.
fn mark(waiting: &mut Vec<TaskAt>, marks_left: &mut usize, capped: &mut bool, at: TaskAt) {
    if *marks_left == 0 {
        *capped = true;
    } else {
        *marks_left -= 1;
        waiting.push(at);
    }
}

impl Scheduler {
    /// Queue ready task instances in priority order while slots allow, at most
    /// `max_tis_per_step` (an express step's [`EXPRESS_ADMISSIONS`], marking none), the next
    /// step following at once when that left some; those of
    /// running runs left waiting for a slot become `scheduled` as
    /// [`mark_scheduled`](Self::mark_scheduled) says.
    pub(crate) fn admit(&mut self, now: Timestamp, pace: Pace) {
        let express = pace != Pace::Full;
        // Tenants whose batch is in flight are left to the step after it lands, and so are
        // the slots that batch freed, which are taken again should it fail.
        let apart = self.flight.as_ref().map(|f| f.tenants());
        let parallelism = self
            .config
            .parallelism
            .saturating_sub(self.flight.as_ref().map_or(0, |f| f.freed()));
        let admitted = self.admission.queue_ready(
            &self.runs,
            &self.dags,
            &self.config,
            &mut self.outbox,
            now,
            How {
                express,
                apart,
                parallelism,
            },
        );
        // Beside a batch in flight, marks its tenants wait for stay due.
        let earlier = match pace {
            Pace::Overlapped => self.admission.marks_wake,
            _ => None,
        };
        self.admission.marks_wake = None;
        if !admitted.waiting.is_empty() {
            if !express && self.admission.marks_due(&self.outbox, now) {
                self.admission.marked_at = Some(now);
                self.mark_scheduled(admitted.waiting, now);
                if admitted.marks_capped {
                    self.admission.marks_wake = Some(self.admission.marks_due_at(now));
                }
            } else {
                self.admission.marks_wake = Some(self.admission.marks_due_at(now));
            }
        }
        if let Some(at) = earlier {
            let due = self.admission.marks_wake.map_or(at, |new| new.min(at));
            self.admission.marks_wake = Some(due);
        }
        self.start_waits(admitted.waits, now);
        // Expanded at the start of the next step, once this one is written: what they
        // expand over is then in the store.
        for (run, i) in admitted.expand {
            self.expansions.push(run, i);
        }
    }

    /// Ready tasks of running runs that wait for a slot are `scheduled`, as in Airflow: their
    /// dependencies are met, and they go as soon as a slot frees. A mark is bookkeeping (a
    /// task is queued when a slot frees whether it was marked or not) that costs a row
    /// written, so marks give way to the work: a step marks only when it has nothing else to
    /// write, or when none were marked for [`MARKS_EVERY`], at most [`MARKS_PER_STEP`] at a
    /// time (a step is then due by that time). Under a steady flow of results most waiting
    /// tasks go from `none` straight to `queued`, as a task that finds a slot at once always
    /// does; a backlog of long tasks is marked about 320 a second.
    fn mark_scheduled(&mut self, waiting: Vec<(RunPk, usize)>, now: Timestamp) {
        for (run, i) in waiting {
            let Some(active) = self.runs.get_mut(run) else {
                continue;
            };
            active.mark_scheduled(i);
            self.outbox
                .set_task(active.tis[i].id, TaskState::Scheduled, now);
        }
    }
}

/// How one admission goes.
struct How<'a> {
    /// An express step's: at most [`EXPRESS_ADMISSIONS`] queued, none marked.
    express: bool,
    /// Tenants left alone (those of a batch in flight): none of their tasks is queued, and
    /// no tenant gets more than its share among the tenants with tasks waiting (the slots
    /// left over wait for the full step after the landing).
    apart: Option<&'a HashSet<String>>,
    /// The slots there are to fill: `parallelism`, less what a batch in flight freed (see
    /// [`Flight::freed`](crate::flight::Flight::freed)).
    parallelism: usize,
}

/// A task of a run in memory: the run, and the task's index in it.
type TaskAt = (RunPk, usize);

/// A ready task that takes no slot.
enum Slotless {
    /// A wait task: it runs no code, and starts waiting once its run may run.
    Wait,
    /// A mapped task: it expands once its run may run; its instances then take slots as
    /// any task does.
    Expand,
}

/// Whether slot `i` of `active` is a task that takes no slot, and which.
fn slotless(active: &ActiveRun, i: usize) -> Option<Slotless> {
    if active.is_instance(i) {
        return None;
    }
    let task = active.task(i);
    if task.expand.is_some() {
        Some(Slotless::Expand)
    } else if matches!(task.kind, TaskKind::Wait(_)) {
        Some(Slotless::Wait)
    } else {
        None
    }
}

/// What every walk of one admission shares.
struct Walk<'a> {
    runs: &'a ActiveRuns,
    dags: &'a Dags,
    config: &'a SchedulerConfig,
    outbox: &'a mut Outbox,
    now: Timestamp,
    /// The slots there are to fill (see [`How::parallelism`]).
    parallelism: usize,
    /// What the step may still queue, under `max_tis_per_step`.
    left: usize,
    /// How many more task instances the step may mark `scheduled` (see [`marks_per_step`]).
    marks_left: usize,
    /// The step's cap left ready tasks to queue for the next step.
    capped: bool,
    /// The step's cap of marks left more to mark.
    marks_capped: bool,
    /// Whether each run walked past may run (running, its DAG not paused).
    may_run: FastMap<RunPk, bool>,
    /// Pools found full, by run, for the runs walked past.
    full: FastMap<RunPk, Vec<&'a str>>,
    /// Ready tasks of running runs left waiting for a slot, to mark (the step's cap of them).
    waiting: Vec<TaskAt>,
}

/// What an admission walk leaves besides the queue ops it wrote.
struct Admitted {
    /// Ready tasks of running runs left waiting for a slot, to mark (the step's cap of them).
    waiting: Vec<TaskAt>,
    /// The step's cap of marks left more to mark.
    marks_capped: bool,
    /// Wait tasks to start.
    waits: Vec<TaskAt>,
    /// Mapped tasks to expand.
    expand: Vec<TaskAt>,
}

/// What the admission walk found of the run whose ready tasks it is passing.
struct Walked<'a> {
    /// The run's key: the walk's ready tasks of one run sit together.
    run: RunPk,
    /// The run, as memory holds it.
    active: &'a ActiveRun,
    /// The run is running and its DAG not paused.
    runs: bool,
    /// The DAG's `max_active_tasks`.
    limit: u32,
    /// Pools found full for this run (or its DAG full) during the walk.
    full: Vec<&'a str>,
}

/// What one step may queue: `max_tis_per_step`, at least one.
fn per_step(config: &SchedulerConfig) -> usize {
    usize::try_from(config.max_tis_per_step)
        .unwrap_or(usize::MAX)
        .max(1)
}

/// What one step may mark `scheduled`: what it may queue, at most [`MARKS_PER_STEP`].
fn marks_per_step(config: &SchedulerConfig) -> usize {
    per_step(config).min(MARKS_PER_STEP)
}

/// The most task instances one step marks `scheduled`. Each mark is a row the step writes,
/// which every trigger and report the step carries waits for, and so does any input that
/// arrives while it writes: on PostgreSQL 1,000 cost a step about 20 ms, 128 about 2 ms; on
/// SQLite under a flood of another tenant's tasks 128 cost 4–5 ms, a wait that the first
/// run another tenant triggered after a flood began met nearly every time.
const MARKS_PER_STEP: usize = 32;

/// How long marks wait for a step with nothing else to write before a busy step makes them.
const MARKS_EVERY: jiff::SignedDuration = jiff::SignedDuration::from_millis(100);

/// A DAG's `max_active_tasks`, or the scheduler's default.
fn max_active_tasks(config: &SchedulerConfig, dag: &Dag) -> u32 {
    dag.max_active_tasks()
        .unwrap_or(config.default_max_active_tasks)
}

/// The slots a task instance takes: its tenant's DAG and pool, and its task's (a mapped
/// task's instances count under the mapped task, for `max_active_tis`).
fn slot(ti: &TaskInstance) -> Slot<'_> {
    Slot {
        tenant: &ti.tenant,
        dag_id: &ti.dag_id,
        pool: &ti.pool,
        task_id: weft_model::mapping::split_instance_id(&ti.task_id).0,
    }
}
