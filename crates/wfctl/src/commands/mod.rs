//! One module per subcommand, each with its clap `Args` and a `run` function.

pub mod assets;
pub mod build;
pub mod connections;
pub mod dags;
#[cfg(feature = "control-plane")]
pub mod db;
pub mod deploy;
pub mod inspect;
pub mod redis_acl;
pub mod run;
pub mod runs;
#[cfg(feature = "control-plane")]
pub mod scheduler;
pub mod secrets;
#[cfg(feature = "control-plane")]
pub mod server;
#[cfg(feature = "control-plane")]
pub mod standalone;
pub mod tasks;
pub mod tenant_sandbox;
pub mod tenants;
pub mod test;
pub mod tokens;
pub mod variables;
pub mod worker;
pub mod workers;
