//! What the scenarios measure, as they return it: each scenario turns its results into
//! [`crate::figure::Figure`] rows, which the report holds; `--latency`, `--fair-share` and
//! `--scale-out` print these results as they are.

use serde::{Deserialize, Serialize};

use crate::error::BenchError;

mod scale;

use crate::stats::Summary;
pub use scale::{Backlog, BacklogSample, ComponentCost, Costs, PerTask, ScaleFan, ScaleOut};

/// A scenario's result: its figures, or why there are none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome<T> {
    /// It ran; its figures.
    Measured(T),
    /// It ran and failed: the error.
    Failed(String),
    /// It was not run: why.
    NotRun(String),
}

impl<T> Outcome<T> {
    /// `Measured` for `Ok`, `Failed` with the error's text for `Err`.
    pub fn of(result: Result<T, BenchError>) -> Outcome<T> {
        match result {
            Ok(figures) => Outcome::Measured(figures),
            Err(e) => Outcome::Failed(e.to_string()),
        }
    }

    /// The figures, if it was measured.
    pub fn measured(&self) -> Option<&T> {
        match self {
            Outcome::Measured(figures) => Some(figures),
            Outcome::Failed(_) | Outcome::NotRun(_) => None,
        }
    }

    /// Whether it ran and failed.
    pub fn is_failed(&self) -> bool {
        matches!(self, Outcome::Failed(_))
    }

    /// No figures, for `reason`: `Failed` if `failed`, else `NotRun`.
    pub(crate) fn missing(failed: bool, reason: &str) -> Outcome<T> {
        if failed {
            Outcome::Failed(reason.to_owned())
        } else {
            Outcome::NotRun(reason.to_owned())
        }
    }
}

/// Times of runs of one DAG, each from the trigger to the answer that showed it succeeded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunTimes {
    /// Tasks in the DAG.
    pub tasks: usize,
    /// Each run's time, in ms, in the order they ran.
    pub runs_ms: Vec<f64>,
    /// Their summary, in ms.
    pub summary: Summary,
}

/// chain40: a chain of tasks run one after another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chain {
    /// Trigger-to-success times.
    pub times: RunTimes,
    /// The median time divided by the number of tasks, in ms.
    pub per_hop_ms: f64,
    /// Where a hop's time goes, from the store's timestamps.
    pub breakdown: Option<HopBreakdown>,
}

/// Where the time of a chain's runs goes, from the timestamps the store records: medians
/// over every task (or hop, or run) of every measured run, in ms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HopBreakdown {
    /// Run created → its first task queued.
    pub run_to_first_queued_ms: f64,
    /// Upstream task ended → the next task queued (scheduling).
    pub upstream_end_to_queued_ms: f64,
    /// Task queued → its attempt started (queue delivery and worker pick-up).
    pub queued_to_started_ms: f64,
    /// Attempt started → ended (sandbox, task, report).
    pub started_to_ended_ms: f64,
    /// Last task ended → run marked finished.
    pub last_end_to_run_end_ms: f64,
}

/// Tasks per second over runs of a fan of independent tasks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    /// Runs triggered at once in one sample.
    pub runs: usize,
    /// Tasks in each run.
    pub tasks_per_run: usize,
    /// Each sample's time, first trigger to the last success seen, in s.
    pub samples_s: Vec<f64>,
    /// The median sample, in s.
    pub median_s: f64,
    /// Tasks of one sample divided by the median time.
    pub tasks_per_s: f64,
}

/// Single-task runs, one after another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundTrip {
    /// Trigger-to-success times, in ms.
    pub ms: Summary,
    /// The trigger request alone (until the server answers), in ms.
    pub trigger_ms: Summary,
    /// The run's own time by the store's clock (created → ended), in ms.
    pub in_store_ms: Option<Summary>,
}

/// A never-seen component from `wfctl deploy` to its first task finished.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColdDeploy {
    /// Size of the component, in KiB.
    pub size_kib: f64,
    /// `wfctl deploy` alone (upload, validation in the server's sandbox), in ms.
    pub deploy_ms: f64,
    /// Start of `wfctl deploy` → the first run's success seen, in ms.
    pub to_first_task_ms: f64,
}

/// Two new Python DAGs, each from `wfctl deploy` to its first task done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PythonDeploys {
    /// The first Python DAG the installation sees: the interpreter is compiled too.
    pub first: ColdDeploy,
    /// A second: only what is the DAG's own is compiled.
    pub second: ColdDeploy,
}

/// CPU and memory of one process of an installation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// Its role: `standalone`, `server`, `scheduler`, `worker`.
    pub role: String,
    /// Peak resident memory over its life, in MiB.
    pub peak_rss_mib: f64,
    /// CPU seconds it spent on the measured tasks.
    pub cpu_s: f64,
    /// Tasks run while it was measured.
    pub tasks: usize,
    /// `cpu_s` scaled to 10,000 tasks.
    pub cpu_s_per_10k_tasks: f64,
}

/// Many wait tasks of one run deferred at once, then all ended by one event: the end of
/// one run of `bench_single` (see [`crate::deferred`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeferredWaits {
    /// Wait tasks in each run.
    pub waits: usize,
    /// Trigger → every wait seen deferred by the client, each sample, in ms.
    pub deferred_in_ms: Summary,
    /// Run created → the last wait deferred, by the store's clock, in ms.
    pub deferred_in_store_ms: Option<Summary>,
    /// How long the processes were watched while every wait was deferred, each sample, in s.
    pub idle_s: f64,
    /// Each process's CPU while every wait was deferred and nothing else ran, and just
    /// before, with nothing at all going on.
    pub idle_cpu: Vec<IdleCpu>,
    /// Most attempts the workers said they were running in their first heartbeats after
    /// every wait was deferred; none when no worker sent one in time.
    pub worker_running_max: Option<u32>,
    /// Wait tasks that a worker ran, over every sample (0: none held a worker slot).
    pub waits_on_a_worker: usize,
    /// The awaited run's end → the last wait's end, by the store's clock, in ms.
    pub event_to_all_resumed_ms: Summary,
    /// The awaited run's trigger → the waits' run seen succeeded, by the client, in ms.
    pub trigger_to_all_seen_ms: Summary,
}

/// Runs started by data: an update of an asset by a producer's task, to the run of the DAG
/// waiting for it (see [`crate::asset_hop`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssetHop {
    /// Updates measured, one run each.
    pub rounds: usize,
    /// The event written (with the producer's success) → the run it starts created, by the
    /// store's clock, in ms.
    pub event_to_run_created_ms: Summary,
    /// The event written → that run's end (its one task run), by the store's clock, in ms.
    pub event_to_run_ended_ms: Summary,
}

/// One tenant's single-task runs while another tenant's big fans flood the scheduler (see
/// [`crate::fair_share`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FairShare {
    /// Tasks of the flooding tenant's runs, triggered at once.
    pub flood_tasks: usize,
    /// Floods measured one after the other (each of `flood_tasks`); none recorded counts as
    /// one.
    #[serde(default = "one")]
    pub floods: usize,
    /// The probing tenant's round trips with nothing else going on, in ms.
    pub probe_idle_ms: Summary,
    /// Its round trips while the flood ran, in ms.
    pub probe_flooded_ms: Summary,
    /// Its round trips while the same floods ran in an installation next door (the same
    /// mode, on this machine, with its own store, queue and processes), in ms: the cores as
    /// busy, nothing of the flood's in this installation's scheduler, store, queue or worker
    /// (in the tiny configuration the two distributed ones share the test suite's PostgreSQL
    /// and Redis servers). Set against the flooded ones, it leaves what sharing the
    /// installation costs, apart from what sharing the machine does. None in reports from
    /// before it was measured.
    #[serde(default)]
    pub probe_next_door_ms: Option<Summary>,
    /// A flood, first run created → last run ended, by the store's clock, in s (the median
    /// flood's, of an odd number).
    pub flood_s: f64,
    /// A flood's tasks per second (the median flood's, of several).
    pub flood_tasks_per_s: f64,
    /// The same floods' tasks per second with the probing tenant idle (the median of as
    /// many floods, each beside a probed one), if their times were read.
    #[serde(default)]
    pub flood_alone_tasks_per_s: Option<f64>,
    /// The same floods' tasks per second next door (the median of as many floods, each
    /// beside a probed one), if their times were read: how busy they kept the machine.
    #[serde(default)]
    pub next_door_flood_tasks_per_s: Option<f64>,
    /// The big fan's tasks per second with one tenant alone, if measured.
    pub single_tenant_tasks_per_s: Option<f64>,
    /// Where the slowest probe during the flood spent its round trip, if its times were read.
    #[serde(default)]
    pub slowest_probe: Option<ProbeHops>,
    /// The slowest probes during the floods (up to [`SLOWEST_PROBES`]), slowest first: when
    /// each was sent into its flood, which tells a tail at the floods' start from one
    /// throughout. Of every probe during the floods, also those whose hops could not be read
    /// (which [`FairShare::slowest_probe`] leaves out).
    #[serde(default)]
    pub slowest_probes_at: Vec<ProbeAt>,
    /// Each hop's median over the idle probes whose times were read; none if none were.
    #[serde(default)]
    pub idle_hop_medians: Option<ProbeHops>,
    /// Each hop's median over the probes during the flood whose times were read; none if none
    /// were.
    #[serde(default)]
    pub flooded_hop_medians: Option<ProbeHops>,
    /// The same over the probes during the floods next door.
    #[serde(default)]
    pub next_door_hop_medians: Option<ProbeHops>,
    /// Scheduler steps during each idle probe (trigger to answer), if counted.
    #[serde(default)]
    pub probe_idle_steps: Option<Summary>,
    /// Scheduler steps during each probe while the flood ran, if counted.
    #[serde(default)]
    pub probe_flooded_steps: Option<Summary>,
}

/// How many of the slowest probes during the floods are kept with their times.
pub const SLOWEST_PROBES: usize = 5;

/// One probe during a flood: when it was sent, and its round trip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeAt {
    /// From its flood's first trigger to its own, in ms.
    pub into_flood_ms: f64,
    /// Its round trip, in ms.
    pub round_trip_ms: f64,
}

/// One, for figures recorded before there could be more.
fn one() -> usize {
    1
}

/// One probe's round trip, hop by hop, from the client's clock and the store's (one machine,
/// one clock): each hop in ms. Also each hop's median over many probes, which need not add
/// up to the round trip's median.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeHops {
    /// The whole round trip, as the client timed it.
    pub round_trip_ms: f64,
    /// Trigger sent → the run created.
    pub to_created_ms: f64,
    /// Run created → its task queued.
    pub created_to_queued_ms: f64,
    /// Task queued → its attempt started.
    pub queued_to_started_ms: f64,
    /// Attempt started → ended.
    pub started_to_ended_ms: f64,
    /// Task ended → the run marked ended.
    pub ended_to_run_ended_ms: f64,
    /// Run ended → the client answered.
    pub to_answered_ms: f64,
}

impl FairShare {
    /// The probe's p99 during the flood over its p99 idle.
    pub fn p99_ratio(&self) -> f64 {
        self.probe_flooded_ms.p99 / self.probe_idle_ms.p99
    }

    /// The probe's p99 during the flood over its p99 during the same flood next door, if
    /// that was measured.
    pub fn next_door_p99_ratio(&self) -> Option<f64> {
        Some(self.probe_flooded_ms.p99 / self.probe_next_door_ms?.p99)
    }

    /// The flood's tasks per second as a percentage of the same flood's with the flooding
    /// tenant alone, if that was measured.
    pub fn throughput_percent(&self) -> Option<f64> {
        Some(100.0 * self.flood_tasks_per_s / self.flood_alone_tasks_per_s?)
    }
}

/// One process's CPU while the waits were deferred.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdleCpu {
    /// Its role: `standalone`, `server`, `scheduler`, `worker`.
    pub role: String,
    /// CPU milliseconds per second while the waits were deferred, each sample.
    pub ms_per_s: Summary,
    /// CPU milliseconds per second over as long just before the sample's run was triggered,
    /// nothing going on, each sample: what the process spends anyway.
    pub baseline_ms_per_s: Summary,
}

/// Every figure of one installation mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModeResults {
    /// chain40.
    pub chain40: Outcome<Chain>,
    /// One run of the 100-task fan, alone (against Airflow's fan100).
    pub fan100: Outcome<RunTimes>,
    /// The big fan (10,000 tasks; 500 in quick mode) in one run.
    pub fan_one_run: Outcome<Throughput>,
    /// Many runs of the 100-task fan at once.
    pub fan_many_runs: Outcome<Throughput>,
    /// One task mapped over as many items as the big fan has tasks, in one run.
    pub map_one_run: Outcome<Throughput>,
    /// Single-task round trips.
    pub round_trip: Outcome<RoundTrip>,
    /// A never-seen component to its first task.
    pub cold_deploy: Outcome<ColdDeploy>,
    /// New Python DAGs to their first task: the first, then a second.
    pub python_deploys: Outcome<PythonDeploys>,
    /// CPU and memory per process over the fan-out scenarios.
    pub resources: Outcome<Vec<Usage>>,
    /// Many waits deferred at once, all ended by one event.
    pub deferred_waits: Outcome<DeferredWaits>,
    /// One tenant's task while another floods the scheduler.
    pub fair_share: Outcome<FairShare>,
    /// An asset's update to the run it starts.
    pub asset_hop: Outcome<AssetHop>,
}

impl ModeResults {
    /// Every scenario failed with `reason` (the installation did not start, say).
    pub fn all_failed(reason: &str) -> ModeResults {
        ModeResults::all(true, reason)
    }

    /// Every scenario not run, for `reason`.
    pub fn not_run(reason: &str) -> ModeResults {
        ModeResults::all(false, reason)
    }

    fn all(failed: bool, reason: &str) -> ModeResults {
        ModeResults {
            chain40: Outcome::missing(failed, reason),
            fan100: Outcome::missing(failed, reason),
            fan_one_run: Outcome::missing(failed, reason),
            fan_many_runs: Outcome::missing(failed, reason),
            map_one_run: Outcome::missing(failed, reason),
            round_trip: Outcome::missing(failed, reason),
            cold_deploy: Outcome::missing(failed, reason),
            python_deploys: Outcome::missing(failed, reason),
            resources: Outcome::missing(failed, reason),
            deferred_waits: Outcome::missing(failed, reason),
            fair_share: Outcome::missing(failed, reason),
            asset_hop: Outcome::missing(failed, reason),
        }
    }
}

/// The fair-share scenario run alone (`weft-bench --fair-share`), with the big fan alone
/// before it, reported beside the flood.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FairShareAlone {
    /// The big fan with one tenant alone.
    pub fan_one_run: Outcome<Throughput>,
    /// The two tenants.
    pub fair_share: Outcome<FairShare>,
}

impl FairShareAlone {
    /// Neither was measured, for `reason` (the installation did not start, say).
    pub fn failed(reason: &str) -> FairShareAlone {
        FairShareAlone {
            fan_one_run: Outcome::Failed(reason.to_owned()),
            fair_share: Outcome::Failed(reason.to_owned()),
        }
    }
}

/// The latency figures of a distributed installation with TLS on every link (API over
/// HTTPS, `rediss://`, PostgreSQL `sslmode=verify-full`), to set beside the plain ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TlsResults {
    /// Single-task round trips.
    pub round_trip: Outcome<RoundTrip>,
    /// chain40.
    pub chain40: Outcome<Chain>,
}

impl TlsResults {
    /// Both scenarios failed with `reason` (the installation did not start, say).
    pub fn all_failed(reason: &str) -> TlsResults {
        TlsResults::all(true, reason)
    }

    /// Both scenarios not run, for `reason`.
    pub fn not_run(reason: &str) -> TlsResults {
        TlsResults::all(false, reason)
    }

    fn all(failed: bool, reason: &str) -> TlsResults {
        TlsResults {
            round_trip: Outcome::missing(failed, reason),
            chain40: Outcome::missing(failed, reason),
        }
    }
}

/// The in-process sandbox figures (no services).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SandboxFigures {
    /// Per task: fresh store, instantiate, run, drop; in µs.
    pub per_task_us: Summary,
    /// The component measured.
    pub component: String,
    /// Its size, in KiB.
    pub size_kib: f64,
    /// Compiling it with Cranelift, in ms.
    pub compile_ms: f64,
    /// Loading its compiled code from the disk cache in a new runtime, in ms.
    pub cached_load_ms: f64,
}

/// Task `t1` of the hello example in one guest language, run in process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuestTask {
    /// The component's size, in KiB.
    pub component_kib: f64,
    /// Per task: fresh store, instantiate, run, drop; in µs.
    pub per_task_us: Summary,
    /// The process's minor page faults per task.
    pub page_faults: f64,
}

/// One guest language's figures, or why there are none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuestLanguage {
    /// The language.
    pub language: String,
    /// Its hello's `t1`.
    pub task: Outcome<GuestTask>,
}

/// A task's cost in each guest language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuestFigures {
    /// One per language, Rust first.
    pub languages: Vec<GuestLanguage>,
}

/// What an outgoing HTTP request costs a task (`wasi:http` under the egress policy) beyond
/// what the same request costs the host, measured in process against a loopback server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EgressFigures {
    /// GETs in each measured task, and in each round from the host.
    pub requests: usize,
    /// Body bytes of each answer.
    pub response_bytes: usize,
    /// The task sending `requests` GETs, each run, in ms.
    pub task_with_requests_ms: Summary,
    /// The same task sending none, each run, in ms.
    pub task_without_requests_ms: Summary,
    /// `requests` GETs from the host, each round, in ms.
    pub host_rounds_ms: Summary,
    /// Per request in a task: (median with − median without) / `requests`, in µs.
    pub task_per_request_us: f64,
    /// Per request from the host: the median round / `requests`, in µs.
    pub host_per_request_us: f64,
    /// What a task's request costs beyond the host's: task − host, in µs.
    pub overhead_per_request_us: f64,
}

/// What a SQL query costs a task (`weft:dag/sql` under the egress policy) beyond what the
/// same query costs the host, and how fast rows stream into a task, measured in process
/// against a PostgreSQL server on loopback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SqlFigures {
    /// One-row queries in each measured task, and in each round from the host.
    pub queries: usize,
    /// The task running `queries` queries, each run, in ms.
    pub task_with_queries_ms: Summary,
    /// The same task opening its session and running none, each run, in ms.
    pub task_without_queries_ms: Summary,
    /// `queries` queries from the host on one connection, each round, in ms.
    pub host_rounds_ms: Summary,
    /// Per query in a task: (median with − median without) / `queries`, in µs.
    pub task_per_query_us: f64,
    /// Per query from the host: the median round / `queries`, in µs.
    pub host_per_query_us: f64,
    /// What a task's query costs beyond the host's: task − host, in µs.
    pub overhead_per_query_us: f64,
    /// Rows of the table streamed.
    pub stream_rows: u64,
    /// Rows a task asks for at a time (`row-stream.next`).
    pub stream_batch: u32,
    /// The task reading the whole table, each run, in ms.
    pub task_stream_ms: Summary,
    /// The host reading the whole table, each run, in ms.
    pub host_stream_ms: Summary,
    /// Rows per second into a task: `stream_rows` / (median stream run − median run
    /// without queries).
    pub task_rows_per_s: f64,
    /// Rows per second into the host: `stream_rows` / the median read.
    pub host_rows_per_s: f64,
}

/// The S3 homework (`mall_customers` on `wfctl standalone`, reading from `weft-test-s3`)
/// on one CSV.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct S3Case {
    /// The CSV's size, in bytes.
    pub csv_bytes: u64,
    /// Its customer rows (0 when it could not be written).
    pub rows: usize,
    /// Trigger-to-success times, or why there are none.
    pub times: Outcome<RunTimes>,
    /// The run before the measured ones, in ms: for the first CSV, right after the deploy,
    /// on baseline code while Cranelift compiles the optimized code (the measured runs wait
    /// for it).
    #[serde(default)]
    pub first_run_ms: Option<f64>,
}
