//! Weft's embedded mode put together: the API server, the scheduler and one worker in one
//! process, on SQLite and the in-process queue (`wfctl standalone`, which only turns its
//! flags into a [`StandaloneConfig`] and prints).
//!
//! A worker on another machine reaches the store through the API server and reports on the
//! bus; in standalone mode the same worker code reaches the store and the scheduler of its
//! own process through [`LocalPlane`], and takes every queue's tasks through a [`Funnel`].
//! These live here, not in the worker crate, so that a worker links no database driver.
//!
//! ```no_run
//! # async fn demo(config: weft_standalone::StandaloneConfig) -> Result<(), weft_standalone::StandaloneError> {
//! let standalone = weft_standalone::Standalone::start(config).await?;
//! println!("API at {}/api/v1", standalone.url());
//! tokio::signal::ctrl_c().await.ok();
//! standalone.stop().await;
//! # Ok(()) }
//! ```
//!
//! # Layout
//! - [`process`]: [`Standalone`], the process put together, started and stopped;
//! - [`config`]: [`StandaloneConfig`], what it is made of; [`error`]: [`StandaloneError`],
//!   why it did not start;
//! - [`plane`]: [`LocalPlane`], the worker's control plane in process;
//! - [`funnel`]: [`Funnel`], one physical queue for every queue name, within each tenant's scope.

pub mod config;
pub mod error;
pub mod funnel;
pub mod plane;
pub mod process;

pub use config::StandaloneConfig;
pub use error::StandaloneError;
pub use funnel::Funnel;
pub use plane::LocalPlane;
pub use process::Standalone;
