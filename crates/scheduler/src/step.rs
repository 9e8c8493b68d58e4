//! The [`Scheduler`]: its memory of the store, held by concern, and the step that ties the
//! concerns together — take worker reports, run what is due, start runs, admit ready tasks,
//! complete runs, then write it all in one batch.
//!
//! Each part of the memory has one owner, changed through its own methods: the DAGs
//! ([`Dags`]), the active runs ([`ActiveRuns`]), the ready tasks and slots ([`Admission`]),
//! what the step will write ([`Outbox`]), the wake-up time ([`Wake`]), the scheduled
//! intervals ([`Schedules`]) and the queue's generation ([`QueueWatch`]).

use std::collections::HashSet;
use std::sync::Arc;

use jiff::Timestamp;
use weft_model::TaskState;
use weft_queue::Queue;
use weft_store::{EndMapped, RunPk, Store};

use crate::active_run::{ActiveRun, Evaluation};
use crate::active_runs::ActiveRuns;
use crate::admission::Admission;
use crate::asset_runs::AssetWatch;
use crate::clock::Clock;
use crate::config::SchedulerConfig;
use crate::dags::Dags;
use crate::deferrals::Deferrals;
use crate::error::SchedulerError;
use crate::express::Pace;
use crate::flight::Flight;
use crate::mapping::Expansions;
use crate::outbox::Outbox;
use crate::resync::{QueueWatch, Resync};
use crate::run_reads::RunReads;
use crate::timers::{Schedules, Wake};
use weft_protocol::Report;

/// The scheduler's memory of the store (active runs, DAGs, slots, timers) and the step that
/// moves it on. One `Scheduler` owns the active runs of a store.
pub struct Scheduler {
    /// The metadata store: the truth memory mirrors, and where every step is written.
    pub(crate) store: Arc<dyn Store>,
    /// Where queued attempts' messages go for workers to take.
    pub(crate) queue: Arc<dyn Queue>,
    /// The time every decision is dated with (injected, so tests move it by hand).
    pub(crate) clock: Arc<dyn Clock>,
    /// Limits and timer intervals.
    pub(crate) config: SchedulerConfig,
    /// Deployed DAGs' records, and validated DAGs by component digest.
    pub(crate) dags: Dags,
    /// The active runs in memory, indexed by task instance.
    pub(crate) runs: ActiveRuns,
    /// Ready task instances waiting for a slot, and the slots taken.
    pub(crate) admission: Admission,
    /// What the current step will write, and the runs to read again.
    pub(crate) outbox: Outbox,
    /// When the next step is due without any report (a retry, a scheduled run, a timeout).
    pub(crate) wake: Wake,
    /// The latest scheduled interval of each scheduled DAG, once looked up.
    pub(crate) schedules: Schedules,
    /// The queue's generation when last asked, to notice a queue that lost its contents.
    pub(crate) queue_watch: QueueWatch,
    /// Deferred task instances by the run they wait for, and the run and task ends to
    /// match against them.
    pub(crate) deferrals: Deferrals,
    /// Mapped tasks decided ready to expand.
    pub(crate) expansions: Expansions,
    /// Runs being read from the store away from the loop.
    pub(crate) reads: RunReads,
    /// The resync under way, if one is (see [`resync`](crate::resync)).
    pub(crate) resync: Resync,
    /// DAGs scheduled on assets to look at for a complete set of events.
    pub(crate) assets: AssetWatch,
    /// Whether a full step with much to write may leave its write in flight (see
    /// [`flight`](crate::flight)): only under the running loop, which lands it.
    pub(crate) may_fly: bool,
    /// The batch left in flight, if any.
    pub(crate) flight: Option<Flight>,
    /// Tenants of runs that left memory since the last batch was taken: its batch touches
    /// them, though their task instances are no longer found.
    pub(crate) left_tenants: HashSet<String>,
}

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
            dags: Dags::default(),
            runs: ActiveRuns::default(),
            admission: Admission::default(),
            outbox: Outbox::default(),
            wake: Wake::default(),
            schedules: Schedules::default(),
            queue_watch: QueueWatch::default(),
            deferrals: Deferrals::default(),
            expansions: Expansions::default(),
            reads: RunReads::default(),
            resync: Resync::default(),
            assets: AssetWatch::default(),
            may_fly: false,
            flight: None,
            left_tenants: HashSet::new(),
        }
    }

    /// Hear of every run that ends (succeeds or fails) from now on, once the store says so.
    pub fn subscribe_ended(&self) -> tokio::sync::broadcast::Receiver<RunPk> {
        self.outbox.ended().subscribe()
    }

    /// The earliest time something is due (a retry, a scheduled run, a run timeout, marks of
    /// waiting tasks; now when the last step left work for the next); none when nothing is.
    pub fn wake_at(&self) -> Option<Timestamp> {
        // Ends to match or waits to check against the store, or ready tasks a step's cap left
        // for the next: the next step is due now.
        if self.deferrals.has_work()
            || !self.expansions.is_empty()
            || self.admission.capped()
            || self.assets.has_work()
        {
            return Some(self.clock.now());
        }
        match (self.wake.at(), self.admission.marks_wake()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Number of runs in memory.
    pub fn active_runs(&self) -> usize {
        self.runs.len()
    }

    /// Whether run `run` is in memory.
    pub fn holds_run(&self, run: RunPk) -> bool {
        self.runs.contains(run)
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
        self.step_as(reports, Pace::Full).await?;
        // Whoever steps by hand hears of the write: it is not left in flight.
        self.land().await
    }

    /// [`step`](Self::step) at `pace`: an express step queues less and marks nothing (see
    /// `express`).
    pub(crate) async fn step_as(
        &mut self,
        reports: Vec<Report>,
        pace: Pace,
    ) -> Result<(), SchedulerError> {
        let started = std::time::Instant::now();
        let metrics = weft_metrics::metrics();
        metrics.scheduler_reports.inc_by(reports.len() as u64);
        let stepped = self.step_at(reports, pace).await;
        metrics
            .scheduler_step_seconds
            .observe(started.elapsed().as_secs_f64());
        stepped
    }

    async fn step_at(&mut self, reports: Vec<Report>, pace: Pace) -> Result<(), SchedulerError> {
        if pace == Pace::Overlapped {
            return self.overlapped_step(reports).await;
        }
        let now = self.clock.now();
        // Retry delays end only when the wake time passes: scan for them only then.
        let due = self.wake.take_if_due(now);
        // Runs to read again first: their results below must apply to what the store holds.
        // One the store cannot give now is read again next step, with those not yet tried,
        // and this step writes nothing (its results are not acknowledged, so they come
        // again); one the store cannot give at all is left out, with a word in the log.
        let mut reloads = self.outbox.take_reloads().into_iter();
        while let Some(run) = reloads.next() {
            match self.reload_run(run).await {
                Ok(()) => {}
                Err(e) if e.is_retriable() => {
                    self.outbox.reload(run);
                    self.outbox.reload_all(reloads);
                    // The wake-up this step took is the next one's.
                    if due {
                        self.wake.at_once(now);
                    }
                    return Err(e.into());
                }
                Err(e) => tracing::error!(run, error = %e, "a run cannot be read again; left out"),
            }
        }
        // Mapped tasks the last step admitted expand now that it is written.
        self.expand_mapped(now).await?;
        self.take_reports(reports, now);
        self.resolve_waits(now).await?;
        self.create_due_runs(now).await?;
        self.create_asset_runs(now).await?;
        if due {
            self.retry_due(now);
        }
        // Phase 2: run states, queue ops and decided task states. Finished runs go first so
        // that runs waiting on max_active_runs start in this same step; timed-out runs fail
        // before anything of theirs is queued.
        self.complete_runs(now);
        self.start_runs(now);
        self.fail_timed_out_runs(now);
        self.admit(now, pace);
        self.complete_runs(now);
        // After the runs that ended: a `@continuous` DAG with room is due again at once.
        if let Some(at) = self
            .schedules
            .next_due(&self.dags, &self.runs, &self.reads, now)
        {
            self.wake.no_later_than(at);
        }
        self.flush(pace).await
    }

    /// A step beside a batch in flight (see [`flight`](crate::flight)): it takes reports
    /// and new runs of tenants the batch does not touch, and reads no run from the store,
    /// which has not yet written that batch. What is due (runs to read again, waits, timers,
    /// retries, scheduled runs) waits for the next full step, after the batch lands.
    async fn overlapped_step(&mut self, reports: Vec<Report>) -> Result<(), SchedulerError> {
        let now = self.clock.now();
        self.take_reports(reports, now);
        self.complete_runs(now);
        self.start_runs(now);
        self.admit(now, Pace::Overlapped);
        self.complete_runs(now);
        // After the runs that ended: a `@continuous` DAG with room is due again at once.
        if let Some(at) = self
            .schedules
            .next_due(&self.dags, &self.runs, &self.reads, now)
        {
            self.wake.no_later_than(at);
        }
        self.flush(Pace::Overlapped).await
    }

    /// Turn an evaluation of run `run` into decisions: decided states to write, ready tasks
    /// to admit, a wake-up for the earliest retry.
    pub(crate) fn absorb(&mut self, run: RunPk, evaluation: Evaluation, now: Timestamp) {
        let Some(active) = self.runs.get(run) else {
            return;
        };
        for (i, state) in evaluation.decided {
            self.outbox.set_task(active.tis[i].id, state, now);
            self.deferrals
                .task_ended(&active.run, &active.tis[i].task_id, state);
        }
        for (i, state) in evaluation.ended_mapped {
            self.outbox.end_mapped(EndMapped {
                ti: active.tis[i].id,
                lease: active.tis[i].lease,
                state,
                at: now,
            });
            self.deferrals
                .task_ended(&active.run, &active.tis[i].task_id, state);
        }

        for i in evaluation.ready {
            self.admission.make_ready(run, active, i);
        }
        if let Some(at) = evaluation.wake_at {
            self.wake.no_later_than(at);
        }
    }

    /// Keep a run in memory, watching what its deferred task instances wait for; its key.
    pub(crate) fn insert_run(&mut self, active: ActiveRun) -> RunPk {
        let deferred: Vec<usize> = active
            .tis
            .iter()
            .enumerate()
            .filter(|(_, ti)| ti.state == TaskState::Deferred)
            .map(|(i, _)| i)
            .collect();
        let run = self.runs.insert(active);
        for i in deferred {
            self.watch_wait(run, i);
        }
        run
    }

    /// Drop a run from memory with its ready tasks (the slots its task instances hold are
    /// the caller's to give back).
    pub(crate) fn remove_run(&mut self, id: RunPk) -> Option<ActiveRun> {
        let active = self.runs.remove(id)?;
        self.resync.run_left(id);
        if !self.left_tenants.contains(&active.run.tenant) {
            self.left_tenants.insert(active.run.tenant.clone());
        }
        self.admission.drop_run(id);
        self.unwatch_waits(&active.run, &active.tis);
        Some(active)
    }
}
