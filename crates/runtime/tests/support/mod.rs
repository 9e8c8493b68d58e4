//! Shared pieces of the runtime's integration tests.

pub mod http_server;
pub mod task;
