//! Weft's scheduler: it turns schedules and triggers into DAG runs, decides which task
//! instances may run under Airflow's trigger rules and limits, and puts them on queues.
//!
//! Scheduling is event-driven: a finished attempt makes its downstream tasks ready in the
//! same step, not on a later tick. Timers (schedules, retry delays, lease expiry, run
//! timeouts) are a separate path. Time is injected ([`Clock`]), so the logic is tested by
//! moving a [`ManualClock`]. The store is the truth: after any restart the scheduler reloads
//! the active runs and carries on; attempts are fenced by lease so none succeeds twice.
//!
//! # Layout
//! The running service, and the way in:
//! - [`running`]: [`SchedulerService`], the loop fed by a channel and woken by timers, and
//!   [`scheduler()`] that makes it with its handle; `express`: a pass that mixes heavy work
//!   (a flooding tenant's reports, a big run built) with other inputs steps the others first;
//! - [`handle`]: [`SchedulerHandle`], where reports and requests go in ([`Control`] for the API);
//! - [`run_requests`]: [`RunRequests`], manual and backfill runs written as the API asks;
//! - [`host_calls`]: every call a task's host imports make of the control plane, served
//!   once for the API server and embedded mode;
//! - [`task_trigger`]: runs a task triggers, checked against its attempt's lease;
//!
//! The [`Scheduler`] and its step, one module per concern:
//! - `step`: the [`Scheduler`], its state by owner, and the step that ties them together;
//! - `startup`: loading everything at start and reconciling queued and running attempts;
//! - `loading`: reading DAG records, pools and single runs from the store;
//! - `reports`: worker reports taken in, stale results rejected, downstream tasks decided;
//! - `admission`: runs started under `max_active_runs`, ready tasks queued under
//!   `parallelism`, `max_active_tasks` and pools, tenants served by `fair_share`;
//! - `completion`: finished and deadlocked runs given their final state;
//! - `waits`: waits the scheduler resolves by itself (wait tasks, deferred tasks), indexed
//!   by what they wait for in `deferrals`;
//! - `timers`: the wake-up time, retry delays, lease expiry, scheduled runs (`cron`) and
//!   run timeouts (`run_timeout`);
//! - `run_starts`: queued runs started within `max_active_runs` and tenants' quotas;
//! - `flush`: writing a step's batch, and `flight`: a big one left in flight while steps of
//!   other tenants are written beside it; `dispatch`: sending queued attempts' messages;
//! - `resync`: catching up with runs not told of and a queue that lost its contents;
//! - `run_reads`: runs told of by a notice, read from the store away from the loop;
//!   `run_builds`: big runs built in memory there too;
//! - `clear_and_mark`: clearing and marking task instances by hand;
//!
//! The state the step works on:
//! - `dags`: DAG records and validated graphs by digest; `active_runs`: runs in memory,
//!   indexed by task instance; `active_run`: one run and its trigger-rule evaluation;
//! - `outbox`: what a step will write; `capacity`: slot counts; `graph`: a DAG by index;
//!   `outputs`: upstream outputs carried in task messages;
//!
//! Shared pieces:
//! - [`new_runs`]: building scheduled, manual and backfill runs; [`retry`]: attempt results to
//!   states; [`control`]: what the API asks (queue messages and worker reports are
//!   `weft_protocol`'s);
//! - [`leader`]: several schedulers, one leading at a time ([`Election`]); `bus_inbox`: the
//!   leading scheduler as the bus's `Inbox` (distributed mode);
//! - [`clock`], [`config`], and [`SchedulerError`] (`error`).

mod active_run;
mod active_runs;
mod admission;
mod asset_runs;
mod bus_inbox;
mod capacity;
mod clear_and_mark;
pub mod clock;
mod completion;
pub mod config;
pub mod control;
mod dags;
mod deferrals;
mod dispatch;
mod error;
mod express;
mod fair_share;
mod flight;
mod flush;
mod graph;
pub mod handle;
pub mod host_calls;
pub mod leader;
mod loading;
mod mapping;
pub mod new_runs;
mod notify;
mod outbox;
mod outputs;
mod reports;
mod resync;
pub mod retry;
mod run_builds;
mod run_reads;
pub mod run_requests;
mod run_starts;
pub mod running;
mod startup;
mod step;
pub mod task_trigger;
mod timers;
mod waits;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::SchedulerConfig;
pub use control::{Control, ControlError, Notice, TriggerRequest};
pub use error::SchedulerError;
pub use handle::SchedulerHandle;
pub use host_calls::{CallFailure, Plane};
pub use leader::{Election, Term};
pub use run_requests::RunRequests;
pub use running::{SchedulerService, scheduler};
pub use step::Scheduler;
pub use task_trigger::{TriggerFailure, trigger_from_task};
/// The messages the scheduler takes and sends, as `weft_protocol` defines them.
pub use weft_protocol::{AttemptOutcome, AttemptResult, Report, TaskMessage};
