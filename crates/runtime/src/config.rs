//! Settings of the runtime and the limits of one task attempt.

use std::path::PathBuf;
use std::time::Duration;

/// Resource limits of one sandboxed call (a task attempt or a `describe`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock limit, host calls included.
    pub timeout: Duration,
    /// CPU budget in fuel units (about one per WebAssembly instruction); `None` is unlimited.
    pub fuel: Option<u64>,
    /// Most linear memory the guest may have, in bytes.
    pub memory_bytes: u64,
    /// Largest output a task may return, in bytes.
    pub output_bytes: usize,
    /// Most log bytes kept per attempt (log lines, stdout and stderr together); the rest is dropped.
    pub log_bytes: usize,
    /// Largest value a task may push to XCom, in bytes.
    pub xcom_bytes: usize,
}

impl Limits {
    /// Limits for a task attempt unless the DAG or the caller says otherwise.
    pub const TASK_DEFAULT: Limits = Limits {
        timeout: Duration::from_secs(60 * 60),
        fuel: None,
        memory_bytes: 256 << 20,
        output_bytes: 4 << 20,
        log_bytes: 4 << 20,
        xcom_bytes: 4 << 20,
    };

    /// Limits for `describe`, which must be quick and small.
    pub const DESCRIBE: Limits = Limits {
        timeout: Duration::from_secs(10),
        fuel: Some(2_000_000_000),
        memory_bytes: 64 << 20,
        output_bytes: 4 << 20,
        log_bytes: 64 << 10,
        xcom_bytes: 0,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::TASK_DEFAULT
    }
}

/// How a [`Runtime`](crate::Runtime) is set up. One runtime serves a whole process.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Where compiled components are kept across processes; `None` keeps them in memory only.
    pub cache_dir: Option<PathBuf>,
    /// The most the files under `cache_dir` may hold, in bytes: past it, the least recently
    /// used code is removed (see the cache's `evict`).
    pub cache_max_bytes: u64,
    /// Most sandboxes at once (task attempts and descriptions of components): sizes the
    /// pooling allocator; a call beyond it waits for a sandbox to end. Each sandbox reserves
    /// address space for its memories up front, so a process sizes this to what it runs.
    pub max_concurrent_instances: u32,
    /// The most memory any task may be granted, whatever it asks for, in bytes.
    pub max_memory_bytes: u64,
    /// Where per-attempt scratch directories are made; `None` uses the system's temporary dir.
    pub scratch_root: Option<PathBuf>,
    /// Whether tasks may be granted the directories they declare (scratch directories only).
    pub allow_directories: bool,
    /// The most an attempt may write into its scratch directories together, in bytes: every
    /// byte written counts (rewrites too), and each file, directory or link made counts
    /// 4 KiB. Past it, writes fail in the task with `insufficient-space` (`ENOSPC`).
    pub scratch_max_bytes: u64,
    /// How often the epoch clock behind timeouts ticks.
    pub epoch_tick: Duration,
    /// Where tasks may send HTTP requests, and the limits on it. Allows nothing by default.
    pub egress: crate::egress::EgressPolicy,
    /// Components at least this large that are not in the cache are compiled first by the
    /// baseline compiler (Winch), several times faster, and their first tasks run on that
    /// code while Cranelift compiles the optimized code in the background, which then
    /// replaces it. `None` compiles every component with Cranelift before it runs. Only on
    /// x86_64, where Winch generates code; elsewhere every component is compiled by Cranelift.
    pub baseline_min_bytes: Option<usize>,
    /// Whether baseline code is replaced by optimized code compiled in the background. Always,
    /// but to measure or test the baseline code itself.
    pub optimize_baseline: bool,
    /// How many components stay loaded (compiled, linked, described), the most recently used
    /// (at least one). A component let go is loaded again when next asked for: its optimized
    /// code from the compile cache.
    pub max_loaded_components: usize,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            cache_dir: None,
            // About thirty components that bundle an interpreter, or fifteen on both
            // compilers' code (a JavaScript one: 65 MB of either).
            cache_max_bytes: 2 << 30,
            max_concurrent_instances: 128,
            max_memory_bytes: 4 << 30,
            scratch_root: None,
            allow_directories: true,
            // Room for a task's temporary files, far from what fills a worker's disk.
            scratch_max_bytes: 64 << 20,
            epoch_tick: Duration::from_millis(1),
            egress: crate::egress::EgressPolicy::default(),
            // An interpreter bundled in a component (Python, JavaScript) is megabytes of code
            // that Cranelift takes seconds to compile; a Rust DAG is a few hundred kilobytes.
            baseline_min_bytes: Some(4 << 20),
            optimize_baseline: true,
            // Far more DAG versions than a worker runs at once, or a server sees deployed
            // between two of a DAG's runs; each holds its compiled code.
            max_loaded_components: 64,
        }
    }
}

impl Limits {
    /// These limits with the task's own settings applied: its execution timeout, and the
    /// memory and CPU budget it asks for.
    pub fn for_task(self, task: &weft_model::Task) -> Limits {
        Limits {
            timeout: task.execution_timeout.unwrap_or(self.timeout),
            memory_bytes: task.resources.memory_bytes.unwrap_or(self.memory_bytes),
            fuel: task.resources.fuel.or(self.fuel),
            ..self
        }
    }
}
