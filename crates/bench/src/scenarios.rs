//! The scenarios, run against one [`Installation`] through its API: warm-up, a never-seen
//! component's first task, round trips, chain40, fan100, the big fan, many fans at once,
//! the processes' CPU and memory over the fan-outs, a task mapped over as many items as the
//! big fan has tasks, many waits deferred at once, and one tenant's task while another floods
//! the scheduler.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::client::{Asked, BenchApi};
use crate::dags::{self, BenchDag, Sizes};
use crate::error::BenchError;
use crate::figure::{Figure, Figures, Stat, Unit};
use crate::figures::HopBreakdown;
use crate::figures::{
    Chain, ColdDeploy, FairShareAlone, ModeResults, Outcome, RoundTrip, RunTimes, Throughput,
    TlsResults, Usage,
};
use crate::format;
use crate::goals::Goal;
use crate::install::{Installation, Mode};
use crate::nonce;
use crate::procfs::{self, ProcSample};
use crate::stats::{Summary, median};
use crate::wait::Waiter;
use crate::{asset_hop, breakdown, deferred, fair_share};

/// Every scenario on `installation`; a failed scenario is recorded and the next one runs.
pub fn run_all(installation: &mut Installation, sizes: &Sizes) -> ModeResults {
    let mode = installation.mode.name();
    let mut waiter = Waiter::new(installation);
    let big = sizes.big_fan;
    let all = [
        dags::SINGLE,
        dags::CHAIN40,
        dags::FAN100,
        sizes.big_fan,
        sizes.big_map,
        sizes.waits,
    ];
    if let Err(e) = deploy_and_warm_up(&mut waiter, mode, sizes, &all) {
        return ModeResults::all_failed(&format!("deploy and warm-up: {e}"));
    }
    let cold_deploy = step(mode, "deploy of a new component", || {
        cold_deploy(&mut waiter)
    });
    let round_trip = step(mode, "round trip", || {
        round_trip(&mut waiter, sizes.round_trips)
    });
    let chain40 = step(mode, "chain40", || chain(&mut waiter, sizes.chain_runs));
    let fan100 = step(mode, "fan100 alone", || {
        run_times(&mut waiter, dags::FAN100, sizes.fan100_runs)
    });
    let processes = waiter.installation().processes();
    let before = sample_all(&processes);
    let fan_one_run = step(mode, big.dag_id, || {
        throughput(&mut waiter, big, 1, sizes.big_fan_runs)
    });
    let fan_many_runs = step(mode, "many fan100 runs at once", || {
        throughput(&mut waiter, dags::FAN100, sizes.many_runs, 1)
    });
    let tasks = big.tasks * sizes.big_fan_runs + dags::FAN100.tasks * sizes.many_runs;
    let resources = Outcome::of(before.and_then(|before| {
        let after = sample_all(&processes)?;
        Ok(usage(
            &processes,
            &before,
            &after,
            tasks,
            procfs::clock_ticks_per_second(),
        ))
    }));
    let map_one_run = step(mode, sizes.big_map.dag_id, || {
        throughput(&mut waiter, sizes.big_map, 1, sizes.big_fan_runs)
    });
    let deferred_waits = step(mode, sizes.waits.dag_id, || {
        deferred::measure(&mut waiter, sizes)
    });
    let single_tenant = fan_one_run.measured().map(|t| t.tasks_per_s);
    let fair_share = step(mode, "fair share between two tenants", || {
        fair_share::measure(&mut waiter, sizes, single_tenant)
    });
    let asset_hop = step(mode, "asset update → the run it starts", || {
        crate::asset_hop::measure(&mut waiter, sizes.chain_runs)
    });
    // Last: the worker compiles the interpreter's optimized code for seconds afterwards.
    let python_deploys = step(mode, "deploys of new Python DAGs", || {
        crate::python_deploy::measure(&mut waiter)
    });
    ModeResults {
        asset_hop,
        chain40,
        fan100,
        fan_one_run,
        fan_many_runs,
        map_one_run,
        round_trip,
        cold_deploy,
        python_deploys,
        resources,
        deferred_waits,
        fair_share,
    }
}

/// The latency scenarios alone (round trips and chain40) on `installation`, called `mode`
/// in what is printed: what TLS on every link costs is read from these beside the plain
/// installation's, and `weft-bench --latency` runs only these.
pub fn run_latency(installation: &mut Installation, mode: &str, sizes: &Sizes) -> TlsResults {
    let mut waiter = Waiter::new(installation);
    let used = [dags::SINGLE, dags::CHAIN40, dags::FAN100];
    if let Err(e) = deploy_and_warm_up(&mut waiter, mode, sizes, &used) {
        return TlsResults::all_failed(&format!("deploy and warm-up: {e}"));
    }
    TlsResults {
        round_trip: step(mode, "round trip", || {
            round_trip(&mut waiter, sizes.round_trips)
        }),
        chain40: step(mode, "chain40", || chain(&mut waiter, sizes.chain_runs)),
    }
}

/// The fair-share scenario alone on `installation`, after the big fan alone it is set
/// against; `weft-bench --fair-share` runs only these.
pub fn run_fair_share(
    installation: &mut Installation,
    mode: &str,
    sizes: &Sizes,
) -> FairShareAlone {
    let mut waiter = Waiter::new(installation);
    let big = sizes.big_fan;
    let used = [dags::SINGLE, dags::CHAIN40, dags::FAN100, big];
    if let Err(e) = deploy_and_warm_up(&mut waiter, mode, sizes, &used) {
        return FairShareAlone::failed(&format!("deploy and warm-up: {e}"));
    }
    let fan_one_run = step(mode, big.dag_id, || {
        throughput(&mut waiter, big, 1, sizes.big_fan_runs)
    });
    let single_tenant = fan_one_run.measured().map(|t| t.tasks_per_s);
    let fair_share = step(mode, "fair share between two tenants", || {
        fair_share::measure(&mut waiter, sizes, single_tenant)
    });
    FairShareAlone {
        fan_one_run,
        fair_share,
    }
}

/// Run one scenario, saying so on stderr, and keep its outcome.
pub(crate) fn step<T>(
    mode: &str,
    name: &str,
    f: impl FnOnce() -> Result<T, BenchError>,
) -> Outcome<T> {
    eprintln!("==> {mode}: {name}");
    let started = Instant::now();
    let outcome = Outcome::of(f());
    match &outcome {
        Outcome::Failed(e) => eprintln!("    failed: {e}"),
        _ => eprintln!("    done in {:.1} s", started.elapsed().as_secs_f64()),
    }
    outcome
}

/// How long to wait for a run of `tasks` tasks: a minute, plus 20 ms a task.
pub(crate) fn run_timeout(tasks: usize) -> Duration {
    Duration::from_secs(60) + Duration::from_millis(20) * u32::try_from(tasks).unwrap_or(u32::MAX)
}

pub(crate) fn read(path: &str) -> Result<Vec<u8>, BenchError> {
    std::fs::read(path).map_err(|e| BenchError::io(path, e))
}

/// Deploy `dags` (which must include SINGLE, CHAIN40 and FAN100), then run each of those
/// three so that the worker has compiled it (the big fan's first measured run pays its
/// compile, in distributed mode).
pub(crate) fn deploy_and_warm_up(
    waiter: &mut Waiter<'_>,
    mode: &str,
    sizes: &Sizes,
    dags: &[BenchDag],
) -> Result<(), BenchError> {
    eprintln!("==> {mode}: deploy and warm up");
    for &dag in dags {
        let deployed = waiter
            .api()
            .deploy(&read(dag.path)?)
            .asked(|| format!("deploy {}", dag.path))?;
        if deployed.dag_id != dag.dag_id {
            return Err(BenchError::BadAnswer {
                what: format!("deploy of {}", dag.path),
                reason: format!("it describes DAG {}, not {}", deployed.dag_id, dag.dag_id),
            });
        }
    }
    for _ in 0..sizes.warmup_runs {
        waiter.trigger_and_wait(dags::SINGLE.dag_id, run_timeout(1))?;
    }
    for dag in [dags::CHAIN40, dags::FAN100] {
        waiter.trigger_and_wait(dag.dag_id, run_timeout(dag.tasks))?;
    }
    Ok(())
}

/// `wfctl deploy` of a copy of the `noop` guest no one has seen (a nonce section makes its
/// digest new), then a run of it: neither the server nor the worker has its compiled code.
fn cold_deploy(waiter: &mut Waiter<'_>) -> Result<ColdDeploy, BenchError> {
    let original = read(weft_test_guests_artifacts::NOOP)?;
    let nonce = crate::sandbox::unique();
    let wasm = nonce::with_custom_section(&original, "weft-bench-nonce", nonce.as_bytes());
    let path = waiter
        .installation()
        .dir()
        .join(format!("noop-{nonce}.wasm"));
    std::fs::write(&path, &wasm).map_err(|e| BenchError::io(&path, e))?;
    deploy_to_first_task(waiter, &path, "noop")
}

/// `wfctl deploy` of the component at `path`, then a run of its DAG `dag_id`, of one task:
/// timed from the start of the deploy to the run's success seen.
pub(crate) fn deploy_to_first_task(
    waiter: &mut Waiter<'_>,
    path: &Path,
    dag_id: &str,
) -> Result<ColdDeploy, BenchError> {
    let size = std::fs::metadata(path)
        .map_err(|e| BenchError::io(path, e))?
        .len();
    let path_text = path.to_string_lossy().into_owned();
    let mut deploy = waiter
        .installation()
        .client_command(&["deploy", &path_text, "--output", "json"]);
    let started = Instant::now();
    let output = deploy.output().map_err(|e| BenchError::Spawn {
        name: "wfctl deploy".to_owned(),
        program: std::path::PathBuf::from(deploy.get_program()),
        source: e,
    })?;
    let deploy_ms = started.elapsed().as_secs_f64() * 1e3;
    if !output.status.success() {
        return Err(BenchError::Command {
            what: format!("wfctl deploy {path_text}"),
            status: output.status.to_string(),
            output: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    let run_id = waiter.api().trigger_now(dag_id)?;
    waiter.wait_newest(dag_id, &run_id, run_timeout(1))?;
    Ok(ColdDeploy {
        size_kib: size as f64 / 1024.0,
        deploy_ms,
        to_first_task_ms: started.elapsed().as_secs_f64() * 1e3,
    })
}

fn round_trip(waiter: &mut Waiter<'_>, runs: usize) -> Result<RoundTrip, BenchError> {
    let dag = dags::SINGLE;
    let mut total = Vec::with_capacity(runs);
    let mut trigger = Vec::with_capacity(runs);
    let mut in_store = Vec::with_capacity(runs);
    for _ in 0..runs {
        let timed = waiter.trigger_and_wait(dag.dag_id, run_timeout(dag.tasks))?;
        total.push(timed.total.as_secs_f64() * 1e3);
        trigger.push(timed.trigger.as_secs_f64() * 1e3);
        in_store.extend(timed.in_store_ms());
    }
    let none = || BenchError::BadAnswer {
        what: dag.dag_id.to_owned(),
        reason: "no run was measured".to_owned(),
    };
    Ok(RoundTrip {
        ms: Summary::of(&total).ok_or_else(none)?,
        trigger_ms: Summary::of(&trigger).ok_or_else(none)?,
        in_store_ms: Summary::of(&in_store),
    })
}

/// `runs` runs of `dag`, one after another: each from the trigger to the success seen.
fn run_times(waiter: &mut Waiter<'_>, dag: BenchDag, runs: usize) -> Result<RunTimes, BenchError> {
    let mut runs_ms = Vec::with_capacity(runs);
    for _ in 0..runs {
        let timed = waiter.trigger_and_wait(dag.dag_id, run_timeout(dag.tasks))?;
        runs_ms.push(timed.total.as_secs_f64() * 1e3);
    }
    let summary = Summary::of(&runs_ms).ok_or_else(|| BenchError::BadAnswer {
        what: dag.dag_id.to_owned(),
        reason: "no run was measured".to_owned(),
    })?;
    Ok(RunTimes {
        tasks: dag.tasks,
        runs_ms,
        summary,
    })
}

/// chain40 runs, then (outside the timed part) their task timestamps for the breakdown.
fn chain(waiter: &mut Waiter<'_>, runs: usize) -> Result<Chain, BenchError> {
    let dag = dags::CHAIN40;
    let mut runs_ms = Vec::with_capacity(runs);
    let mut run_ids = Vec::with_capacity(runs);
    for _ in 0..runs {
        let timed = waiter.trigger_and_wait(dag.dag_id, run_timeout(dag.tasks))?;
        runs_ms.push(timed.total.as_secs_f64() * 1e3);
        run_ids.push(timed.run.run_id);
    }
    let details = run_ids
        .iter()
        .map(|id| waiter.api().run_detail(dag.dag_id, id))
        .collect::<Result<Vec<_>, _>>()?;
    let summary = Summary::of(&runs_ms).ok_or_else(|| BenchError::BadAnswer {
        what: dag.dag_id.to_owned(),
        reason: "no run was measured".to_owned(),
    })?;
    Ok(Chain {
        per_hop_ms: summary.median / dag.tasks as f64,
        breakdown: breakdown::of_chain(&details),
        times: RunTimes {
            tasks: dag.tasks,
            runs_ms,
            summary,
        },
    })
}

/// `samples` times: trigger `runs` runs of `dag` at once and wait for all to succeed.
fn throughput(
    waiter: &mut Waiter<'_>,
    dag: BenchDag,
    runs: usize,
    samples: usize,
) -> Result<Throughput, BenchError> {
    let tasks = dag.tasks * runs;
    let mut samples_s = Vec::with_capacity(samples);
    for _ in 0..samples {
        let started = Instant::now();
        let mut run_ids = Vec::with_capacity(runs);
        for _ in 0..runs {
            run_ids.push(waiter.api().trigger_now(dag.dag_id)?);
        }
        if let [only] = run_ids.as_slice() {
            waiter.wait_newest(dag.dag_id, only, run_timeout(tasks))?;
        } else {
            waiter.wait_all(dag.dag_id, &run_ids, run_timeout(tasks))?;
        }
        samples_s.push(started.elapsed().as_secs_f64());
    }
    let median_s = median(&samples_s).ok_or_else(|| BenchError::BadAnswer {
        what: dag.dag_id.to_owned(),
        reason: "no sample was taken".to_owned(),
    })?;
    Ok(Throughput {
        runs,
        tasks_per_run: dag.tasks,
        samples_s,
        median_s,
        tasks_per_s: tasks as f64 / median_s,
    })
}

pub(crate) fn sample_all(processes: &[(String, u32)]) -> Result<Vec<ProcSample>, BenchError> {
    processes
        .iter()
        .map(|(_, pid)| procfs::sample(*pid))
        .collect()
}

/// Each process's CPU between `before` and `after`, scaled to 10,000 tasks, and its peak
/// memory at `after`.
pub fn usage(
    processes: &[(String, u32)],
    before: &[ProcSample],
    after: &[ProcSample],
    tasks: usize,
    ticks_per_s: u64,
) -> Vec<Usage> {
    processes
        .iter()
        .zip(before.iter().zip(after))
        .map(|((role, _), (b, a))| {
            let cpu_s = a.cpu_ticks.saturating_sub(b.cpu_ticks) as f64 / ticks_per_s.max(1) as f64;
            Usage {
                role: role.clone(),
                peak_rss_mib: a.peak_rss_kib as f64 / 1024.0,
                cpu_s,
                tasks,
                cpu_s_per_10k_tasks: if tasks == 0 {
                    0.0
                } else {
                    cpu_s * 10_000.0 / tasks as f64
                },
            }
        })
        .collect()
}

/// The figures of every scenario of one installation mode (`embedded`, `distributed`).
pub fn rows(mode: Mode, m: &ModeResults, sizes: &Sizes) -> Vec<Figure> {
    let name = mode.name();
    let goals = mode.goals();
    let mut all = chain_rows(name, &m.chain40, sizes, Some(goals.chain40_ms.clone()));
    for (scenario, outcome, label) in [
        (
            "fan_one_run",
            &m.fan_one_run,
            format!(
                "fan-out: {} tasks in one run (median of {})",
                format::number(sizes.big_fan.tasks as f64),
                sizes.big_fan_runs
            ),
        ),
        (
            "fan_many_runs",
            &m.fan_many_runs,
            format!("fan-out: {} runs of 100 tasks at once", sizes.many_runs),
        ),
    ] {
        let goal = Some(goals.tasks_per_s.clone());
        all.extend(throughput_rows(scenario, name, outcome, &label, goal));
    }
    let label = format!(
        "mapped task: {} instances in one run (median of {})",
        format::number((sizes.big_map.tasks - 1) as f64),
        sizes.big_fan_runs
    );
    all.extend(throughput_rows(
        "map_one_run",
        name,
        &m.map_one_run,
        &label,
        None,
    ));
    all.extend(deferred::rows(name, &m.deferred_waits, sizes));
    all.extend(fair_share::rows(name, &m.fair_share, sizes));
    all.extend(asset_hop::rows(name, &m.asset_hop, sizes));
    let label = format!(
        "fan100 alone: trigger → success, median of {}",
        sizes.fan100_runs
    );
    all.extend(Figures::new("fan100", name).of(
        &m.fan100,
        ("run", &label, Unit::Ms, None),
        |f, t| {
            f.stat("run", &label, Unit::Ms, Stat::Median, t.summary);
        },
    ));
    all.extend(round_trip_rows(
        name,
        &m.round_trip,
        sizes.round_trips,
        Some(goals.round_trip_p50_ms.clone()),
    ));
    let label = "new component: wfctl deploy → first task done";
    all.extend(Figures::new("cold_deploy", name).of(
        &m.cold_deploy,
        ("to_first_task", label, Unit::Ms, None),
        |f, c| deploy_rows(f, "", label, c),
    ));
    let first = "first new Python DAG: wfctl deploy → first task done";
    let second = "second new Python DAG: wfctl deploy → first task done";
    all.extend(Figures::new("python_deploys", name).of(
        &m.python_deploys,
        ("first/to_first_task", first, Unit::Ms, None),
        |f, p| {
            deploy_rows(f, "first/", first, &p.first);
            deploy_rows(f, "second/", second, &p.second);
        },
    ));
    all.extend(Figures::new("resources", name).of(
        &m.resources,
        ("peak_rss", "peak RSS", Unit::MiB, None),
        |f, usage| {
            for u in usage {
                let label = format!("peak RSS: {}", u.role);
                f.number(
                    &format!("peak_rss/{}", u.role),
                    &label,
                    Unit::MiB,
                    u.peak_rss_mib,
                );
            }
            for u in usage {
                let label = format!("CPU per 10,000 tasks (fan-outs): {}", u.role);
                let metric = format!("cpu_per_10k/{}", u.role);
                f.number(&metric, &label, Unit::S, u.cpu_s_per_10k_tasks);
            }
        },
    ));
    all
}

/// A deploy's figures: to the first task done, and the deploy alone.
fn deploy_rows(f: &mut Figures, prefix: &str, label: &str, c: &ColdDeploy) {
    let to_first = format!("{prefix}to_first_task");
    f.number(&to_first, label, Unit::Ms, c.to_first_task_ms);
    let deploy = format!("{label}: the deploy alone");
    f.number(&format!("{prefix}deploy"), &deploy, Unit::Ms, c.deploy_ms);
}

/// The figures of a fan's throughput: tasks per second, and the median sample's time.
fn throughput_rows(
    scenario: &str,
    mode: &str,
    outcome: &Outcome<Throughput>,
    label: &str,
    goal: Option<Goal>,
) -> Vec<Figure> {
    Figures::new(scenario, mode).of(
        outcome,
        ("tasks_per_s", label, Unit::TasksPerS, goal.clone()),
        |f, t| {
            let rate = f.number("tasks_per_s", label, Unit::TasksPerS, t.tasks_per_s);
            rate.goal = goal;
            let time = format!("{label}: the median sample's time");
            f.number("median_s", &time, Unit::S, t.median_s);
        },
    )
}

/// A step of a chain40 hop: its metric, its label and its median in a breakdown.
type Step = (&'static str, &'static str, fn(&HopBreakdown) -> f64);

/// chain40's figures in `mode` (also `tls`): the run, per hop, and where a hop's time goes
/// (scenario `chain40_breakdown`).
pub fn chain_rows(
    mode: &str,
    outcome: &Outcome<Chain>,
    sizes: &Sizes,
    goal: Option<Goal>,
) -> Vec<Figure> {
    let runs = outcome
        .measured()
        .map_or(sizes.chain_runs, |c| c.times.summary.count);
    let label = format!("chain40: trigger → success, median of {runs}");
    let mut all = Figures::new("chain40", mode).of(
        outcome,
        ("run", &label, Unit::Ms, goal.clone()),
        |f, c| {
            f.stat("run", &label, Unit::Ms, Stat::Median, c.times.summary)
                .goal = goal;
            f.number(
                "per_hop",
                "chain40: per hop (median / 40)",
                Unit::Ms,
                c.per_hop_ms,
            );
        },
    );
    let steps: [Step; 5] = [
        (
            "run_to_first_queued",
            "run created → first task queued",
            |b| b.run_to_first_queued_ms,
        ),
        (
            "upstream_end_to_queued",
            "upstream ended → next task queued (scheduling)",
            |b| b.upstream_end_to_queued_ms,
        ),
        (
            "queued_to_started",
            "queued → attempt started (delivery, pick-up)",
            |b| b.queued_to_started_ms,
        ),
        (
            "started_to_ended",
            "attempt started → ended (sandbox, task, report)",
            |b| b.started_to_ended_ms,
        ),
        (
            "last_end_to_run_end",
            "last task ended → run finished",
            |b| b.last_end_to_run_end_ms,
        ),
    ];
    let (first, first_label, _) = steps[0];
    all.extend(Figures::new("chain40_breakdown", mode).of(
        outcome,
        (first, first_label, Unit::Ms, None),
        |f, c| {
            for (metric, label, get) in steps {
                if let Some(b) = &c.breakdown {
                    f.number(metric, label, Unit::Ms, get(b));
                }
            }
        },
    ));
    all
}

/// The round trips' figures in `mode` (also `tls`): p50 (judged by `goal`), p99, the
/// trigger request alone, the run by the store's clock.
pub fn round_trip_rows(
    mode: &str,
    outcome: &Outcome<RoundTrip>,
    runs: usize,
    goal: Option<Goal>,
) -> Vec<Figure> {
    let runs = outcome.measured().map_or(runs, |r| r.ms.count);
    let p50 = format!("round trip p50 ({runs} runs)");
    Figures::new("round_trip", mode).of(outcome, ("p50", &p50, Unit::Ms, goal.clone()), |f, r| {
        f.stat("p50", &p50, Unit::Ms, Stat::Median, r.ms).goal = goal;
        let p99 = format!("round trip p99 ({runs} runs)");
        f.stat("p99", &p99, Unit::Ms, Stat::P99, r.ms);
        let label = "round trip: the trigger request alone (p50)";
        f.stat("trigger_p50", label, Unit::Ms, Stat::Median, r.trigger_ms);
        if let Some(store) = r.in_store_ms {
            let label = "round trip: run created → ended, store's clock (p50)";
            f.stat("in_store_p50", label, Unit::Ms, Stat::Median, store);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_is_scaled_to_ten_thousand_tasks() {
        let processes = vec![("scheduler".to_owned(), 1), ("worker".to_owned(), 2)];
        let before = [
            ProcSample {
                cpu_ticks: 100,
                peak_rss_kib: 1024,
            },
            ProcSample {
                cpu_ticks: 0,
                peak_rss_kib: 1024,
            },
        ];
        let after = [
            ProcSample {
                cpu_ticks: 300,
                peak_rss_kib: 20 * 1024,
            },
            ProcSample {
                cpu_ticks: 1000,
                peak_rss_kib: 50 * 1024,
            },
        ];
        let u = usage(&processes, &before, &after, 20_000, 100);
        assert_eq!(u.len(), 2);
        assert_eq!(u[0].role, "scheduler");
        assert_eq!(u[0].cpu_s, 2.0);
        assert_eq!(u[0].cpu_s_per_10k_tasks, 1.0);
        assert_eq!(u[0].peak_rss_mib, 20.0);
        assert_eq!(u[1].cpu_s_per_10k_tasks, 5.0);
        let none = usage(&processes, &before, &after, 0, 100);
        assert_eq!(none[0].cpu_s_per_10k_tasks, 0.0);
    }

    #[test]
    fn big_runs_get_more_time() {
        assert_eq!(run_timeout(1), Duration::from_millis(60_020));
        assert_eq!(run_timeout(10_000), Duration::from_secs(260));
    }
}
