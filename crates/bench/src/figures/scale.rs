//! The figures of the scale-out scenarios: one scheduler against many worker processes, and
//! thousands of runs started within a minute.

use serde::{Deserialize, Serialize};

use super::{Outcome, Throughput};
use crate::stats::Summary;

/// Both scale-out scenarios, on one distributed installation of their own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScaleOut {
    /// Worker processes serving the one queue, each running one attempt at a time.
    pub workers: usize,
    /// The big fan, run by all of them.
    pub fan: Outcome<ScaleFan>,
    /// Many small runs started at a steady pace.
    pub backlog: Outcome<Backlog>,
}

impl ScaleOut {
    /// Both scenarios missing for `reason`: `Failed` if `failed`, else `NotRun`.
    pub fn missing(workers: usize, failed: bool, reason: &str) -> ScaleOut {
        ScaleOut {
            workers,
            fan: Outcome::missing(failed, reason),
            backlog: Outcome::missing(failed, reason),
        }
    }

    /// Whether either scenario failed.
    pub fn has_failures(&self) -> bool {
        self.fan.is_failed() || self.backlog.is_failed()
    }
}

/// The big fan on many workers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScaleFan {
    /// Tasks per second over its runs.
    pub throughput: Throughput,
    /// Queue wait of every task of every measured run (queued → attempt started, the
    /// store's clock), in ms.
    pub queue_wait_ms: Summary,
    /// What each component spent on the measured runs.
    pub costs: Costs,
}

/// Many runs of a small DAG started at a steady pace through the API, and how the backlog
/// they make drains.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Backlog {
    /// The DAG.
    pub dag_id: String,
    /// Runs started.
    pub runs: usize,
    /// Tasks in each run.
    pub tasks_per_run: usize,
    /// The time the triggers were spread over, in s.
    pub window_s: f64,
    /// First trigger sent → last trigger answered, in s (longer than the window when the
    /// API server could not keep the pace).
    pub triggered_in_s: f64,
    /// Each trigger request, until the server answered, in ms.
    pub trigger_ms: Summary,
    /// Runs created and not yet ended, at its largest over the samples.
    pub peak_backlog: usize,
    /// When that was, in s after the first trigger.
    pub peak_at_s: f64,
    /// First run created → last run ended, by the store's clock, in s.
    pub total_s: f64,
    /// Last run created → last run ended, by the store's clock, in s: how long the backlog
    /// took to drain once the triggers stopped.
    pub drain_s: f64,
    /// Each run, created → ended (the store's clock), in ms.
    pub run_ms: Summary,
    /// Tasks of all the runs divided by `total_s`.
    pub tasks_per_s: f64,
    /// The backlog over time, one sample at each tick of the watcher.
    pub samples: Vec<BacklogSample>,
    /// What each component spent, first trigger → last run ended.
    pub costs: Costs,
}

/// The runs of the backlog scenario at one moment, as the store counts them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BacklogSample {
    /// Seconds after the first trigger.
    pub at_s: f64,
    /// Runs created so far.
    pub created: usize,
    /// Runs ended so far.
    pub ended: usize,
}

/// What each component of a distributed installation spent on some tasks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Costs {
    /// The tasks.
    pub tasks: usize,
    /// The wall-clock time they took, in s.
    pub wall_s: f64,
    /// Each component's CPU; PostgreSQL and Redis only when they could be measured.
    pub components: Vec<ComponentCost>,
    /// Commands Redis processed per task (every client's), when Redis could be asked.
    pub redis_commands_per_task: Option<f64>,
    /// The Redis commands run most, per task, most first.
    pub redis_top: Vec<PerTask>,
    /// Statements PostgreSQL ran per task (every client's but the benchmark's own), when
    /// `pg_stat_statements` could be read.
    pub postgres_statements_per_task: Option<f64>,
    /// The statements run most, per task, most first.
    pub postgres_top: Vec<PerTask>,
}

/// Something counted, per task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerTask {
    /// What: a Redis command, or a statement's text (shortened).
    pub name: String,
    /// How many per task.
    pub per_task: f64,
}

/// One component's CPU over some tasks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentCost {
    /// `server`, `scheduler`, `workers` (all of them), `PostgreSQL` (every backend) or
    /// `Redis`.
    pub role: String,
    /// CPU seconds it spent.
    pub cpu_s: f64,
    /// `cpu_s` scaled to 10,000 tasks.
    pub cpu_s_per_10k_tasks: f64,
    /// `cpu_s` over the wall-clock time: the cores it kept busy.
    pub cores_busy: f64,
}

impl Costs {
    /// The cost of `role`, if it was measured.
    pub fn of(&self, role: &str) -> Option<&ComponentCost> {
        self.components.iter().find(|c| c.role == role)
    }
}
