//! The scheduler's state and its step: apply what workers reported, decide what follows,
//! and write it all in batches. One [`Scheduler`] owns the active runs of a store.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use jiff::Timestamp;
use weft_model::{Dag, DagRunState, TaskState};
use weft_queue::Queue;
use weft_store::{
    DagRecord, FinishTask, QueueTask, RunPk, SetRunState, SetTaskState, Store, StoreError,
    TaskInstance, WriteBatch,
};

use crate::active_run::{ActiveRun, Evaluation};
use crate::capacity::{Capacity, Slot};
use crate::clock::Clock;
use crate::config::SchedulerConfig;
use crate::graph::Graph;
use crate::message::Report;
use crate::retry;

/// Why a scheduler step failed. Nothing is lost: the store is the truth, and the next step
/// (or a restart) carries on from it.
#[derive(Debug, thiserror::Error)]
pub enum SchedulerError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The queue failed.
    #[error("queue: {0}")]
    Queue(String),
    /// The store refused an attempt result memory had taken (the two disagreed): nothing of
    /// the step was written, and its runs are read again.
    #[error("the store refused an attempt result the scheduler took; its runs are read again")]
    OutOfStep,
}

/// A map with a fast hash, for the per-task lookups of every step (keys are ids, not input
/// anyone outside chooses).
pub(crate) type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// A ready task instance waiting for a slot: highest priority first, then oldest run, then
/// topological order.
type ReadyKey = (std::cmp::Reverse<i32>, i64, RunPk, usize);

/// The scheduler's memory of the store: active runs, DAGs, slots and timers.
pub struct Scheduler {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) queue: Arc<dyn Queue>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) config: SchedulerConfig,
    pub(crate) graphs: HashMap<String, (Arc<Dag>, Arc<Graph>)>,
    pub(crate) dags: HashMap<(String, String), DagRecord>,
    pub(crate) runs: FastMap<RunPk, ActiveRun>,
    /// Where each task instance of an active run is: its run and graph index.
    pub(crate) index: FastMap<weft_store::TiPk, (RunPk, usize)>,
    /// The latest scheduled interval of each scheduled DAG, once looked up.
    pub(crate) last_scheduled: HashMap<(String, String), Option<weft_model::DataInterval>>,
    pub(crate) capacity: Capacity,
    ready: BTreeSet<ReadyKey>,
    pub(crate) wake_at: Option<Timestamp>,
    pub(crate) batch: WriteBatch,
    pub(crate) reload: BTreeSet<RunPk>,
    /// The queue's generation when last asked (see `reconcile`).
    pub(crate) queue_generation: Option<String>,
    /// Runs that ended (succeeded or failed), as soon as that is written.
    pub(crate) ended: tokio::sync::broadcast::Sender<RunPk>,
}

/// Ended runs kept for a subscriber that lags behind; one that lags more hears
/// [`RecvError::Lagged`](tokio::sync::broadcast::error::RecvError::Lagged) and reads the store.
const ENDED_BACKLOG: usize = 4096;

impl Scheduler {
    /// A scheduler over `store` that sends ready attempts to `queue`.
    pub fn new(
        store: Arc<dyn Store>,
        queue: Arc<dyn Queue>,
        clock: Arc<dyn Clock>,
        config: SchedulerConfig,
    ) -> Scheduler {
        Scheduler {
            store,
            queue,
            clock,
            config,
            graphs: HashMap::new(),
            dags: HashMap::new(),
            runs: FastMap::default(),
            index: FastMap::default(),
            last_scheduled: HashMap::new(),
            capacity: Capacity::default(),
            ready: BTreeSet::new(),
            wake_at: None,
            batch: WriteBatch::default(),
            reload: BTreeSet::new(),
            queue_generation: None,
            ended: tokio::sync::broadcast::channel(ENDED_BACKLOG).0,
        }
    }

    /// Hear of every run that ends (succeeds or fails) from now on, once the store says so.
    pub fn subscribe_ended(&self) -> tokio::sync::broadcast::Receiver<RunPk> {
        self.ended.subscribe()
    }

    /// Load everything active from the store and reconcile it: attempts that were queued are
    /// queued again (under a new lease), and with `recover_running_on_start` attempts that
    /// were running are counted as lost and retried. Then the first step runs.
    pub async fn start(&mut self) -> Result<(), SchedulerError> {
        // Everything queued is queued again below: whatever the queue held before is moot.
        self.queue_generation = self.queue.generation().await.ok();
        self.load_dags().await?;
        let now = self.clock.now();
        for (run, tis) in self.store.active_runs().await? {
            let Some(active) = self.activate(run, tis).await? else {
                continue;
            };
            let id = self.insert_run(active);
            self.reconcile(id, now);
            // Tasks whose upstream is done (or that never started) become ready again.
            self.evaluate_run(id);
        }
        self.step(Vec::new()).await
    }

    /// Load every tenant's DAG records and pools (pause flags, schedules, slots).
    pub(crate) async fn load_dags(&mut self) -> Result<(), SchedulerError> {
        let tenants: BTreeSet<String> = self
            .dags
            .keys()
            .map(|(t, _)| t.clone())
            .chain([weft_store::DEFAULT_TENANT.to_owned()])
            .collect();
        for tenant in tenants {
            for record in self.store.dags(&tenant).await? {
                self.dags
                    .insert((record.tenant.clone(), record.dag_id.clone()), record);
            }
            for pool in self.store.pools(&tenant).await? {
                self.capacity.set_pool(&tenant, &pool.name, pool.slots);
            }
        }
        Ok(())
    }

    /// The DAG and graph of a component, validated once per digest.
    pub(crate) async fn graph(
        &mut self,
        tenant: &str,
        digest: &str,
    ) -> Result<Option<(Arc<Dag>, Arc<Graph>)>, SchedulerError> {
        if let Some(found) = self.graphs.get(digest) {
            return Ok(Some(found.clone()));
        }
        let Some(spec) = self.store.spec(tenant, digest).await? else {
            return Ok(None);
        };
        let dag = match spec.validate() {
            Ok(dag) => Arc::new(dag),
            Err(e) => {
                tracing::error!(%digest, error = %e, "stored spec no longer validates");
                return Ok(None);
            }
        };
        let graph = Arc::new(Graph::of(&dag));
        self.graphs
            .insert(digest.to_owned(), (dag.clone(), graph.clone()));
        Ok(Some((dag, graph)))
    }

    /// Put a run loaded from the store in memory, counting its in-flight task instances.
    async fn activate(
        &mut self,
        run: weft_store::DagRun,
        tis: Vec<TaskInstance>,
    ) -> Result<Option<ActiveRun>, SchedulerError> {
        let Some((dag, graph)) = self.graph(&run.tenant, &run.digest).await? else {
            tracing::error!(run = run.id, digest = %run.digest, "run's component is unknown; failing the run");
            self.batch.set_run.push(SetRunState {
                run: run.id,
                state: DagRunState::Failed,
                at: self.clock.now(),
            });
            return Ok(None);
        };
        let active = match ActiveRun::new(run, tis, dag, graph) {
            Ok(active) => active,
            Err(e) => {
                tracing::error!(error = %e, "run does not match its DAG");
                return Ok(None);
            }
        };
        for ti in &active.tis {
            if matches!(ti.state, TaskState::Queued | TaskState::Running) {
                self.capacity.take(&slot(ti));
            }
        }
        Ok(Some(active))
    }

    /// After a restart: queue again what was queued, and count running attempts as lost when
    /// they ran in this process.
    fn reconcile(&mut self, run: RunPk, now: Timestamp) {
        let Some(active) = self.runs.get(&run) else {
            return;
        };
        for (i, ti) in active.tis.iter().enumerate() {
            match ti.state {
                TaskState::Queued => self.batch.queue.push(QueueTask {
                    ti: ti.id,
                    lease: ti.lease,
                    from: TaskState::Queued,
                    try_number: ti.try_number,
                    at: now,
                }),
                TaskState::Running if self.config.recover_running_on_start => {
                    let task = &active.dag.tasks()[i];
                    self.batch.finish.push(retry::lost_attempt(task, ti, now));
                }
                _ => {}
            }
        }
    }

    /// Count attempts whose lease ended (their worker stopped heartbeating) as lost; they are
    /// retried like any failure.
    pub async fn expire_leases(&mut self) -> Result<(), SchedulerError> {
        let now = self.clock.now();
        for ti in self.store.expired_leases(now, 1000).await? {
            let Some(&(run, i)) = self.index.get(&ti.id) else {
                continue;
            };
            let Some(active) = self.runs.get(&run) else {
                continue;
            };
            tracing::warn!(ti = ti.id, task = %ti.task_id, worker = ?ti.worker_id, "lease expired; the attempt is lost");
            self.batch
                .finish
                .push(retry::lost_attempt(&active.dag.tasks()[i], &ti, now));
        }
        Ok(())
    }

    /// The earliest time something is due (a retry, a scheduled run, a run timeout); none
    /// when nothing is.
    pub fn wake_at(&self) -> Option<Timestamp> {
        self.wake_at
    }

    /// Number of runs in memory.
    pub fn active_runs(&self) -> usize {
        self.runs.len()
    }

    /// Whether run `run` is in memory.
    pub fn holds_run(&self, run: RunPk) -> bool {
        self.runs.contains_key(&run)
    }

    /// Apply worker reports and do everything that is due: decide downstream tasks, create
    /// scheduled runs, start runs, queue ready tasks, finish runs; then write the results and
    /// the decisions in one batch.
    ///
    /// Results are decided on before they are written: memory mirrors the store, so a result
    /// memory takes (right lease, attempt still going) is one the store takes too. The store
    /// checks again, and should it refuse one, nothing of the step is written and the runs it
    /// touched are read again from the store.
    pub async fn step(&mut self, reports: Vec<Report>) -> Result<(), SchedulerError> {
        let now = self.clock.now();
        // Retry delays end only when the wake time passes: scan for them only then.
        let due = self.wake_at.is_some_and(|at| at <= now);
        if due {
            self.wake_at = None;
        }
        // Runs to read again first: their results below must apply to what the store holds.
        for run in std::mem::take(&mut self.reload) {
            self.reload_run(run).await?;
        }
        for report in reports {
            self.take_report(report);
        }
        let finishes = self.screen_finishes();
        // A start reported with its attempt's result is written by the result (which carries
        // the start time): one change of the task instance instead of two.
        if !finishes.is_empty() && !self.batch.start.is_empty() {
            let ended: std::collections::HashSet<(weft_store::TiPk, i64)> =
                finishes.iter().map(|f| (f.ti, f.lease)).collect();
            self.batch
                .start
                .retain(|start| !ended.contains(&(start.ti, start.lease)));
        }
        for finish in &finishes {
            self.apply_finish(finish, now);
        }
        self.batch.finish = finishes;
        crate::timers::cron::create_due_runs(self, now).await?;
        if let Some(at) = crate::timers::cron::next_due(self, now) {
            self.wake_at = Some(self.wake_at.map_or(at, |w| w.min(at)));
        }
        if due {
            self.retry_due(now);
        }
        // Phase 2: run states, queue ops and decided task states. Finished runs go first so
        // that runs waiting on max_active_runs start in this same step; timed-out runs fail
        // before anything of theirs is queued.
        self.finish_runs(now);
        self.start_runs(now);
        crate::timers::run_timeout::fail_timed_out_runs(self, now);
        self.admit(now);
        self.finish_runs(now);
        self.flush().await
    }

    fn take_report(&mut self, report: Report) {
        match report {
            Report::Started(start) => self.batch.start.push(start),
            Report::Heartbeat(beat) => self.batch.heartbeat.push(beat),
            Report::Finished(result) => {
                let Some((active, i)) = self
                    .index
                    .get(&result.ti)
                    .and_then(|&(run, i)| Some((self.runs.get(&run)?, i)))
                else {
                    // Not an active run: the result is stale.
                    tracing::debug!(
                        ti = result.ti,
                        "result for a task instance that is not active"
                    );
                    return;
                };
                let task = &active.dag.tasks()[i];
                let max_tries = active.tis[i].max_tries;
                self.batch
                    .finish
                    .push(retry::finish_for(task, max_tries, *result));
            }
        }
    }

    /// The finishes the store will take: the attempt is still going under the lease the
    /// result names, and no earlier finish of this step ended it. The rest are stale.
    fn screen_finishes(&mut self) -> Vec<FinishTask> {
        let mut ended = std::collections::HashSet::new();
        let mut taken = Vec::new();
        for finish in std::mem::take(&mut self.batch.finish) {
            let current = self
                .index
                .get(&finish.ti)
                .and_then(|&(run, i)| self.runs.get(&run)?.tis.get(i));
            let live = current.is_some_and(|ti| {
                ti.lease == finish.lease
                    && matches!(ti.state, TaskState::Queued | TaskState::Running)
            });
            if live && ended.insert(finish.ti) {
                taken.push(finish);
            } else {
                tracing::info!(
                    ti = finish.ti,
                    lease = finish.lease,
                    "stale attempt result rejected"
                );
            }
        }
        taken
    }

    pub(crate) fn update_ti(&mut self, ti: weft_store::TiPk, f: impl FnOnce(&mut TaskInstance)) {
        if let Some(&(run, i)) = self.index.get(&ti)
            && let Some(active) = self.runs.get_mut(&run)
        {
            f(&mut active.tis[i]);
        }
    }

    /// Keep a run in memory, indexing its task instances; its id.
    pub(crate) fn insert_run(&mut self, active: ActiveRun) -> RunPk {
        let id = active.run.id;
        for (i, ti) in active.tis.iter().enumerate() {
            self.index.insert(ti.id, (id, i));
        }
        self.runs.insert(id, active);
        id
    }

    /// Drop a run from memory with its index entries and ready tasks.
    pub(crate) fn remove_run(&mut self, id: RunPk) -> Option<ActiveRun> {
        let active = self.runs.remove(&id)?;
        for ti in &active.tis {
            self.index.remove(&ti.id);
        }
        self.ready.retain(|(_, _, r, _)| *r != id);
        Some(active)
    }

    /// Record an applied finish in memory and decide what follows it.
    fn apply_finish(&mut self, finish: &FinishTask, now: Timestamp) {
        let Some(&(run_id, i)) = self.index.get(&finish.ti) else {
            return;
        };
        let Some(active) = self.runs.get_mut(&run_id) else {
            return;
        };
        self.capacity.give(&slot(&active.tis[i]));
        active.tis[i].next_retry_at = finish.next_retry_at;
        active.tis[i].ended_at = Some(finish.at);
        active.set_state(i, finish.state);
        active
            .outputs
            .record(i, finish.state, finish.output.as_deref());
        let evaluation = if finish.state == TaskState::UpForRetry {
            active.evaluate(vec![i], now)
        } else {
            active.evaluate_downstream(i, now)
        };
        self.absorb(run_id, evaluation, now);
    }

    /// Turn an evaluation into decisions: decided states to write, ready tasks to admit, a wake-up.
    pub(crate) fn absorb(&mut self, run: RunPk, evaluation: Evaluation, now: Timestamp) {
        let Some(active) = self.runs.get(&run) else {
            return;
        };
        for (i, state) in evaluation.decided {
            self.batch.set_task.push(SetTaskState {
                ti: active.tis[i].id,
                state,
                at: now,
                max_tries: None,
                bump_lease: false,
            });
        }
        for i in evaluation.ready {
            let ti = &active.tis[i];
            self.ready.insert((
                std::cmp::Reverse(ti.priority_weight),
                active.run.queued_at.as_microsecond(),
                run,
                i,
            ));
        }
        if let Some(at) = evaluation.wake_at {
            self.wake_at = Some(self.wake_at.map_or(at, |w| w.min(at)));
        }
    }

    fn retry_due(&mut self, now: Timestamp) {
        let due: Vec<(RunPk, usize)> = self
            .runs
            .iter()
            .flat_map(|(id, r)| {
                r.tis
                    .iter()
                    .enumerate()
                    .filter(|(_, ti)| ti.state == TaskState::UpForRetry)
                    .map(move |(i, _)| (*id, i))
            })
            .collect();
        for (run, i) in due {
            if let Some(active) = self.runs.get_mut(&run) {
                let evaluation = active.evaluate(vec![i], now);
                self.absorb(run, evaluation, now);
            }
        }
    }

    /// (Re)load a run from the store and evaluate all of it.
    pub(crate) async fn reload_run(&mut self, run: RunPk) -> Result<(), SchedulerError> {
        self.forget_run(run);
        let Some((row, tis)) = self.store.run(run).await? else {
            return Ok(());
        };
        self.load_run(row, tis).await
    }

    /// Take a run as the store holds it (just written, or just read) and evaluate all of it.
    pub(crate) async fn load_run(
        &mut self,
        row: weft_store::DagRun,
        tis: Vec<TaskInstance>,
    ) -> Result<(), SchedulerError> {
        let run = row.id;
        self.forget_run(run);
        if row.state.is_finished() {
            return Ok(());
        }
        if let Some(active) = self.activate(row, tis).await? {
            self.insert_run(active);
            self.evaluate_run(run);
        }
        Ok(())
    }

    /// Drop a run from memory, giving back the slots its task instances held.
    fn forget_run(&mut self, run: RunPk) {
        if let Some(old) = self.remove_run(run) {
            for ti in &old.tis {
                if matches!(ti.state, TaskState::Queued | TaskState::Running) {
                    self.capacity.give(&slot(ti));
                }
            }
        }
    }

    pub(crate) fn evaluate_run(&mut self, run: RunPk) {
        let now = self.clock.now();
        if let Some(active) = self.runs.get_mut(&run) {
            let evaluation = active.evaluate_all(now);
            self.absorb(run, evaluation, now);
        }
    }

    fn dag_limit(&self, dag: &Dag, runs: bool) -> u32 {
        if runs {
            dag.max_active_runs()
                .unwrap_or(self.config.default_max_active_runs)
        } else {
            dag_limit(&self.config, dag)
        }
    }

    pub(crate) fn paused(&self, tenant: &str, dag_id: &str) -> bool {
        paused_in(&self.dags, tenant, dag_id)
    }

    /// Move queued runs to running, oldest first, within each DAG's max_active_runs; a
    /// paused DAG's runs stay queued.
    fn start_runs(&mut self, now: Timestamp) {
        let mut running: HashMap<(String, String), u32> = HashMap::new();
        for r in self
            .runs
            .values()
            .filter(|r| r.run.state == DagRunState::Running)
        {
            *running
                .entry((r.run.tenant.clone(), r.run.dag_id.clone()))
                .or_default() += 1;
        }
        let mut queued: Vec<(i64, RunPk)> = self
            .runs
            .values()
            .filter(|r| r.run.state == DagRunState::Queued)
            .map(|r| (r.run.logical_date.as_microsecond(), r.run.id))
            .collect();
        queued.sort();
        for (_, id) in queued {
            let Some(active) = self.runs.get(&id) else {
                continue;
            };
            let key = (active.run.tenant.clone(), active.run.dag_id.clone());
            if self.paused(&key.0, &key.1) {
                continue;
            }
            let limit = self.dag_limit(&active.dag, true);
            let count = running.entry(key).or_default();
            if *count >= limit {
                continue;
            }
            *count += 1;
            self.batch.set_run.push(SetRunState {
                run: id,
                state: DagRunState::Running,
                at: now,
            });
            if let Some(active) = self.runs.get_mut(&id) {
                active.run.state = DagRunState::Running;
                active.run.started_at.get_or_insert(now);
            }
        }
    }

    /// Queue ready task instances in priority order while slots allow.
    fn admit(&mut self, now: Timestamp) {
        // Walk the ready tasks in order without taking them out: only the admitted and the
        // stale leave the set. Slots only fill up during the walk, so a run that may not
        // run, or a run's pool or DAG found full, stays so for the rest of it. Ready tasks of
        // one run sit together in the order, so what was found of a run is kept while its
        // tasks go by; a big run held back by a full pool costs a few compares per task.
        let mut leaving = Vec::new();
        let mut waiting = Vec::new();
        let mut may_run: FastMap<RunPk, bool> = FastMap::default();
        // Pools found full, by run, for the runs walked past.
        let mut full: FastMap<RunPk, Vec<&str>> = FastMap::default();
        let mut current: Option<Walked<'_>> = None;
        for &key in &self.ready {
            let (_, _, run, i) = key;
            if current.as_ref().is_none_or(|c| c.run != run) {
                if let Some(done) = current.take() {
                    full.insert(done.run, done.full);
                }
                current = self.runs.get(&run).map(|active| Walked {
                    run,
                    active,
                    runs: *may_run.entry(run).or_insert_with(|| {
                        active.run.state == DagRunState::Running
                            && !paused_in(&self.dags, &active.run.tenant, &active.run.dag_id)
                    }),
                    limit: dag_limit(&self.config, &active.dag),
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
            let fits = walked.runs
                && !walked.full.contains(&ti.pool.as_str())
                && self
                    .capacity
                    .fits(&slot(ti), self.config.parallelism, walked.limit);
            if !fits {
                if walked.runs {
                    if !walked.full.contains(&ti.pool.as_str()) {
                        walked.full.push(ti.pool.as_str());
                    }
                    // Waiting for a slot only: a paused DAG's tasks stay as they are, as in Airflow.
                    if ti.state == TaskState::None {
                        waiting.push((run, i));
                    }
                }
                if self.capacity.total >= self.config.parallelism {
                    break;
                }
                continue;
            }
            self.capacity.take(&slot(ti));
            let try_number = if ti.state == TaskState::Queued {
                ti.try_number
            } else {
                ti.try_number + 1
            };
            self.batch.queue.push(QueueTask {
                ti: ti.id,
                lease: ti.lease,
                from: ti.state,
                try_number,
                at: now,
            });
            leaving.push(key);
        }
        for key in &leaving {
            self.ready.remove(key);
        }
        self.mark_scheduled(waiting, now);
    }

    /// Ready tasks of running runs that wait for a slot are `scheduled`, as in Airflow: their
    /// dependencies are met, and they go as soon as a slot frees.
    fn mark_scheduled(&mut self, waiting: Vec<(RunPk, usize)>, now: Timestamp) {
        for (run, i) in waiting {
            let Some(active) = self.runs.get_mut(&run) else {
                continue;
            };
            active.tis[i].state = TaskState::Scheduled;
            self.batch.set_task.push(SetTaskState {
                ti: active.tis[i].id,
                state: TaskState::Scheduled,
                at: now,
                max_tries: None,
                bump_lease: false,
            });
        }
    }

    /// Finish runs whose tasks are all done, and fail deadlocked ones.
    fn finish_runs(&mut self, now: Timestamp) {
        let mut done = Vec::new();
        for (id, active) in &self.runs {
            if active.run.state != DagRunState::Running {
                continue;
            }
            let state = match active.final_state() {
                Some(state) => state,
                None if active.deadlocked() => {
                    tracing::warn!(run = %active.run.run_id, dag = %active.run.dag_id, "no task can make progress; failing the run");
                    DagRunState::Failed
                }
                None => continue,
            };
            done.push((*id, state));
        }
        for (id, state) in done {
            self.batch.set_run.push(SetRunState {
                run: id,
                state,
                at: now,
            });
            if let Some(active) = self.remove_run(id) {
                tracing::info!(run = %active.run.run_id, dag = %active.run.dag_id, state = state.as_str(), "run finished");
            }
        }
    }
}

/// What the admit walk found of the run whose ready tasks it is passing.
struct Walked<'a> {
    run: RunPk,
    active: &'a ActiveRun,
    /// The run is running and its DAG not paused.
    runs: bool,
    /// The DAG's `max_active_tasks`.
    limit: u32,
    /// Pools found full for this run (or its DAG full) during the walk.
    full: Vec<&'a str>,
}

/// A DAG's `max_active_tasks`, or the scheduler's default.
fn dag_limit(config: &SchedulerConfig, dag: &Dag) -> u32 {
    dag.max_active_tasks()
        .unwrap_or(config.default_max_active_tasks)
}

/// Whether DAG `dag_id` of `tenant` is paused in `dags`.
fn paused_in(dags: &HashMap<(String, String), DagRecord>, tenant: &str, dag_id: &str) -> bool {
    dags.get(&(tenant.to_owned(), dag_id.to_owned()))
        .is_some_and(|d| d.paused)
}

/// The slot a task instance occupies.
pub(crate) fn slot(ti: &TaskInstance) -> Slot<'_> {
    Slot {
        tenant: &ti.tenant,
        dag_id: &ti.dag_id,
        pool: &ti.pool,
    }
}
