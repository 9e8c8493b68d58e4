//! The API end to end, mostly without sockets: the app is called with `oneshot` over a
//! SQLite store in a temporary directory, a recording scheduler control and a real
//! WebAssembly runtime loading the test guests. `serve` and the worker's `ApiClient` are
//! tested on real loopback sockets.

mod support;

mod access;
mod attempt_keys;
mod auth;
mod connections;
mod deploy;
mod https;
mod monitoring;
mod openapi;
mod quoting;
mod resources;
mod runs;
mod schedules;
mod serve;
mod slowloris;
mod tasks;
mod tenancy;
mod tenant_limits;
mod tenant_sandbox;
mod wait;
mod worker_client;
mod workers;
