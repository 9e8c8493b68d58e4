//! The JSON bodies of the user API (`/api/v1`): what the API server answers and accepts,
//! shared with its clients (`weft-client`, and through it `wfctl`, the benchmark and the
//! tests) so both ends read one definition.
//!
//! Built into the server, each type also derives its OpenAPI schema (feature `openapi`);
//! the schemas' names are the types' names. Conversions from the store's records stay in
//! the server, which owns the store.
//!
//! # Layout
//! One module per group of routes, as the server's modules are cut: [`dags`], [`runs`],
//! [`tasks`] (logs, marks, XCom), [`notifications`], [`variables`], [`connections`],
//! [`secrets`], [`pools`], [`queues`], [`workers`], [`tokens`], [`tenants`], [`assets`],
//! [`health`]; [`error`] is the body of every refusal; [`schemas`] holds the schemas the
//! derives cannot state.

pub mod assets;
pub mod connections;
pub mod dags;
pub mod error;
pub mod health;
pub mod notifications;
pub mod pools;
pub mod queues;
pub mod runs;
#[cfg(feature = "openapi")]
pub mod schemas;
pub mod secrets;
pub mod tasks;
pub mod tenants;
pub mod tokens;
pub mod variables;
pub mod workers;
