//! The scale-out tables: the figures of many workers and of thousands of runs within a
//! minute, what each component spends per task, and the ceiling of one scheduler with one
//! PostgreSQL and one Redis projected from those costs.

use super::problem;
use crate::figures::{Costs, Outcome};
use crate::format;
use crate::report::BenchReport;
use crate::table::Table;

/// The components one installation has exactly one of, in the order they are shown.
const CENTRAL: [&str; 3] = ["scheduler", "PostgreSQL", "Redis"];

/// Every component, in the order they are shown.
const ROLES: [&str; 5] = ["server", "scheduler", "workers", "PostgreSQL", "Redis"];

/// Redis commands, and statements, shown per load in the table of what runs most.
const FREQUENT_SHOWN: usize = 5;

/// Cores the projection gives PostgreSQL in its second row.
const POSTGRES_CORES: f64 = 8.0;

/// The scale-out figures: the big fan on many workers, and the backlog of many runs.
pub fn scale_out(report: &BenchReport) -> Table {
    let s = &report.scale_out;
    let mut table = Table::new(&["Scale-out (distributed, measured)", "Figure"]);
    let fan_name = report.settings.sizes.big_fan.tasks;
    let mut row = |label: String, value: String| table.push(vec![label, value]);
    match &s.fan {
        Outcome::Measured(f) => {
            let t = &f.throughput;
            row(
                format!(
                    "{} tasks in one run on {} workers (concurrency 1 each), median of {}",
                    format::number(fan_name as f64),
                    s.workers,
                    t.samples_s.len()
                ),
                format!(
                    "{} ({})",
                    format::rate(t.tasks_per_s),
                    format::secs(t.median_s)
                ),
            );
            let w = &f.queue_wait_ms;
            row(
                "its queue wait, queued → started (p50 / p99 / max over every task)".to_owned(),
                format!(
                    "{} / {} / {}",
                    format::ms(w.median),
                    format::ms(w.p99),
                    format::ms(w.max)
                ),
            );
            if let Some(c) = f.costs.of("scheduler") {
                row(
                    "its scheduler CPU per 10,000 tasks".to_owned(),
                    format::secs(c.cpu_s_per_10k_tasks),
                );
            }
        }
        other => row(
            format!("{fan_name} tasks in one run on {} workers", s.workers),
            problem(other),
        ),
    }
    match &s.backlog {
        Outcome::Measured(b) => {
            row(
                format!(
                    "{} runs of `{}` ({} tasks each) triggered evenly over {}: sent in",
                    format::number(b.runs as f64),
                    b.dag_id,
                    b.tasks_per_run,
                    format::secs(b.window_s)
                ),
                format!(
                    "{} (trigger p50 {}, p99 {})",
                    format::secs(b.triggered_in_s),
                    format::ms(b.trigger_ms.median),
                    format::ms(b.trigger_ms.p99)
                ),
            );
            row(
                "largest backlog: runs created and not ended".to_owned(),
                format!(
                    "{} runs, {} after the first trigger",
                    format::number(b.peak_backlog as f64),
                    format::secs(b.peak_at_s)
                ),
            );
            row(
                "drained: last run created → last run ended (store's clock)".to_owned(),
                format::secs(b.drain_s),
            );
            row(
                "first run created → last run ended; tasks/s over it".to_owned(),
                format!(
                    "{}; {}",
                    format::secs(b.total_s),
                    format::rate(b.tasks_per_s)
                ),
            );
            row(
                "each run, created → ended (p50 / p99 / max)".to_owned(),
                format!(
                    "{} / {} / {}",
                    format::ms(b.run_ms.median),
                    format::ms(b.run_ms.p99),
                    format::ms(b.run_ms.max)
                ),
            );
            if let Some(c) = b.costs.of("scheduler") {
                row(
                    "their scheduler CPU per 10,000 tasks".to_owned(),
                    format::secs(c.cpu_s_per_10k_tasks),
                );
            }
        }
        other => row("runs started within a minute".to_owned(), problem(other)),
    }
    table
}

/// What each component spent per task on both loads (measured), and the tasks per second
/// one core of it would sustain at that cost (projected).
pub fn costs(report: &BenchReport) -> Table {
    let s = &report.scale_out;
    let fan = s.fan.measured().map(|f| &f.costs);
    let runs = s.backlog.measured().map(|b| &b.costs);
    let mut table = Table::new(&[
        "Component",
        "CPU / 10,000 tasks, fan (measured)",
        "CPU / 10,000 tasks, 6-task runs (measured)",
        "Cores kept busy, 6-task runs (measured)",
        "Tasks/s on one core, 6-task runs (projected)",
    ]);
    for role in ROLES {
        let cpu = |c: Option<&Costs>| {
            c.and_then(|c| c.of(role))
                .map_or("—".to_owned(), |c| format::secs(c.cpu_s_per_10k_tasks))
        };
        let busy = runs
            .and_then(|c| c.of(role))
            .map_or("—".to_owned(), |c| format!("{:.2}", c.cores_busy));
        let ceiling = runs
            .and_then(|c| ceiling(c, role))
            .map_or("—".to_owned(), format::rate);
        table.push(vec![role.to_owned(), cpu(fan), cpu(runs), busy, ceiling]);
    }
    table
}

/// The Redis commands and PostgreSQL statements run most per task, on both loads: where a
/// task's round trips to the central components go.
pub fn frequent(report: &BenchReport) -> Table {
    let s = &report.scale_out;
    let mut table = Table::new(&["Run most (measured)", "Load", "Per task"]);
    let loads = [
        ("fan", s.fan.measured().map(|f| &f.costs)),
        ("6-task runs", s.backlog.measured().map(|b| &b.costs)),
    ];
    // The first few of each, and nothing run less than once per hundred tasks.
    let shown = |list: &'_ [crate::figures::PerTask]| {
        list.iter()
            .filter(|c| c.per_task >= 0.01)
            .take(FREQUENT_SHOWN)
            .cloned()
            .collect::<Vec<_>>()
    };
    for (load, costs) in loads {
        let Some(costs) = costs else { continue };
        if let Some(n) = costs.redis_commands_per_task {
            table.push(vec![
                "Redis: every command".to_owned(),
                load.to_owned(),
                format!("{n:.1}"),
            ]);
        }
        if let Some(n) = costs.postgres_statements_per_task {
            table.push(vec![
                "PostgreSQL: every statement".to_owned(),
                load.to_owned(),
                format!("{n:.1}"),
            ]);
        }
        for c in &shown(&costs.redis_top) {
            table.push(vec![
                format!("Redis `{}`", c.name.to_uppercase()),
                load.to_owned(),
                format!("{:.2}", c.per_task),
            ]);
        }
        for c in &shown(&costs.postgres_top) {
            table.push(vec![
                format!("PostgreSQL `{}`", c.name),
                load.to_owned(),
                format!("{:.2}", c.per_task),
            ]);
        }
    }
    table
}

/// The tasks per second one scheduler, one PostgreSQL and one Redis would sustain, from
/// the costs of the 6-task runs: the lowest ceiling among them bounds the installation.
pub fn projection(report: &BenchReport) -> Table {
    let mut table = Table::new(&[
        "One scheduler + one PostgreSQL + one Redis (projected)",
        "Tasks/s",
        "Bound by: shard it first",
    ]);
    let Some(costs) = report.scale_out.backlog.measured().map(|b| &b.costs) else {
        table.push(vec![
            "from the 6-task runs' costs".to_owned(),
            problem(&report.scale_out.backlog),
        ]);
        return table;
    };
    // (what the row assumes, cores PostgreSQL gets; the others get one each)
    let cases = [
        ("each given one core".to_owned(), 1.0),
        (
            format!("PostgreSQL given {POSTGRES_CORES:.0} cores, the others one each"),
            POSTGRES_CORES,
        ),
    ];
    for (label, postgres_cores) in cases {
        let cores = |role: &str| {
            if role == "PostgreSQL" {
                postgres_cores
            } else {
                1.0
            }
        };
        let bound = CENTRAL
            .iter()
            .filter_map(|role| Some((*role, ceiling(costs, role)? * cores(role))))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        match bound {
            Some((role, rate)) => table.push(vec![label, format::rate(rate), role.to_owned()]),
            None => table.push(vec![label, "—".to_owned(), "not measured".to_owned()]),
        }
    }
    table
}

/// Tasks per second one core of `role` sustains at its measured cost, if it was measured
/// and spent anything.
fn ceiling(costs: &Costs, role: &str) -> Option<f64> {
    let cost = costs.of(role)?;
    (cost.cpu_s_per_10k_tasks > 0.0).then(|| 10_000.0 / cost.cpu_s_per_10k_tasks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample;

    #[test]
    fn the_projection_is_bound_by_the_costliest_central_component() {
        let report = sample::report();
        let table = projection(&report);
        // 6-task runs: scheduler 24 s, PostgreSQL 30 s, Redis 6 s of CPU for 60,000 tasks.
        assert_eq!(table.rows[0][1], format::rate(2_000.0));
        assert_eq!(table.rows[0][2], "PostgreSQL");
        // With PostgreSQL on 8 cores, the scheduler (2,500 tasks/s) bounds it.
        assert_eq!(table.rows[1][1], format::rate(2_500.0));
        assert_eq!(table.rows[1][2], "scheduler");
    }

    #[test]
    fn costs_show_every_component_on_both_loads() {
        let report = sample::report();
        let table = costs(&report);
        let scheduler = table
            .rows
            .iter()
            .find(|r| r[0] == "scheduler")
            .expect("scheduler row");
        assert_eq!(scheduler[1], format::secs(2.0));
        assert_eq!(scheduler[2], format::secs(4.0));
        assert_eq!(scheduler[3], "0.32");
        assert_eq!(scheduler[4], format::rate(2_500.0));
        assert_eq!(table.rows.len(), ROLES.len());
    }

    #[test]
    fn the_most_frequent_commands_and_statements_are_listed_per_load() {
        let report = sample::report();
        let table = frequent(&report);
        assert!(
            table
                .rows
                .iter()
                .any(|r| r[0] == "PostgreSQL: every statement"
                    && r[1] == "6-task runs"
                    && r[2] == "1.5")
        );
        assert!(
            table
                .rows
                .iter()
                .any(|r| r[0] == "Redis: every command" && r[2] == "4.5")
        );
        assert!(
            table
                .rows
                .iter()
                .any(|r| r[0] == "Redis `EVALSHA`" && r[1] == "fan" && r[2] == "2.50")
        );
        assert!(
            table
                .rows
                .iter()
                .any(|r| r[0].starts_with("PostgreSQL `WITH") && r[1] == "6-task runs")
        );
    }

    #[test]
    fn a_scenario_that_did_not_run_says_why() {
        let mut report = sample::report();
        report.scale_out =
            crate::figures::ScaleOut::missing(32, true, "cannot start: no PostgreSQL");
        let table = scale_out(&report);
        assert!(table.rows.iter().all(|r| r[1].contains("no PostgreSQL")));
        let projected = projection(&report);
        assert!(projected.rows[0][1].contains("no PostgreSQL"));
    }
}
