//! The embedded stack's integration tests, one binary (one link, the dependencies' generic
//! code compiled once): each module drives a standalone installation through one flow, with
//! the shared fixtures in `support`.

mod support;

mod access;
mod flow;
mod mapping;
mod notifications;
mod orchestration;
mod process;
mod sensors;
mod waits;
