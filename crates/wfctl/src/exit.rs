//! Exit codes: 0 success, 1 a task or run failed, 2 bad usage or a bad component.

use std::process::ExitCode;

use weft_runtime::LoadError;

/// A command's failure, with the exit code it calls for.
#[derive(Debug)]
pub enum Failure {
    /// A task or DAG run failed: exit 1. The details were already printed.
    Failed,
    /// Bad usage, bad input or a bad component: exit 2, with this message.
    Usage(String),
}

impl Failure {
    /// A bad-input failure with `message`.
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure::Usage(message.into())
    }
}

impl From<LoadError> for Failure {
    fn from(e: LoadError) -> Failure {
        Failure::Usage(format!("{e} [class: {}]", e.class()))
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Failure {
        Failure::Usage(format!("{e:#}"))
    }
}

/// The result of a subcommand.
pub type CommandResult = Result<(), Failure>;

/// Print the failure, if any, and turn it into the process's exit code.
pub fn finish(result: CommandResult) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Failed) => ExitCode::from(1),
        Err(Failure::Usage(message)) => {
            // Bounded: it may quote the command line or the server's answer.
            eprintln!("error: {}", weft_model::message::shown(message));
            ExitCode::from(2)
        }
    }
}
