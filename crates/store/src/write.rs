//! A batch of state changes written in one transaction. The scheduler and the result path
//! gather many changes and write them together, so throughput is not one commit per event.
//!
//! Changes to a task instance that an attempt makes (start, heartbeat, finish) are fenced:
//! they carry the lease the attempt was queued with and are applied only if it is still the
//! task instance's current lease, so a late result from a stale attempt is rejected.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use weft_model::{DagRunState, Deferral, TaskState};

use crate::notifications::NewNotification;
use crate::records::{RunPk, TiPk};

/// Queue an attempt: the task instance must be in `from` with lease `lease`; it moves to
/// `queued` with lease `lease + 1`, and `try_number` becomes `try_number`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueTask {
    /// The task instance.
    pub ti: TiPk,
    /// Its lease as the scheduler last saw it.
    pub lease: i64,
    /// The state the scheduler saw (`none`, `scheduled` or `up_for_retry`).
    pub from: TaskState,
    /// The attempt's number.
    pub try_number: u32,
    /// When.
    pub at: Timestamp,
}

/// A worker started an attempt: `queued` with lease `lease` → `running`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartTask {
    /// The task instance.
    pub ti: TiPk,
    /// The attempt's lease.
    pub lease: i64,
    /// The worker.
    pub worker_id: String,
    /// Its host name.
    pub hostname: String,
    /// When.
    pub at: Timestamp,
    /// Until when the attempt is leased unless heartbeats extend it.
    pub lease_expires_at: Timestamp,
}

/// A worker is still running an attempt: extend its lease.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Heartbeat {
    /// The task instance.
    pub ti: TiPk,
    /// The attempt's lease.
    pub lease: i64,
    /// New end of the lease.
    pub lease_expires_at: Timestamp,
}

/// What a sensor's reschedule records: its try's first poke, and its reschedules so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SensorPoke {
    /// When the try's first poke started.
    pub started_at: Timestamp,
    /// Reschedules of the try, this one included.
    pub pokes: u32,
}

/// Makes [`FinishTask`] from the task instance's declaration: its own fields, and one per
/// column the declaration says an attempt's end sets (`#[finish(...)]`), written by the
/// finish write (see `both_backends::ti_columns`).
macro_rules! finish_task {
    ($(
        $(#[doc = $doc:literal])*
        #[column($($class:ident),*)]
        $(#[finish($how:ident $(, $finish_ty:ty)?)])?
        $(#[serde($($serde:tt)*)])*
        $(#[shown $($shown:tt)*])?
        $field:ident: $ty:ty,
    )*) => {
        /// An attempt ended: `queued` or `running` with lease `lease` → `state`, at `at`
        /// (its end), with the columns an attempt's end sets (the failure, when it may
        /// retry, who ran it, for how long).
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        pub struct FinishTask {
            /// The task instance.
            pub ti: TiPk,
            /// The attempt's lease.
            pub lease: i64,
            /// `success`, `failed`, `skipped`, `up_for_retry`, `up_for_reschedule` or
            /// `deferred`.
            pub state: TaskState,
            /// When.
            pub at: Timestamp,
            $($(
                #[doc = concat!(
                    "What the finish write sets the task instance's `",
                    stringify!($field),
                    "` by (see [`TaskInstance`](crate::TaskInstance)).",
                )]
                pub $field: crate::both_backends::ti_columns::finish_type!($how, $ty $(, $finish_ty)?),
            )?)*
            /// The output, stored as XCom `return_value` (success only).
            pub output: Option<Vec<u8>>,
            /// Keyed XCom values it pushed.
            pub xcom: Vec<(String, Vec<u8>)>,
            /// The attempt's log (JSON lines), kept under its try number.
            pub log: Option<Vec<u8>>,
            /// For a sensor that rescheduled: when its try first poked and how many times it
            /// has rescheduled now; none leaves what the task instance holds.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub poke: Option<SensorPoke>,
            /// For an attempt that deferred (`state` is `deferred`): what it waits for. None
            /// leaves what the task instance holds.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub deferral: Option<Deferral>,
        }
    };
}

weft_protocol::task_instance_fields!(finish_task);

/// A task that runs no code starts waiting: `from` with lease `lease` → `deferred`, lease
/// `lease + 1`, try `try_number`, waiting since `at` (its timeout counts from then).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeferTask {
    /// The task instance.
    pub ti: TiPk,
    /// Its lease as the scheduler last saw it.
    pub lease: i64,
    /// The state the scheduler saw (`none` or `scheduled`).
    pub from: TaskState,
    /// The try this wait is.
    pub try_number: u32,
    /// What it waits for.
    pub deferral: Deferral,
    /// When the scheduler looks at it again by itself: its time, or its timeout.
    pub next_at: Option<Timestamp>,
    /// When.
    pub at: Timestamp,
}

/// A deferred task instance's wait ended: `deferred` with lease `lease` → `state`. A final
/// state ends the task (a wait task's outcome, or a deferral that does not resume);
/// `scheduled` queues it again with the event in its deferral; `up_for_retry` retries a
/// task whose wait timed out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResolveDeferral {
    /// The task instance.
    pub ti: TiPk,
    /// Its lease.
    pub lease: i64,
    /// `success`, `failed`, `skipped`, `up_for_retry`, or `scheduled` to run it again.
    pub state: TaskState,
    /// When.
    pub at: Timestamp,
    /// The output, stored as XCom `return_value` (success only).
    pub output: Option<Vec<u8>>,
    /// The deferral with its event, for a task that runs again.
    pub deferral: Option<Deferral>,
    /// Failure class, when it failed or timed out.
    pub error_class: Option<String>,
    /// Failure message (or why it was skipped).
    pub error: Option<String>,
    /// For `up_for_retry` (a task whose wait timed out with tries left): when it may be
    /// queued again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_retry_at: Option<Timestamp>,
}

/// A mapped task expands once its upstream tasks let it run: into one task instance per
/// item, or, with no items or none to be had, into none. Fenced: it applies only if the
/// mapped task's own task instance is still in state `from` under `lease`, and has not
/// expanded before. Written on its own (see [`Store::expand`](crate::Store::expand)), since
/// the scheduler needs the new task instances' ids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExpandTask {
    /// The leadership the scheduler writes under, if any.
    pub leader: Option<LeaderFence>,
    /// The mapped task's own task instance.
    pub ti: TiPk,
    /// Its lease, as the scheduler saw it.
    pub lease: i64,
    /// Its state, as the scheduler saw it: none or scheduled.
    pub from: TaskState,
    /// When.
    pub at: Timestamp,
    /// What it expands into.
    pub into: Expansion,
}

/// What a mapped task expands into.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expansion {
    /// One task instance per item (JSON text), in map index order; the mapped task's own
    /// task instance is `running` until they end.
    Instances(Vec<String>),
    /// No items: the mapped task is skipped, as in Airflow.
    Empty,
    /// No items to be had (the upstream output is missing, not a JSON array, or longer
    /// than the scheduler allows): the mapped task fails with this error.
    Failed(String),
}

/// A mapped task whose instances have all ended ends too, fenced by the lease its expansion
/// set: in `state` (see [`weft_model::mapping::mapped_state`]). One that succeeds stores
/// the instances' outputs, in map index order, as its own output (see
/// [`weft_model::mapping::reduce`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndMapped {
    /// The mapped task's own task instance.
    pub ti: TiPk,
    /// Its lease, as its expansion left it.
    pub lease: i64,
    /// Success, failed or skipped.
    pub state: TaskState,
    /// When.
    pub at: Timestamp,
}

/// Set a task instance's state without fencing: the scheduler's own decisions (skipped,
/// upstream_failed, removed), clearing (`none`; a mapped task cleared forgets its
/// expansion and its instances), and marking by hand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetTaskState {
    /// The task instance.
    pub ti: TiPk,
    /// New state.
    pub state: TaskState,
    /// When.
    pub at: Timestamp,
    /// When clearing: attempts now allowed in all (Airflow adds the retries again).
    pub max_tries: Option<u32>,
    /// Bump the lease, fencing off any attempt in flight (clearing, marking by hand).
    pub bump_lease: bool,
}

/// Change a run's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetRunState {
    /// The run.
    pub run: RunPk,
    /// New state.
    pub state: DagRunState,
    /// When: sets `started_at` on the first move to running, `ended_at` on a final state
    /// (and clears it when the run is active again).
    pub at: Timestamp,
}

/// The leadership a batch is written under: the batch is applied only if `holder` still
/// holds lease `name` at `epoch` (see [`Store::try_lead`](crate::Store::try_lead)), so a
/// scheduler that lost its leadership can never write over its successor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaderFence {
    /// The lease's name.
    pub name: String,
    /// Who the writer is.
    pub holder: String,
    /// The epoch `try_lead` returned to it.
    pub epoch: i64,
}

/// Changes written together, in one transaction, applied in this order: starts, heartbeats,
/// finishes, waits started, waits ended, queue ops, task states, run states.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WriteBatch {
    /// When set, the whole batch is written only if this leadership is still current;
    /// otherwise nothing is written and the write fails with
    /// [`StoreError::Conflict`](crate::StoreError::Conflict).
    #[serde(default)]
    pub leader: Option<LeaderFence>,
    /// Attempts to queue.
    pub queue: Vec<QueueTask>,
    /// Attempts started.
    pub start: Vec<StartTask>,
    /// Leases extended.
    pub heartbeat: Vec<Heartbeat>,
    /// Attempts ended.
    pub finish: Vec<FinishTask>,
    /// Tasks that start waiting without running (fenced like queue ops).
    #[serde(default)]
    pub defer: Vec<DeferTask>,
    /// Waits that ended (fenced: the task instance is still deferred under the lease).
    #[serde(default)]
    pub resolve: Vec<ResolveDeferral>,
    /// Mapped tasks whose instances all ended (fenced), after the finishes.
    #[serde(default)]
    pub end_mapped: Vec<EndMapped>,
    /// Unfenced task state changes.
    pub set_task: Vec<SetTaskState>,
    /// Run state changes.
    pub set_run: Vec<SetRunState>,
    /// Write the batch only if every one of `finish` applies: when one is refused (its task
    /// instance moved on), nothing is written and the outcome says
    /// [`refused`](WriteOutcome::refused). For a writer that decided the rest of the batch
    /// from those results.
    #[serde(default)]
    pub all_finishes: bool,
    /// Notifications the changes cause, written last; one with
    /// [`after_finish`](NewNotification::after_finish) only if that finish applies.
    #[serde(default)]
    pub notify: Vec<NewNotification>,
    /// Asset events the changes cause, written last and queued for the DAGs scheduled on
    /// their assets; one with [`after_finish`](crate::NewAssetEvent::after_finish) only if
    /// that finish applies.
    #[serde(default)]
    pub asset_events: Vec<crate::NewAssetEvent>,
}

impl WriteBatch {
    /// Whether the batch holds no change (whatever its fence).
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
            && self.start.is_empty()
            && self.heartbeat.is_empty()
            && self.finish.is_empty()
            && self.defer.is_empty()
            && self.resolve.is_empty()
            && self.end_mapped.is_empty()
            && self.set_task.is_empty()
            && self.set_run.is_empty()
            && self.notify.is_empty()
            && self.asset_events.is_empty()
    }
}

/// Which fenced changes of a batch were applied. Each vector is parallel to the batch's: a
/// `false` means the task instance had moved on (another lease, another state), and nothing
/// of that change was written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteOutcome {
    /// For `queue`.
    pub queued: Vec<bool>,
    /// For `start`.
    pub started: Vec<bool>,
    /// For `heartbeat`.
    pub heartbeats: Vec<bool>,
    /// For `finish`.
    pub finished: Vec<bool>,
    /// For `defer`.
    #[serde(default)]
    pub deferred: Vec<bool>,
    /// For `resolve`.
    #[serde(default)]
    pub resolved: Vec<bool>,
    /// For `end_mapped`.
    #[serde(default)]
    pub ended_mapped: Vec<bool>,
    /// With [`WriteBatch::all_finishes`]: a finish was refused, so nothing was written (the
    /// vectors say what would have applied).
    #[serde(default)]
    pub refused: bool,
}
