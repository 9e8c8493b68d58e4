//! The peers, measured on the same machine in the same benchmark run: Celery and Airflow,
//! each by its script in the peers directory (`celery_bench.sh`, `airflow_bench.sh`), which
//! prints one JSON line. A missing script or a failing peer is recorded, never fatal.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::figure::{Figure, Figures, Unit, Value};
use crate::figures::Outcome;
use crate::process::{free_port, log_tail};

/// Celery 5 with a Redis broker, prefork worker: no-op tasks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CeleryFigures {
    /// Celery's version.
    pub version: String,
    /// Tasks of the throughput figure.
    pub n: u64,
    /// Worker processes.
    pub concurrency: u32,
    /// Submit → result, sequential, p50, in ms.
    pub roundtrip_p50_ms: f64,
    /// The same, p99.
    pub roundtrip_p99_ms: f64,
    /// Tasks per second of a group of `n` tasks.
    pub throughput_tasks_per_s: f64,
}

/// Airflow `standalone` (LocalExecutor, SQLite): no-op `@task` tasks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AirflowFigures {
    /// Airflow's version.
    pub version: String,
    /// A run of 40 chained tasks, start to end as Airflow records it, in s; none when the
    /// run failed or did not finish.
    pub chain40_s: Option<f64>,
    /// A run of 100 independent tasks, likewise.
    pub fan100_s: Option<f64>,
}

/// Both peers' outcomes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Peers {
    /// Celery.
    pub celery: Outcome<CeleryFigures>,
    /// Airflow.
    pub airflow: Outcome<AirflowFigures>,
}

impl Peers {
    /// Neither peer ran, for `reason`.
    pub fn not_run(reason: &str) -> Peers {
        Peers {
            celery: Outcome::NotRun(reason.to_owned()),
            airflow: Outcome::NotRun(reason.to_owned()),
        }
    }
}

/// Why a peer has no figures.
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    /// The script is not there.
    #[error("{} not found", path.display())]
    Missing {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// The script or its log could not be started or opened.
    #[error("cannot run {}: {source}", path.display())]
    Io {
        /// The script or log.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The script failed.
    #[error("{script} failed ({status}): {tail}")]
    Failed {
        /// The script's name.
        script: String,
        /// Its exit status.
        status: String,
        /// The end of its stderr.
        tail: String,
    },
    /// The script ran too long and was stopped.
    #[error("{script} did not finish within {minutes} minutes")]
    TimedOut {
        /// The script's name.
        script: String,
        /// The limit.
        minutes: u64,
    },
    /// The script printed no JSON line.
    #[error("{peer} printed no JSON line")]
    NoJson {
        /// The peer.
        peer: String,
    },
    /// Its JSON line is not what a peer script prints.
    #[error("{peer} printed a bad JSON line {line:?}: {source}")]
    BadJson {
        /// The peer.
        peer: String,
        /// The line.
        line: String,
        /// What is wrong.
        #[source]
        source: serde_json::Error,
    },
    /// The JSON line is another peer's.
    #[error("expected figures of peer {expected}, got {found:?}")]
    WrongPeer {
        /// The peer expected.
        expected: String,
        /// The `peer` field found.
        found: String,
    },
}

/// The figures in a peer script's output: its last line that starts with `{`, which must
/// be a JSON object whose `peer` field is `peer`.
pub fn parse_line<T: DeserializeOwned>(peer: &str, stdout: &str) -> Result<T, PeerError> {
    let line = stdout
        .lines()
        .map(str::trim)
        .rfind(|l| l.starts_with('{'))
        .ok_or_else(|| PeerError::NoJson {
            peer: peer.to_owned(),
        })?;
    let bad = |source| PeerError::BadJson {
        peer: peer.to_owned(),
        line: line.to_owned(),
        source,
    };
    let value: serde_json::Value = serde_json::from_str(line).map_err(bad)?;
    match value.get("peer").and_then(serde_json::Value::as_str) {
        Some(found) if found == peer => {}
        found => {
            return Err(PeerError::WrongPeer {
                expected: peer.to_owned(),
                found: found.unwrap_or("(none)").to_owned(),
            });
        }
    }
    serde_json::from_value(value).map_err(bad)
}

/// Run `celery_bench.sh N 2` from `peers_dir`, on a Redis port of its own.
pub fn celery(peers_dir: &Path, logs: &Path, tasks: usize) -> Outcome<CeleryFigures> {
    let script = peers_dir.join("celery_bench.sh");
    let port = free_port().map_or_else(|_| "6391".to_owned(), |p| p.to_string());
    let env = [("REDIS_PORT", port)];
    outcome(
        run_script(
            &script,
            &[tasks.to_string(), "2".to_owned()],
            &env,
            logs,
            20,
        )
        .and_then(|out| parse_line("celery", &out)),
    )
}

/// Where the peer scripts keep their installs and state (`PEERS_DIR`, as they read it).
pub fn peers_state_dir() -> PathBuf {
    std::env::var_os("PEERS_DIR").map_or_else(|| PathBuf::from("/tmp/wf-peers"), PathBuf::from)
}

/// Run `airflow_bench.sh` from `peers_dir`, on an API port of its own, keeping its state in
/// `state` (its `PEERS_DIR`).
///
/// Airflow's home is removed first (the installed Airflow is kept): the script reports the
/// newest finished run of each DAG, and with an old home that could be a run of an earlier
/// benchmark instead of this one's.
pub fn airflow(peers_dir: &Path, state: &Path, logs: &Path) -> Outcome<AirflowFigures> {
    let home = state.join("airflow-home");
    if let Err(e) = std::fs::remove_dir_all(&home)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        return Outcome::NotRun(format!(
            "cannot clear Airflow's earlier runs in {}: {e}",
            home.display()
        ));
    }
    let script = peers_dir.join("airflow_bench.sh");
    let port = free_port().map_or_else(|_| "8089".to_owned(), |p| p.to_string());
    let env = [
        ("AIRFLOW_PORT", port),
        ("PEERS_DIR", state.display().to_string()),
    ];
    outcome(run_script(&script, &[], &env, logs, 45).and_then(|out| parse_line("airflow", &out)))
}

fn outcome<T>(result: Result<T, PeerError>) -> Outcome<T> {
    match result {
        Ok(figures) => Outcome::Measured(figures),
        Err(e) => Outcome::NotRun(e.to_string()),
    }
}

/// Run `bash SCRIPT ARGS` with `env`, stdout and stderr in files under `logs`, for at most
/// `minutes`; its stdout.
fn run_script(
    script: &Path,
    args: &[String],
    env: &[(&str, String)],
    logs: &Path,
    minutes: u64,
) -> Result<String, PeerError> {
    if !script.is_file() {
        return Err(PeerError::Missing {
            path: script.to_owned(),
        });
    }
    let name = script
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let out_path = logs.join(format!("{name}.out"));
    let err_path = logs.join(format!("{name}.err"));
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| PeerError::Io { path, source }
    };
    let out = File::create(&out_path).map_err(io(&out_path))?;
    let err = File::create(&err_path).map_err(io(&err_path))?;
    let mut child = Command::new("bash")
        .arg(script)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(io(script))?;
    let deadline = Instant::now() + Duration::from_secs(minutes * 60);
    let status = loop {
        match child.try_wait().map_err(io(script))? {
            Some(status) => break status,
            None if Instant::now() > deadline => {
                // SIGTERM lets the script's own trap stop what it started.
                let _ = Command::new("kill")
                    .args(["-TERM", &child.id().to_string()])
                    .status();
                std::thread::sleep(Duration::from_secs(10));
                let _ = child.kill();
                let _ = child.wait();
                return Err(PeerError::TimedOut {
                    script: name,
                    minutes,
                });
            }
            None => std::thread::sleep(Duration::from_millis(200)),
        }
    };
    if !status.success() {
        return Err(PeerError::Failed {
            script: name,
            status: status.to_string(),
            tail: log_tail(&err_path, 5),
        });
    }
    std::fs::read_to_string(&out_path).map_err(io(&out_path))
}

/// The peers' figures, each under the scenario and metric of the Weft figure it is set
/// against, in the peer's own mode (`celery`, `airflow`): Celery's throughput beside the
/// big fan's and its round trips beside Weft's; Airflow's chain40 and fan100 (its own
/// records of each run). A peer that did not run has each figure with the reason.
pub fn rows(peers: &Peers) -> Vec<Figure> {
    let mut f = Figures::new("fan_one_run", "celery");
    let label = "throughput, no-op tasks (Weft: the big fan)";
    let celery = |c: &CeleryFigures| c.throughput_tasks_per_s;
    push(
        &mut f,
        "tasks_per_s",
        label,
        Unit::TasksPerS,
        &peers.celery,
        celery,
    );
    let mut all = f.done();
    let mut f = Figures::new("round_trip", "celery");
    let p50 = |c: &CeleryFigures| c.roundtrip_p50_ms;
    push(
        &mut f,
        "p50",
        "round trip p50",
        Unit::Ms,
        &peers.celery,
        p50,
    );
    let p99 = |c: &CeleryFigures| c.roundtrip_p99_ms;
    push(
        &mut f,
        "p99",
        "round trip p99",
        Unit::Ms,
        &peers.celery,
        p99,
    );
    all.extend(f.done());
    for (scenario, label, run) in [
        (
            "chain40",
            "chain40, one run",
            (|a| a.chain40_s) as fn(&AirflowFigures) -> Option<f64>,
        ),
        ("fan100", "fan100, one run", |a| a.fan100_s),
    ] {
        let mut f = Figures::new(scenario, "airflow");
        let value = match &peers.airflow {
            Outcome::Measured(a) => run(a).map_or_else(
                || Value::NotRun("the run did not succeed".to_owned()),
                |s| Value::Number(s * 1e3),
            ),
            other => Value::of_problem(other),
        };
        f.push("run", label, Unit::Ms, value);
        all.extend(f.done());
    }
    all
}

/// A peer's figure `get`, or its problem.
fn push<T>(
    f: &mut Figures,
    metric: &str,
    label: &str,
    unit: Unit,
    outcome: &Outcome<T>,
    get: impl Fn(&T) -> f64,
) {
    let value = match outcome {
        Outcome::Measured(figures) => Value::Number(get(figures)),
        other => Value::of_problem(other),
    };
    f.push(metric, label, unit, value);
}

#[cfg(test)]
mod tests {
    use super::*;

    const AIRFLOW: &str =
        r#"{"peer":"airflow","version":"3.3.2","chain40_s":51.7,"fan100_s":17.0}"#;
    const CELERY: &str = r#"{"peer":"celery","version":"5.7.0","n":5000,"concurrency":2,"roundtrip_p50_ms":2.1,"roundtrip_p99_ms":5.9,"throughput_tasks_per_s":472}"#;

    #[test]
    fn the_last_json_line_is_taken_after_noise() {
        let stdout = format!("warning: something\n{{not this}}\n{CELERY}\n");
        let figures: CeleryFigures = parse_line("celery", &stdout).expect("figures");
        assert_eq!(figures.version, "5.7.0");
        assert_eq!(figures.throughput_tasks_per_s, 472.0);
        assert_eq!(figures.roundtrip_p50_ms, 2.1);
    }

    #[test]
    fn a_failed_airflow_run_is_null() {
        let line = r#"{"peer":"airflow","version":"3.3.2","chain40_s":null,"fan100_s":17.0}"#;
        let figures: AirflowFigures = parse_line("airflow", line).expect("figures");
        assert_eq!(figures.chain40_s, None);
        assert_eq!(figures.fan100_s, Some(17.0));
    }

    #[test]
    fn a_bad_line_is_an_error_that_shows_it() {
        let e = parse_line::<CeleryFigures>("celery", "{\"peer\":\"celery\",\"n\":\n")
            .expect_err("truncated JSON");
        assert!(matches!(e, PeerError::BadJson { .. }), "{e}");
        assert!(e.to_string().contains("{\\\"peer\\\""), "{e}");
        let e = parse_line::<CeleryFigures>("celery", r#"{"peer":"celery","version":"5"}"#)
            .expect_err("fields missing");
        assert!(e.to_string().contains("missing field"), "{e}");
    }

    #[test]
    fn no_line_or_another_peers_line_is_refused() {
        let e = parse_line::<CeleryFigures>("celery", "Traceback ...\nError\n").expect_err("none");
        assert!(matches!(e, PeerError::NoJson { .. }));
        let e = parse_line::<CeleryFigures>("celery", r#"{"peer":"airflow"}"#).expect_err("wrong");
        assert!(e.to_string().contains("airflow"), "{e}");
    }

    #[test]
    fn a_missing_script_is_not_run_not_fatal() {
        let dir = tempfile::tempdir().expect("temp dir");
        match celery(&dir.path().join("nowhere"), dir.path(), 10) {
            Outcome::NotRun(reason) => {
                assert!(reason.contains("celery_bench.sh not found"), "{reason}")
            }
            other => panic!("expected not run, got {other:?}"),
        }
    }

    #[test]
    fn a_failing_script_is_reported_with_its_stderr() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("airflow_bench.sh"),
            "echo 'pip: no network' >&2; exit 4\n",
        )
        .expect("script");
        match airflow(dir.path(), dir.path(), dir.path()) {
            Outcome::NotRun(reason) => {
                assert!(reason.contains("pip: no network"), "{reason}");
                assert!(reason.contains('4'), "{reason}");
            }
            other => panic!("expected not run, got {other:?}"),
        }
    }

    #[test]
    fn airflow_starts_from_a_fresh_home_in_its_state_dir() {
        let dir = tempfile::tempdir().expect("temp dir");
        let state = dir.path().join("state");
        let old_run = state.join("airflow-home").join("airflow.db");
        std::fs::create_dir_all(old_run.parent().expect("parent")).expect("home");
        std::fs::write(&old_run, "runs of an earlier benchmark").expect("db");
        std::fs::write(
            dir.path().join("airflow_bench.sh"),
            format!(
                "test \"$PEERS_DIR\" = '{}' && test ! -e \"$PEERS_DIR/airflow-home\" && echo '{AIRFLOW}'\n",
                state.display()
            ),
        )
        .expect("script");
        match airflow(dir.path(), &state, dir.path()) {
            Outcome::Measured(figures) => assert_eq!(figures.chain40_s, Some(51.7)),
            other => panic!("expected figures, got {other:?}"),
        }
    }

    #[test]
    fn a_working_script_gives_figures() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("celery_bench.sh"),
            format!(
                "test \"$1\" = 7 && test -n \"$REDIS_PORT\" && echo 'noise' && echo '{CELERY}'\n"
            ),
        )
        .expect("script");
        let figures = celery(dir.path(), dir.path(), 7);
        assert_eq!(figures.measured().map(|f| f.n), Some(5000), "{figures:?}");
    }
}
