//! Outgoing HTTP for tasks (`wasi:http/outgoing-handler`), and raw TCP connections
//! (`wasi:sockets`), under the egress policy.
//!
//! A request goes out only when it matches one of the task's declared rules and one of the
//! operator's ([`EgressPolicy`]), and only to addresses that are public or in a range the
//! operator allows; each redirect is a request of its own, checked the same way. Limits on
//! requests, bytes and time hold per attempt. A refused request fails with the `wasi:http`
//! error code `HTTP-request-denied` (or `destination-IP-prohibited`), is recorded in the
//! attempt's log, and makes a failing attempt's class `egress_denied`. A TCP connection goes
//! out only to an address that matches a `tcp://` rule of both, with the same address checks.
//!
//! # Layout
//! - [`policy`]: the operator's policy and limits;
//! - `hooks`: the checks on each request; `send`: resolving, connecting and sending;
//! - `tcp`: the check on each socket address a task uses (connect only);
//! - `body`: byte-counting bodies; `usage`: counters (which addresses are public is
//!   `weft_model::egress::address`, shared with notification delivery);
//! - `substitute`: secrets fetched on use, and `{{secret:NAME}}` in requests.

mod body;
mod hooks;
pub mod policy;
mod send;
pub(crate) mod substitute;
mod tcp;
mod usage;

use std::sync::Arc;

pub(crate) use hooks::AttemptEgress;
pub use policy::{EgressLimits, EgressPolicy, EgressPolicyError};
pub(crate) use usage::Usage;
pub use weft_model::egress::AllowedEgress;
/// Which addresses are public: one table, shared with notification delivery.
pub(crate) use weft_model::egress::address;

/// The policy of a runtime, with what is built from it once.
pub(crate) struct Egress {
    pub(crate) policy: EgressPolicy,
    pub(crate) tls: Arc<rustls::ClientConfig>,
    pub(crate) allow_nets: Arc<[ipnet::IpNet]>,
}

impl Egress {
    pub(crate) fn new(policy: EgressPolicy) -> Result<Egress, EgressPolicyError> {
        Ok(Egress {
            tls: policy.tls_config()?,
            allow_nets: policy.allowed.nets.clone().into(),
            policy,
        })
    }
}
