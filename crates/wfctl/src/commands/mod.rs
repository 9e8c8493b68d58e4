//! One module per subcommand, each with its clap `Args` and a `run` function.

pub mod build;
pub mod dags;
pub mod deploy;
pub mod inspect;
pub mod run;
pub mod runs;
pub mod scheduler;
pub mod server;
pub mod standalone;
pub mod tasks;
pub mod test;
pub mod variables;
pub mod worker;
pub mod workers;
