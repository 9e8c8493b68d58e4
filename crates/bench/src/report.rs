//! [`BenchReport`]: everything one benchmark run found — the machine, the versions, how it
//! was set up, and every figure as a row ([`Figure`]) — written as `bench.json`, from which
//! `weft-bench --render` writes the tables and `BENCHMARKS.md` again.

use serde::{Deserialize, Serialize};

use crate::figure::{self, Figure};
use crate::machine::{Machine, Versions};

/// How the run was set up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// How much of each scenario ran ([`crate::dags::Sizes`], as written).
    pub sizes: serde_json::Value,
    /// Wait tasks of the deferred waits' DAG.
    pub waits_tasks: usize,
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// Every figure, Weft's and the peers', in the order they were measured.
    pub figures: Vec<Figure>,
}

/// Why a `bench.json` could not be read back.
#[derive(Debug, thiserror::Error)]
#[error("not a benchmark report: {0}")]
pub struct ReadError(#[from] serde_json::Error);

impl BenchReport {
    /// Whether a Weft scenario failed (peers not running is not a failure, nor is anything
    /// that did not run).
    pub fn has_failures(&self) -> bool {
        figure::has_failures(&self.figures)
    }

    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// A report written by [`BenchReport::to_json`].
    pub fn from_json(json: &str) -> Result<BenchReport, ReadError> {
        Ok(serde_json::from_str(json)?)
    }

    /// The figure of `scenario`'s `metric` in `mode`, if there is one.
    pub fn figure(&self, scenario: &str, mode: &str, metric: &str) -> Option<&Figure> {
        self.figures
            .iter()
            .find(|f| f.scenario == scenario && f.mode == mode && f.metric == metric)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figure::Value;
    use crate::sample;

    #[test]
    fn bench_json_is_the_rows_and_reads_back_the_same() {
        let report = sample::report();
        let json = report.to_json();
        let back = BenchReport::from_json(&json).expect("read back");
        assert_eq!(back, report);
        let value: serde_json::Value = serde_json::from_str(&json).expect("JSON");
        let rows = value["figures"].as_array().expect("rows");
        let overhead = rows
            .iter()
            .find(|r| r["scenario"] == "egress" && r["metric"] == "overhead_per_request")
            .expect("egress overhead");
        assert_eq!(overhead["value"]["number"], 110.0);
        assert_eq!(overhead["unit"], "us");
        assert_eq!(overhead["goal"]["limit"], 100.0);
        assert_eq!(value["settings"]["sizes"]["waits"], "bench_waits1000");
        assert!(BenchReport::from_json("{\"date\": 1}").is_err());
    }

    #[test]
    fn bench_json_holds_the_in_process_and_s3_figures() {
        let report = sample::report();
        let number = |scenario: &str, mode: &str, metric: &str| {
            report
                .figure(scenario, mode, metric)
                .and_then(Figure::number)
        };
        assert_eq!(
            number("sql", "in-process", "task_rows_per_s"),
            Some(500_000.0)
        );
        assert_eq!(number("s3", "embedded", "1000000/runs"), Some(850.0));
        assert_eq!(
            number("deferred_waits", "embedded", "event_to_all_resumed"),
            Some(45.0)
        );
        assert_eq!(
            number("deferred_waits", "embedded", "cpu/standalone"),
            Some(5.0)
        );
        let failed = report
            .figure("s3", "embedded", "100000000/runs")
            .expect("row");
        assert!(matches!(&failed.value, Value::Failed(e) if e.contains("out of memory")));
    }

    #[test]
    fn a_failed_csv_is_a_failure_of_the_run() {
        let mut report = sample::report();
        let failed = |f: &Figure| matches!(f.value, Value::Failed(_));
        // Keep only the failed 100 MB CSV among the failures.
        report
            .figures
            .retain(|f| !failed(f) || (f.scenario == "s3" && f.metric == "100000000/runs"));
        assert!(report.has_failures(), "the 100 MB CSV failed");
        report.figures.retain(|f| !failed(f));
        assert!(!report.has_failures());
        // Peers that did not run are no failure.
        assert!(report.figures.iter().any(|f| f.mode == "celery"));
    }
}
