//! One active run in memory: its task instances by slot, and the event-driven evaluation
//! of trigger rules. A finished task re-evaluates only its downstream tasks.
//!
//! A task's slot is its graph index; the instances of mapped tasks take the slots after the
//! graph's, in the order they expanded. An instance runs as soon as its mapped task
//! expands (the mapped task's upstream tasks allowed it); the mapped task ends when the
//! last of them does, and only then are its downstream tasks judged, counting the state of
//! every instance, as Airflow counts mapped upstream tasks.

use std::collections::BTreeSet;
use std::sync::Arc;

use jiff::Timestamp;
use weft_model::mapping::{mapped_state, split_instance_id};
use weft_model::{
    Dag, DagRunState, Readiness, Task, TaskState, UpstreamSummary, evaluate, run_state,
};
use weft_store::{DagRun, FinishTask, QueueTask, StartTask, TaskInstance};

use crate::graph::Graph;

/// What evaluating tasks decided, for the scheduler to write and admit.
#[derive(Debug, Default, PartialEq)]
pub struct Evaluation {
    /// Tasks that may be queued now, or for a mapped task expanded (their slots).
    pub ready: Vec<usize>,
    /// Mapped tasks whose instances all ended, with the state they end in.
    pub ended_mapped: Vec<(usize, TaskState)>,
    /// Tasks that reached a final state without running (skipped, upstream_failed).
    pub decided: Vec<(usize, TaskState)>,
    /// The earliest time a task waiting to retry or to poke again becomes ready.
    pub wake_at: Option<Timestamp>,
}

/// Task instances from which a run costs the loop milliseconds to load or to free: a new or
/// read run this big is built away from the loop (`run_builds`), and one that ended is freed
/// on a blocking thread (`completion`).
pub(crate) const BIG_RUN: usize = 1000;

/// A run in memory while it is queued or running: what the store holds of it, and what the
/// scheduler has decided and not yet queued.
#[derive(Debug)]
pub struct ActiveRun {
    /// The run's row, as last written.
    pub run: DagRun,
    /// The DAG it is pinned to (the one its component digest holds).
    pub dag: Arc<Dag>,
    /// The DAG's structure by index, for the per-task lookups of evaluation.
    pub graph: Arc<Graph>,
    /// Task instances by slot: the graph's tasks, then mapped tasks' instances.
    pub tis: Vec<TaskInstance>,
    /// The graph index of the mapped task each instance slot belongs to (by slot, less the
    /// graph's size).
    instance_of: Vec<usize>,
    /// Each mapped task's instance slots in map index order, by graph index (empty for a
    /// task that is not mapped or has not expanded).
    instances: Vec<Vec<usize>>,
    /// How many of each mapped task's instances have no final state, by graph index.
    instances_left: Vec<usize>,
    /// Tasks decided ready but not yet queued (waiting for capacity or for the DAG to be
    /// unpaused).
    pub pending: BTreeSet<usize>,
    /// Outputs of the tasks seen to finish, passed on in downstream messages.
    pub outputs: crate::outputs::Outputs,
    /// How many task instances have no final state yet: the run is done at zero.
    unfinished: usize,
    /// Every task instance is in one pool.
    one_pool: bool,
}

impl ActiveRun {
    /// Put a run's task instances in slots. Task instances of tasks the DAG no longer has are
    /// left out; a task without a task instance is an error naming it.
    pub fn new(
        run: DagRun,
        tis: Vec<TaskInstance>,
        dag: Arc<Dag>,
        graph: Arc<Graph>,
    ) -> Result<ActiveRun, String> {
        let mut slots: Vec<Option<TaskInstance>> = vec![None; graph.ids.len()];
        let mut mapped: Vec<(usize, u32, TaskInstance)> = Vec::new();
        for ti in tis {
            match ti.map_index {
                None => {
                    if let Some(&i) = graph.index.get(&ti.task_id) {
                        slots[i] = Some(ti);
                    }
                }
                Some(k) => {
                    if let Some(&i) = graph.index.get(split_instance_id(&ti.task_id).0) {
                        mapped.push((i, k, ti));
                    }
                }
            }
        }
        mapped.sort_by_key(|(i, k, _)| (*i, *k));
        let tis = slots
            .into_iter()
            .enumerate()
            .map(|(i, ti)| {
                ti.ok_or_else(|| {
                    format!(
                        "run {} has no task instance for task {:?}",
                        run.run_id, graph.ids[i]
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let tasks = tis.len();
        let mut active = ActiveRun {
            run,
            dag,
            graph,
            tis,
            instance_of: Vec::new(),
            instances: vec![Vec::new(); tasks],
            instances_left: vec![0; tasks],
            pending: BTreeSet::new(),
            outputs: crate::outputs::Outputs::default(),
            unfinished: 0,
            one_pool: true,
        };
        active.one_pool = active
            .tis
            .split_first()
            .is_none_or(|(first, rest)| rest.iter().all(|ti| ti.pool == first.pool));
        active.unfinished = active
            .tis
            .iter()
            .filter(|ti| !ti.state.is_finished())
            .count();
        let mut mapped = mapped.into_iter().peekable();
        while let Some((i, _, first)) = mapped.next() {
            let mut group = vec![first];
            while let Some((_, _, ti)) = mapped.next_if(|(j, _, _)| *j == i) {
                group.push(ti);
            }
            active.add_instances(i, group);
        }
        Ok(active)
    }

    /// The graph index of the task slot `slot` runs: its own, or its mapped task's.
    pub fn task_of(&self, slot: usize) -> usize {
        let tasks = self.graph.ids.len();
        if slot < tasks {
            slot
        } else {
            self.instance_of[slot - tasks]
        }
    }

    /// The task slot `slot` runs.
    pub fn task(&self, slot: usize) -> &Task {
        &self.dag.tasks()[self.task_of(slot)]
    }

    /// Whether every task instance of the run is in one pool.
    pub fn one_pool(&self) -> bool {
        self.one_pool
    }

    /// Whether slot `slot` holds an instance of a mapped task.
    pub fn is_instance(&self, slot: usize) -> bool {
        slot >= self.graph.ids.len()
    }

    /// Mapped task `i` expanded into `tis` (in map index order): they take the next slots,
    /// returned.
    pub fn add_instances(&mut self, i: usize, tis: Vec<TaskInstance>) -> std::ops::Range<usize> {
        let start = self.tis.len();
        for ti in tis {
            if self.tis.first().is_some_and(|first| first.pool != ti.pool) {
                self.one_pool = false;
            }
            if !ti.state.is_finished() {
                self.unfinished += 1;
                self.instances_left[i] += 1;
            }
            self.instances[i].push(self.tis.len());
            self.instance_of.push(i);
            self.tis.push(ti);
        }
        start..self.tis.len()
    }

    /// The states task `u` counts with as an upstream task: those of its instances once a
    /// mapped task that expanded has ended as they sum up, else its own (a mapped task
    /// marked by hand counts as marked).
    fn upstream_states(&self, u: usize) -> impl Iterator<Item = TaskState> + '_ {
        let state = self.tis[u].state;
        let summed_up = state.is_finished()
            && !self.instances[u].is_empty()
            && mapped_state(self.instances[u].iter().map(|&s| self.tis[s].state)) == state;
        let instances: &[usize] = if summed_up { &self.instances[u] } else { &[] };
        let own = instances.is_empty().then_some(self.tis[u].state);
        own.into_iter()
            .chain(instances.iter().map(|&s| self.tis[s].state))
    }

    /// Set slot `i`'s state in memory, keeping the counts of unfinished tasks and instances.
    pub fn set_state(&mut self, i: usize, state: TaskState) {
        let was = self.tis[i].state.is_finished();
        let now = state.is_finished();
        self.tis[i].state = state;
        let mapped = self.is_instance(i).then(|| self.task_of(i));
        match (was, now) {
            (false, true) => {
                self.unfinished -= 1;
                if let Some(p) = mapped {
                    self.instances_left[p] -= 1;
                }
            }
            (true, false) => {
                self.unfinished += 1;
                if let Some(p) = mapped {
                    self.instances_left[p] += 1;
                }
            }
            _ => {}
        }
        if now {
            self.pending.remove(&i);
        }
    }

    /// The run starts running at `now` (a run that ran before keeps its first start).
    pub fn start_running(&mut self, now: Timestamp) {
        self.run.state = DagRunState::Running;
        self.run.started_at.get_or_insert(now);
    }

    /// Task `i` is ready but waits for a slot: `scheduled`, as in Airflow.
    pub fn mark_scheduled(&mut self, i: usize) {
        self.tis[i].state = TaskState::Scheduled;
    }

    /// Task `i`'s attempt is queued as `queue` says, written (the store bumped its lease):
    /// it no longer waits to be queued.
    pub fn record_queued(&mut self, i: usize, queue: &QueueTask) {
        self.pending.remove(&i);
        let ti = &mut self.tis[i];
        if queue.try_number != ti.try_number {
            // A new try pokes and waits afresh (the store resets the same columns).
            ti.sensor_started_at = None;
            ti.pokes = 0;
            ti.deferral = None;
        }
        ti.state = TaskState::Queued;
        ti.lease = queue.lease + 1;
        ti.try_number = queue.try_number;
        ti.queued_at = Some(queue.at);
    }

    /// Task `i`'s attempt started as `start` says, written.
    pub fn record_start(&mut self, i: usize, start: &StartTask) {
        let ti = &mut self.tis[i];
        if ti.state == TaskState::Queued {
            ti.state = TaskState::Running;
        }
        ti.started_at = Some(start.at);
        ti.worker_id = Some(start.worker_id.clone());
        ti.hostname = Some(start.hostname.clone());
    }

    /// Task `i`'s attempt ended as `finish` says: its new state, when it may retry, and its
    /// output for the downstream tasks' messages.
    pub fn record_finish(&mut self, i: usize, finish: &FinishTask) {
        self.tis[i].next_retry_at = finish.next_retry_at;
        if let Some(poke) = finish.poke {
            self.tis[i].sensor_started_at = Some(poke.started_at);
            self.tis[i].pokes = poke.pokes;
        }
        if let Some(deferral) = &finish.deferral {
            self.tis[i].deferral = Some(deferral.clone());
        }
        self.tis[i].ended_at = Some(finish.at);
        self.set_state(i, finish.state);
        self.outputs
            .record(i, finish.state, finish.output.as_deref());
    }

    /// Evaluate every task (a run just loaded or created).
    pub fn evaluate_all(&mut self, now: Timestamp) -> Evaluation {
        self.evaluate((0..self.tis.len()).collect(), now)
    }

    /// Evaluate the downstream tasks of slot `i` (it just finished); for a mapped task's
    /// instance, the mapped task, which ends with its last instance.
    pub fn evaluate_downstream(&mut self, i: usize, now: Timestamp) -> Evaluation {
        if self.is_instance(i) {
            let p = self.task_of(i);
            return self.evaluate(vec![p], now);
        }
        let graph = self.graph.clone();
        self.evaluate(graph.downstream[i].clone(), now)
    }

    /// Branch task `i` succeeded and picked `followed` among its direct downstream tasks:
    /// the others that have not started are skipped (as Airflow's branch operators skip
    /// them), and every downstream task is evaluated.
    pub fn branch_finished(&mut self, i: usize, followed: &[String], now: Timestamp) -> Evaluation {
        let graph = self.graph.clone();
        let mut skipped = Vec::new();
        for &d in &graph.downstream[i] {
            let untouched = matches!(self.tis[d].state, TaskState::None | TaskState::Scheduled)
                && !self.pending.contains(&d);
            if untouched && !followed.contains(&graph.ids[d]) {
                self.set_state(d, TaskState::Skipped);
                skipped.push(d);
            }
        }
        let mut work: Vec<usize> = graph.downstream[i]
            .iter()
            .copied()
            .filter(|d| !skipped.contains(d))
            .collect();
        for &d in &skipped {
            work.extend(graph.downstream[d].iter().copied());
        }
        let mut out = self.evaluate(work, now);
        let mut decided: Vec<(usize, TaskState)> = skipped
            .into_iter()
            .map(|d| (d, TaskState::Skipped))
            .collect();
        decided.append(&mut out.decided);
        out.decided = decided;
        out
    }

    /// Evaluate `start` and, where a task is decided without running, its downstream tasks
    /// in turn. Decided states are applied in memory at once so that cascades see them.
    pub fn evaluate(&mut self, start: Vec<usize>, now: Timestamp) -> Evaluation {
        let graph = self.graph.clone();
        let mut out = Evaluation::default();
        let mut work = start;
        while let Some(i) = work.pop() {
            if self.pending.contains(&i) {
                continue;
            }
            match self.tis[i].state {
                TaskState::None | TaskState::Scheduled => {}
                // A wait ends by itself (see `waits`); its time or timeout wakes the scheduler.
                TaskState::Deferred => {
                    if let Some(at) = self.tis[i].next_retry_at {
                        out.wake_at = Some(out.wake_at.map_or(at, |w| w.min(at)));
                    }
                    continue;
                }
                TaskState::UpForRetry | TaskState::UpForReschedule => {
                    match self.tis[i].next_retry_at {
                        Some(at) if at > now => {
                            out.wake_at = Some(out.wake_at.map_or(at, |w| w.min(at)))
                        }
                        _ => {
                            self.pending.insert(i);
                            out.ready.push(i);
                        }
                    }
                    continue;
                }
                // A mapped task that expanded ends with its last instance.
                TaskState::Running
                    if !self.is_instance(i)
                        && self.tis[i].map_count.is_some()
                        && self.instances_left[i] == 0 =>
                {
                    let state = mapped_state(self.instances[i].iter().map(|&s| self.tis[s].state));
                    self.set_state(i, state);
                    out.ended_mapped.push((i, state));
                    work.extend(graph.downstream[i].iter().copied());
                    continue;
                }
                _ => continue,
            }
            if self.is_instance(i) {
                // Its mapped task expanded: its upstream tasks allowed it.
                self.pending.insert(i);
                out.ready.push(i);
                continue;
            }
            let summary = UpstreamSummary::from_states(
                graph.upstream[i]
                    .iter()
                    .flat_map(|&u| self.upstream_states(u)),
            );
            let task = &self.dag.tasks()[i];
            let decided = match evaluate(task.trigger_rule, &summary) {
                Readiness::Wait => continue,
                Readiness::Run => {
                    // A mapped task waits in `pending` until admission has it expanded.
                    self.pending.insert(i);
                    out.ready.push(i);
                    continue;
                }
                Readiness::Skip => TaskState::Skipped,
                Readiness::UpstreamFailed => TaskState::UpstreamFailed,
            };
            self.set_state(i, decided);
            out.decided.push((i, decided));
            work.extend(graph.downstream[i].iter().copied());
        }
        out
    }

    /// The run's final state, once every task has one.
    pub fn final_state(&self) -> Option<DagRunState> {
        if self.unfinished > 0 {
            return None;
        }
        run_state(
            self.tis
                .iter()
                .enumerate()
                .map(|(i, ti)| (ti.state, self.graph.leaf[self.task_of(i)])),
        )
    }

    /// Whether the run can make no more progress: tasks remain, none is queued, running,
    /// waiting to retry or ready. (A trigger rule that can never be met leaves such a run.)
    pub fn deadlocked(&self) -> bool {
        self.unfinished > 0
            && self.pending.is_empty()
            && !self.tis.iter().any(|ti| {
                matches!(
                    ti.state,
                    TaskState::Queued
                        | TaskState::Running
                        | TaskState::UpForRetry
                        | TaskState::UpForReschedule
                        | TaskState::Deferred
                )
            })
    }
}

#[cfg(test)]
mod tests;
