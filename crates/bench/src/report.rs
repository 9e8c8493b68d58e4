//! [`BenchReport`]: everything one benchmark run found, written as `bench.json`.

use serde::Serialize;

use crate::dags::Sizes;
use crate::figures::{ModeResults, Outcome, SandboxFigures};
use crate::install::Mode;
use crate::machine::{Machine, Versions};
use crate::peers::Peers;

/// How the run was set up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Settings {
    /// How much of each scenario ran.
    pub sizes: Sizes,
    /// Longest one request waiting for a run to end is held, in ms.
    pub wait_slice_ms: f64,
    /// Task attempts the worker (and standalone) ran at once.
    pub worker_concurrency: usize,
    /// The scheduler's `--parallelism`.
    pub parallelism: usize,
    /// The `wfctl` binary measured.
    pub wfctl: String,
}

/// One benchmark run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchReport {
    /// When it ran (RFC 3339, UTC).
    pub date: String,
    /// Whether it was the tiny configuration of the test suite.
    pub quick: bool,
    /// The machine.
    pub machine: Machine,
    /// Versions of everything measured.
    pub versions: Versions,
    /// How it was set up.
    pub settings: Settings,
    /// The in-process sandbox figures.
    pub sandbox: Outcome<SandboxFigures>,
    /// `wfctl standalone`.
    pub embedded: ModeResults,
    /// Server, scheduler and one worker on PostgreSQL and Redis.
    pub distributed: ModeResults,
    /// Celery and Airflow.
    pub peers: Peers,
}

impl BenchReport {
    /// The figures of `mode`.
    pub fn mode(&self, mode: Mode) -> &ModeResults {
        match mode {
            Mode::Embedded => &self.embedded,
            Mode::Distributed => &self.distributed,
        }
    }

    /// Whether a Weft scenario failed (peers not running is not a failure).
    pub fn has_failures(&self) -> bool {
        self.sandbox.is_failed() || self.embedded.has_failures() || self.distributed.has_failures()
    }

    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}
