//! The scheduler's index of deferred task instances that wait for another run or task to
//! end, and the ends it has seen: event-driven, so a thousand waits cost nothing until the
//! run they wait for ends, and then one lookup.
//!
//! A wait is looked up two ways. When it starts (or is loaded after a restart) it is checked
//! once against the store, since what it waits for may have ended already. After that, every
//! run and task end the scheduler writes is matched against the index in the step after the
//! write. Entries are hints: whoever acts on one checks the task instance is still deferred
//! on that wait.

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;
use weft_model::{AwaitedRun, DagRunState, TaskState};
use weft_store::{DagRun, TiPk};

/// What a wait is on: a run, and the task of it when the wait is on one (none: the run).
type Key = (AwaitedRun, Option<String>);

/// Task instances by what they wait for.
type ByRun = HashMap<Key, HashSet<TiPk>>;

/// A run or a task that ended, as waits match it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ended {
    /// Its tenant.
    pub(crate) tenant: String,
    /// Its DAG.
    pub(crate) dag_id: String,
    /// Its run's id.
    pub(crate) run_id: String,
    /// Its run's logical date.
    pub(crate) logical_date: Timestamp,
    /// The run's end, or one task's.
    pub(crate) what: EndedWhat,
}

/// What ended.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum EndedWhat {
    /// The whole run, in this state.
    Run(DagRunState),
    /// A task, in this state.
    Task(String, TaskState),
}

/// What one step's batch carries for the waits: the ends it decided and the waits it started.
#[derive(Debug, Default)]
pub(crate) struct StepEnds {
    /// Ends decided in the step, matched once written.
    decided: Vec<Ended>,
    /// Waits started in the step, checked against the store once written.
    registered: Vec<TiPk>,
}

/// External waits by tenant, DAG and run, and the ends not yet matched against them.
#[derive(Debug, Default)]
pub(crate) struct Deferrals {
    /// Tenant → DAG → awaited run → the task instances waiting.
    watching: HashMap<String, HashMap<String, ByRun>>,
    /// Waits started this step: checked against the store once the step is written (what
    /// they wait for may end in this very step, and only the write shows it).
    registered: Vec<TiPk>,
    /// Waits to check against the store now.
    unchecked: Vec<TiPk>,
    /// Ends decided in the current step, announced once written.
    decided: Vec<Ended>,
    /// Ends written, to match in the next step.
    written: Vec<Ended>,
}

impl Deferrals {
    /// Task instance `ti` of `tenant` waits for `task` (none: the whole run) of a run of
    /// `dag_id`: index it, and check it against the store once this step is written.
    pub(crate) fn watch(
        &mut self,
        tenant: &str,
        dag_id: &str,
        run: &AwaitedRun,
        task: Option<&str>,
        ti: TiPk,
    ) {
        self.watching
            .entry(tenant.to_owned())
            .or_default()
            .entry(dag_id.to_owned())
            .or_default()
            .entry((run.clone(), task.map(str::to_owned)))
            .or_default()
            .insert(ti);
        self.registered.push(ti);
    }

    /// Task instance `ti` no longer waits for `task` of that run.
    pub(crate) fn unwatch(
        &mut self,
        tenant: &str,
        dag_id: &str,
        run: &AwaitedRun,
        task: Option<&str>,
        ti: TiPk,
    ) {
        let Some(dags) = self.watching.get_mut(tenant) else {
            return;
        };
        if let Some(runs) = dags.get_mut(dag_id) {
            let key = (run.clone(), task.map(str::to_owned));
            if let Some(tis) = runs.get_mut(&key) {
                tis.remove(&ti);
                if tis.is_empty() {
                    runs.remove(&key);
                }
            }
            if runs.is_empty() {
                dags.remove(dag_id);
            }
        }
        if dags.is_empty() {
            self.watching.remove(tenant);
        }
    }

    /// Task instance `ti` no longer waits for what `ended` is about, by run id or by date.
    pub(crate) fn forget(&mut self, ended: &Ended, ti: TiPk) {
        let task = match &ended.what {
            EndedWhat::Run(_) => None,
            EndedWhat::Task(task, _) => Some(task.as_str()),
        };
        let by_id = AwaitedRun::RunId(ended.run_id.clone());
        let by_date = AwaitedRun::LogicalDate(ended.logical_date);
        self.unwatch(&ended.tenant, &ended.dag_id, &by_id, task, ti);
        self.unwatch(&ended.tenant, &ended.dag_id, &by_date, task, ti);
    }

    /// Whether any wait is on a run of `tenant`'s DAG `dag_id`: only then are its ends kept.
    fn watched(&self, tenant: &str, dag_id: &str) -> bool {
        self.watching
            .get(tenant)
            .is_some_and(|dags| dags.contains_key(dag_id))
    }

    /// Run `run` ends in `state` (decided this step).
    pub(crate) fn run_ended(&mut self, run: &DagRun, state: DagRunState) {
        if state.is_finished() && self.watched(&run.tenant, &run.dag_id) {
            self.decided.push(ended(run, EndedWhat::Run(state)));
        }
    }

    /// Task `task_id` of run `run` ends in `state` (decided this step).
    pub(crate) fn task_ended(&mut self, run: &DagRun, task_id: &str, state: TaskState) {
        if state.is_finished() && self.watched(&run.tenant, &run.dag_id) {
            self.decided
                .push(ended(run, EndedWhat::Task(task_id.to_owned(), state)));
        }
    }

    /// The step's writes went through: its ends are matched, and the waits it started
    /// checked against the store, at the next step.
    pub(crate) fn written(&mut self) {
        let step = self.take_step();
        self.step_written(step);
    }

    /// The ends the current step decided and the waits it started, taken out to go with its
    /// batch: a batch left in flight hears of its write after later steps have begun.
    pub(crate) fn take_step(&mut self) -> StepEnds {
        StepEnds {
            decided: std::mem::take(&mut self.decided),
            registered: std::mem::take(&mut self.registered),
        }
    }

    /// `step`'s batch was written: its ends are matched, and its waits checked against the
    /// store, at the next step.
    pub(crate) fn step_written(&mut self, mut step: StepEnds) {
        self.written.append(&mut step.decided);
        self.unchecked.append(&mut step.registered);
    }

    /// Nothing of `step`'s batch was written: forget its ends (the runs are read again and
    /// their ends decided again). Its waits are checked all the same (one not written is no
    /// longer deferred once its run is read again, and is passed over).
    pub(crate) fn step_not_written(&mut self, mut step: StepEnds) {
        self.unchecked.append(&mut step.registered);
    }

    /// Whether ends wait to be matched or waits to be checked: the next step is due now.
    pub(crate) fn has_work(&self) -> bool {
        !self.written.is_empty() || !self.unchecked.is_empty()
    }

    /// The ends written since the last call.
    pub(crate) fn take_written(&mut self) -> Vec<Ended> {
        std::mem::take(&mut self.written)
    }

    /// The waits to check against the store.
    pub(crate) fn take_unchecked(&mut self) -> Vec<TiPk> {
        std::mem::take(&mut self.unchecked)
    }

    /// Check these waits again at the next step (the store could not be asked).
    pub(crate) fn recheck(&mut self, tis: impl IntoIterator<Item = TiPk>) {
        self.unchecked.extend(tis);
    }

    /// The task instances that may wait for what `ended` says ended.
    pub(crate) fn waiting_for(&self, ended: &Ended) -> Vec<TiPk> {
        let Some(runs) = self
            .watching
            .get(&ended.tenant)
            .and_then(|dags| dags.get(&ended.dag_id))
        else {
            return Vec::new();
        };
        let task = match &ended.what {
            EndedWhat::Run(_) => None,
            EndedWhat::Task(task, _) => Some(task.clone()),
        };
        let by_id = runs.get(&(AwaitedRun::RunId(ended.run_id.clone()), task.clone()));
        let by_date = runs.get(&(AwaitedRun::LogicalDate(ended.logical_date), task));
        by_id
            .into_iter()
            .chain(by_date)
            .flat_map(|tis| tis.iter().copied())
            .collect()
    }
}

fn ended(run: &DagRun, what: EndedWhat) -> Ended {
    Ended {
        tenant: run.tenant.clone(),
        dag_id: run.dag_id.clone(),
        run_id: run.run_id.clone(),
        logical_date: run.logical_date,
        what,
    }
}

/// Whether `awaited` names the run `ended` is about.
pub(crate) fn names(awaited: &AwaitedRun, ended: &Ended) -> bool {
    match awaited {
        AwaitedRun::RunId(id) => *id == ended.run_id,
        AwaitedRun::LogicalDate(at) => *at == ended.logical_date,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(dag_id: &str, run_id: &str) -> DagRun {
        DagRun {
            id: 1,
            tenant: "t".into(),
            dag_id: dag_id.into(),
            run_id: run_id.into(),
            run_type: weft_model::RunType::Manual,
            logical_date: "2026-01-01T00:00:00Z".parse().expect("a time"),
            data_interval_start: "2026-01-01T00:00:00Z".parse().expect("a time"),
            data_interval_end: "2026-01-01T00:00:00Z".parse().expect("a time"),
            conf: serde_json::json!({}),
            digest: "sha256:x".into(),
            state: DagRunState::Running,
            queued_at: "2026-01-01T00:00:00Z".parse().expect("a time"),
            started_at: None,
            ended_at: None,
        }
    }

    #[test]
    fn ends_of_watched_dags_are_matched_once_written() {
        let mut d = Deferrals::default();
        let child = run("child", "r1");
        d.run_ended(&child, DagRunState::Success);
        d.written();
        assert!(!d.has_work(), "nothing watches child yet");
        d.watch("t", "child", &AwaitedRun::RunId("r1".into()), None, 7);
        d.watch(
            "t",
            "child",
            &AwaitedRun::LogicalDate(child.logical_date),
            None,
            8,
        );
        d.watch("t", "child", &AwaitedRun::RunId("r1".into()), Some("a"), 9);
        assert!(
            d.take_unchecked().is_empty(),
            "checked once the step is written"
        );
        d.run_ended(&child, DagRunState::Success);
        d.task_ended(&child, "a", TaskState::Running);
        d.task_ended(&run("other", "r1"), "a", TaskState::Success);
        d.written();
        assert!(d.has_work());
        assert_eq!(d.take_unchecked(), vec![7, 8, 9]);
        let ends = d.take_written();
        assert_eq!(ends.len(), 1, "{ends:?}");
        let mut waiting = d.waiting_for(&ends[0]);
        waiting.sort_unstable();
        assert_eq!(
            waiting,
            vec![7, 8],
            "a wait on a task is not one on the run"
        );
        d.task_ended(&child, "a", TaskState::Success);
        d.written();
        let ends = d.take_written();
        assert_eq!(d.waiting_for(&ends[0]), vec![9]);
        assert!(names(&AwaitedRun::RunId("r1".into()), &ends[0]));
        assert!(!names(&AwaitedRun::RunId("r2".into()), &ends[0]));
    }

    #[test]
    fn unwritten_ends_are_forgotten_and_unwatched_waits_pruned() {
        let mut d = Deferrals::default();
        let at = AwaitedRun::RunId("r1".into());
        d.watch("t", "child", &at, None, 7);
        d.run_ended(&run("child", "r1"), DagRunState::Failed);
        let step = d.take_step();
        d.step_not_written(step);
        assert_eq!(d.take_unchecked(), vec![7]);
        assert!(!d.has_work());
        d.unwatch("t", "child", &at, None, 7);
        assert!(d.watching.is_empty());
        d.run_ended(&run("child", "r1"), DagRunState::Failed);
        assert!(d.decided.is_empty());
    }

    #[test]
    fn each_batch_in_flight_hears_of_its_own_write() {
        let mut d = Deferrals::default();
        d.watch("t", "child", &AwaitedRun::RunId("r1".into()), None, 7);
        d.watch("t", "child", &AwaitedRun::RunId("r2".into()), None, 8);
        // A step's batch goes in flight; the next step decides another end meanwhile.
        d.run_ended(&run("child", "r1"), DagRunState::Success);
        let first = d.take_step();
        d.run_ended(&run("child", "r2"), DagRunState::Failed);
        let second = d.take_step();
        // The later batch is written, the one in flight is not.
        d.step_written(second);
        d.step_not_written(first);
        let ends = d.take_written();
        assert_eq!(ends.len(), 1, "only the written batch's end is matched");
        assert_eq!(ends[0].run_id, "r2");
        let mut unchecked = d.take_unchecked();
        unchecked.sort_unstable();
        assert_eq!(
            unchecked,
            vec![7, 8],
            "both waits are checked, as they were started"
        );
    }
}
