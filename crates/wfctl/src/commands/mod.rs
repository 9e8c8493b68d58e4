//! One module per subcommand, each with its clap `Args` and a `run` function.

pub mod build;
pub mod inspect;
pub mod run;
pub mod test;
