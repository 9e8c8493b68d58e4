//! [`run`]: the whole benchmark — the in-process sandbox, egress and SQL figures, the embedded
//! mode, the S3 homework, PostgreSQL and Redis started, the distributed mode, TLS, the
//! scale-out installation, the peers — into one [`BenchReport`].

use std::path::{Path, PathBuf};

use crate::dags::Sizes;
use crate::error::BenchError;
use crate::figures::{FairShareAlone, ModeResults, Outcome, S3Case, ScaleOut, TlsResults};
use crate::guests::{self, GuestOptions};
use crate::install::{Backends, InstallOptions, Installation, Mode, services};
use crate::machine::{self, Machine, Versions};
use crate::peers::{self, Peers};
use crate::report::{BenchReport, Settings};
use crate::s3::{self, S3Options};
use crate::wait::WAIT_SLICE;
use crate::{egress, sandbox, scenarios, sql, tls};

/// Task attempts the worker runs at once, in both modes.
pub const WORKER_CONCURRENCY: usize = 2;
/// The scheduler's `--parallelism`: more than any scenario has tasks at once.
pub const PARALLELISM: usize = 20_000;

/// Which installation modes a run measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Modes {
    /// Embedded and distributed.
    Both,
    /// `wfctl standalone` only.
    Embedded,
    /// Server, scheduler and worker on PostgreSQL and Redis only.
    Distributed,
}

impl Modes {
    fn embedded(self) -> bool {
        self != Modes::Distributed
    }

    fn distributed(self) -> bool {
        self != Modes::Embedded
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// The tiny configuration, on the test suite's services when they are set.
    pub quick: bool,
    /// Run the peers too.
    pub peers: bool,
    /// The installation modes to measure.
    pub modes: Modes,
    /// The `wfctl` binary to measure.
    pub wfctl: PathBuf,
    /// Where the peer scripts are.
    pub peers_dir: PathBuf,
    /// The `weft-test-s3` binary (the S3 homework's server).
    pub s3_server: PathBuf,
    /// Where homes and logs go.
    pub work_dir: PathBuf,
}

/// Run everything. Scenario failures are recorded in the report, not returned.
pub fn run(options: &Options) -> BenchReport {
    let sizes = sizes(options);
    let machine = Machine::detect();
    eprintln!("==> sandbox (in-process): {} tasks", sizes.sandbox_tasks);
    let mut figures = sandbox::rows(&Outcome::of(sandbox::measure(sizes.sandbox_tasks)));
    eprintln!(
        "==> guest languages (in-process): hello's t1 in Rust, Python and TypeScript, {} \
         tasks each",
        sizes.guest_tasks
    );
    let guests = Outcome::of(
        GuestOptions::interpreted_built_from_env().and_then(|built| {
            guests::measure(
                &GuestOptions {
                    wfctl: options.wfctl.clone(),
                    examples_target: s3::examples_target(),
                    work_dir: options.work_dir.clone(),
                    interpreted_built: built,
                },
                sizes.guest_tasks,
            )
        }),
    );
    eprintln!(
        "==> egress (in-process): {} runs of {} requests, task and host",
        sizes.egress_rounds, sizes.egress_requests
    );
    figures.extend(guests::rows(&guests));
    let egress = Outcome::of(egress::measure(sizes.egress_requests, sizes.egress_rounds));
    figures.extend(egress::rows(&egress));
    eprintln!(
        "==> sql (in-process, PostgreSQL): {} runs of {} queries, {} reads of {} rows; task \
         and host",
        sizes.sql_rounds, sizes.sql_queries, sizes.sql_stream_rounds, sizes.sql_stream_rows
    );
    figures.extend(sql::rows(&Outcome::of(sql::measure(&sizes, options.quick))));

    let install = install_options(options);
    let embedded = if options.modes.embedded() {
        eprintln!("==> embedded: starting wfctl standalone");
        measure(Installation::embedded(&install), &sizes)
    } else {
        ModeResults::not_run("--mode distributed")
    };
    figures.extend(scenarios::rows(Mode::Embedded, &embedded, &sizes));
    let s3 = if !options.modes.embedded() {
        s3_not_run(&sizes, "--mode distributed")
    } else if !options.s3_server.is_file() {
        let reason = format!(
            "no weft-test-s3 at {}: build it (cargo build --release -p weft-test-s3) or pass \
             --s3-server",
            options.s3_server.display()
        );
        s3_not_run(&sizes, &reason)
    } else {
        let s3_options = S3Options {
            install: install.clone(),
            s3_server: options.s3_server.clone(),
            examples_target: s3::examples_target(),
        };
        s3::measure(&s3_options, sizes.s3_csvs)
    };
    figures.extend(s3::rows(&s3));

    eprintln!("==> distributed: starting PostgreSQL and Redis");
    let mut versions = Versions {
        weft: machine::weft_version(),
        rustc: machine::first_line("rustc", &["--version"]).unwrap_or_else(|| "unknown".into()),
        ..Versions::default()
    };
    let distributed = if !options.modes.distributed() {
        ModeResults::not_run("--mode embedded")
    } else {
        match services(options.quick) {
            Ok((postgres, redis)) => {
                versions.postgres = postgres
                    .psql("SHOW server_version")
                    .map(|v| v.trim().to_owned())
                    .unwrap_or_else(|e| format!("unknown ({e})"));
                versions.redis = redis_version();
                let started = postgres
                    .try_fresh_database()
                    .map_err(BenchError::from)
                    .and_then(|database_url| {
                        let backends = Backends {
                            database_url,
                            redis_url: redis.url().to_owned(),
                            namespace: weft_testkit::unique_name("bench"),
                        };
                        eprintln!("==> distributed: starting wfctl server, scheduler and worker");
                        Installation::distributed(&install, &backends, None)
                    });
                measure(started, &sizes)
                // The servers stop here, when `postgres` and `redis` are dropped.
            }
            Err(e) => ModeResults::all_failed(&format!("PostgreSQL and Redis: {e}")),
        }
    };
    figures.extend(scenarios::rows(Mode::Distributed, &distributed, &sizes));

    let tls = if options.modes.distributed() {
        tls::measure(&install, &sizes)
    } else {
        TlsResults::not_run("--mode embedded")
    };
    figures.extend(tls::rows(&tls, &sizes));

    let scale_out = if options.modes.distributed() {
        crate::scale_out::measure(&install, &sizes)
    } else {
        ScaleOut::missing(sizes.scale_workers, false, "--mode embedded")
    };
    figures.extend(crate::scale_out::rows::rows(
        &scale_out,
        sizes.big_fan.tasks,
    ));

    let peers = if options.peers {
        run_peers(&options.peers_dir, &options.work_dir, &sizes)
    } else {
        Peers::not_run("--peers not given")
    };
    versions.celery = peer_version(&peers.celery, |c| &c.version);
    versions.airflow = peer_version(&peers.airflow, |a| &a.version);
    figures.extend(peers::rows(&peers));

    BenchReport {
        date: jiff::Timestamp::now()
            .round(jiff::Unit::Second)
            .map_or_else(|_| jiff::Timestamp::now().to_string(), |t| t.to_string()),
        quick: options.quick,
        machine,
        versions,
        settings: Settings {
            sizes: serde_json::to_value(sizes).unwrap_or_default(),
            waits_tasks: sizes.waits.tasks,
            wait_slice_ms: WAIT_SLICE.as_secs_f64() * 1e3,
            worker_concurrency: WORKER_CONCURRENCY,
            parallelism: PARALLELISM,
            wfctl: options.wfctl.display().to_string(),
        },
        figures,
    }
}

/// The latency scenarios alone (round trips and chain40), in each mode of `options`: the
/// quick way to set two builds side by side (`weft-bench --latency`); nothing else runs.
pub fn latency(options: &Options) -> Vec<(&'static str, TlsResults)> {
    let sizes = sizes(options);
    each_mode(options, TlsResults::all_failed, |installation, mode| {
        scenarios::run_latency(installation, mode, &sizes)
    })
}

/// The fair-share scenario alone, after the big fan reported beside it, in each mode of
/// `options` (`weft-bench --fair-share`); nothing else runs.
pub fn fair_share(options: &Options) -> Vec<(&'static str, FairShareAlone)> {
    let sizes = sizes(options);
    each_mode(options, FairShareAlone::failed, |installation, mode| {
        scenarios::run_fair_share(installation, mode, &sizes)
    })
}

/// Start an installation of each mode of `options` in turn, run `run` on it and stop it;
/// `failed` gives the figures of an installation that did not start.
fn each_mode<T>(
    options: &Options,
    failed: impl Fn(&str) -> T,
    mut run: impl FnMut(&mut Installation, &'static str) -> T,
) -> Vec<(&'static str, T)> {
    let install = install_options(options);
    let mut on = |started: Result<Installation, BenchError>, mode: &'static str| match started {
        Ok(mut installation) => {
            let results = run(&mut installation, mode);
            installation.stop();
            (mode, results)
        }
        Err(e) => (mode, failed(&format!("cannot start: {e}"))),
    };
    let mut results = Vec::new();
    if options.modes.embedded() {
        eprintln!("==> embedded: starting wfctl standalone");
        results.push(on(Installation::embedded(&install), "embedded"));
    }
    if options.modes.distributed() {
        eprintln!(
            "==> distributed: starting PostgreSQL, Redis, wfctl server, scheduler and worker"
        );
        let started = services(options.quick).and_then(|(postgres, redis)| {
            let database_url = postgres.try_fresh_database()?;
            let backends = Backends {
                database_url,
                redis_url: redis.url().to_owned(),
                namespace: weft_testkit::unique_name("bench"),
            };
            let installation = Installation::distributed(&install, &backends, None);
            Ok((installation, postgres, redis))
        });
        results.push(match started {
            Ok((installation, _postgres, _redis)) => on(installation, "distributed"),
            Err(e) => ("distributed", failed(&format!("PostgreSQL and Redis: {e}"))),
        });
    }
    results
}

/// The scale-out scenarios alone (`weft-bench --scale-out`); nothing else runs.
pub fn scale_out(options: &Options) -> ScaleOut {
    let sizes = sizes(options);
    let install = install_options(options);
    crate::scale_out::measure(&install, &sizes)
}

/// The sizes `options` asks for: the quick configuration or the full one.
fn sizes(options: &Options) -> Sizes {
    if options.quick {
        Sizes::QUICK
    } else {
        Sizes::FULL
    }
}

/// How every installation of a run is started.
fn install_options(options: &Options) -> InstallOptions {
    InstallOptions {
        wfctl: options.wfctl.clone(),
        dir: options.work_dir.clone(),
        parallelism: PARALLELISM,
        concurrency: WORKER_CONCURRENCY,
        quick: options.quick,
    }
}

/// Every CSV of the S3 homework, not run for `reason`.
fn s3_not_run(sizes: &Sizes, reason: &str) -> Vec<S3Case> {
    sizes
        .s3_csvs
        .iter()
        .map(|csv| S3Case {
            csv_bytes: csv.bytes,
            rows: 0,
            times: Outcome::NotRun(reason.to_owned()),
            first_run_ms: None,
        })
        .collect()
}

/// Every scenario on a started installation, which is stopped afterwards.
fn measure(started: Result<Installation, BenchError>, sizes: &Sizes) -> ModeResults {
    match started {
        Ok(mut installation) => {
            let results = scenarios::run_all(&mut installation, sizes);
            eprintln!("==> {}: stopping", installation.mode.name());
            installation.stop();
            results
        }
        Err(e) => {
            eprintln!("    cannot start: {e}");
            ModeResults::all_failed(&format!("cannot start: {e}"))
        }
    }
}

fn redis_version() -> String {
    machine::first_line("redis-server", &["--version"])
        .and_then(|l| machine::redis_version(&l))
        .unwrap_or_else(|| "unknown".to_owned())
}

fn run_peers(dir: &Path, work: &Path, sizes: &Sizes) -> Peers {
    eprintln!(
        "==> peers: Celery ({}, {} tasks)",
        dir.display(),
        sizes.celery_tasks
    );
    let celery = peers::celery(dir, work, sizes.celery_tasks);
    eprintln!("==> peers: Airflow (its first install takes minutes)");
    let airflow = peers::airflow(dir, &peers::peers_state_dir(), work);
    Peers { celery, airflow }
}

fn peer_version<T>(outcome: &Outcome<T>, version: impl Fn(&T) -> &String) -> String {
    match outcome {
        Outcome::Measured(f) => version(f).clone(),
        other => crate::figure::Value::of_problem(other)
            .problem()
            .unwrap_or_default(),
    }
}
