//! Weft's metrics, in Prometheus' text format. Every process has one [`Metrics`]
//! ([`metrics()`]), filled by whichever of the API server, scheduler and worker run in it,
//! so a standalone process shows them all at one `/metrics`.
//!
//! - [`Metrics`]: the metrics themselves and what each measures;
//! - [`spans`]: store and queue call latencies, timed from the tracing spans those calls
//!   already open;
//! - [`serve`]: `/metrics` on a port of its own, for a scheduler or worker.

mod registry;
pub mod serve;
pub mod spans;

pub use registry::{
    Attempt, Call, Decision, Metrics, OPENMETRICS_CONTENT_TYPE, Pool, Queue, QueueState, metrics,
};
