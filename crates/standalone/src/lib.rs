//! Weft's embedded mode put together: what lets the API server, the scheduler and one worker
//! share a process (`wfctl standalone`).
//!
//! A worker on another machine reaches the store through the API server and reports on the
//! bus; in standalone mode the same worker code reaches the store and the scheduler of its
//! own process through [`LocalPlane`], and takes every queue's tasks through a [`Funnel`].
//! These live here, not in the worker crate, so that a worker links no database driver.
//!
//! # Layout
//! - [`plane`]: [`LocalPlane`], the worker's control plane in process;
//! - [`funnel`]: [`Funnel`], one physical queue for every queue name, within each tenant's scope.

pub mod funnel;
pub mod plane;

pub use funnel::Funnel;
pub use plane::LocalPlane;
