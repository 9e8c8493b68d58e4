//! The runs the scheduler holds in memory ([`ActiveRuns`]), each an [`ActiveRun`], and where
//! every one of their task instances sits: a worker's report names only a task instance, and
//! is matched to its run and graph index here.

use std::collections::HashMap;

use weft_store::{RunPk, StartTask, TiPk};

use crate::active_run::ActiveRun;

/// A map with a fast hash, for the per-task lookups of every step (keys are ids, not input
/// anyone outside chooses).
pub(crate) type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// The active (queued or running) runs in memory, indexed by task instance.
#[derive(Default)]
pub(crate) struct ActiveRuns {
    /// Each active run by its key.
    runs: FastMap<RunPk, ActiveRun>,
    /// Where each task instance of an active run is: its run and slot.
    index: FastMap<TiPk, (RunPk, usize)>,
}

impl ActiveRuns {
    /// Keep a run, indexing its task instances; its key.
    pub(crate) fn insert(&mut self, active: ActiveRun) -> RunPk {
        let id = active.run.id;
        for (i, ti) in active.tis.iter().enumerate() {
            self.index.insert(ti.id, (id, i));
        }
        self.runs.insert(id, active);
        id
    }

    /// Drop a run with its index entries; the run as it was.
    pub(crate) fn remove(&mut self, id: RunPk) -> Option<ActiveRun> {
        let active = self.runs.remove(&id)?;
        for ti in &active.tis {
            self.index.remove(&ti.id);
        }
        Some(active)
    }

    /// Run `id`, if held.
    pub(crate) fn get(&self, id: RunPk) -> Option<&ActiveRun> {
        self.runs.get(&id)
    }

    /// Run `id`, if held, to change in place (its task instances keep their places).
    pub(crate) fn get_mut(&mut self, id: RunPk) -> Option<&mut ActiveRun> {
        self.runs.get_mut(&id)
    }

    /// Whether run `id` is held.
    pub(crate) fn contains(&self, id: RunPk) -> bool {
        self.runs.contains_key(&id)
    }

    /// How many runs are held.
    pub(crate) fn len(&self) -> usize {
        self.runs.len()
    }

    /// Every run held with its key, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (RunPk, &ActiveRun)> {
        self.runs.iter().map(|(id, active)| (*id, active))
    }

    /// Every run held, in no particular order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &ActiveRun> {
        self.runs.values()
    }

    /// The run and graph index of task instance `ti`, if its run is held.
    pub(crate) fn locate(&self, ti: TiPk) -> Option<(RunPk, usize)> {
        self.index.get(&ti).copied()
    }

    /// The run task instance `ti` belongs to, if held.
    pub(crate) fn run_of(&self, ti: TiPk) -> Option<RunPk> {
        self.index.get(&ti).map(|&(run, _)| run)
    }

    /// The run of task instance `ti` and the task's graph index, if the run is held.
    pub(crate) fn task(&self, ti: TiPk) -> Option<(&ActiveRun, usize)> {
        let &(run, i) = self.index.get(&ti)?;
        Some((self.runs.get(&run)?, i))
    }

    /// Mapped task `i` of run `run` expanded into `tis`: their slots, indexed; none if the
    /// run is not held.
    pub(crate) fn add_instances(
        &mut self,
        run: RunPk,
        i: usize,
        tis: Vec<weft_store::TaskInstance>,
    ) -> Option<std::ops::Range<usize>> {
        let active = self.runs.get_mut(&run)?;
        let slots = active.add_instances(i, tis);
        for slot in slots.clone() {
            self.index.insert(active.tis[slot].id, (run, slot));
        }
        Some(slots)
    }

    /// Record in memory that an attempt started as `start` says, written; nothing if its
    /// run is not held.
    pub(crate) fn record_start(&mut self, start: &StartTask) {
        if let Some(&(run, i)) = self.index.get(&start.ti)
            && let Some(active) = self.runs.get_mut(&run)
        {
            active.record_start(i, start);
        }
    }
}
