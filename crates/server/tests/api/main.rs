//! The API end to end, without sockets: the app is called with `oneshot` over an in-memory
//! store, a recording scheduler control and a real WebAssembly runtime loading the test guests.

mod support;

mod deploy;
mod openapi;
mod resources;
mod runs;
mod serve;
mod tasks;
