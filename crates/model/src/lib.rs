//! Weft's domain model: DAG specs and their validation, schedules and data intervals, task
//! and run states, trigger rules and retry delays.
//!
//! The crate is pure: no I/O and no clock. Whatever depends on the current time takes it as
//! a [`jiff::Timestamp`].
//!
//! ```
//! use weft_model::{DagSpec, TaskSpec, TaskState, TriggerRule, UpstreamSummary, Readiness, evaluate};
//!
//! let spec = DagSpec {
//!     schedule: Some("@daily".into()),
//!     start_date: Some("2024-01-01".into()),
//!     catchup: true,
//!     tasks: vec![
//!         TaskSpec::new("extract"),
//!         TaskSpec::new("load").after(["extract"]),
//!     ],
//!     ..DagSpec::new("etl")
//! };
//! let dag = spec.validate()?;
//! assert_eq!(dag.tasks()[0].id, "extract");
//! assert!(dag.is_ancestor("extract", "load"));
//!
//! let now = "2024-01-03T06:00:00Z".parse()?;
//! let first = dag.next_dagrun_interval(None, now).unwrap();
//! assert_eq!(first.start.to_string(), "2024-01-01T00:00:00Z");
//!
//! let upstream = UpstreamSummary::from_states([TaskState::Success]);
//! assert_eq!(evaluate(TriggerRule::AllSuccess, &upstream), Readiness::Run);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Layout
//! - [`spec`]: the DAG spec as data, mirroring the WIT world's records.
//! - [`validate`]: checking a spec into a [`Dag`], reporting [`problem`]s; [`dag`]: the
//!   validated DAG and its tasks.
//! - [`schedule`] and [`cron`]: schedules, their firings and data intervals, in UTC or in a
//!   DAG's time zone.
//! - [`state`]: task and run states; [`trigger`]: trigger rules; [`retry`]: retry delays.
//! - [`units`]: durations and sizes as people write them.
//! - [`egress`]: rules saying where a task may send HTTP requests, and which addresses are
//!   public.
//! - [`placement`]: the labels and architecture a task asks of its worker, and the queues
//!   that carry such tasks.
//! - [`notification`]: the notification of a task or run event, and its delivery state.
//! - [`tenancy`]: tenants and the roles of their tokens.
//! - [`mapping`]: mapped tasks' instance ids, items, summed-up state and output.
//! - [`message`]: a failure's message or a skip's reason, made fit to store.
//! - [`orchestration`]: branches, waits, sensors, mapping and notifiers; [`deferral`]: a
//!   deferred task instance's wait, made concrete for its run.

pub mod asset;
pub mod cron;
pub mod dag;
pub mod deferral;
pub mod egress;
pub mod integral;
pub mod mapping;
pub mod message;
mod names;
pub mod notification;
pub mod orchestration;
pub mod placement;
pub mod problem;
pub mod quotas;
pub mod retry;
pub mod schedule;
pub mod spec;
pub mod state;
pub mod tenancy;
pub mod tenant_sandbox;
pub mod time_zone;
pub mod trigger;
pub mod units;
pub mod validate;
mod wall_clock;

pub use cron::{Cron, CronField, FieldIssue};
pub use dag::{Dag, Task};
pub use deferral::{Awaited, AwaitedExternal, AwaitedRun, Deferral, WaitEnd, WaitEvent};
pub use names::ParseNameError;
pub use orchestration::{
    EmailNotifier, Expand, ExternalWait, Notifier, RunNotifications, RunSelector, SensorSettings,
    TaskKind, TaskNotifications, WaitCondition, WaitVerdict, branch_choice,
};
pub use problem::{IdIssue, OrchestrationIssue, Scope, SettingIssue, SpecError, SpecProblem};
pub use schedule::{DataInterval, Schedule, ScheduleError};
pub use spec::{DagSpec, DirectoryGrant, Resources, TaskSettings, TaskSpec};
pub use state::{DagRunState, RunStateClass, RunType, TaskState, TaskStateClass, run_state};
pub use trigger::{Readiness, TriggerRule, UpstreamSummary, evaluate};
pub use units::{UnitError, format_duration, format_size, parse_duration, parse_size};
