//! The tables of a [`BenchReport`]: Weft's figures with each goal beside its figure (many
//! waits deferred at once among them), the sandbox, egress, SQL, the S3 homework, the peers
//! side by side, where a chain40 hop's time goes, what TLS on every link costs, and the
//! scale-out figures with the ceiling projected from them.

mod fair_share;
mod scale_out;
mod tls;

pub use scale_out::{
    costs as scale_out_costs, frequent as scale_out_frequent, projection as scale_out_projection,
    scale_out,
};
pub use tls::tls;

use crate::dags::Sizes;
use crate::figures::{HopBreakdown, ModeResults, Outcome, Usage};
use crate::format;
use crate::goals::{self, Goal};
use crate::install::Mode;
use crate::report::BenchReport;
use crate::table::Table;

const MODES: [Mode; 2] = [Mode::Embedded, Mode::Distributed];

/// Picks the value of a figure that its goal judges.
type Judge<'a, T> = &'a dyn Fn(&T) -> f64;

/// A step of a chain40 hop: its name and its median in a breakdown.
type Step = (&'static str, fn(&HopBreakdown) -> f64);

/// A figure cell and its goal cell for an outcome: `show` renders the figures, `judge`
/// picks the value a goal judges.
fn cells<T>(
    outcome: &Outcome<T>,
    show: impl Fn(&T) -> String,
    goal: Option<(Goal, Judge<'_, T>)>,
) -> [String; 2] {
    match (outcome, goal) {
        (Outcome::Measured(f), Some((goal, judge))) => [show(f), goal.verdict(judge(f))],
        (Outcome::Measured(f), None) => [show(f), "—".to_owned()],
        (other, goal) => [
            problem(other),
            goal.map_or_else(|| "—".to_owned(), |(g, _)| g.label()),
        ],
    }
}

/// `failed: …` or `not run: …`, first line only, shortened for a table cell.
pub fn problem<T>(outcome: &Outcome<T>) -> String {
    let (word, text) = match outcome {
        Outcome::Measured(_) => return String::new(),
        Outcome::Failed(e) => ("failed", e),
        Outcome::NotRun(why) => ("not run", why),
    };
    let first = text.lines().next().unwrap_or_default();
    let short: String = first.chars().take(90).collect();
    let ellipsis = if short.len() < text.len() { "…" } else { "" };
    format!("{word}: {short}{ellipsis}")
}

/// One row per figure; columns: scenario, then figure and goal for each mode.
pub fn results(report: &BenchReport) -> Table {
    let mut table = Table::new(&["Scenario", "Embedded", "Goal", "Distributed", "Goal"]);
    let sizes = &report.settings.sizes;
    let row = |table: &mut Table, name: String, f: &dyn Fn(&ModeResults, Mode) -> [String; 2]| {
        let mut row = vec![name];
        for mode in MODES {
            row.extend(f(report.mode(mode), mode));
        }
        table.push(row);
    };
    row(
        &mut table,
        format!("chain40: trigger → success, median of {}", sizes.chain_runs),
        &|m, mode| {
            cells(
                &m.chain40,
                |c| format::ms(c.times.summary.median),
                Some((mode.goals().chain40_ms, &|c| c.times.summary.median)),
            )
        },
    );
    row(
        &mut table,
        "chain40: per hop (median / 40)".to_owned(),
        &|m, _| cells(&m.chain40, |c| format::ms(c.per_hop_ms), None),
    );
    row(
        &mut table,
        format!(
            "fan-out: {} tasks in one run (median of {})",
            format::number(sizes.big_fan.tasks as f64),
            sizes.big_fan_runs
        ),
        &|m, mode| {
            cells(
                &m.fan_one_run,
                |t| {
                    format!(
                        "{} ({})",
                        format::rate(t.tasks_per_s),
                        format::secs(t.median_s)
                    )
                },
                Some((mode.goals().tasks_per_s, &|t| t.tasks_per_s)),
            )
        },
    );
    row(
        &mut table,
        format!("fan-out: {} runs of 100 tasks at once", sizes.many_runs),
        &|m, mode| {
            cells(
                &m.fan_many_runs,
                |t| {
                    format!(
                        "{} ({})",
                        format::rate(t.tasks_per_s),
                        format::secs(t.median_s)
                    )
                },
                Some((mode.goals().tasks_per_s, &|t| t.tasks_per_s)),
            )
        },
    );
    row(
        &mut table,
        format!(
            "mapped task: {} instances in one run (median of {})",
            format::number((sizes.big_map.tasks - 1) as f64),
            sizes.big_fan_runs
        ),
        &|m, _| {
            cells(
                &m.map_one_run,
                |t| {
                    format!(
                        "{} ({})",
                        format::rate(t.tasks_per_s),
                        format::secs(t.median_s)
                    )
                },
                None,
            )
        },
    );
    deferred_rows(&mut table, sizes, &row);
    fair_share::fair_share_rows(&mut table, sizes, &row);
    row(
        &mut table,
        format!(
            "asset updated by a task → the run it starts created (→ that run's end), store's \
             clock, median of {}",
            sizes.chain_runs
        ),
        &|m, _| {
            cells(
                &m.asset_hop,
                |a| {
                    format!(
                        "{} ({})",
                        format::ms(a.event_to_run_created_ms.median),
                        format::ms(a.event_to_run_ended_ms.median)
                    )
                },
                None,
            )
        },
    );
    row(
        &mut table,
        format!(
            "fan100 alone: trigger → success, median of {}",
            sizes.fan100_runs
        ),
        &|m, _| cells(&m.fan100, |t| format::ms(t.summary.median), None),
    );
    row(
        &mut table,
        format!("round trip p50 ({} runs)", sizes.round_trips),
        &|m, mode| {
            cells(
                &m.round_trip,
                |r| format::ms(r.ms.median),
                Some((mode.goals().round_trip_p50_ms, &|r| r.ms.median)),
            )
        },
    );
    row(
        &mut table,
        format!("round trip p99 ({} runs)", sizes.round_trips),
        &|m, _| cells(&m.round_trip, |r| format::ms(r.ms.p99), None),
    );
    row(
        &mut table,
        "round trip: the trigger request alone (p50)".to_owned(),
        &|m, _| cells(&m.round_trip, |r| format::ms(r.trigger_ms.median), None),
    );
    row(
        &mut table,
        "round trip: run created → ended, store's clock (p50)".to_owned(),
        &|m, _| {
            cells(
                &m.round_trip,
                |r| {
                    r.in_store_ms
                        .map_or_else(|| "—".to_owned(), |s| format::ms(s.median))
                },
                None,
            )
        },
    );
    row(
        &mut table,
        "new component: wfctl deploy → first task done".to_owned(),
        &|m, _| {
            cells(
                &m.cold_deploy,
                |c| {
                    format!(
                        "{} (deploy {})",
                        format::ms(c.to_first_task_ms),
                        format::ms(c.deploy_ms)
                    )
                },
                None,
            )
        },
    );
    for (which, label) in [
        (
            PythonDeploy::First,
            "first new Python DAG: wfctl deploy → first task done",
        ),
        (
            PythonDeploy::Second,
            "second new Python DAG: wfctl deploy → first task done",
        ),
    ] {
        row(&mut table, label.to_owned(), &|m, _| {
            cells(
                &m.python_deploys,
                |p| {
                    let c = match which {
                        PythonDeploy::First => &p.first,
                        PythonDeploy::Second => &p.second,
                    };
                    format!(
                        "{} (deploy {})",
                        format::ms(c.to_first_task_ms),
                        format::ms(c.deploy_ms)
                    )
                },
                None,
            )
        });
    }
    row(&mut table, "peak RSS".to_owned(), &|m, _| {
        cells(
            &m.resources,
            |u| per_process(u, |p| format!("{:.0} MiB", p.peak_rss_mib)),
            None,
        )
    });
    row(
        &mut table,
        "CPU per 10,000 tasks (fan-outs)".to_owned(),
        &|m, _| {
            cells(
                &m.resources,
                |u| per_process(u, |p| format::secs(p.cpu_s_per_10k_tasks)),
                None,
            )
        },
    );
    table
}

/// Adds a row: its name, and the two cells of each mode.
type AddRow<'a> = dyn Fn(&mut Table, String, &dyn Fn(&ModeResults, Mode) -> [String; 2]) + 'a;

/// The deferred waits' rows, beside the fan-outs: deferred in, idle CPU, slots, event →
/// all resumed.
fn deferred_rows(table: &mut Table, sizes: &Sizes, row: &AddRow<'_>) {
    let n = format::number(sizes.waits.tasks as f64);
    let k = sizes.waits_runs;
    row(
        table,
        format!(
            "{n} waits: trigger → all deferred (run created → last deferred, store's \
             clock), median of {k}"
        ),
        &|m, _| {
            cells(
                &m.deferred_waits,
                |d| {
                    let store = d
                        .deferred_in_store_ms
                        .map_or_else(|| "—".to_owned(), |s| format::ms(s.median));
                    format!("{} ({store})", format::ms(d.deferred_in_ms.median))
                },
                None,
            )
        },
    );
    row(
        table,
        format!("{n} waits deferred: CPU per second (before the trigger), median of {k}"),
        &|m, _| {
            cells(
                &m.deferred_waits,
                |d| {
                    d.idle_cpu
                        .iter()
                        .map(|c| {
                            format!(
                                "{} {:.1} ms/s (before {:.1})",
                                c.role, c.ms_per_s.median, c.baseline_ms_per_s.median
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                },
                None,
            )
        },
    );
    row(
        table,
        format!("{n} waits deferred: worker slots held (waits run on a worker)"),
        &|m, _| {
            cells(
                &m.deferred_waits,
                |d| {
                    let running = d
                        .worker_running_max
                        .map_or_else(|| "no heartbeat".to_owned(), |r| r.to_string());
                    format!("{running} ({})", d.waits_on_a_worker)
                },
                None,
            )
        },
    );
    row(
        table,
        format!(
            "one event → all {n} waits ended, store's clock (client: awaited run's trigger → \
             waits' run seen succeeded), median of {k}"
        ),
        &|m, _| {
            cells(
                &m.deferred_waits,
                |d| {
                    format!(
                        "{} ({})",
                        format::ms(d.event_to_all_resumed_ms.median),
                        format::ms(d.trigger_to_all_seen_ms.median)
                    )
                },
                None,
            )
        },
    );
}

fn per_process(usage: &[Usage], show: impl Fn(&Usage) -> String) -> String {
    usage
        .iter()
        .map(|u| format!("{} {}", u.role, show(u)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The in-process sandbox figures.
pub fn sandbox(report: &BenchReport) -> Table {
    let mut table = Table::new(&["Sandbox (in-process, no services)", "Figure", "Goal"]);
    let goal = goals::SANDBOX_PER_TASK_US;
    match &report.sandbox {
        Outcome::Measured(s) => {
            let us = |v: f64| format!("{} µs", format::number(v));
            table.push(vec![
                format!(
                    "per task, mean of {} ({})",
                    format::number(s.per_task_us.count as f64),
                    s.component
                ),
                us(s.per_task_us.mean),
                goal.verdict(s.per_task_us.mean),
            ]);
            table.push(vec![
                "per task, p50 / p99".to_owned(),
                format!("{} / {}", us(s.per_task_us.median), us(s.per_task_us.p99)),
                "—".to_owned(),
            ]);
            table.push(vec![
                format!("compile a new component ({:.0} KiB)", s.size_kib),
                format::ms(s.compile_ms),
                "—".to_owned(),
            ]);
            table.push(vec![
                "load it from the disk cache".to_owned(),
                format::ms(s.cached_load_ms),
                "—".to_owned(),
            ]);
        }
        other => table.push(vec!["per task".to_owned(), problem(other), goal.label()]),
    }
    table
}

/// Task `t1` of the hello example in each guest language, in process.
pub fn guests(report: &BenchReport) -> Table {
    let mut table = Table::new(&[
        "Guest languages (in-process): hello's t1, fresh sandbox each",
        "Component",
        "Per task, mean (p50 / p99)",
        "Page faults a task",
    ]);
    match &report.guests {
        Outcome::Measured(g) => {
            let us = |v: f64| format!("{} µs", format::number(v));
            for language in &g.languages {
                let Outcome::Measured(task) = &language.task else {
                    table.push(vec![
                        language.language.clone(),
                        "—".to_owned(),
                        problem(&language.task),
                        "—".to_owned(),
                    ]);
                    continue;
                };
                table.push(vec![
                    format!(
                        "{} (mean of {})",
                        language.language,
                        format::number(task.per_task_us.count as f64)
                    ),
                    format!("{} KiB", format::number(task.component_kib)),
                    format!(
                        "{} ({} / {})",
                        us(task.per_task_us.mean),
                        us(task.per_task_us.median),
                        us(task.per_task_us.p99)
                    ),
                    format::number(task.page_faults),
                ]);
            }
        }
        other => table.push(vec![
            "hello's t1".to_owned(),
            "—".to_owned(),
            problem(other),
            "—".to_owned(),
        ]),
    }
    table
}

/// The in-process egress figures: a task's outgoing HTTP request against the host's.
pub fn egress(report: &BenchReport) -> Table {
    let mut table = Table::new(&[
        "Egress (in-process, loopback HTTP server)",
        "Figure",
        "Goal",
    ]);
    let goal = goals::EGRESS_OVERHEAD_US;
    match &report.egress {
        Outcome::Measured(e) => {
            let us = |v: f64| format!("{} µs", format::number(v));
            let k = e.requests;
            table.push(vec![
                format!(
                    "per request in a task: (task with {k} GETs − with none) / {k}, medians of {}",
                    e.task_with_requests_ms.count
                ),
                us(e.task_per_request_us),
                "—".to_owned(),
            ]);
            table.push(vec![
                format!(
                    "per request from the host (hyper, a new connection each), median of {} \
                     rounds",
                    e.host_rounds_ms.count
                ),
                us(e.host_per_request_us),
                "—".to_owned(),
            ]);
            table.push(vec![
                "overhead per request (task − host)".to_owned(),
                us(e.overhead_per_request_us),
                goal.verdict(e.overhead_per_request_us),
            ]);
            table.push(vec![
                format!("task with {k} GETs / with none (median)"),
                format!(
                    "{} / {}",
                    format::ms(e.task_with_requests_ms.median),
                    format::ms(e.task_without_requests_ms.median)
                ),
                "—".to_owned(),
            ]);
        }
        other => table.push(vec![
            "overhead per request (task − host)".to_owned(),
            problem(other),
            goal.label(),
        ]),
    }
    table
}

/// The in-process SQL figures: a task's one-row query against the host's, and rows streamed
/// into a task.
pub fn sql(report: &BenchReport) -> Table {
    let mut table = Table::new(&["SQL (in-process, loopback PostgreSQL)", "Figure", "Goal"]);
    let goal = goals::SQL_OVERHEAD_US;
    match &report.sql {
        Outcome::Measured(s) => {
            let us = |v: f64| format!("{} µs", format::number(v));
            let rows = |v: f64| format!("{} rows/s", format::number(v));
            let k = s.queries;
            table.push(vec![
                format!(
                    "per query in a task: (task with {k} queries − with none) / {k}, medians \
                     of {}",
                    s.task_with_queries_ms.count
                ),
                us(s.task_per_query_us),
                "—".to_owned(),
            ]);
            table.push(vec![
                format!(
                    "per query from the host (sqlx, one connection), median of {} rounds",
                    s.host_rounds_ms.count
                ),
                us(s.host_per_query_us),
                "—".to_owned(),
            ]);
            table.push(vec![
                "overhead per query (task − host)".to_owned(),
                us(s.overhead_per_query_us),
                goal.verdict(s.overhead_per_query_us),
            ]);
            table.push(vec![
                format!(
                    "{} rows streamed into a task ({} a batch), median of {}",
                    format::number(s.stream_rows as f64),
                    s.stream_batch,
                    s.task_stream_ms.count
                ),
                rows(s.task_rows_per_s),
                "—".to_owned(),
            ]);
            table.push(vec![
                format!(
                    "the same rows read by the host (sqlx fetch), median of {}",
                    s.host_stream_ms.count
                ),
                rows(s.host_rows_per_s),
                "—".to_owned(),
            ]);
        }
        other => table.push(vec![
            "overhead per query (task − host)".to_owned(),
            problem(other),
            goal.label(),
        ]),
    }
    table
}

/// The S3 homework, one row per CSV: the median run and the range of the runs.
pub fn s3(report: &BenchReport) -> Table {
    let mut table = Table::new(&[
        "S3 homework: mall_customers on wfctl standalone, weft-test-s3",
        "Trigger → success (median)",
        "Runs",
        "Unmeasured first run (the first CSV's: baseline code right after the deploy)",
    ]);
    for case in &report.s3 {
        let mut name = format!("{} CSV", format::bytes(case.csv_bytes as f64));
        if case.rows > 0 {
            name.push_str(&format!(" ({} rows)", format::number(case.rows as f64)));
        }
        let (figure, runs) = match &case.times {
            Outcome::Measured(t) => (
                format::ms(t.summary.median),
                format!(
                    "{}: {} – {}",
                    t.summary.count,
                    format::ms(t.summary.min),
                    format::ms(t.summary.max)
                ),
            ),
            other => (problem(other), "—".to_owned()),
        };
        let first = case.first_run_ms.map_or("—".to_owned(), format::ms);
        table.push(vec![name, figure, runs, first]);
    }
    table
}

/// `peer / weft` for times (or `weft / peer` for rates) as `N× faster` / `N× slower`.
fn versus(weft: Option<f64>, peer: Option<f64>, rate: bool) -> String {
    let (Some(w), Some(p)) = (weft, peer) else {
        return "—".to_owned();
    };
    if w <= 0.0 || p <= 0.0 {
        return "—".to_owned();
    }
    let r = if rate { w / p } else { p / w };
    if r >= 1.0 {
        format!("{} faster", format::ratio(r))
    } else {
        format!("{} slower", format::ratio(1.0 / r))
    }
}

/// Weft beside Celery (throughput, round trip) and Airflow (chain40, fan100).
pub fn peers(report: &BenchReport) -> Table {
    let mut table = Table::new(&[
        "Comparison",
        "Weft embedded",
        "Weft distributed",
        "Peer",
        "Weft vs peer (embedded / distributed)",
    ]);
    let celery = report.peers.celery.measured();
    let airflow = report.peers.airflow.measured();
    let celery_cell = |f: &dyn Fn(&crate::peers::CeleryFigures) -> String| {
        celery.map_or_else(
            || problem(&report.peers.celery),
            |c| format!("Celery {}", f(c)),
        )
    };
    let airflow_cell = |value: Option<f64>| match (airflow, value) {
        (Some(_), Some(s)) => format!("Airflow {}", format::secs(s)),
        (Some(_), None) => "Airflow: the run did not succeed".to_owned(),
        (None, _) => problem(&report.peers.airflow),
    };
    let weft = |f: &dyn Fn(&ModeResults) -> Option<f64>| MODES.map(|m| f(report.mode(m)));
    let mut add = |name: &str,
                   w: [Option<f64>; 2],
                   show: &dyn Fn(f64) -> String,
                   peer: String,
                   p: Option<f64>,
                   rate: bool| {
        let shown = w.map(|v| v.map_or_else(|| "—".to_owned(), show));
        let [e, d] = shown;
        table.push(vec![
            name.to_owned(),
            e,
            d,
            peer,
            format!("{} / {}", versus(w[0], p, rate), versus(w[1], p, rate)),
        ]);
    };
    let throughput = weft(&|m| m.fan_one_run.measured().map(|t| t.tasks_per_s));
    add(
        "throughput, no-op tasks (Weft: the big fan)",
        throughput,
        &format::rate,
        celery_cell(&|c| format::rate(c.throughput_tasks_per_s)),
        celery.map(|c| c.throughput_tasks_per_s),
        true,
    );
    let p50 = weft(&|m| m.round_trip.measured().map(|r| r.ms.median));
    add(
        "round trip p50",
        p50,
        &format::ms,
        celery_cell(&|c| format::ms(c.roundtrip_p50_ms)),
        celery.map(|c| c.roundtrip_p50_ms),
        false,
    );
    let p99 = weft(&|m| m.round_trip.measured().map(|r| r.ms.p99));
    add(
        "round trip p99",
        p99,
        &format::ms,
        celery_cell(&|c| format::ms(c.roundtrip_p99_ms)),
        celery.map(|c| c.roundtrip_p99_ms),
        false,
    );
    let chain = weft(&|m| m.chain40.measured().map(|c| c.times.summary.median));
    let a_chain = airflow.and_then(|a| a.chain40_s);
    add(
        "chain40, one run",
        chain,
        &format::ms,
        airflow_cell(a_chain),
        a_chain.map(|s| s * 1e3),
        false,
    );
    let fan = weft(&|m| m.fan100.measured().map(|t| t.summary.median));
    let a_fan = airflow.and_then(|a| a.fan100_s);
    add(
        "fan100, one run",
        fan,
        &format::ms,
        airflow_cell(a_fan),
        a_fan.map(|s| s * 1e3),
        false,
    );
    table
}

/// Where a chain40 hop's time goes, from the store's timestamps, per mode.
pub fn breakdown(report: &BenchReport) -> Table {
    let mut table = Table::new(&["chain40 step (median)", "Embedded", "Distributed"]);
    let steps: [Step; 5] = [
        ("run created → first task queued", |b| {
            b.run_to_first_queued_ms
        }),
        ("upstream ended → next task queued (scheduling)", |b| {
            b.upstream_end_to_queued_ms
        }),
        ("queued → attempt started (delivery, pick-up)", |b| {
            b.queued_to_started_ms
        }),
        ("attempt started → ended (sandbox, task, report)", |b| {
            b.started_to_ended_ms
        }),
        ("last task ended → run finished", |b| {
            b.last_end_to_run_end_ms
        }),
    ];
    for (name, get) in steps {
        let mut row = vec![name.to_owned()];
        for mode in MODES {
            let cell = match &report.mode(mode).chain40 {
                Outcome::Measured(c) => c
                    .breakdown
                    .as_ref()
                    .map_or_else(|| "no timestamps".to_owned(), |b| format::ms(get(b))),
                other => problem(other),
            };
            row.push(cell);
        }
        table.push(row);
    }
    table
}

#[cfg(test)]
mod tests;

/// Which of the two new Python DAGs a row shows.
#[derive(Clone, Copy)]
enum PythonDeploy {
    First,
    Second,
}
