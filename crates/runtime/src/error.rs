//! What can go wrong when loading a component or running a task, by class.

use std::fmt;
use std::time::Duration;

use weft_model::SpecError;

/// The class of a failure: a stable name for logs, APIs and exit messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// The task returned an error of its own (retryable or permanent).
    TaskError,
    /// The attempt ran past its wall-clock limit.
    Timeout,
    /// The attempt used up its CPU budget (fuel).
    CpuBudget,
    /// The guest asked for more memory than it may have.
    MemoryLimit,
    /// The guest trapped: a panic, a stack overflow, an invalid operation.
    Trap,
    /// The task's output is larger than allowed.
    OutputTooLarge,
    /// The bytes are not a valid WebAssembly component.
    InvalidComponent,
    /// The component does not implement the `weft:dag` world.
    NotADagComponent,
    /// The DAG the component describes is not valid.
    InvalidDagSpec,
    /// The egress policy refused a request and the attempt failed.
    EgressDenied,
    /// The host failed on its own account (I/O, exhausted instance pool).
    Internal,
}

impl ErrorClass {
    /// The class's stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::TaskError => "task_error",
            ErrorClass::Timeout => "timeout",
            ErrorClass::CpuBudget => "cpu_budget",
            ErrorClass::MemoryLimit => "memory_limit",
            ErrorClass::Trap => "trap",
            ErrorClass::OutputTooLarge => "output_too_large",
            ErrorClass::InvalidComponent => "invalid_component",
            ErrorClass::NotADagComponent => "not_a_dag_component",
            ErrorClass::InvalidDagSpec => "invalid_dag_spec",
            ErrorClass::EgressDenied => "egress_denied",
            ErrorClass::Internal => "internal",
        }
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a sandboxed call (a task attempt, or `describe`) did not return a value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TaskFailure {
    /// The task returned an error of its own.
    #[error("{}: {message}", if *retryable { "task failed" } else { "task failed permanently" })]
    Error {
        /// Whether the task said another attempt may succeed.
        retryable: bool,
        /// The task's message.
        message: String,
    },
    /// The attempt ran past its wall-clock limit.
    #[error("timed out after {limit:?}")]
    Timeout {
        /// The limit that was reached.
        limit: Duration,
    },
    /// The attempt used up its CPU budget.
    #[error("CPU budget of {fuel} fuel units used up")]
    CpuBudget {
        /// The budget that was used up.
        fuel: u64,
    },
    /// The guest asked for more memory than it may have.
    #[error("memory limit of {limit} bytes reached")]
    MemoryLimit {
        /// The limit that was reached, in bytes.
        limit: u64,
    },
    /// The guest trapped.
    #[error("guest trapped: {message}")]
    Trap {
        /// What happened, with the guest's own last words (a panic message) when it left any.
        message: String,
        /// The guest's call stack at the trap, one frame a line, innermost first.
        backtrace: String,
    },
    /// The task returned more bytes than allowed.
    #[error("output of {size} bytes is larger than the limit of {limit} bytes")]
    OutputTooLarge {
        /// Size of the output.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The egress policy refused a request of the attempt, which then failed. No retry is
    /// made: the policy would refuse it again.
    #[error("egress denied: {denial} (the attempt then failed: {failure})")]
    EgressDenied {
        /// The first refusal, as the attempt's log records it.
        denial: String,
        /// How the attempt failed after it.
        failure: Box<TaskFailure>,
    },
    /// The host failed on its own account.
    #[error("host error: {0}")]
    Internal(String),
}

impl TaskFailure {
    /// The failure's class.
    pub fn class(&self) -> ErrorClass {
        match self {
            TaskFailure::Error { .. } => ErrorClass::TaskError,
            TaskFailure::Timeout { .. } => ErrorClass::Timeout,
            TaskFailure::CpuBudget { .. } => ErrorClass::CpuBudget,
            TaskFailure::MemoryLimit { .. } => ErrorClass::MemoryLimit,
            TaskFailure::Trap { .. } => ErrorClass::Trap,
            TaskFailure::OutputTooLarge { .. } => ErrorClass::OutputTooLarge,
            TaskFailure::EgressDenied { .. } => ErrorClass::EgressDenied,
            TaskFailure::Internal(_) => ErrorClass::Internal,
        }
    }

    /// Whether another attempt may be made, retries permitting. Only a task's own permanent
    /// error rules that out; like Airflow, every other failure is worth a retry.
    pub fn is_retryable(&self) -> bool {
        !matches!(
            self,
            TaskFailure::Error {
                retryable: false,
                ..
            } | TaskFailure::EgressDenied { .. }
        )
    }
}

/// Why a component could not be loaded as a DAG.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The bytes are not a valid WebAssembly component.
    #[error("invalid component: {reason}")]
    InvalidComponent {
        /// What is wrong with the bytes.
        reason: String,
    },
    /// The component does not implement the `weft:dag` world.
    #[error(
        "component does not implement a weft:dag world (0.6.0, 0.5.0, 0.4.0, 0.3.0, 0.2.0 or 0.1.0): {reason}"
    )]
    NotADagComponent {
        /// What is missing or mismatched.
        reason: String,
    },
    /// Running `describe` failed.
    #[error("describe failed: {0}")]
    Describe(TaskFailure),
    /// The DAG the component describes is not valid.
    #[error(transparent)]
    InvalidSpec(#[from] SpecError),
    /// The host failed on its own account.
    #[error("host error: {0}")]
    Internal(String),
}

impl LoadError {
    /// The failure's class.
    pub fn class(&self) -> ErrorClass {
        match self {
            LoadError::InvalidComponent { .. } => ErrorClass::InvalidComponent,
            LoadError::NotADagComponent { .. } => ErrorClass::NotADagComponent,
            LoadError::Describe(failure) => failure.class(),
            LoadError::InvalidSpec(_) => ErrorClass::InvalidDagSpec,
            LoadError::Internal(_) => ErrorClass::Internal,
        }
    }
}

/// Errors a host call made on the guest's behalf can end with; they become traps that
/// [`classify`](crate::run) turns back into a [`TaskFailure`].
#[derive(Debug, thiserror::Error)]
pub(crate) enum HostTrap {
    /// The attempt's deadline passed during or before a host call.
    #[error("deadline passed during a host call")]
    Deadline,
    /// A host service failed in a way the guest cannot handle.
    #[error("{0}")]
    Internal(String),
    /// The guest used an import where it is not allowed (XCom during `describe`, say).
    #[error("{0}")]
    Misuse(String),
}
