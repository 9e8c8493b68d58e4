//! wfctl's command-line tests, one binary (one link, the dependencies' generic code compiled
//! once): each module runs the `wfctl` under test on one concern (the examples in each
//! language, new projects, bad input, the client against a server...), with the shared
//! helpers in `common`.

mod common;

mod access;
mod bad_input;
mod cli_extras;
mod cli_server;
mod config;
mod examples;
mod examples_c;
mod examples_ts;
mod exposure;
mod limits;
mod new_project;
mod python_build;
mod standalone;
