//! `BENCHMARKS.md`: the prose of `BENCHMARKS.template.md` with its placeholders filled from
//! a [`BenchReport`]:
//!
//! - `{{date}}`, `{{quick}}` (a warning in the quick configuration), `{{machine}}` (the
//!   machine and versions), `{{analysis}}` (`crates/bench/ANALYSIS.md`, written by hand),
//!   `{{notes}}` (every goal missed and scenario failed, [`crate::notes`]);
//! - `{{table:NAME}}`: the [`crate::views`] view of that name;
//! - `{{v:/json/pointer}}`: a value of the report as `bench.json` holds it, and
//!   `{{n:/json/pointer}}` the same number with thousands separators.

use crate::format;
use crate::notes::notes;
use crate::report::BenchReport;
use crate::template::{self, TemplateError};
use crate::views;

/// The document's prose, with its placeholders.
const TEMPLATE: &str = include_str!("../BENCHMARKS.template.md");

/// What the profiles show about the missed goals: written by hand, copied in as it is.
const ANALYSIS: &str = include_str!("../ANALYSIS.md");

/// The whole document.
pub fn document(report: &BenchReport) -> Result<String, TemplateError> {
    let json = serde_json::to_value(report).unwrap_or_default();
    template::fill(TEMPLATE, |name| placeholder(report, &json, name))
}

/// What the placeholder `name` stands for, if anything.
fn placeholder(report: &BenchReport, json: &serde_json::Value, name: &str) -> Option<String> {
    if let Some(view) = name.strip_prefix("table:") {
        return Some(views::named(view)?.render(&report.figures).markdown());
    }
    if let Some(pointer) = name.strip_prefix("v:") {
        return Some(match json.pointer(pointer)? {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => match n.as_f64() {
                Some(v) if v == v.trunc() => format!("{v:.0}"),
                _ => n.to_string(),
            },
            other => other.to_string(),
        });
    }
    if let Some(pointer) = name.strip_prefix("n:") {
        return Some(format::number(json.pointer(pointer)?.as_f64()?));
    }
    Some(match name {
        "date" => report.date.clone(),
        "quick" if report.quick => "\n**Quick configuration** (the test suite's tiny run, debug \
                                    build): the figures only show that the benchmark works; \
                                    they say nothing about Weft's speed.\n"
            .to_owned(),
        "quick" => String::new(),
        "machine" => machine(report),
        "analysis" => ANALYSIS.to_owned(),
        "notes" => {
            let notes = notes(report);
            if notes.is_empty() {
                "- Every goal was met.\n".to_owned()
            } else {
                notes.iter().map(|n| format!("- {n}\n")).collect()
            }
        }
        _ => return None,
    })
}

/// The machine and versions, as a two-column table.
fn machine(report: &BenchReport) -> String {
    let m = &report.machine;
    let v = &report.versions;
    let rows = [
        ("CPU", format!("{} ({} cores)", m.cpu_model, m.cores)),
        ("Memory", format!("{:.1} GiB", m.memory_gib)),
        ("Kernel", m.kernel.clone()),
        (
            "Load average at the start (1, 5, 15 min)",
            m.load_average.clone(),
        ),
        ("Weft", v.weft.clone()),
        ("rustc", v.rustc.clone()),
        ("Redis", v.redis.clone()),
        ("PostgreSQL", v.postgres.clone()),
        ("Celery", v.celery.clone()),
        ("Airflow", v.airflow.clone()),
    ];
    let mut md = "| | |\n|---|---|\n".to_owned();
    for (k, val) in rows {
        md.push_str(&format!("| {k} | {} |\n", val.replace('|', "\\|")));
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample;

    #[test]
    fn the_document_has_machine_versions_tables_and_notes() {
        let md = document(&sample::report()).expect("filled");
        for part in [
            "Test CPU @ 2.2GHz (2 cores)",
            "| Redis | 7.0.15 |",
            "2026-11-21T14:00:00Z",
            "| chain40: trigger → success, median of 3 | 14 ms | ≤ 10 ms: MISSED |",
            "≥ 15,000 tasks/s: MISSED",
            "failed: cannot start: no PostgreSQL",
            "not run: celery_bench.sh not found",
            "not run: the run did not succeed",
            "15,000 ms",
            "at most 5000 ms per request",
            "## What stands in the way of the missed goals",
            "| overhead per request (task − host) | 110 µs | ≤ 100 µs: MISSED |",
            "| overhead per query (task − host) | 20 µs | ≤ 50 µs: met |",
            "| 1,000,000 rows streamed into a task (1000 a batch), median of 3 | 500,000 rows/s | — |",
            "## The S3 homework",
            "| round trip p50 (3 runs) | failed: cannot start: no PostgreSQL | 0.90 ms | — |",
            "TLS on every link: after the plain distributed installation stops",
            "| 1 MB CSV (47,610 rows) | 850 ms | 3: 800 ms – 900 ms |",
            "`WEFT_MALL_S3_EGRESS`",
            "| 1,000 waits deferred: standalone CPU per second, median of 3 | 5.0 ms/s |",
            "waits' run seen succeeded, median of 3 | 70 ms | — |",
            "Deferred waits: `bench_waits1000` (1,000 wait tasks",
            "32 worker processes on one queue",
        ] {
            assert!(md.contains(part), "{part:?} missing from:\n{md}");
        }
        assert!(!md.contains("Quick configuration"));
        assert!(!md.contains("{{"), "every placeholder is filled");
    }

    #[test]
    fn quick_runs_say_their_figures_mean_nothing() {
        let mut report = sample::report();
        report.quick = true;
        assert!(
            document(&report)
                .expect("filled")
                .contains("Quick configuration")
        );
    }

    #[test]
    fn a_report_read_back_from_json_renders_the_same_document() {
        let report = sample::report();
        let back = BenchReport::from_json(&report.to_json()).expect("read back");
        assert_eq!(document(&back), document(&report));
    }
}
