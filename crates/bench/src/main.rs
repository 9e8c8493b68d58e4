//! `weft-bench`: run Weft's benchmark suite and write `BENCHMARKS.md` and `bench.json`.
//! `scripts/bench.sh` builds it (and `wfctl`) in release mode and runs it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Parser;
use weft_bench::install::LOG_FILTER;
use weft_bench::report::BenchReport;
use weft_bench::{markdown, suite, views};

/// Measure Weft (in process, embedded, the S3 homework on an S3 server it starts, and
/// distributed on PostgreSQL and Redis it starts) and, with `--peers`, Celery and Airflow on
/// the same machine; print the tables and write BENCHMARKS.md and bench.json.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The tiny configuration the test suite runs (on its services when
    /// WEFT_TEST_POSTGRES_URL / WEFT_TEST_REDIS_URL are set); writes under target/bench-quick.
    #[arg(long)]
    quick: bool,
    /// Run the peers' scripts too (Celery, Airflow).
    #[arg(long)]
    peers: bool,
    /// Directory for BENCHMARKS.md and bench.json (default: `.`, or `target/bench-quick`
    /// with --quick).
    #[arg(long)]
    out: Option<PathBuf>,
    /// The wfctl binary to measure (default: the one next to this program).
    #[arg(long)]
    wfctl: Option<PathBuf>,
    /// The S3 server of the S3 homework (default: the `weft-test-s3` next to this program).
    #[arg(long)]
    s3_server: Option<PathBuf>,
    /// Which installation modes to measure: both (the default), or one of them.
    #[arg(long, value_enum, default_value_t = suite::Modes::Both)]
    mode: suite::Modes,
    /// Only the round trips and chain40, in the modes of --mode: their figures as JSON on
    /// stdout, nothing written (to set two builds side by side, run it on each in turn).
    #[arg(long)]
    latency: bool,
    /// Only the scale-out scenarios (many workers; many runs within a minute): their figures
    /// as JSON on stdout, nothing written.
    #[arg(long, conflicts_with = "latency")]
    scale_out: bool,
    /// Only the fair-share scenario (after the big fan alone, reported beside it), in the
    /// modes of --mode: its figures as JSON on stdout, nothing written.
    #[arg(long, conflicts_with_all = ["latency", "scale_out"])]
    fair_share: bool,
    /// Measure nothing: read this `bench.json` (written by an earlier run) and write the
    /// tables and BENCHMARKS.md from its figures again, into --out.
    #[arg(long, conflicts_with_all = ["latency", "scale_out", "fair_share", "peers"])]
    render: Option<PathBuf>,
    /// Directory of the peer scripts.
    #[arg(long, env = "WEFT_PEERS_DIR", default_value = "../shared/peers")]
    peers_dir: PathBuf,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("weft-bench: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(json) = &args.render {
        let text =
            std::fs::read_to_string(json).with_context(|| format!("reading {}", json.display()))?;
        let report =
            BenchReport::from_json(&text).with_context(|| format!("reading {}", json.display()))?;
        let out = args.out.unwrap_or_else(|| PathBuf::from("."));
        write(&report, &out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let wfctl = match args.wfctl {
        Some(path) => path,
        None => std::env::current_exe()
            .context("finding this program's directory")?
            .with_file_name("wfctl"),
    };
    if !wfctl.is_file() {
        bail!(
            "no wfctl at {}: build it first (cargo build -p wfctl, or --release), or pass --wfctl",
            wfctl.display()
        );
    }
    let s3_server = match args.s3_server {
        Some(path) => path,
        None => std::env::current_exe()
            .context("finding this program's directory")?
            .with_file_name("weft-test-s3"),
    };
    let out = args.out.unwrap_or_else(|| {
        if args.quick {
            PathBuf::from("target/bench-quick")
        } else {
            PathBuf::from(".")
        }
    });
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let work = tempfile::Builder::new()
        .prefix("weft-bench-")
        .tempdir()
        .context("creating a temp dir for homes and logs")?;
    let options = suite::Options {
        quick: args.quick,
        peers: args.peers,
        modes: args.mode,
        wfctl: absolute(&wfctl)?,
        peers_dir: args.peers_dir,
        s3_server: absolute(&s3_server)?,
        work_dir: work.path().to_owned(),
    };
    let work = Work(Some(work));
    if args.latency {
        for (mode, results) in suite::latency(&options) {
            let json = serde_json::to_string(&results).context("writing the figures")?;
            println!("{{\"mode\":\"{mode}\",\"latency\":{json}}}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    if args.fair_share {
        for (mode, results) in suite::fair_share(&options) {
            let json = serde_json::to_string(&results).context("writing the figures")?;
            println!("{{\"mode\":\"{mode}\",\"fair_share\":{json}}}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    if args.scale_out {
        let results = suite::scale_out(&options);
        let json = serde_json::to_string(&results).context("writing the figures")?;
        println!("{{\"scale_out\":{json}}}");
        return Ok(if results.has_failures() {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        });
    }
    let report = suite::run(&options);
    write(&report, &out)?;
    if report.has_failures() {
        let kept = work.keep();
        eprintln!(
            "weft-bench: a scenario failed (see the table); logs kept in {}",
            kept.display()
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// Print every table, and write BENCHMARKS.md and bench.json into `out`.
fn write(report: &BenchReport, out: &Path) -> anyhow::Result<()> {
    println!();
    for view in views::VIEWS {
        println!("{}", view.render(&report.figures).text());
    }
    let markdown_path = out.join("BENCHMARKS.md");
    let json_path = out.join("bench.json");
    let document = markdown::document(report).context("filling BENCHMARKS.template.md")?;
    std::fs::write(&markdown_path, document)
        .with_context(|| format!("writing {}", markdown_path.display()))?;
    std::fs::write(&json_path, report.to_json() + "\n")
        .with_context(|| format!("writing {}", json_path.display()))?;
    println!(
        "wrote {} and {}",
        markdown_path.display(),
        json_path.display()
    );
    Ok(())
}

/// The directory of the installations' homes and logs: removed when the run ends, unless
/// [`LOG_FILTER`] asked for logs or a scenario failed.
struct Work(Option<tempfile::TempDir>);

impl Work {
    /// Keep the directory; its path.
    fn keep(mut self) -> PathBuf {
        self.0
            .take()
            .map_or_else(PathBuf::new, tempfile::TempDir::keep)
    }
}

impl Drop for Work {
    fn drop(&mut self) {
        if std::env::var_os(LOG_FILTER).is_some()
            && let Some(dir) = self.0.take()
        {
            eprintln!("weft-bench: logs kept in {}", dir.keep().display());
        }
    }
}

fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("resolving {}", path.display()))
}
