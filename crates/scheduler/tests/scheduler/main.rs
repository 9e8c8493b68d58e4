//! The scheduler's integration tests, one binary (one link, the dependencies' generic code
//! compiled once): each module drives a real scheduler on a SQLite store and an in-memory
//! queue through one concern, with the shared fixtures in `support`.

mod support;

mod admission;
mod assets;
mod builds;
mod clock;
mod express;
mod flight;
mod leader;
mod notices;
mod notifications;
mod outputs;
mod reports;
mod tenants;
mod timeout;
mod timetables;
mod unheld;
mod waits;
