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
//! - [`service`]: the running loop and its [`SchedulerHandle`] ([`Control`] for the API);
//! - `core`: the in-memory state and the step; `flush`: writing a step; `active`: one run's
//!   trigger-rule evaluation;
//! - `cron`, [`runs`]: scheduled, manual and backfill runs; `commands`: clear and mark;
//! - [`retry`]: attempt results to states; [`message`]: queue messages and worker reports;
//! - [`leader`]: several schedulers, one leading at a time ([`Election`]);
//! - [`requests`]: manual and backfill runs as the API asks for them; `reconcile`: resync
//!   with the store and re-queueing after the queue lost its contents;
//! - `bus_inbox`: the leading scheduler as the bus's `Inbox` (distributed mode);
//! - `capacity`, `graph`, [`clock`], [`config`], [`control`].

mod active;
mod bus_inbox;
mod capacity;
pub mod clock;
mod commands;
pub mod config;
pub mod control;
mod core;
mod cron;
mod flush;
mod graph;
pub mod leader;
pub mod message;
mod outputs;
mod reconcile;
pub mod requests;
pub mod retry;
pub mod runs;
pub mod service;
mod timeout;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::SchedulerConfig;
pub use control::{Control, ControlError, Notice, TriggerRequest};
pub use core::{Scheduler, SchedulerError};
pub use leader::{Election, Term};
pub use message::{AttemptOutcome, AttemptResult, Report, TaskMessage};
pub use requests::RunRequests;
pub use service::{SchedulerHandle, SchedulerService, scheduler};
