//! The scale-out scenarios' figures: the big fan on many workers and the backlog of many
//! runs (scenario `scale_out`), what each component spent per task on each load
//! (`scale_out_costs`, mode `fan` or `6-task runs`), what runs most
//! (`scale_out_frequent`), and the ceiling of one scheduler with one PostgreSQL and one
//! Redis projected from the costs (`scale_out_projection`).

use crate::figure::{Figure, Figures, Stat, Unit};
use crate::figures::{Costs, Outcome, ScaleOut};
use crate::format;

/// The mode of the scale-out scenarios' own figures.
pub const SCALE_OUT: &str = "scale-out";
/// The mode of the costs of the big fan on many workers.
pub const FAN: &str = "fan";
/// The mode of the costs of the backlog's runs.
pub const RUNS: &str = "6-task runs";

/// The components one installation has exactly one of, in the order they are shown.
const CENTRAL: [&str; 3] = ["scheduler", "PostgreSQL", "Redis"];

/// Redis commands, and statements, listed per load among those run most.
const FREQUENT_SHOWN: usize = 5;

/// Cores the projection gives PostgreSQL in its second figure.
const POSTGRES_CORES: f64 = 8.0;

/// Every figure of both scale-out scenarios.
pub fn rows(s: &ScaleOut, big_fan_tasks: usize) -> Vec<Figure> {
    let fan_label = format!(
        "{} tasks in one run on {} workers (concurrency 1 each)",
        format::number(big_fan_tasks as f64),
        s.workers
    );
    let mut all = Figures::new("scale_out", SCALE_OUT).of(
        &s.fan,
        ("fan/tasks_per_s", &fan_label, Unit::TasksPerS, None),
        |f, fan| {
            let t = &fan.throughput;
            let label = format!("{fan_label}, median of {}", t.samples_s.len());
            f.number("fan/tasks_per_s", &label, Unit::TasksPerS, t.tasks_per_s);
            let label = format!("{fan_label}: the median sample's time");
            f.number("fan/median_s", &label, Unit::S, t.median_s);
            let w = fan.queue_wait_ms;
            for (metric, stat, what) in [
                ("fan/queue_wait_p50", Stat::Median, "p50"),
                ("fan/queue_wait_p99", Stat::P99, "p99"),
                ("fan/queue_wait_max", Stat::Max, "max"),
            ] {
                let label = format!("its queue wait, queued → started ({what} over every task)");
                f.stat(metric, &label, Unit::Ms, stat, w);
            }
            if let Some(c) = fan.costs.of("scheduler") {
                let label = "its scheduler CPU per 10,000 tasks";
                f.number("fan/scheduler_cpu", label, Unit::S, c.cpu_s_per_10k_tasks);
            }
        },
    );
    let runs_label = "runs started within a minute";
    all.extend(Figures::new("scale_out", SCALE_OUT).of(
        &s.backlog,
        ("runs/sent_in", runs_label, Unit::S, None),
        |f, b| {
            let label = format!(
                "{} runs of `{}` ({} tasks each) triggered evenly over {}: sent in",
                format::number(b.runs as f64),
                b.dag_id,
                b.tasks_per_run,
                format::secs(b.window_s)
            );
            f.number("runs/sent_in", &label, Unit::S, b.triggered_in_s);
            let label = "each trigger request (p50)";
            f.stat(
                "runs/trigger_p50",
                label,
                Unit::Ms,
                Stat::Median,
                b.trigger_ms,
            );
            let label = "each trigger request (p99)";
            f.stat("runs/trigger_p99", label, Unit::Ms, Stat::P99, b.trigger_ms);
            let label = "largest backlog: runs created and not ended";
            f.number("runs/peak", label, Unit::Count, b.peak_backlog as f64);
            let label = "largest backlog: when, after the first trigger";
            f.number("runs/peak_at", label, Unit::S, b.peak_at_s);
            let label = "drained: last run created → last run ended (store's clock)";
            f.number("runs/drain", label, Unit::S, b.drain_s);
            let label = "first run created → last run ended";
            f.number("runs/total", label, Unit::S, b.total_s);
            let label = "tasks/s, first run created → last run ended";
            f.number("runs/tasks_per_s", label, Unit::TasksPerS, b.tasks_per_s);
            for (metric, stat, what) in [
                ("runs/run_p50", Stat::Median, "p50"),
                ("runs/run_p99", Stat::P99, "p99"),
                ("runs/run_max", Stat::Max, "max"),
            ] {
                let label = format!("each run, created → ended ({what})");
                f.stat(metric, &label, Unit::Ms, stat, b.run_ms);
            }
            if let Some(c) = b.costs.of("scheduler") {
                let label = "their scheduler CPU per 10,000 tasks";
                f.number("runs/scheduler_cpu", label, Unit::S, c.cpu_s_per_10k_tasks);
            }
        },
    ));
    all.extend(load_rows(FAN, &s.fan, |f| &f.costs));
    all.extend(load_rows(RUNS, &s.backlog, |b| &b.costs));
    all.extend(projection(s));
    all
}

/// What each component spent on one load, and what runs most on it.
fn load_rows<T>(load: &str, outcome: &Outcome<T>, costs: fn(&T) -> &Costs) -> Vec<Figure> {
    let first = (
        "cpu/scheduler",
        "scheduler: CPU / 10,000 tasks",
        Unit::S,
        None,
    );
    let mut all = Figures::new("scale_out_costs", load).of(outcome, first, |f, results| {
        let costs = costs(results);
        for c in &costs.components {
            let role = &c.role;
            let label = format!("{role}: CPU / 10,000 tasks (measured)");
            f.number(
                &format!("cpu/{role}"),
                &label,
                Unit::S,
                c.cpu_s_per_10k_tasks,
            );
            let label = format!("{role}: cores kept busy (measured)");
            f.number(&format!("busy/{role}"), &label, Unit::Cores, c.cores_busy);
            if let Some(rate) = ceiling(costs, role) {
                let label = format!("{role}: tasks/s on one core (projected)");
                f.number(&format!("ceiling/{role}"), &label, Unit::TasksPerS, rate);
            }
        }
    });
    let first = (
        "redis_commands",
        "Redis: every command",
        Unit::PerTask,
        None,
    );
    all.extend(
        Figures::new("scale_out_frequent", load).of(outcome, first, |f, results| {
            let costs = costs(results);
            if let Some(n) = costs.redis_commands_per_task {
                f.number("redis_commands", "Redis: every command", Unit::PerTask, n);
            }
            if let Some(n) = costs.postgres_statements_per_task {
                let label = "PostgreSQL: every statement";
                f.number("postgres_statements", label, Unit::PerTask, n);
            }
            // The first few of each, and nothing run less than once per hundred tasks.
            let shown = |list: &'_ [crate::figures::PerTask]| {
                list.iter()
                    .filter(|c| c.per_task >= 0.01)
                    .take(FREQUENT_SHOWN)
                    .cloned()
                    .collect::<Vec<_>>()
            };
            for c in shown(&costs.redis_top) {
                let label = format!("Redis `{}`", c.name.to_uppercase());
                f.number(
                    &format!("redis/{}", c.name),
                    &label,
                    Unit::PerTask,
                    c.per_task,
                );
            }
            for c in shown(&costs.postgres_top) {
                let label = format!("PostgreSQL `{}`", c.name);
                f.number(
                    &format!("postgres/{}", c.name),
                    &label,
                    Unit::PerTask,
                    c.per_task,
                );
            }
        }),
    );
    all
}

/// The tasks per second one scheduler, one PostgreSQL and one Redis would sustain, from
/// the costs of the 6-task runs: the lowest ceiling among them bounds the installation.
fn projection(s: &ScaleOut) -> Vec<Figure> {
    let first = (
        "one_core",
        "from the 6-task runs' costs",
        Unit::TasksPerS,
        None,
    );
    Figures::new("scale_out_projection", SCALE_OUT).of(&s.backlog, first, |f, b| {
        // (metric, what it assumes, cores PostgreSQL gets; the others get one each)
        let cases = [
            ("one_core", "each given one core".to_owned(), 1.0),
            (
                "postgres_cores",
                format!("PostgreSQL given {POSTGRES_CORES:.0} cores, the others one each"),
                POSTGRES_CORES,
            ),
        ];
        for (metric, assumes, postgres_cores) in cases {
            let cores = |role: &str| {
                if role == "PostgreSQL" {
                    postgres_cores
                } else {
                    1.0
                }
            };
            let bound = CENTRAL
                .iter()
                .filter_map(|role| Some((*role, ceiling(&b.costs, role)? * cores(role))))
                .min_by(|a, b| a.1.total_cmp(&b.1));
            if let Some((role, rate)) = bound {
                let label = format!("{assumes}: bound by {role} (shard it first)");
                f.number(metric, &label, Unit::TasksPerS, rate);
            }
        }
    })
}

/// Tasks per second one core of `role` sustains at its measured cost, if it was measured
/// and spent anything.
fn ceiling(costs: &Costs, role: &str) -> Option<f64> {
    let cost = costs.of(role)?;
    (cost.cpu_s_per_10k_tasks > 0.0).then(|| 10_000.0 / cost.cpu_s_per_10k_tasks)
}
