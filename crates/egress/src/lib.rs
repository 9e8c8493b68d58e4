//! Weft's egress proxy for tasks: outgoing HTTP (`wasi:http/outgoing-handler`) and raw TCP
//! connections (`wasi:sockets`) under the egress policy. It knows nothing of WebAssembly:
//! the runtime hands it each request a task sends and each socket address it uses.
//!
//! A request goes out only when it matches one of the task's declared rules and one of the
//! operator's, and only to addresses that are public or in a range the operator allows; each
//! redirect is a request of its own, checked the same way. Limits on requests, bytes and time
//! hold per attempt ([`EgressLimits`]). A refused request fails with
//! [`EgressError::HttpRequestDenied`] (or `DestinationIpProhibited`), is recorded in the
//! attempt's log, and makes a failing attempt's class `egress_denied`. A TCP connection goes
//! out only to an address that matches a `tcp://` rule of both, with the same address checks.
//!
//! # Layout
//! - [`limits`]: the operator's per-attempt limits; [`error`]: why a request failed;
//! - [`attempt`]: the checks on each request of one attempt; `send`: resolving, connecting
//!   and sending;
//! - [`tcp`]: the check on each socket address a task uses (connect only);
//! - `body`: byte-counting bodies; [`usage`]: counters (which addresses are public is
//!   `weft_model::egress::address`, shared with notification delivery);
//! - [`substitute`]: `{{secret:NAME}}` in requests.

pub mod attempt;
mod body;
pub mod error;
pub mod limits;
mod send;
pub mod substitute;
pub mod tcp;
pub mod usage;

use std::sync::Arc;

pub use attempt::{AttemptEgress, GuestTimeouts};
pub use error::{EgressError, HttpStack};
pub use limits::EgressLimits;
pub use send::{Outgoing, Sent};
pub use substitute::{SecretError, Secrets};
pub use tcp::{SocketUse, TcpPolicy};
pub use usage::Usage;
use weft_model::egress::AllowedEgress;

/// A request or response body of the HTTP stack the proxy serves, whose errors are `E`.
pub type HttpBody<E> = http_body_util::combinators::UnsyncBoxBody<bytes::Bytes, E>;

/// The operator's egress policy of a runtime, with what is built from it once.
pub struct Egress {
    /// The rules the operator allows and the non-public address ranges they may reach.
    pub allowed: AllowedEgress,
    /// What HTTPS trusts.
    pub tls: Arc<rustls::ClientConfig>,
    /// `allowed`'s address ranges, shared with each request.
    pub allow_nets: Arc<[ipnet::IpNet]>,
}

impl Egress {
    /// The policy allowing `allowed`, trusting `tls` for HTTPS.
    pub fn new(allowed: AllowedEgress, tls: Arc<rustls::ClientConfig>) -> Egress {
        Egress {
            allow_nets: allowed.nets.clone().into(),
            allowed,
            tls,
        }
    }
}
