//! [`BenchReport`]: everything one benchmark run found, written as `bench.json`.

use serde::Serialize;

use crate::dags::Sizes;
use crate::figures::{
    EgressFigures, GuestFigures, ModeResults, Outcome, S3Case, SandboxFigures, ScaleOut,
    SqlFigures, TlsResults,
};
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
    /// Task `t1` of the hello example in each guest language, in process.
    pub guests: Outcome<GuestFigures>,
    /// The in-process egress figures: a task's outgoing HTTP request against the host's.
    pub egress: Outcome<EgressFigures>,
    /// The in-process SQL figures: a task's one-row query against the host's, and rows
    /// streamed into a task.
    pub sql: Outcome<SqlFigures>,
    /// The S3 homework (`mall_customers` on `wfctl standalone`), one case per CSV.
    pub s3: Vec<S3Case>,
    /// `wfctl standalone`.
    pub embedded: ModeResults,
    /// Server, scheduler and one worker on PostgreSQL and Redis.
    pub distributed: ModeResults,
    /// The same with TLS on every link: its latency scenarios.
    pub tls: TlsResults,
    /// One scheduler against many worker processes, and thousands of runs within a minute.
    pub scale_out: ScaleOut,
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

    /// Whether a Weft scenario failed (peers not running is not a failure, nor a CSV meant
    /// to exceed the S3 example's limits failing).
    pub fn has_failures(&self) -> bool {
        self.sandbox.is_failed()
            || self.guests.is_failed()
            || self
                .guests
                .measured()
                .is_some_and(GuestFigures::has_failures)
            || self.egress.is_failed()
            || self.sql.is_failed()
            || self.s3.iter().any(S3Case::is_failed)
            || self.embedded.has_failures()
            || self.distributed.has_failures()
            || self.tls.has_failures()
            || self.scale_out.has_failures()
    }

    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}

#[cfg(test)]
mod tests {
    use crate::figures::Outcome;
    use crate::sample;

    #[test]
    fn bench_json_holds_the_in_process_and_s3_figures() {
        let json: serde_json::Value =
            serde_json::from_str(&sample::report().to_json()).expect("JSON");
        assert_eq!(json["egress"]["measured"]["overhead_per_request_us"], 110.0);
        assert_eq!(json["sql"]["measured"]["task_rows_per_s"], 500_000.0);
        assert_eq!(json["s3"][0]["csv_bytes"], 1_000_000);
        assert_eq!(
            json["s3"][0]["times"]["measured"]["summary"]["median"],
            850.0
        );
        assert_eq!(
            json["settings"]["sizes"]["s3_csvs"][1]["bytes"],
            100_000_000
        );
        let waits = &json["embedded"]["deferred_waits"]["measured"];
        assert_eq!(waits["event_to_all_resumed_ms"]["median"], 45.0);
        assert_eq!(waits["idle_cpu"][0]["role"], "standalone");
        assert_eq!(json["settings"]["sizes"]["waits"], "bench_waits1000");
    }

    #[test]
    fn a_failed_csv_is_a_failure_of_the_run() {
        let mut report = sample::report();
        report.distributed = report.embedded.clone();
        report.embedded.fan_many_runs = Outcome::NotRun("not in this test".into());
        report.distributed.fan_many_runs = Outcome::NotRun("not in this test".into());
        report.s3.remove(1);
        assert!(report.has_failures(), "the TLS chain40 failed");
        report.tls.chain40 = Outcome::NotRun("not in this test".into());
        assert!(report.has_failures(), "the TypeScript guest failed");
        if let Outcome::Measured(guests) = &mut report.guests {
            guests.languages.retain(|l| !l.task.is_failed());
        }
        assert!(!report.has_failures(), "the 1 MB CSV was measured");
        report.s3 = sample::s3();
        assert!(report.has_failures(), "the 100 MB CSV failed");
    }
}
