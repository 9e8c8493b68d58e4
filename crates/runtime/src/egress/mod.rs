//! Outgoing HTTP (`wasi:http/outgoing-handler`) and raw TCP (`wasi:sockets`) of tasks, handed
//! to the egress proxy `weft_egress` under the operator's [`EgressPolicy`].
//!
//! # Layout
//! - [`policy`]: the operator's policy: rules, trust, HTTP/TCP and SQL limits;
//! - `hooks`: wasmtime-wasi-http's hooks, sending each request through the proxy;
//! - `sockets`: wasmtime-wasi's socket address check, by the proxy's TCP rules;
//! - `secrets`: secrets fetched on use, which the proxy puts into requests.

mod hooks;
pub mod policy;
pub(crate) mod secrets;
mod sockets;

pub(crate) use hooks::WasiEgress;
pub use policy::{EgressPolicy, EgressPolicyError};
pub(crate) use sockets::socket_check;
pub use weft_egress::EgressLimits;
pub use weft_model::egress::AllowedEgress;
