//! What a step will write, gathered while the step decides it: one [`WriteBatch`] of attempt
//! reports, queue ops and state changes; the runs to read again before the next step; and
//! the broadcast that tells subscribers a run ended once that is written.
//!
//! Every module of the step adds to the outbox through its methods; only
//! [`flush`](crate::flush) takes the batch out to write it.

use std::collections::BTreeSet;

use jiff::Timestamp;
use tokio::sync::broadcast;
use weft_model::{DagRunState, TaskState};
use weft_store::{
    DeferTask, EndMapped, FinishTask, Heartbeat, LeaderFence, NewNotification, QueueTask,
    ResolveDeferral, RunPk, SetRunState, SetTaskState, StartTask, TiPk, WriteBatch,
};

/// Ended runs kept for a subscriber that lags behind; one that lags more hears
/// [`RecvError::Lagged`](tokio::sync::broadcast::error::RecvError::Lagged) and reads the store.
const ENDED_BACKLOG: usize = 4096;

/// The changes a step has decided and not yet written, and what follows a write.
pub(crate) struct Outbox {
    /// Everything the step writes, in one batch (the leadership fence is added on writing).
    batch: WriteBatch,
    /// Runs whose memory may differ from the store (a write was refused, someone else
    /// moved a task instance on, or reading the run failed): read again at the start of the
    /// next step, before its reports are taken.
    reload: BTreeSet<RunPk>,
    /// Tells subscribers of each run that ended (succeeded or failed), once that is written.
    ended: broadcast::Sender<RunPk>,
}

impl Default for Outbox {
    fn default() -> Self {
        Outbox {
            batch: WriteBatch::default(),
            reload: BTreeSet::new(),
            ended: broadcast::channel(ENDED_BACKLOG).0,
        }
    }
}

impl Outbox {
    /// Record that a worker started an attempt.
    pub(crate) fn start(&mut self, start: StartTask) {
        self.batch.start.push(start);
    }

    /// Extend an attempt's lease, as its worker's heartbeat asks.
    pub(crate) fn heartbeat(&mut self, beat: Heartbeat) {
        self.batch.heartbeat.push(beat);
    }

    /// End an attempt (fenced by its lease): a worker's result, or a lost attempt.
    pub(crate) fn finish(&mut self, finish: FinishTask) {
        self.batch.finish.push(finish);
    }

    /// Queue an attempt (fenced by the lease and state it was decided on).
    pub(crate) fn queue(&mut self, queue: QueueTask) {
        self.batch.queue.push(queue);
    }

    /// Queue again an attempt the store holds as queued, under lease `lease`: its message
    /// was lost, or never went out.
    pub(crate) fn requeue(&mut self, ti: TiPk, lease: i64, try_number: u32, at: Timestamp) {
        self.batch.queue.push(QueueTask {
            ti,
            lease,
            from: TaskState::Queued,
            try_number,
            at,
        });
    }

    /// Set a task instance's state as the scheduler decided it (trigger rules, or waiting for
    /// a slot); whatever attempt it has keeps its lease.
    pub(crate) fn set_task(&mut self, ti: TiPk, state: TaskState, at: Timestamp) {
        self.batch.set_task.push(SetTaskState {
            ti,
            state,
            at,
            max_tries: None,
            bump_lease: false,
        });
    }

    /// End a task instance in `state` and bump its lease, so that whatever its attempt in
    /// flight reports later is refused.
    pub(crate) fn end_task_fenced(&mut self, ti: TiPk, state: TaskState, at: Timestamp) {
        self.batch.set_task.push(SetTaskState {
            ti,
            state,
            at,
            max_tries: None,
            bump_lease: true,
        });
    }

    /// A task that runs no code starts waiting (fenced like a queue op).
    pub(crate) fn defer(&mut self, defer: DeferTask) {
        self.batch.defer.push(defer);
    }

    /// A deferred task instance's wait ended (fenced by its lease).
    pub(crate) fn resolve(&mut self, resolve: ResolveDeferral) {
        self.batch.resolve.push(resolve);
    }

    /// A mapped task whose instances all ended ends (fenced by its lease).
    pub(crate) fn end_mapped(&mut self, end: EndMapped) {
        self.batch.end_mapped.push(end);
    }

    /// Move a run to `state`.
    pub(crate) fn set_run(&mut self, run: RunPk, state: DagRunState, at: Timestamp) {
        self.batch.set_run.push(SetRunState { run, state, at });
    }

    /// Write `notifications` with the step (each following its cause, see
    /// [`NewNotification::after_finish`]).
    /// Write asset events with the batch (each only with the finish it follows).
    pub(crate) fn asset_events(&mut self, events: Vec<weft_store::NewAssetEvent>) {
        self.batch.asset_events.extend(events);
    }

    pub(crate) fn notify(&mut self, notifications: Vec<NewNotification>) {
        if !notifications.is_empty() {
            self.batch.notify.extend(notifications);
        }
    }

    /// The attempt results gathered so far, taken out to be screened.
    pub(crate) fn take_finishes(&mut self) -> Vec<FinishTask> {
        std::mem::take(&mut self.batch.finish)
    }

    /// The screened attempt results, to be written with the rest.
    pub(crate) fn put_finishes(&mut self, finishes: Vec<FinishTask>) {
        self.batch.finish = finishes;
    }

    /// Drop the starts of attempts that `finishes` end: the result carries the start time,
    /// so the task instance changes once instead of twice.
    pub(crate) fn drop_starts_ended_by(&mut self, finishes: &[FinishTask]) {
        if finishes.is_empty() || self.batch.start.is_empty() {
            return;
        }
        let ended: std::collections::HashSet<(TiPk, i64)> =
            finishes.iter().map(|f| (f.ti, f.lease)).collect();
        self.batch
            .start
            .retain(|start| !ended.contains(&(start.ti, start.lease)));
    }

    /// Whether the step has nothing to write so far.
    pub(crate) fn is_empty(&self) -> bool {
        self.batch.is_empty()
    }

    /// Everything gathered, as one batch written under `leader`; the outbox is left empty.
    pub(crate) fn take_batch(&mut self, leader: Option<LeaderFence>) -> WriteBatch {
        WriteBatch {
            start: std::mem::take(&mut self.batch.start),
            heartbeat: std::mem::take(&mut self.batch.heartbeat),
            finish: std::mem::take(&mut self.batch.finish),
            queue: std::mem::take(&mut self.batch.queue),
            defer: std::mem::take(&mut self.batch.defer),
            resolve: std::mem::take(&mut self.batch.resolve),
            end_mapped: std::mem::take(&mut self.batch.end_mapped),
            set_task: std::mem::take(&mut self.batch.set_task),
            set_run: std::mem::take(&mut self.batch.set_run),
            notify: std::mem::take(&mut self.batch.notify),
            asset_events: std::mem::take(&mut self.batch.asset_events),
            leader,
            all_finishes: true,
        }
    }

    /// Read run `run` again from the store at the start of the next step.
    pub(crate) fn reload(&mut self, run: RunPk) {
        self.reload.insert(run);
    }

    /// Read every one of `runs` again from the store at the start of the next step.
    pub(crate) fn reload_all(&mut self, runs: impl IntoIterator<Item = RunPk>) {
        self.reload.extend(runs);
    }

    /// Whether run `run` is to be read again at the start of the next full step.
    pub(crate) fn reloading(&self, run: RunPk) -> bool {
        self.reload.contains(&run)
    }

    /// The runs to read again, taken out: the step reads them before anything else.
    pub(crate) fn take_reloads(&mut self) -> BTreeSet<RunPk> {
        std::mem::take(&mut self.reload)
    }

    /// Tell subscribers that run `run` ended; it is written.
    pub(crate) fn announce_ended(&self, run: RunPk) {
        // No subscriber is fine: nobody is waiting.
        let _ = self.ended.send(run);
    }

    /// The sender subscribers of ended runs subscribe through (a handle keeps a clone).
    pub(crate) fn ended(&self) -> &broadcast::Sender<RunPk> {
        &self.ended
    }
}
