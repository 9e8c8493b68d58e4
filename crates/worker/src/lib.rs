//! Weft's worker: it takes task attempts off named queues up to a concurrency limit, fetches
//! each component by digest (checking the bytes against it), runs the attempt in a fresh
//! sandbox, keeps its lease alive with heartbeats, and reports the result. A result whose
//! lease is no longer current is rejected by the store, so a stale attempt never wins.
//!
//! The worker reaches the rest of Weft only through a [`ControlPlane`]: on other machines, the
//! API server and the bus ([`RemotePlane`]), with [`registry`] heartbeats so the worker shows
//! in `wfctl workers list`; in standalone mode, the store and scheduler of the same process
//! (`weft-standalone`'s plane). What it sends and receives is defined in `weft_protocol`.
//!
//! The crate depends on the model, the runtime, the queue, the protocol and the bus only: a
//! worker links no database driver and no scheduler (a test keeps it so).

mod acks;
pub mod api;
mod attempt;
mod config;
mod held;
mod host;
mod live_log;
mod plane;
pub mod registry;
mod remote;
mod sandbox;
mod worker;

pub use config::{DEFAULT_PREFETCH_HOLD, DEFAULT_PREFETCH_PER_SLOT, WorkerConfig};
pub use plane::{Caller, Cause, ControlPlane, PlaneError, Reason};
pub use remote::RemotePlane;
pub use worker::{Worker, WorkerStatus};
