//! Weft's scheduler: it turns schedules and triggers into DAG runs, decides which task
//! instances may run under Airflow's trigger rules and limits, and puts them on queues.
//!
//! Scheduling is event-driven: a finished attempt makes its downstream tasks ready in the
//! same step, not on a later tick. Timers (schedules, retry delays, lease expiry) are a
//! separate path. Time is injected ([`Clock`]), so the logic is tested by moving a
//! [`ManualClock`]. The store is the truth: after any restart the scheduler reloads the
//! active runs and carries on; attempts are fenced by lease so none succeeds twice.
//!
//! # Layout
//! - [`running`]: the running loop and its [`SchedulerHandle`] ([`Control`] for the API);
//! - `core`: the in-memory state and the step; `flush`: writing a step; `active_run`: one run's
//!   trigger-rule evaluation;
//! - `timers` (`cron`, `run_timeout`), [`new_runs`]: scheduled, manual and backfill runs,
//!   run timeouts; `clear_and_mark`: clearing and marking task instances by hand;
//! - [`retry`]: attempt results to states; [`message`]: queue messages and worker reports;
//! - [`leader`]: several schedulers, one leading at a time ([`Election`]);
//! - [`run_requests`]: manual and backfill runs as the API asks for them; `resync`: resync
//!   with the store and re-queueing after the queue lost its contents;
//! - `capacity`, `graph`, [`clock`], [`config`], [`control`].

mod active_run;
mod capacity;
mod clear_and_mark;
pub mod clock;
pub mod config;
pub mod control;
mod core;
mod flush;
mod graph;
pub mod leader;
pub mod message;
pub mod new_runs;
mod outputs;
mod resync;
pub mod retry;
pub mod run_requests;
pub mod running;
mod timers;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::SchedulerConfig;
pub use control::{Control, ControlError, Notice, TriggerRequest};
pub use core::{Scheduler, SchedulerError};
pub use leader::{Election, Term};
pub use message::{AttemptOutcome, AttemptResult, Report, TaskMessage};
pub use run_requests::RunRequests;
pub use running::{SchedulerHandle, SchedulerService, scheduler};
