//! Weft's message bus between processes, on Redis streams.
//!
//! In the distributed mode the scheduler, the API servers and the workers are separate
//! processes on separate machines. Workers hold no database credentials: what they report
//! (attempt starts, heartbeats, results with XCom and logs) goes to the bus, and the leading
//! scheduler writes it to the store in batches. API servers create runs in the store
//! themselves and tell the scheduler through the bus; clearing and marking, which change
//! what the scheduler holds in memory, are commands the scheduler answers.
//!
//! - [`ReportSender`]: a worker's side. Reports that pile up while one batch is on its way
//!   go out together in the next, in one round trip.
//! - [`serve`]: the leading scheduler's side. Reports are read through a consumer group and
//!   acknowledged only once the scheduler has written them, so a scheduler that dies with
//!   reports in hand leaves them to the next leader (results are fenced, so a report handled
//!   twice is harmless).
//! - [`ControlClient`]: an API server's side: notices, runs just created, and commands the
//!   leading scheduler answers.
//! - Ended runs: the leading scheduler announces each run that ends, so that an API server
//!   answers requests waiting for it at once.
//!
//! The bus knows neither the scheduler nor the store: what it carries is defined in
//! `weft_protocol` (each entry in its versioned envelope), and the scheduler plugs in as an
//! [`Inbox`]. A worker links this crate without linking any database driver.
//!
//! A bus that cannot be reached makes calls fail with [`BusError::Unavailable`] (never hang);
//! the store stays the truth, and the scheduler's own timers (lease expiry, resync) recover
//! from whatever the bus lost.
//!
//! # Layout
//! - [`connection`]: the [`Bus`] (keys, its link to Redis through the shared transport
//!   `weft_redis`); [`error`]: [`BusError`];
//! - [`reports`], [`control`], [`serve`]: the three roles above, [`inbox`]: what `serve`
//!   feeds; `ended`: ended runs; `follow`: reading a stream from its end.

pub mod connection;
pub mod control;
mod ended;
pub mod error;
mod follow;
pub mod inbox;
pub mod reports;
pub mod serve;
#[cfg(test)]
mod tests;

pub use connection::Bus;
pub use control::{CallError, ControlClient};
pub use error::BusError;
pub use inbox::{Inbox, Written};
pub use reports::ReportSender;
pub use serve::{ServeConfig, control_position, serve};
