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
//! task. `?` turns any displayable error into a retryable one; [`ResultExt`] chooses otherwise.
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
//! # Logging
//! [`trace!`], [`debug!`], [`info!`], [`warn!`] and [`error!`] take `format!` arguments and
//! append a line to the attempt's log.
//!
//! # Layout
//! - `dag`: the [`Dag`] builder; `task`: [`TaskRef`]; `settings`: [`TaskSettings`] and
//!   [`TriggerRule`]; `edges`: the `>>` and `<<` operators
//! - `context`: [`Context`] and [`WorkerInfo`]; `xcom`: XCom pulls and pushes;
//!   `access`: [`Connection`], secrets and [`AccessError`]; [`http`]: the HTTP client;
//!   [`sql`]: SQL sessions, parameters and rows
//! - `error`: [`TaskError`] and [`ResultExt`]; [`log`]: the logging macros
//! - `export`: [`export_dag!`]; `bindings`: the generated WIT bindings (hidden)

mod access;
#[doc(hidden)]
pub mod bindings;
mod context;
mod dag;
mod edges;
mod error;
mod export;
pub mod http;
pub mod log;
mod mapping;
mod notify;
mod orchestration;
mod sensor;
mod settings;
pub mod sql;
mod task;
#[cfg(test)]
mod tests;
mod trigger;
mod trigger_rule;
mod wait;
mod xcom;

pub use access::{AccessError, Connection};
pub use context::{Context, WorkerInfo};
pub use dag::Dag;
pub use error::{ResultExt, TaskError, TaskErrorKind, TaskResult};
#[doc(hidden)]
pub use export::__private;
pub use notify::Notifier;
pub use orchestration::Branches;
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
