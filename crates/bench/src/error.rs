//! [`BenchError`]: what can stop a benchmark scenario, naming what was being done.

use std::path::PathBuf;

/// Why a scenario (or the start of an installation) failed.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A request to the API server failed: no answer, a refusal (its status and the
    /// server's message), or an answer of another shape than the route's.
    #[error("{request}: {source}")]
    Api {
        /// What was asked (`trigger a run of DAG bench_single`).
        request: String,
        /// Why it failed.
        #[source]
        source: weft_client::ClientError,
    },
    /// An answer did not have the shape expected.
    #[error("{what}: unexpected answer: {reason}")]
    BadAnswer {
        /// What was asked.
        what: String,
        /// What is wrong with the answer.
        reason: String,
    },
    /// An environment variable the benchmark reads has a value it cannot use.
    #[error("{name}={value:?}: {reason}")]
    BadVariable {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// What value would do.
        reason: &'static str,
    },
    /// Something did not happen in time.
    #[error("timed out after {seconds:.0} s waiting for {what}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// How long we waited.
        seconds: f64,
    },
    /// A run ended in a state other than success.
    #[error("run {run_id} of DAG {dag_id} ended {state}, not success; {tasks}")]
    RunFailed {
        /// The DAG.
        dag_id: String,
        /// The run.
        run_id: String,
        /// Its final state.
        state: weft_model::DagRunState,
        /// How its task instances ended (see `wait::ended_tasks`).
        tasks: String,
    },
    /// A process of the installation is not running any more.
    #[error("{name} (pid {pid}) exited ({status}); the end of its log {}:\n{tail}", log.display())]
    Exited {
        /// Its role (`standalone`, `worker`, ...).
        name: String,
        /// Its process id.
        pid: u32,
        /// How it ended.
        status: String,
        /// Its log file.
        log: PathBuf,
        /// The last lines of that log.
        tail: String,
    },
    /// A program could not be started.
    #[error("cannot start {name} ({}): {source}", program.display())]
    Spawn {
        /// Its role.
        name: String,
        /// The program.
        program: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A command ran but failed.
    #[error("{what} failed ({status}): {output}")]
    Command {
        /// The command.
        what: String,
        /// Its exit status.
        status: String,
        /// What it printed.
        output: String,
    },
    /// A file or directory could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// `/proc` did not say what we needed about a process.
    #[error("/proc/{pid}: {reason}")]
    Proc {
        /// The process.
        pid: u32,
        /// What is missing or malformed.
        reason: String,
    },
    /// The in-process sandbox benchmark failed.
    #[error("sandbox: {0}")]
    Sandbox(String),
    /// The in-process egress benchmark failed.
    #[error("egress: {0}")]
    Egress(String),
    /// The in-process SQL benchmark failed.
    #[error("sql: {0}")]
    Sql(String),
    /// The host's own SQL client failed in the SQL benchmark.
    #[error("sql: the host's {what}")]
    HostSql {
        /// What it was doing.
        what: &'static str,
        /// Why it failed.
        #[source]
        source: sqlx::Error,
    },
    /// The scale-out scenario's own reads of the metadata store failed.
    #[error("reading the metadata store: {what}")]
    StoreRead {
        /// What it was doing.
        what: &'static str,
        /// Why it failed.
        #[source]
        source: sqlx::Error,
    },
    /// A task of a run failed (the run may still be waiting to retry it).
    #[error(transparent)]
    TaskFailed(Box<FailedTask>),
    /// PostgreSQL or Redis could not be started or used.
    #[error(transparent)]
    Services(#[from] weft_testkit::TestkitError),
}

/// A task that failed, as its run shows it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "task {task_id} is {state} after try {try_number} of {max_tries} ({class}): {error} \
     (run {run_id} of DAG {dag_id})"
)]
pub struct FailedTask {
    /// The DAG.
    pub dag_id: String,
    /// The run.
    pub run_id: String,
    /// The task.
    pub task_id: String,
    /// Its state: `failed` or `up_for_retry`.
    pub state: weft_model::TaskState,
    /// The attempt that failed.
    pub try_number: u32,
    /// Attempts allowed in all.
    pub max_tries: u32,
    /// The class of the failure (`output_too_large`, `trap`, `task_error`, ...).
    pub class: String,
    /// Its message.
    pub error: String,
}

impl BenchError {
    /// An [`BenchError::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> BenchError {
        BenchError::Io {
            path: path.into(),
            source,
        }
    }
}
