//! Why a test server could not be provided.

use std::path::PathBuf;

/// Why a test server could not be started or used.
#[derive(Debug, thiserror::Error)]
pub enum TestkitError {
    /// A program the server needs is not installed.
    #[error(
        "{program} not found (looked on PATH{extra}); install it with `apt-get install -y postgresql redis-server`"
    )]
    Missing {
        /// The program looked for.
        program: String,
        /// Other places looked in, as text.
        extra: String,
    },
    /// A program could not be run at all.
    #[error("could not run {program}: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A program ran and failed.
    #[error("{what} failed ({status}): {output}")]
    Failed {
        /// What was being done, with the command.
        what: String,
        /// Its exit status.
        status: String,
        /// Its output (stderr, then stdout), trimmed.
        output: String,
    },
    /// A file-system step failed.
    #[error("{what} {path}: {source}", path = path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The server started but did not answer in time.
    #[error("{server} did not become ready on port {port} within {seconds} s{log}")]
    NotReady {
        /// Which server.
        server: &'static str,
        /// Its port.
        port: u16,
        /// How long it was given.
        seconds: u64,
        /// The end of its log, when there is one.
        log: String,
    },
    /// A URL given through the environment is not usable.
    #[error("bad {variable} URL {url:?}: {reason}")]
    BadUrl {
        /// The environment variable.
        variable: &'static str,
        /// Its value.
        url: String,
        /// What is wrong.
        reason: &'static str,
    },
}

/// The result of a testkit operation.
pub type TestkitResult<T> = Result<T, TestkitError>;
