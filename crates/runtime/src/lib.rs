//! Weft's WebAssembly host: it loads DAG components and runs each task attempt in a fresh
//! wasmtime sandbox with strict limits.
//!
//! One [`Runtime`] serves a process: one engine (pooling allocator, fuel, epoch interruption),
//! one linker with the `weft:dag` world and a WASI without ambient authority, and a cache of
//! compiled components on disk keyed by engine compatibility and component digest.
//!
//! ```no_run
//! use std::sync::Arc;
//! use weft_runtime::{Limits, MemoryHost, Runtime, RuntimeConfig, TaskContext, TaskRequest, WorkerInfo};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let runtime = Runtime::new(RuntimeConfig::default())?;
//! let component = runtime.load(&std::fs::read("hello.wasm")?)?;
//! let task = component.dag().task("t1").ok_or("no task t1")?;
//! let report = runtime.run_task(&component, TaskRequest {
//!     context: TaskContext::local(component.dag().id(), &task.id, 1, task.max_tries()),
//!     upstream: Vec::new(),
//!     worker: WorkerInfo { worker_id: "local".into(), hostname: "localhost".into(), queue: task.queue.clone() },
//!     limits: Limits::default().for_task(task),
//!     tenant_egress: None,
//!     host: Arc::new(MemoryHost::default()),
//! });
//! println!("{:?}", report.outcome);
//! # Ok(()) }
//! ```
//!
//! # Layout
//! - [`config`]: runtime settings and per-call [`Limits`];
//! - `engine`, `cache`: the engine, the epoch clock, compiled components on disk;
//! - `runtime`, `run`, `sandbox`: loading, and one sandboxed call with its classification;
//! - `host`: the world's imports (log, xcom, variables, runtime, connections, secrets, sql,
//!   the last served by the SQL client `weft_sql`);
//! - [`egress`]: the egress policy, and outgoing HTTP and TCP handed to the egress proxy
//!   `weft_egress`; `bindings`: each world version;
//! - [`call`]: request and report types; [`error`]: failure classes; [`log`]: attempt logs.

mod bindings;
mod cache;
pub mod call;
mod compiler;
mod component;
pub mod config;
mod convert;
mod digest;
pub mod egress;
mod engine;
pub mod error;
mod host;
mod libraries;
mod loaded;
mod local;
pub mod log;
mod run;
mod runtime;
mod sandbox;
mod slots;
mod tiers;

pub use call::{
    HostError, TaskContext, TaskHost, TaskOutcome, TaskReport, TaskRequest, UpstreamOutput,
    WorkerInfo, XcomPush,
};
pub use component::{CompileSource, DagComponent, SharedLibraries, Tier};
pub use config::{Limits, RuntimeConfig};
pub use digest::{Digest, ParseDigestError};
pub use egress::{AllowedEgress, EgressLimits, EgressPolicy, EgressPolicyError};
pub use error::{ErrorClass, LoadError, TaskFailure};
pub use local::MemoryHost;
pub use log::{LiveLog, LogLevel, LogLine, LogSource, TaskLog};
pub use runtime::{Runtime, RuntimeInitError};
pub use tiers::OPTIMIZER_NICENESS;
pub use weft_sql::SqlLimits;

/// The WIT files of the world this runtime hosts, as (path under `wit/`, text), for tools
/// that build components against it.
pub const WIT_FILES: &[(&str, &str)] = &[
    ("dag.wit", include_str!("../../../wit/dag.wit")),
    ("deps/cli.wit", include_str!("../../../wit/deps/cli.wit")),
    (
        "deps/clocks.wit",
        include_str!("../../../wit/deps/clocks.wit"),
    ),
    (
        "deps/filesystem.wit",
        include_str!("../../../wit/deps/filesystem.wit"),
    ),
    ("deps/http.wit", include_str!("../../../wit/deps/http.wit")),
    ("deps/io.wit", include_str!("../../../wit/deps/io.wit")),
    (
        "deps/random.wit",
        include_str!("../../../wit/deps/random.wit"),
    ),
    (
        "deps/sockets.wit",
        include_str!("../../../wit/deps/sockets.wit"),
    ),
];
