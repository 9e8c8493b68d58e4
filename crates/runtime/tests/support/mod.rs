//! Shared pieces of the runtime's integration tests. (`files.rs` is included on its own, with
//! `#[path]`, by the tests that look at a compile cache's files.)

pub mod backtraces;
pub mod http_server;
pub mod task;
