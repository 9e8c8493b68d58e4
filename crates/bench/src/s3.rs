//! The S3 homework's run time: the `mall_customers` example on `wfctl standalone`, reading a
//! generated Mall Customers CSV ([`mall_csv`]) from `weft-test-s3` (s3s-fs with SigV4
//! checks) and writing Parquet and JSON back, timed from the trigger to the success seen,
//! for each CSV size.
//!
//! The example's S3 tasks may reach only the endpoint named when it is built, so the S3
//! server starts first (on a free port), the example is then built for it (`wfctl build` with
//! `WEFT_MALL_S3_EGRESS`), and `wfctl standalone` starts allowing that endpoint. The server
//! and the installation are stopped whatever happens, and the bucket's files removed.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use weft_client::Client;

use crate::client::Asked;
use crate::dags::{MALL_CUSTOMERS_DIR, S3Csv};
use crate::error::BenchError;
use crate::figure::{self, Figure, Figures, Stat, Unit};
use crate::figures::{Outcome, RunTimes, S3Case};
use crate::format;
use crate::install::{Extras, InstallOptions, Installation, wfctl_build};
use crate::mall_csv;
use crate::process::Service;
use crate::stats::Summary;
use crate::wait::Waiter;

/// The example's DAG.
const DAG_ID: &str = "mall_customers";
/// Its tasks: extract, sort_by_spending, aggregate_by_gender, report, upload.
const TASKS: usize = 5;
/// The connection its S3 tasks read.
const CONNECTION: &str = "aws_default";
/// The bucket: a directory under the S3 server's root.
const BUCKET: &str = "bench";
/// The S3 server's access key.
const ACCESS_KEY: &str = "WEFTBENCHACCESSKEY";
/// Its secret key.
const SECRET_KEY: &str = "weft-bench-s3-secret-key";
/// The key sealing connections in `wfctl standalone` (base64 of 32 bytes).
const WEFT_SECRET_KEY: &str = "d2VmdC1iZW5jaC1zZWNyZXQta2V5LTMyLWJ5dGVzISE=";
/// How long the S3 server gets to say where it listens.
const START_WAIT: Duration = Duration::from_secs(20);

/// What the scenario runs.
#[derive(Debug, Clone)]
pub struct S3Options {
    /// `wfctl` and the work directory (the scenario works in its `s3` sub-directory).
    pub install: InstallOptions,
    /// The `weft-test-s3` binary.
    pub s3_server: PathBuf,
    /// Cargo's target directory for the example's build (kept between runs: the example's
    /// dependencies are compiled once).
    pub examples_target: PathBuf,
}

/// Cargo's target directory for the example: `WEFT_BENCH_EXAMPLES_TARGET`, else
/// `bench-examples` under `$CARGO_TARGET_DIR` or the workspace's `target`. Not the examples'
/// own by default: the component built there must keep the egress rule the test suite built
/// it with. The test suite names the examples' own, and builds mall-customers for its tests
/// after the benchmark, so that its dependencies are compiled once.
pub fn examples_target() -> PathBuf {
    if let Some(dir) = std::env::var_os("WEFT_BENCH_EXAMPLES_TARGET") {
        return PathBuf::from(dir);
    }
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(
            || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target")),
            PathBuf::from,
        )
        .join("bench-examples")
}

/// Every CSV of `csvs`, one after another on one installation. What goes wrong is kept in
/// each case's outcome.
pub fn measure(options: &S3Options, csvs: &[S3Csv]) -> Vec<S3Case> {
    let dir = options.install.dir.join("s3");
    let data = dir.join("data");
    let cases = run(options, &dir, &data, csvs);
    // The CSVs can be large: they go even when the logs are kept.
    let _ = std::fs::remove_dir_all(&data);
    cases
}

fn run(options: &S3Options, dir: &Path, data: &Path, csvs: &[S3Csv]) -> Vec<S3Case> {
    let rows = match write_csvs(&data.join(BUCKET), csvs) {
        Ok(rows) => rows,
        Err(e) => return failed_all(csvs, &[], &format!("writing the CSVs: {e}")),
    };
    eprintln!("==> s3: starting weft-test-s3, building the example, starting wfctl standalone");
    let mut setup = match Setup::start(options, dir, data) {
        Ok(setup) => setup,
        Err(e) => {
            eprintln!("    failed: {e}");
            return failed_all(csvs, &rows, &format!("setup: {e}"));
        }
    };
    let mut cases = Vec::with_capacity(csvs.len());
    for (csv, rows) in csvs.iter().zip(rows) {
        eprintln!(
            "==> s3: mall_customers on a {} CSV ({rows} rows), {} run(s)",
            crate::format::bytes(csv.bytes as f64),
            csv.runs
        );
        let started = Instant::now();
        let mut first_run_ms = None;
        let times = Outcome::of(setup.case(csv, &mut first_run_ms));
        match &times {
            Outcome::Failed(e) => eprintln!("    failed: {e}"),
            _ => eprintln!("    done in {:.1} s", started.elapsed().as_secs_f64()),
        }
        cases.push(S3Case {
            csv_bytes: csv.bytes,
            rows,
            times,
            first_run_ms,
        });
    }
    eprintln!("==> s3: stopping");
    setup.stop();
    cases
}

fn failed_all(csvs: &[S3Csv], rows: &[usize], reason: &str) -> Vec<S3Case> {
    csvs.iter()
        .enumerate()
        .map(|(i, csv)| S3Case {
            csv_bytes: csv.bytes,
            rows: rows.get(i).copied().unwrap_or(0),
            times: Outcome::Failed(reason.to_owned()),
            first_run_ms: None,
        })
        .collect()
}

/// The object holding the CSV of `bytes` bytes.
fn input_key(bytes: u64) -> String {
    format!("mall-customers-{bytes}.csv")
}

/// Each CSV as a file of the bucket's directory; their rows.
fn write_csvs(bucket: &Path, csvs: &[S3Csv]) -> Result<Vec<usize>, BenchError> {
    std::fs::create_dir_all(bucket).map_err(|e| BenchError::io(bucket, e))?;
    csvs.iter()
        .map(|csv| {
            let path = bucket.join(input_key(csv.bytes));
            let file = std::fs::File::create(&path).map_err(|e| BenchError::io(&path, e))?;
            let mut out = std::io::BufWriter::new(file);
            let written = mall_csv::write(&mut out, csv.bytes)
                .and_then(|w| std::io::Write::flush(&mut out).map(|()| w))
                .map_err(|e| BenchError::io(&path, e))?;
            Ok(written.rows)
        })
        .collect()
}

/// The run conf: the CSV of `bytes` bytes, outputs under `prefix`; the bucket is the
/// connection's.
fn conf(bytes: u64, prefix: &str) -> Value {
    json!({ "s3": { "input_key": input_key(bytes), "output_prefix": prefix } })
}

/// How long a run on a CSV of `bytes` bytes may take: a minute, plus 3 s a megabyte.
fn run_timeout(bytes: u64) -> Duration {
    Duration::from_secs(60) + Duration::from_secs(3 * bytes.div_ceil(1_000_000))
}

/// The port in the S3 server's line `listening on http://127.0.0.1:PORT`.
pub fn listening_port(log: &str) -> Option<u16> {
    log.lines().find_map(|line| {
        line.trim()
            .strip_prefix("listening on http://127.0.0.1:")?
            .parse()
            .ok()
    })
}

/// The S3 server and the installation, ready for runs.
struct Setup {
    // Dropped in this order: the installation, then the server it uses.
    installation: Installation,
    s3: Service,
}

impl Setup {
    fn start(options: &S3Options, dir: &Path, data: &Path) -> Result<Setup, BenchError> {
        let (s3, port) = start_s3_server(&options.s3_server, dir, data)?;
        let endpoint = format!("http://127.0.0.1:{port}");
        let rule = format!("GET,PUT {endpoint}");
        let component = build_example(options, dir, &rule)?;
        let install = InstallOptions {
            dir: dir.to_owned(),
            ..options.install.clone()
        };
        let extras = Extras {
            args: vec![
                "--egress-allow".to_owned(),
                rule,
                "--egress-allow-net".to_owned(),
                "127.0.0.1".to_owned(),
            ],
            env: vec![("WEFT_SECRET_KEY".to_owned(), WEFT_SECRET_KEY.to_owned())],
        };
        let installation = Installation::embedded_with(&install, &extras)?;
        let setup = Setup { installation, s3 };
        let wasm = std::fs::read(&component).map_err(|e| BenchError::io(&component, e))?;
        let deployed = setup
            .installation
            .api
            .deploy(&wasm)
            .asked(|| format!("deploy {}", component.display()))?;
        if deployed.dag_id != DAG_ID {
            return Err(BenchError::BadAnswer {
                what: format!("deploy of {}", component.display()),
                reason: format!("it describes DAG {}, not {DAG_ID}", deployed.dag_id),
            });
        }
        let connection = json!({
            "conn_type": "aws",
            "schema": BUCKET,
            "login": ACCESS_KEY,
            "password": SECRET_KEY,
            "extra": { "endpoint_url": endpoint, "region_name": "us-east-1" },
        });
        setup
            .installation
            .api
            .put_connection(CONNECTION, &connection)
            .asked(|| format!("put connection {CONNECTION}"))?;
        Ok(setup)
    }

    /// The runs of one CSV, after one unmeasured run (it pays for what a first run pays:
    /// the worker loading the component, the server's first requests), whose time goes to
    /// `first_run_ms`, and once the component runs optimized code: the example is large
    /// enough to start on baseline code right after its deploy.
    fn case(
        &mut self,
        csv: &S3Csv,
        first_run_ms: &mut Option<f64>,
    ) -> Result<RunTimes, BenchError> {
        let mut waiter = Waiter::new(&mut self.installation);
        let timeout = run_timeout(csv.bytes);
        let prefix = format!("bench/{}/warm-up/", csv.bytes);
        let first = waiter.trigger_conf_and_wait(DAG_ID, conf(csv.bytes, &prefix), timeout)?;
        *first_run_ms = Some(first.total.as_secs_f64() * 1e3);
        wait_for_optimized_code(waiter.api())?;
        let mut runs_ms = Vec::with_capacity(csv.runs);
        for run in 0..csv.runs {
            let prefix = format!("bench/{}/{run}/", csv.bytes);
            let timed = waiter.trigger_conf_and_wait(DAG_ID, conf(csv.bytes, &prefix), timeout)?;
            runs_ms.push(timed.total.as_secs_f64() * 1e3);
        }
        let summary = Summary::of(&runs_ms).ok_or_else(|| BenchError::BadAnswer {
            what: DAG_ID.to_owned(),
            reason: "no run was measured".to_owned(),
        })?;
        Ok(RunTimes {
            tasks: TASKS,
            runs_ms,
            summary,
        })
    }

    fn stop(mut self) {
        self.installation.stop();
        self.s3.stop(Duration::from_secs(10));
    }
}

/// How long Cranelift may take on the example before the measurement gives up.
const OPTIMIZE_WAIT: Duration = Duration::from_secs(300);

/// Wait until the standalone's metrics show no component on baseline code waiting for its
/// optimized code (`weft_components_optimizing` is 0).
fn wait_for_optimized_code(api: &Client) -> Result<(), BenchError> {
    let started = Instant::now();
    loop {
        let text = api
            .metrics()
            .asked(|| "read the server's metrics".to_owned())?;
        match optimizing(&text) {
            Some(0) => return Ok(()),
            Some(_) => {}
            None => {
                return Err(BenchError::BadAnswer {
                    what: "GET /metrics".to_owned(),
                    reason: "no weft_components_optimizing gauge".to_owned(),
                });
            }
        }
        if started.elapsed() > OPTIMIZE_WAIT {
            return Err(BenchError::Timeout {
                what: "the example's optimized code".to_owned(),
                seconds: OPTIMIZE_WAIT.as_secs_f64(),
            });
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The value of `weft_components_optimizing` in metrics text.
fn optimizing(metrics: &str) -> Option<u64> {
    crate::client::metric_value(metrics, "weft_components_optimizing")
}

/// `weft-test-s3` on a free port of 127.0.0.1 serving `data`; the port, from its first line.
fn start_s3_server(program: &Path, dir: &Path, data: &Path) -> Result<(Service, u16), BenchError> {
    if !program.is_file() {
        return Err(BenchError::Spawn {
            name: "weft-test-s3".to_owned(),
            program: program.to_owned(),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "not built (cargo build --release -p weft-test-s3), or pass --s3-server",
            ),
        });
    }
    let mut command = Command::new(program);
    command
        .args(["--host", "127.0.0.1", "--port", "0"])
        .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
        .arg(data);
    let log = dir.join("s3.log");
    let mut service = Service::spawn("weft-test-s3", command, &log)?;
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if let Some(port) = listening_port(&text) {
            return Ok((service, port));
        }
        service.check_running()?;
        if started.elapsed() > START_WAIT {
            return Err(BenchError::Timeout {
                what: "weft-test-s3 to say where it listens".to_owned(),
                seconds: START_WAIT.as_secs_f64(),
            });
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `wfctl build examples/mall-customers` with the egress rule `rule`; the component's path.
fn build_example(options: &S3Options, dir: &Path, rule: &str) -> Result<PathBuf, BenchError> {
    let out = dir.join("mall_customers.wasm");
    eprintln!(
        "    wfctl build examples/mall-customers (WEFT_MALL_S3_EGRESS={rule:?}, \
         CARGO_TARGET_DIR={}): the first build compiles its dependencies",
        options.examples_target.display()
    );
    wfctl_build(
        &options.install.wfctl,
        &dir.join("build-home"),
        Path::new(MALL_CUSTOMERS_DIR),
        &out,
        &dir.join("build.log"),
        &[
            ("WEFT_MALL_S3_EGRESS", OsStr::new(rule)),
            ("CARGO_TARGET_DIR", options.examples_target.as_os_str()),
        ],
    )?;
    Ok(out)
}

/// The S3 homework's figures, per CSV: its runs (median, the range kept), and the run
/// before them; a CSV that failed or did not run is its runs' figure with the problem.
pub fn rows(cases: &[S3Case]) -> Vec<Figure> {
    let mut f = Figures::new("s3", "embedded");
    for case in cases {
        let key = case.csv_bytes.to_string();
        let mut name = format!("{} CSV", format::bytes(case.csv_bytes as f64));
        if case.rows > 0 {
            name.push_str(&format!(" ({} rows)", format::number(case.rows as f64)));
        }
        let runs = format!("{key}/runs");
        match &case.times {
            Outcome::Measured(t) => {
                f.stat(&runs, &name, Unit::Ms, Stat::Median, t.summary);
            }
            other => {
                f.push(&runs, &name, Unit::Ms, figure::Value::of_problem(other));
            }
        }
        if let Some(first) = case.first_run_ms {
            let label = format!(
                "{name}: the unmeasured first run (the first CSV's: baseline code right after \
                 the deploy)"
            );
            f.number(&format!("{key}/first_run"), &label, Unit::Ms, first);
        }
    }
    f.done()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_optimizing_gauge_is_read_from_the_metrics() {
        let text = "# HELP weft_components_optimizing Components …\n\
                    # TYPE weft_components_optimizing gauge\n\
                    weft_components_optimizing 2\nweft_workers_alive 1\n";
        assert_eq!(optimizing(text), Some(2));
        assert_eq!(optimizing("weft_components_optimizing 0\n"), Some(0));
        assert_eq!(optimizing("weft_workers_alive 1\n"), None);
    }

    #[test]
    fn the_port_comes_from_the_servers_line() {
        assert_eq!(
            listening_port("listening on http://127.0.0.1:40123\n"),
            Some(40123)
        );
        assert_eq!(
            listening_port("a warning\nlistening on http://127.0.0.1:9000\n"),
            Some(9000)
        );
        assert_eq!(listening_port("listening on http://127.0.0.1:"), None);
        assert_eq!(listening_port(""), None);
    }

    #[test]
    fn runs_read_their_csv_and_write_under_their_prefix() {
        let conf = conf(1_000_000, "bench/1000000/0/");
        assert_eq!(conf["s3"]["input_key"], "mall-customers-1000000.csv");
        assert_eq!(conf["s3"]["output_prefix"], "bench/1000000/0/");
        assert_eq!(conf["s3"].as_object().map(|o| o.len()), Some(2));
    }

    #[test]
    fn big_csvs_get_more_time() {
        assert_eq!(run_timeout(1_000_000), Duration::from_secs(63));
        assert_eq!(run_timeout(100_000_000), Duration::from_secs(360));
    }

    #[test]
    fn the_csvs_are_files_of_the_bucket() {
        let dir = tempfile::tempdir().expect("temp dir");
        let csvs = [S3Csv {
            bytes: 2_000,
            runs: 1,
        }];
        let rows = write_csvs(&dir.path().join(BUCKET), &csvs).expect("written");
        let text = std::fs::read_to_string(dir.path().join(BUCKET).join(input_key(2_000)))
            .expect("the object");
        assert_eq!(rows, [text.lines().count() - 1]);
        assert!(text.len() <= 2_000);
    }

    #[test]
    fn a_setup_failure_fails_every_csv_and_keeps_their_rows() {
        let csvs = [S3Csv { bytes: 1, runs: 1 }, S3Csv { bytes: 2, runs: 1 }];
        let cases = failed_all(&csvs, &[7], "setup: no S3 server");
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].rows, 7);
        assert_eq!(cases[1].rows, 0);
        assert!(cases.iter().all(|c| c.times.is_failed()));
        assert_eq!(
            cases[1].times,
            Outcome::Failed("setup: no S3 server".into())
        );
    }

    #[test]
    fn a_missing_server_is_named() {
        let dir = tempfile::tempdir().expect("temp dir");
        let e = start_s3_server(
            Path::new("/nonexistent/weft-test-s3"),
            dir.path(),
            dir.path(),
        )
        .err()
        .expect("no such program");
        assert!(e.to_string().contains("/nonexistent/weft-test-s3"), "{e}");
    }
}
