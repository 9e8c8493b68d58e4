//! Weft's object storage client for tasks (the `objects` capability): buckets opened through
//! the connections a task declares, with credentials the task never sees. It knows nothing of
//! WebAssembly: the runtime serves the `weft:dag/objects` interface from these types.
//!
//! The stores are the `object_store` crate's. Every request one makes goes out through the
//! attempt's egress ([`weft_egress`]): the operator's and the tenant's rules, the address
//! checks and the per-attempt request and byte limits hold as for the task's own HTTP, and a
//! refusal is written in the attempt's log. On the task's side, declaring the connection
//! stands for an egress rule: the one endpoint the connection names. No credential comes
//! from the worker's environment or an instance's metadata service: a connection without
//! keys is refused unless it asks for anonymous access.
//!
//! # Layout
//! - [`types`]: metadata, options, pages and errors, the shapes of the WIT interface's;
//! - [`open`]: the connection's type, endpoint and credentials, made into a store;
//! - `transport`: the HTTP client the stores use, through the attempt's egress;
//! - [`bucket`]: the calls on an open bucket, its readers and writers.

pub mod bucket;
pub mod open;
mod transport;
pub mod types;

pub use bucket::{Bucket, Reader, Writer};
pub use open::OpenRequest;
pub use types::{GetOptions, GetRange, ListPage, ObjectMeta, ObjectsError, PutMode, PutResult};

/// The connection types a bucket can be opened through: Amazon S3 and S3-compatible servers
/// (`aws`, and Airflow's older `s3`).
pub const CONN_TYPES: [&str; 2] = ["aws", "s3"];

/// Whether `conn_type` is one a bucket can be opened through.
pub fn opens(conn_type: &str) -> bool {
    CONN_TYPES.contains(&conn_type)
}
