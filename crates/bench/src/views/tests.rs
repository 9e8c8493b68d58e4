//! Tests of the tables, on the made-up report's figures.

use super::named;
use crate::figure::{Figure, Value};
use crate::figures::{FairShare, Outcome, ProbeAt, ScaleOut};
use crate::report::BenchReport;
use crate::sample;
use crate::table::Table;

/// The table `name` of `report`.
fn table(report: &BenchReport, name: &str) -> Table {
    named(name).expect("view").render(&report.figures)
}

/// The row of `table` whose label starts with `label`.
fn row(table: &Table, label: &str) -> Vec<String> {
    table
        .rows
        .iter()
        .find(|r| r[0].starts_with(label))
        .unwrap_or_else(|| panic!("no row {label:?} in {table:#?}"))
        .clone()
}

#[test]
fn results_put_each_goal_beside_its_figure() {
    let table = table(&sample::report(), "results");
    assert_eq!(table.header.len(), 5);
    let chain = &table.rows[0];
    assert_eq!(chain[1], "14 ms");
    assert_eq!(chain[2], "≤ 10 ms: MISSED");
    assert!(chain[3].starts_with("failed: cannot start"));
    assert_eq!(chain[4], "≤ 30 ms");
    let many = row(&table, "fan-out: 100 runs of 100");
    assert!(many[1].starts_with("failed: timed out"));
    let fan = row(&table, "fan-out: 10,000 tasks in one run (median of 3)");
    assert_eq!(fan[1], "5,000 tasks/s");
    assert_eq!(fan[2], "≥ 15,000 tasks/s: MISSED");
    let waits = table
        .rows
        .iter()
        .position(|r| r[0].starts_with("one event → all 1,000 waits ended, store's clock"))
        .expect("row");
    assert_eq!(table.rows[waits][1], "45 ms");
    assert!(table.rows[waits][3].starts_with("failed: cannot start"));
    let fan = table
        .rows
        .iter()
        .position(|r| r[0].contains("runs of 100"))
        .expect("row");
    assert!(fan < waits, "beside the fan-outs");
    assert_eq!(
        row(&table, "1,000 waits: trigger → all deferred")[1],
        "200 ms"
    );
    assert_eq!(
        row(&table, "1,000 waits: run created → last deferred")[1],
        "100 ms"
    );
    let cpu = row(
        &table,
        "1,000 waits deferred: standalone CPU per second, median",
    );
    assert_eq!(cpu[1], "5.0 ms/s");
    let before = row(
        &table,
        "1,000 waits deferred: standalone CPU per second before",
    );
    assert_eq!(before[1], "4.0 ms/s");
    assert_eq!(row(&table, "peak RSS: standalone")[1], "80 MiB");
    assert_eq!(
        row(&table, "CPU per 10,000 tasks (fan-outs): standalone")[1],
        "2 s"
    );
    let deploy = row(
        &table,
        "second new Python DAG: wfctl deploy → first task done: the",
    );
    assert_eq!(deploy[1], "350 ms");
}

#[test]
fn peers_show_ratios_and_why_a_peer_is_missing() {
    let table = table(&sample::report(), "peers");
    let fan = row(&table, "fan100");
    assert_eq!(fan[1], "30 ms");
    assert_eq!(fan[4], "15,000 ms");
    assert_eq!(fan[5], "500× faster");
    assert_eq!(fan[6], "—");
    let chain = row(&table, "chain40");
    assert_eq!(chain[4], "not run: the run did not succeed");
    let tput = &table.rows[0];
    assert_eq!(tput[3], "not run: celery_bench.sh not found");
}

#[test]
fn sandbox_is_judged_on_its_mean() {
    let table = table(&sample::report(), "sandbox");
    assert_eq!(table.rows[0][1], "35 µs");
    assert_eq!(table.rows[0][2], "≤ 30 µs: MISSED");
}

#[test]
fn each_guest_language_has_its_rows_with_its_page_faults() {
    let mut report = sample::report();
    let guests = table(&report, "guests");
    assert_eq!(row(&guests, "Python: per task, mean of 3")[1], "3,600 µs");
    assert_eq!(row(&guests, "Python: per task, p99")[1], "7,000 µs");
    assert_eq!(row(&guests, "Python: component")[1], "18,300 KiB");
    assert_eq!(row(&guests, "Python: page faults")[1], "420");
    // One language failing keeps the others' rows, and the run counts as failed.
    let ts = row(&guests, "TypeScript");
    assert!(ts[1].contains("examples/hello-ts"), "{ts:?}");
    assert!(report.has_failures());
    report.figures.retain(|f| f.scenario != "guests");
    report.figures.extend(crate::guests::rows(&Outcome::Failed(
        "cannot start the runtime".into(),
    )));
    let guests = table(&report, "guests");
    assert_eq!(guests.rows.len(), 1);
    assert!(guests.rows[0][1].contains("cannot start the runtime"));
}

#[test]
fn breakdown_has_every_step_for_each_mode() {
    let table = table(&sample::report(), "breakdown");
    assert_eq!(table.rows.len(), 5);
    assert_eq!(table.rows[2][1], "0.050 ms");
    assert!(table.rows[2][2].starts_with("failed"));
}

#[test]
fn egress_is_judged_on_the_overhead() {
    let table = table(&sample::report(), "egress");
    assert_eq!(table.rows.len(), 5);
    assert!(table.rows[0][0].contains("(task with 200 GETs − with none) / 200"));
    assert_eq!(table.rows[0][1], "140 µs");
    assert_eq!(table.rows[1][1], "30 µs");
    assert_eq!(table.rows[2][1], "110 µs");
    assert_eq!(table.rows[2][2], "≤ 100 µs: MISSED");
    assert_eq!(table.rows[3][1], "30 ms");
    assert_eq!(table.rows[4][1], "2 ms");
    let mut report = sample::report();
    report.figures.retain(|f| f.scenario != "egress");
    report.figures.extend(crate::egress::rows(&Outcome::Failed(
        "egress: the probe task did not succeed".into(),
    )));
    let table = super::named("egress")
        .expect("view")
        .render(&report.figures);
    assert_eq!(table.rows.len(), 1);
    assert!(table.rows[0][1].starts_with("failed: egress: the probe"));
    assert_eq!(table.rows[0][2], "≤ 100 µs");
}

#[test]
fn s3_has_rows_per_csv_and_says_why_one_failed() {
    let table = table(&sample::report(), "s3");
    assert_eq!(table.rows.len(), 3);
    assert_eq!(table.rows[0][0], "1 MB CSV (47,610 rows)");
    assert_eq!(table.rows[0][1], "850 ms");
    assert_eq!(table.rows[0][2], "3: 800 ms – 900 ms");
    assert!(table.rows[1][0].starts_with("1 MB CSV (47,610 rows): the unmeasured first run"));
    assert_eq!(table.rows[1][1], "2,400 ms");
    assert_eq!(table.rows[2][0], "100 MB CSV (4,761,000 rows)");
    assert!(
        table.rows[2][1]
            .starts_with("failed: task extract is up_for_retry after try 1 of 2 (trap)"),
        "{}",
        table.rows[2][1]
    );
    assert_eq!(table.rows[2][2], "—");
}

#[test]
fn tls_costs_are_the_differences_of_the_two_installations() {
    let mut report = sample::report();
    // The plain installation did not start: its figures say why, and there is no cost.
    let tls = table(&report, "tls");
    let p50 = &tls.rows[0];
    assert_eq!(p50[0], "round trip p50 (3 runs)");
    assert!(p50[1].starts_with("failed: cannot start"), "{p50:?}");
    assert_eq!(p50[2], "0.90 ms");
    assert_eq!(p50[3], "—");
    // Both measured: the cost is TLS − plain, with its share of the plain figure.
    report.figures.retain(|f| f.mode != "distributed");
    report.figures.extend(crate::scenarios::rows(
        crate::install::Mode::Distributed,
        &sample::embedded(),
        &crate::dags::Sizes::FULL,
    ));
    let tls = table(&report, "tls");
    assert_eq!(tls.rows[0][1..], ["0.60 ms", "0.90 ms", "+0.30 ms (+50%)"]);
    assert_eq!(tls.rows[1][0], "round trip p99 (3 runs)");
    assert_eq!(tls.rows[1][3], "+0.60 ms (+67%)");
    let chain = &tls.rows[2];
    assert_eq!(chain[1], "14 ms");
    assert!(
        chain[2].starts_with("failed: chain40: timed out"),
        "{chain:?}"
    );
    assert_eq!(chain[3], "—");
}

#[test]
fn the_projection_is_bound_by_the_costliest_central_component() {
    let table = table(&sample::report(), "scale_out_projection");
    // 6-task runs: scheduler 24 s, PostgreSQL 30 s, Redis 6 s of CPU for 60,000 tasks.
    assert_eq!(
        table.rows[0][0],
        "each given one core: bound by PostgreSQL (shard it first)"
    );
    assert_eq!(table.rows[0][1], "2,000 tasks/s");
    // With PostgreSQL on 8 cores, the scheduler (2,500 tasks/s) bounds it.
    assert!(table.rows[1][0].ends_with("bound by scheduler (shard it first)"));
    assert_eq!(table.rows[1][1], "2,500 tasks/s");
}

#[test]
fn costs_show_every_component_on_both_loads() {
    let table = table(&sample::report(), "scale_out_costs");
    let cpu = row(&table, "scheduler: CPU");
    assert_eq!(cpu[1..], ["2 s", "4 s"]);
    assert_eq!(row(&table, "scheduler: cores kept busy")[2], "0.32");
    assert_eq!(
        row(&table, "scheduler: tasks/s on one core")[2],
        "2,500 tasks/s"
    );
    assert_eq!(table.rows.len(), 5 * 3);
}

#[test]
fn the_most_frequent_commands_and_statements_are_listed_per_load() {
    let table = table(&sample::report(), "scale_out_frequent");
    assert_eq!(row(&table, "PostgreSQL: every statement")[2], "1.50");
    assert_eq!(row(&table, "Redis: every command")[1], "4.50");
    assert_eq!(row(&table, "Redis `EVALSHA`")[1], "2.50");
    assert_eq!(row(&table, "PostgreSQL `WITH")[2], "0.50");
}

#[test]
fn a_scale_out_that_did_not_run_says_why() {
    let mut report = sample::report();
    report
        .figures
        .retain(|f| !f.scenario.starts_with("scale_out"));
    report.figures.extend(crate::scale_out::rows::rows(
        &ScaleOut::missing(32, true, "cannot start: no PostgreSQL"),
        10_000,
    ));
    let scale_out = table(&report, "scale_out");
    assert_eq!(scale_out.rows.len(), 2);
    assert!(
        scale_out
            .rows
            .iter()
            .all(|r| r[1].contains("no PostgreSQL"))
    );
    let projected = table(&report, "scale_out_projection");
    assert!(projected.rows[0][1].contains("no PostgreSQL"));
}

/// The embedded fair share's figures of `report` after `change` to the sample's measured
/// fair share.
fn fair_share(change: impl FnOnce(&mut FairShare)) -> Table {
    let mut results = sample::embedded();
    let Outcome::Measured(f) = &mut results.fair_share else {
        panic!("the sample's fair share is measured");
    };
    change(f);
    let mut report = sample::report();
    report.figures.retain(|f| f.scenario != "fair_share");
    report.figures.extend(crate::fair_share::rows(
        "embedded",
        &results.fair_share,
        &crate::dags::Sizes::FULL,
    ));
    table(&report, "fair_share")
}

#[test]
fn the_probes_scheduler_steps_are_shown_idle_and_flooded() {
    let t = fair_share(|_| {});
    // The sample's embedded figures: medians 2 and 4, maxima 3 and 6.
    assert_eq!(
        row(
            &t,
            "fair share: scheduler steps during a probe's round trip (trigger → answer), median, idle"
        )[1],
        "2"
    );
    assert_eq!(row(&t, "fair share: the same steps, max, idle")[1], "3");
    assert_eq!(
        row(
            &t,
            "fair share: scheduler steps during a probe's round trip (trigger → answer), median, during"
        )[1],
        "4"
    );
    assert_eq!(row(&t, "fair share: the same steps, max, during")[1], "6");
    // Without them counted there is no figure.
    let t = fair_share(|f| f.probe_flooded_steps = None);
    assert!(
        !t.rows
            .iter()
            .any(|r| r[0].contains("max, during the flood"))
    );
}

#[test]
fn each_hops_median_is_shown_idle_next_door_and_flooded_once_read() {
    let t = fair_share(|_| {});
    // The sample has the idle medians alone.
    let idle = row(
        &t,
        "fair share: each hop's median over the probes idle: run created → task",
    );
    assert_eq!(idle[1], "0.50 ms");
    assert!(
        !t.rows
            .iter()
            .any(|r| r[0].contains("median over the probes during the flood: "))
    );
    let t = fair_share(|f| f.flooded_hop_medians = f.slowest_probe.clone());
    let flooded = row(
        &t,
        "fair share: each hop's median over the probes during the flood: task queued",
    );
    assert_eq!(flooded[1], "1.50 ms");
}

#[test]
fn the_flooded_p99_is_set_against_the_same_flood_next_door() {
    // The sample next door: median 1.8 ms, p99 2 ms, the floods at 9,100 tasks/s; during
    // its own flood, p99 5 ms: 2.5×, which misses the goal.
    let t = fair_share(|_| {});
    let ratio = row(
        &t,
        "fair share: the probe's p99 while flooded / while flooded next door",
    );
    assert_eq!(ratio[1..3], ["2.5×", "≤ 2 × next door: MISSED"]);
    assert_eq!(
        row(
            &t,
            "fair share: a tenant's single-task round trip p50, while the same"
        )[1],
        "1.80 ms"
    );
    assert_eq!(
        row(&t, "fair share: the same, p99, while the same")[1],
        "2 ms"
    );
    assert_eq!(row(&t, "fair share: probes while the same")[1], "3");
    assert_eq!(
        row(&t, "fair share: the floods' rate next door")[1],
        "9,100 tasks/s"
    );
    let t = fair_share(|f| f.probe_flooded_ms.p99 = 4.0);
    let ratio = row(
        &t,
        "fair share: the probe's p99 while flooded / while flooded next door",
    );
    assert_eq!(ratio[2], "≤ 2 × next door: met");
    // Not measured: no ratio at all.
    let t = fair_share(|f| f.probe_next_door_ms = None);
    assert!(
        !t.rows
            .iter()
            .any(|r| r[0].contains("next door") && r[0].contains("flooded / while"))
    );
}

#[test]
fn the_flood_is_set_against_the_same_flood_alone_and_never_the_big_fan() {
    // The sample's flood: 9,000 tasks/s, 9,400 alone, the big fan 9,500.
    let t = fair_share(|_| {});
    let percent = row(&t, "fair share: the flood's rate, % of the same flood");
    assert_eq!(percent[1..3], ["96%", "≥ 90 % of alone: met"]);
    assert_eq!(row(&t, "fair share: floods measured")[1], "5");
    // Without the flood alone there is no ratio: the big fan's 9,500 is another workload.
    let t = fair_share(|f| f.flood_alone_tasks_per_s = None);
    assert!(!t.rows.iter().any(|r| r[0].contains("% of the same flood")));
}

#[test]
fn the_slowest_round_trips_are_shown_at_their_time_into_the_flood() {
    let t = fair_share(|_| {});
    assert_eq!(
        row(
            &t,
            "fair share: the slowest round trip during the flood: round trip"
        )[1],
        "5 ms"
    );
    assert_eq!(
        row(&t, "fair share: slowest round trip #1 during")[1],
        "5 ms"
    );
    assert_eq!(
        row(&t, "fair share: slowest round trip #1: time into")[1],
        "1.60 s"
    );
    assert_eq!(
        row(&t, "fair share: slowest round trip #2: time into")[1],
        "0.12 s"
    );
    let t = fair_share(|f| {
        f.slowest_probes_at = vec![ProbeAt {
            into_flood_ms: 10.0,
            round_trip_ms: 1.0,
        }]
    });
    assert!(!t.rows.iter().any(|r| r[0].contains("#2")));
}

#[test]
fn a_long_problem_is_its_first_line_shortened() {
    let figure = Figure {
        scenario: "x".into(),
        mode: "embedded".into(),
        metric: "m".into(),
        label: "x".into(),
        unit: crate::figure::Unit::Ms,
        value: Value::Failed(format!("{}\nsecond line", "x".repeat(200))),
        goal: None,
    };
    let text = figure.shown();
    assert!(text.starts_with("failed: xxx"));
    assert!(text.ends_with('…'));
    assert!(!text.contains("second"));
}
