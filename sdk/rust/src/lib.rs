//! The Rust SDK for Weft DAGs.
//!
//! A Weft DAG is one WebAssembly component that holds both the DAG's structure and its task
//! code. With this crate you build the DAG with ordinary Rust ([`Dag`], [`TaskRef`]), write
//! each task as a function of a [`Context`], and export the lot with [`export_dag!`]. Build the
//! crate as a `cdylib` for `wasm32-wasip2` and deploy the `.wasm` file with `wfctl deploy`.
//!
//! ```no_run
//! use std::time::Duration;
//! use weft_sdk::prelude::*;
//!
//! fn dag() -> Dag {
//!     let dag = Dag::new("hello")
//!         .description("Greets, fans out, gathers")
//!         .schedule("@daily")
//!         .start_date("2024-01-01")
//!         .catchup(false)
//!         .tags(["example"])
//!         .default_retries(1);
//!     let greet = dag.task("greet", greet);
//!     let shout = dag.task("shout", shout).retries(2).retry_delay(Duration::from_secs(5));
//!     let count = dag.task("count", count).queue("default");
//!     let report = dag.task("report", report).trigger_rule(TriggerRule::AllDone);
//!     let _ = greet >> [shout, count] >> report;
//!     dag
//! }
//!
//! fn greet(ctx: &Context) -> TaskResult<Value> {
//!     let name = ctx.conf_value()["name"].as_str().unwrap_or("world").to_owned();
//!     info!("run {} greets {name}", ctx.run_id());
//!     Ok(json!({ "greeting": format!("hello, {name}") }))
//! }
//!
//! fn shout(ctx: &Context) -> TaskResult<String> {
//!     let greeting: Value = ctx.upstream("greet")?.ok_or_else(|| TaskError::skip("no greeting"))?;
//!     Ok(greeting["greeting"].as_str().unwrap_or_default().to_uppercase())
//! }
//!
//! fn count(ctx: &Context) -> TaskResult<usize> {
//!     let greeting: Option<Value> = ctx.xcom_pull("greet")?;
//!     let n = greeting.map_or(0, |g| g["greeting"].as_str().map_or(0, str::len));
//!     ctx.xcom_push("length", &n)?;
//!     Ok(n)
//! }
//!
//! fn report(ctx: &Context) -> TaskResult<Value> {
//!     let shout: Option<String> = ctx.upstream("shout")?;
//!     let length: Option<usize> = ctx.xcom_pull_key("count", "length")?;
//!     Ok(json!({ "shout": shout, "length": length }))
//! }
//!
//! weft_sdk::export_dag!(dag);
//! ```
//!
//! # Tasks
//! A task is any `Fn(&Context) -> Result<T, TaskError>` whose output `T` is `serde::Serialize`;
//! the output is stored as JSON and downstream tasks read it with [`Context::upstream`] (direct
//! upstream tasks) or [`Context::xcom_pull`] (any upstream task). Errors say whether a retry can
//! help: [`TaskError::retryable`], [`TaskError::permanent`], or [`TaskError::skip`] to skip the
//! task; [`TaskError::reschedule`] and [`TaskError::defer`] say "not yet". `?` turns any displayable error into a retryable one; [`ResultExt`] chooses otherwise.
//!
//! # Dependencies
//! `a >> b` records that `a` runs before `b`, and evaluates to `b`; arrays fan out and in:
//! `a >> [b, c] >> d`. `b << a` is the same edge. Write edge statements as `let _ = ...;`: the
//! operators return a value, which Rust's `unused_must_use` lint asks you not to drop silently.
//!
//! # Connections, secrets and HTTP
//! A task reads the connections and secrets it declares (`.connection("id")`,
//! `.secret("name")`, on the task or as DAG defaults) with [`Context::connection`] and
//! [`Context::secret`]. It sends HTTP requests with [`http`] to the destinations it declares
//! with `.allow_egress(rule)` and the operator allows.
//!
//! # SQL
//! [`Context::sql`] opens a [`sql::Session`] on a declared `postgres`, `mysql` or `mariadb`
//! connection; the host connects, and rows decode into the task's own structs with serde. `?`
//! on a [`sql::SqlError`] keeps whether a retry can help.
//!
//! # Branching
//! [`Dag::branch`] adds a task whose function returns the ids of the direct downstream tasks
//! to follow (one id, or a list); the others are skipped.
//!
//! ```
//! use weft_sdk::prelude::*;
//!
//! let dag = Dag::new("pick");
//! let pick = dag.branch("pick", |ctx: &Context| -> TaskResult<Vec<String>> {
//!     let full = ctx.conf_value()["full"].as_bool().unwrap_or(false);
//!     Ok(vec![if full { "full" } else { "incremental" }.to_owned()])
//! });
//! let full = dag.task("full", |_: &Context| Ok(()));
//! let incremental = dag.task("incremental", |_: &Context| Ok(()));
//! let join = dag.task("join", |_: &Context| Ok(())).trigger_rule(TriggerRule::NoneFailedMinOneSuccess);
//! let _ = pick >> [full, incremental] >> join;
//! ```
//!
//! # Sensors
//! A task that finds what it waits for not there yet returns [`TaskError::reschedule`] (or
//! [`TaskError::reschedule_after`]): it gives its worker slot back and pokes again after the
//! poke interval of its [`SensorSettings`], until their timeout.
//!
//! ```
//! use std::time::Duration;
//! use weft_sdk::prelude::*;
//!
//! let dag = Dag::new("landing");
//! dag.task("file_landed", |ctx: &Context| -> TaskResult<String> {
//!     match ctx.variable("landed_file") {
//!         Some(path) => Ok(path),
//!         None => Err(TaskError::reschedule()),
//!     }
//! })
//! .sensor(SensorSettings::new().poke_interval(Duration::from_secs(60)).timeout(Duration::from_secs(3600)));
//! ```
//!
//! # Waits and deferrals
//! [`Dag::wait`] adds a task that runs no code: the scheduler waits for a [`Wait`] (a time,
//! a delay after the data interval, another DAG's run or task) holding no worker slot. A task
//! may also defer itself with [`TaskError::defer`] or [`TaskError::defer_and_resume`]; a
//! resumed attempt reads what happened with [`Context::event`].
//!
//! ```
//! use std::time::Duration;
//! use weft_sdk::prelude::*;
//!
//! let dag = Dag::new("report").schedule("@daily").start_date("2024-01-01");
//! let upstream_done = dag.wait("upstream_done", Wait::external("ingest").task("load"));
//! let settle = dag.wait("settle", Wait::after_data_interval_end(Duration::from_secs(600)));
//! let report = dag.task("report", |ctx: &Context| -> TaskResult<Value> {
//!     if !ctx.resumed() {
//!         return Err(TaskError::defer_and_resume(Wait::until("2026-01-01T00:00:00Z")));
//!     }
//!     Ok(ctx.event::<Value>()?.unwrap_or_default())
//! });
//! let _ = [upstream_done, settle] >> report;
//! ```
//!
//! # Mapping
//! [`TaskRef::expand_over`] runs a task once per item of an upstream task's JSON array output,
//! [`TaskRef::expand_items`] once per item known when the DAG is built. Each instance reads
//! its item with [`Context::map_item`]; a downstream task reads all their outputs as one array.
//!
//! ```
//! use weft_sdk::prelude::*;
//!
//! let dag = Dag::new("squares");
//! let numbers = dag.task("numbers", |_: &Context| Ok(vec![1, 2, 3]));
//! let square = dag
//!     .task("square", |ctx: &Context| -> TaskResult<u64> {
//!         let n: u64 = ctx.map_item()?.unwrap_or_default();
//!         Ok(n * n)
//!     })
//!     .expand_over(numbers);
//! let sum = dag.task("sum", |ctx: &Context| -> TaskResult<u64> {
//!     Ok(ctx.upstream::<Vec<u64>>("square")?.unwrap_or_default().iter().sum())
//! });
//! let _ = square >> sum;
//! ```
//!
//! # Triggering another DAG
//! [`Context::trigger_dag`] creates a run of another DAG of the tenant; `?` on its
//! [`TriggerError`] retries only when the control plane was unavailable. To wait for the run,
//! defer on it.
//!
//! ```no_run
//! use weft_sdk::prelude::*;
//!
//! fn kick(ctx: &Context) -> TaskResult<()> {
//!     let run_id = ctx.trigger_dag(TriggerRequest::new("mall_sort").conf(json!({"table": "c"})))?;
//!     Err(TaskError::defer(Wait::external("mall_sort").run_id(run_id)))
//! }
//! # let _ = kick;
//! ```
//!
//! # Notifications
//! [`Notifier::webhook`] and [`Notifier::email`] tell someone when a task succeeds, fails or
//! is retried ([`TaskSettings::on_success`], [`on_failure`](TaskSettings::on_failure),
//! [`on_retry`](TaskSettings::on_retry), also as DAG defaults), and when a run ends
//! ([`Dag::on_run_success`], [`Dag::on_run_failure`]).
//!
//! ```
//! use weft_sdk::prelude::*;
//!
//! let dag = Dag::new("nightly")
//!     .default_on_failure(Notifier::email("smtp_default", ["oncall@example.com"]))
//!     .on_run_failure(Notifier::webhook("alerts"));
//! dag.task("load", |_: &Context| Ok(())).on_retry(Notifier::webhook("alerts"));
//! ```
//!
//! # Logging
//! [`trace!`], [`debug!`], [`info!`], [`warn!`] and [`error!`] take `format!` arguments and
//! append a line to the attempt's log.
//!
//! # Layout
//! - `dag`: the [`Dag`] builder; `task`: [`TaskRef`]; `settings`: [`TaskSettings`];
//!   `trigger_rule`: [`TriggerRule`]; `edges`: the `>>` and `<<` operators
//! - `orchestration`: branches and waits; `wait`: [`Wait`]; `sensor`: [`SensorSettings`];
//!   `mapping`: mapped tasks; `notify`: [`Notifier`]
//! - `context`: [`Context`], the run and the upstream outputs
//! - `capabilities/`: one module per host capability, each a public module at the root that
//!   adds its methods to [`Context`] (`impl Context`) and owns its conversions and errors:
//!   [`xcom`]: XCom pulls and pushes; [`variables`]; [`access`]: [`Connection`], secrets and
//!   [`AccessError`]; [`http`]: the HTTP client; [`sql`]: SQL sessions, parameters and rows;
//!   [`trigger`]: [`TriggerRequest`]; [`assets`]: outlets and [`AssetEvent`]; [`runtime`]:
//!   [`WorkerInfo`]. `build.rs` declares every file there, so a new capability is one new
//!   file.
//! - `error`: [`TaskError`] and [`ResultExt`]; [`log`]: the logging macros (the log capability,
//!   kept at the root for its exported macros)
//! - `export`: [`export_dag!`]; `bindings`: the generated WIT bindings (hidden)

#[doc(hidden)]
pub mod bindings;
mod context;
mod dag;
mod edges;
mod error;
mod export;
// Not a file of src/capabilities/: macros exported from a module that a macro declares (as
// build.rs's list is included) cannot be named by path inside this crate (the prelude does).
pub mod log;
mod mapping;
mod notify;
mod orchestration;
mod sensor;
mod settings;
mod task;
#[cfg(test)]
mod tests;
mod trigger_rule;
mod wait;

// The capability modules: `pub mod access;`, `pub mod sql;`, ... for every file of
// src/capabilities/ (see build.rs).
include!(concat!(env!("OUT_DIR"), "/capabilities.rs"));

pub use access::{AccessError, Connection};
pub use assets::{AssetEvent, AssetSource};
pub use context::Context;
pub use dag::Dag;
pub use error::{ResultExt, TaskError, TaskErrorKind, TaskResult};
#[doc(hidden)]
pub use export::__private;
pub use notify::Notifier;
pub use orchestration::Branches;
pub use runtime::WorkerInfo;
pub use sensor::SensorSettings;
pub use serde_json;
pub use settings::TaskSettings;
pub use task::TaskRef;
pub use trigger::{TriggerError, TriggerRequest};
pub use trigger_rule::TriggerRule;
pub use wait::{EndedState, ExternalWait, Wait};

/// Everything a DAG author usually needs: `use weft_sdk::prelude::*;`.
pub mod prelude {
    pub use std::time::Duration;

    pub use serde_json::{Value, json};

    pub use crate::{
        AccessError, Connection, Context, Dag, EndedState, Notifier, ResultExt, SensorSettings,
        TaskError, TaskErrorKind, TaskRef, TaskResult, TaskSettings, TriggerError, TriggerRequest,
        TriggerRule, Wait, WorkerInfo, debug, error, info, trace, warn,
    };
}
