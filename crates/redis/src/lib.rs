//! Weft's one Redis transport, under the task queue (`weft-queue`) and the report bus
//! (`weft-bus`), and what `wfctl redis-acl` renders. Each of them keeps its own logic (the
//! queue its Lua scripts, the bus its streams) and its own errors; what reaching Redis takes
//! is here, once:
//!
//! - [`url`]: a server's URL parsed and checked into a client (TLS over `rediss://`,
//!   trusting the web roots and the installation's CA file), and [`redact`], the one form in
//!   which a Redis URL is ever shown: no password, in the user info or in `?password=`.
//! - [`link`]: [`Link`], the shared self-reconnecting connection and connections of their
//!   own for blocking commands, opened with a [`Policy`] (timeouts, reconnection backoff).
//! - [`class`]: what a Redis error means: retriable ([`is_retriable`]) or a refusal of the
//!   user's credentials or ACL ([`is_denied`]).
//! - [`keys`]: the roots of the queue's and the bus's keys in a namespace.
//! - [`acl`]: the ACL rules of every Weft Redis user, built on those roots.

pub mod acl;
pub mod class;
pub mod keys;
pub mod link;
pub mod url;

pub use class::{is_denied, is_retriable};
pub use link::{Link, OpenError, Policy, bounded};
pub use url::{BadUrl, redact};
