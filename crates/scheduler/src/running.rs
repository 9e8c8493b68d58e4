//! The scheduler as a running service: [`SchedulerService`], a loop fed by a channel
//! (worker reports, notices, clear and mark requests, runs just created) through the
//! [`SchedulerHandle`] everyone else holds, and woken by its own timers.
//!
//! Whatever arrives while a step is writing is taken by the next step in one go, so writes
//! are batched by themselves under load, and a lone event is handled at once; only reports
//! and new runs of tenants a big step's write does not touch go beside that write, in a step
//! of their own (`flight`, `overlap`). When what
//! arrived mixes heavy work (a flooding tenant's reports, a big run built) with other
//! inputs, the others go first in an express step of their own (`express`). A run told of
//! by a notice that the loop does not hold yet is read away from the loop
//! (`run_reads`) and taken up when the store answers; a big run is built away from it
//! (`run_builds`), and a resync's read of the store is made away from it too (`resync`).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use weft_model::TaskState;
use weft_queue::Queue;
use weft_store::{DagRun, RunPk, Store, TaskInstance};

use crate::clock::Clock;
use crate::config::SchedulerConfig;
use crate::control::{ControlError, Notice};
use crate::error::SchedulerError;
use crate::express::{self, Pace};
use crate::handle::SchedulerHandle;
use crate::resync::ResyncAnswer;
use crate::run_builds::Rows;
use crate::run_reads::{Answer, RunRead};
use crate::run_requests::RunRequests;
use crate::step::Scheduler;
use weft_protocol::{Report, RunCreatedFromDag};

mod overlap;

/// Reports in the last step that mean a flow of them (a start and an end a task, mostly),
/// when that step ended less than [`FLOW_GAP`] ago.
const FLOW: usize = 16;
/// How recent the last step of [`FLOW`] reports must be for the flow to go on.
const FLOW_GAP: Duration = Duration::from_millis(5);
/// Reports a step under a flow of them waits for.
const BATCH: usize = 64;
/// The longest a step under a flow of reports waits for [`BATCH`] of them (about a
/// millisecond more with the timer's tick).
const GATHER: Duration = Duration::from_millis(1);

/// What the loop is fed, by [`SchedulerHandle`]s.
pub(crate) enum Input {
    /// Worker reports; the sender, if any, hears once they are written (dropped if the pass
    /// that took them failed before or in its step, or, for a batch an express or overlapped
    /// step took in part, if that step failed).
    Reports(Vec<Report>, Option<oneshot::Sender<()>>),
    /// Something changed in the store that the scheduler must read again (a run it holds at
    /// once, in turn with reports; one it does not hold away from the loop).
    Notice(Notice),
    /// A run just created in this process, as written: no need to read it back.
    Created(Box<DagRun>, Vec<TaskInstance>),
    /// A run just created elsewhere, its task instances carried as ids: built from its DAG.
    CreatedFromDag(Box<RunCreatedFromDag>),
    /// Clear task instances of a run (see [`Control::clear`](crate::Control::clear)); the
    /// number cleared goes to `reply`.
    Clear {
        tenant: String,
        run: RunPk,
        task_ids: Vec<String>,
        downstream: bool,
        reply: oneshot::Sender<Result<usize, ControlError>>,
    },
    /// Mark a task instance by hand (see [`Control::mark`](crate::Control::mark)).
    Mark {
        tenant: String,
        run: RunPk,
        task_id: String,
        state: TaskState,
        reply: oneshot::Sender<Result<(), ControlError>>,
    },
    /// A run read or built away from the loop ([`run_reads`](crate::run_reads)).
    Read(Box<RunRead>),
}

impl Input {
    /// What kind of input this is, for the log.
    fn name(&self) -> &'static str {
        match self {
            Input::Reports(..) => "reports",
            Input::Notice(Notice::DagChanged { .. }) => "a DAG changed",
            Input::Notice(Notice::TenantChanged { .. }) => "a tenant changed",
            Input::Notice(Notice::AssetUpdated { .. }) => "an asset updated",
            Input::Notice(Notice::RunChanged(_)) => "a run changed",
            Input::Created(..) | Input::CreatedFromDag(_) => "a run created",
            Input::Clear { .. } => "a clear",
            Input::Mark { .. } => "a mark",
            Input::Read(_) => "a run read",
        }
    }

    /// The run this input names, if it names one (one it loads, clears or marks in).
    pub(crate) fn names_run(&self) -> Option<RunPk> {
        match self {
            Input::Clear { run, .. } | Input::Mark { run, .. } => Some(*run),
            other => other.run(),
        }
    }

    /// The run this input loads into memory, if it loads one.
    fn run(&self) -> Option<RunPk> {
        match self {
            Input::Notice(Notice::RunChanged(run)) => Some(*run),
            Input::Created(run, _) => Some(run.id),
            Input::CreatedFromDag(created) => Some(created.run.id),
            Input::Read(read) => Some(read.run),
            Input::Reports(..) | Input::Notice(_) | Input::Clear { .. } | Input::Mark { .. } => {
                None
            }
        }
    }
}

/// Which of the loop's own timers went off before a step.
#[derive(Default)]
struct Ticked {
    /// Look for expired leases and ask the queue whether it lost its contents.
    leases: bool,
    /// Read the store again for what the scheduler was not told of.
    resync: bool,
    /// The scheduler's own wake-up time came (a retry, a schedule, a timeout).
    wake: bool,
}

impl Ticked {
    /// Whether any timer went off.
    fn any(&self) -> bool {
        self.leases || self.resync || self.wake
    }

    /// These timers and `other`'s.
    fn and(self, other: Ticked) -> Ticked {
        Ticked {
            leases: self.leases || other.leases,
            resync: self.resync || other.resync,
            wake: self.wake || other.wake,
        }
    }
}

/// A timer that first goes off after `first`, then every `every`.
fn timer(first: Duration, every: Duration) -> tokio::time::Interval {
    let start = tokio::time::Instant::now() + first;
    let mut timer = tokio::time::interval_at(start, every.max(Duration::from_millis(10)));
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    timer
}

/// The scheduler's loop; run it with [`SchedulerService::run`].
pub struct SchedulerService {
    /// The state the loop steps.
    scheduler: Scheduler,
    /// What the handles feed in.
    rx: mpsc::UnboundedReceiver<Input>,
    /// Where runs read away from the loop arrive, and the sender the reads are given.
    reads: (
        mpsc::UnboundedSender<RunRead>,
        mpsc::UnboundedReceiver<RunRead>,
    ),
    /// Where a resync's read of the store arrives, and the sender it is given.
    resyncs: (
        mpsc::UnboundedSender<ResyncAnswer>,
        mpsc::UnboundedReceiver<ResyncAnswer>,
    ),
    /// A resync's read arrived, for the next full step to take.
    resynced: Option<ResyncAnswer>,
    /// When the last step that took [`FLOW`] reports or more ended.
    flow_seen: Option<std::time::Instant>,
    /// Timers that went off for a pass that ended before running them.
    owed: Ticked,
    /// Heavy work an express step left for the next step (see `express`): reports, big runs
    /// built, and inputs naming those runs.
    held: Vec<Input>,
    /// What arrived while a batch was in flight and did not go beside it (see `overlap`), in
    /// the order it came: the next pass takes it first.
    arrived: Vec<Input>,
}

/// A scheduler over `store` and `queue`, and the handle that feeds it.
pub fn scheduler(
    store: Arc<dyn Store>,
    queue: Arc<dyn Queue>,
    clock: Arc<dyn Clock>,
    config: SchedulerConfig,
) -> (SchedulerHandle, SchedulerService) {
    let (tx, rx) = mpsc::unbounded_channel();
    let requests = RunRequests::new(store.clone(), clock.clone(), config.allow_trigger_in_future);
    let mut scheduler = Scheduler::new(store, queue, clock, config);
    // The loop lands every batch it leaves in flight (see `flight`).
    scheduler.may_fly = true;
    let handle = SchedulerHandle::new(
        tx,
        requests,
        scheduler.outbox.ended().clone(),
        scheduler.dags.subscribe_reporting(),
    );
    let service = SchedulerService {
        scheduler,
        rx,
        reads: mpsc::unbounded_channel(),
        resyncs: mpsc::unbounded_channel(),
        resynced: None,
        flow_seen: None,
        owed: Ticked::default(),
        held: Vec::new(),
        arrived: Vec::new(),
    };
    (handle, service)
}

impl SchedulerService {
    /// Run until `shutdown` resolves (or every handle is dropped). Store failures are logged;
    /// what they held up is read again (a run at the next step, the rest by the resync), and
    /// nothing is lost because the store is the truth.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut backoff = Duration::from_millis(50);
        loop {
            match self.scheduler.start().await {
                Ok(()) => break,
                Err(e) => {
                    tracing::error!(error = %e, "scheduler cannot start yet; retrying");
                    tokio::select! {
                        _ = &mut shutdown => return,
                        _ = tokio::time::sleep(backoff) => backoff = (backoff * 2).min(Duration::from_secs(5)),
                    }
                }
            }
        }
        let config = &self.scheduler.config;
        let mut lease_check = timer(config.first_lease_check_after, config.lease_check_interval);
        let mut resync = timer(config.resync_interval, config.resync_interval);
        loop {
            // What an express step held back goes first, in the next step, at once.
            let mut inputs = std::mem::take(&mut self.held);
            let held = !inputs.is_empty();
            // Then what arrived while a batch was in flight, without waiting for more.
            inputs.append(&mut self.arrived);
            let mut ticked = Ticked::default();
            if inputs.is_empty() {
                let sleep = self.until_wake();
                tokio::select! {
                    biased;
                    _ = &mut shutdown => break,
                    input = self.rx.recv() => match input {
                        Some(input) => inputs.push(input),
                        None => break,
                    },
                    Some(read) = self.reads.1.recv() => inputs.push(Input::Read(Box::new(read))),
                    Some(read) = self.resyncs.1.recv() => self.resynced = Some(read),
                    _ = tokio::time::sleep(sleep) => ticked.wake = true,
                    _ = lease_check.tick() => ticked.leases = true,
                    _ = resync.tick() => ticked.resync = true,
                }
            } else if !held {
                // Timers that are due go with what arrived, as they would have in a wait.
                tokio::select! {
                    biased;
                    _ = &mut shutdown => break,
                    _ = lease_check.tick() => ticked.leases = true,
                    _ = resync.tick() => ticked.resync = true,
                    () = std::future::ready(()) => {}
                }
            }
            while let Ok(more) = self.rx.try_recv() {
                inputs.push(more);
            }
            while let Ok(read) = self.reads.1.try_recv() {
                inputs.push(Input::Read(Box::new(read)));
            }
            if !ticked.any() && !held {
                self.gather_reports(&mut inputs).await;
            }
            // A pass that takes held work is not split again: it waits one step at most.
            let split = if held {
                express::Split {
                    take: inputs,
                    hold: Vec::new(),
                }
            } else {
                express::split(&self.scheduler, inputs)
            };
            let pace = if split.is_express() {
                tracing::debug!(
                    held = split.hold.len(),
                    "express step: heavy work waits for the next"
                );
                Pace::Express
            } else {
                Pace::Full
            };
            self.held = split.hold;
            if let Err(e) = self.handle(split.take, ticked, pace).await {
                // The held reports' batches were not all written: their senders must not
                // hear that they were.
                for input in &mut self.held {
                    if let Input::Reports(_, written) = input {
                        *written = None;
                    }
                }
                tracing::error!(error = %e, "scheduler step failed; carrying on from the store");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        tracing::info!("scheduler stopped");
    }

    /// Under a flow of reports (the last step, just ended, took [`FLOW`] or more), a step made
    /// of reports alone waits up to [`GATHER`] for [`BATCH`] of them: each step costs a store round
    /// trip and a push whatever it carries, so under load fewer, larger steps leave more of
    /// the machine to the tasks. Anything else (a new run, a command, a timer) steps at once,
    /// and so does a lone report (a chain's next task is not held up).
    async fn gather_reports(&mut self, inputs: &mut Vec<Input>) {
        let flowing = self.flow_seen.is_some_and(|at| at.elapsed() < FLOW_GAP);
        // A step for a timer alone (nothing came in) is not held up either.
        if !flowing || inputs.is_empty() {
            return;
        }
        let mut count = 0;
        let mut weight = express::Weight::default();
        for input in inputs.iter() {
            match input {
                Input::Reports(reports, _) => count += reports.len(),
                _ => return,
            }
            weight.add(&self.scheduler, input);
        }
        // A light tenant's report is not held up for the flood's.
        if weight.worth_splitting(&self.scheduler) {
            return;
        }
        let deadline = tokio::time::Instant::now() + GATHER;
        while count < BATCH {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(input)) => {
                    let reports = match &input {
                        Input::Reports(reports, _) => Some(reports.len()),
                        _ => None,
                    };
                    weight.add(&self.scheduler, &input);
                    inputs.push(input);
                    match reports {
                        Some(n) if !weight.worth_splitting(&self.scheduler) => count += n,
                        _ => break,
                    }
                }
                Ok(None) | Err(_) => break,
            }
        }
    }

    /// Take up a run read away from the loop, if no newer word on it came meanwhile; a read
    /// that failed is made again in the loop, whose failure the loop handles.
    async fn take_read(&mut self, read: RunRead) -> Result<(), SchedulerError> {
        if !self.scheduler.reads.take(&read) {
            // A stale big run is freed away from the loop, like an ended one.
            if let Answer::Built(Ok(built)) = read.answer {
                crate::completion::drop_away(built.active);
            }
            return Ok(());
        }
        match read.answer {
            Answer::Read(answer) => match *answer {
                Ok(Some((row, tis))) => {
                    let rows = Rows::Stored(Box::new(row), tis);
                    self.scheduler.load_or_build(rows, &self.reads.0).await?;
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(run = read.run, error = %e, "reading a run failed; reading it again");
                    self.scheduler.reload_run(read.run).await?;
                }
            },
            Answer::Built(Ok(built)) => self.scheduler.take_built(*built),
            Answer::Built(Err(e)) => {
                tracing::error!(run = read.run, error = %e, "a run could not be built; left out (each resync reads it and tries again)");
            }
        }
        Ok(())
    }

    /// How long to sleep before the scheduler's wake-up time (an hour when nothing is due).
    fn until_wake(&self) -> Duration {
        let Some(at) = self.scheduler.wake_at() else {
            return Duration::from_secs(3600);
        };
        let now = self.scheduler.clock.now();
        Duration::try_from(at.duration_since(now)).unwrap_or(Duration::ZERO)
    }

    /// An input not taken because the store is unreachable: a clear or a mark is answered
    /// so, a run is read at the start of the next step, and the rest is left to the resync.
    fn put_off(&mut self, input: Input) {
        let unavailable = || {
            ControlError::Unavailable(
                "the scheduler's store is unavailable; nothing was changed".into(),
            )
        };
        match input {
            Input::Clear { reply, .. } => {
                let _ = reply.send(Err(unavailable()));
            }
            Input::Mark { reply, .. } => {
                let _ = reply.send(Err(unavailable()));
            }
            other => {
                if let Some(run) = other.run() {
                    self.scheduler.outbox.reload(run);
                }
            }
        }
    }

    /// Take one input other than reports.
    async fn take(&mut self, input: Input) -> Result<(), SchedulerError> {
        match input {
            // Gathered for the step by the caller.
            Input::Reports(..) => {}
            Input::Notice(Notice::DagChanged { tenant, dag_id }) => {
                self.scheduler.load_dag(&tenant, &dag_id).await?;
            }
            Input::Notice(Notice::TenantChanged { tenant }) => {
                self.scheduler.load_tenant(&tenant).await?;
            }
            Input::Notice(Notice::AssetUpdated { tenant, uri }) => {
                self.scheduler
                    .assets_updated([(tenant.as_str(), uri.as_str())]);
            }
            // A run in memory is read again in turn with its reports; one not yet in memory
            // (just created elsewhere, its message could carry neither its rows nor their
            // ids) is read while the loop goes on.
            Input::Notice(Notice::RunChanged(run)) if self.scheduler.holds_run(run) => {
                self.scheduler.reload_run(run).await?;
            }
            Input::Notice(Notice::RunChanged(run)) => {
                let store = &self.scheduler.store;
                self.scheduler.reads.start(run, store, &self.reads.0);
            }
            Input::Read(read) => self.take_read(*read).await?,
            // A big run is built away from the loop (see `run_builds`).
            Input::Created(run, tis) => {
                if !self.scheduler.holds_run(run.id) {
                    let rows = Rows::Stored(run, tis);
                    self.scheduler.load_or_build(rows, &self.reads.0).await?;
                }
            }
            Input::CreatedFromDag(created) => {
                if !self.scheduler.holds_run(created.run.id) {
                    let rows = Rows::Ids(created);
                    self.scheduler.load_or_build(rows, &self.reads.0).await?;
                }
            }
            Input::Clear {
                tenant,
                run,
                task_ids,
                downstream,
                reply,
            } => {
                let cleared = self
                    .scheduler
                    .clear(&tenant, run, &task_ids, downstream)
                    .await;
                let _ = reply.send(cleared);
            }
            Input::Mark {
                tenant,
                run,
                task_id,
                state,
                reply,
            } => {
                let _ = reply.send(self.scheduler.mark(&tenant, run, &task_id, state).await);
            }
        }
        Ok(())
    }

    /// Take everything that arrived, run the timers that went off, and step once.
    ///
    /// An input that fails does not cost the others theirs: a clear or a mark taken with it
    /// is still carried out and answered. A run that an input failed to read is read again
    /// first thing in the step, whose reports wait for it: if the store still fails, the
    /// step writes and acknowledges nothing, and they come again. Once an input finds the
    /// store unreachable, the rest are not tried (each would wait out the same failure):
    /// clears and marks are answered that the store is unavailable, runs are read at the
    /// next step, the rest is left to the resync, and the pass ends there, its timers owed
    /// to the next.
    async fn handle(
        &mut self,
        inputs: Vec<Input>,
        ticked: Ticked,
        pace: Pace,
    ) -> Result<(), SchedulerError> {
        let began = std::time::Instant::now();
        // An express step leaves the timers' work (a lease check, a resync) owed to the held
        // step after it.
        let ticked = match pace {
            Pace::Full => ticked.and(std::mem::take(&mut self.owed)),
            Pace::Express | Pace::Overlapped => {
                self.owed = std::mem::take(&mut self.owed).and(ticked);
                Ticked::default()
            }
        };
        let mut reports = Vec::new();
        let mut written = Vec::new();
        let inputs_taken = inputs.len();
        let mut unreachable: Option<SchedulerError> = None;
        for input in inputs {
            if let Input::Reports(batch, done) = input {
                reports.extend(batch);
                written.extend(done);
                continue;
            }
            if unreachable.is_some() {
                self.put_off(input);
                continue;
            }
            let (what, run) = (input.name(), input.run());
            if let Err(e) = self.take(input).await {
                tracing::error!(error = %e, input = what, run, "a scheduler input failed");
                if let Some(run) = run {
                    self.scheduler.outbox.reload(run);
                }
                if e.is_retriable() {
                    unreachable = Some(e);
                }
            }
        }
        if let Some(e) = unreachable {
            self.owed = std::mem::take(&mut self.owed).and(ticked);
            return Err(e);
        }
        if ticked.leases {
            self.scheduler.expire_leases().await?;
            self.scheduler.check_queue().await?;
            self.scheduler.requeue_unheld().await?;
        }
        // The store is read for a resync away from the loop; a full step takes the answer
        // (before a tick begins the next read, which would give up a read whose answer
        // came and was not taken).
        if let Ok(read) = self.resyncs.1.try_recv() {
            self.resynced = Some(read);
        }
        if pace == Pace::Full
            && let Some(read) = self.resynced.take()
        {
            for run in self.scheduler.take_resync(read) {
                let store = &self.scheduler.store;
                self.scheduler.reads.start(run, store, &self.reads.0);
            }
        }
        if ticked.resync {
            self.scheduler.begin_resync(&self.resyncs.0);
        }
        let inputs_time = began.elapsed();
        let report_count = reports.len();

        self.scheduler.step_as(reports, pace).await?;
        let stepped = began.elapsed();
        // A batch left in flight: what arrives meanwhile of other tenants goes beside it,
        // and its reports' senders hear once it lands.
        if pace != Pace::Overlapped {
            self.overlap().await?;
            self.flow_seen = (report_count >= FLOW).then(std::time::Instant::now);
        }
        tracing::debug!(
            inputs = inputs_taken,
            reports = report_count,
            ?pace,
            inputs_ms = inputs_time.as_secs_f64() * 1e3,
            step_ms = (stepped - inputs_time).as_secs_f64() * 1e3,
            landed_ms = (began.elapsed() - stepped).as_secs_f64() * 1e3,
            "scheduler step"
        );
        for done in written {
            let _ = done.send(());
        }
        Ok(())
    }
}
