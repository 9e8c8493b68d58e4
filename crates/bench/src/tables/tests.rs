//! Tests of the report's tables, on a made-up report.

use super::*;
use crate::figures::{FairShare, GuestFigures, ProbeHops};
use crate::sample;

#[test]
fn ratios_say_which_way() {
    assert_eq!(versus(Some(10.0), Some(1000.0), false), "100× faster");
    assert_eq!(versus(Some(2.0), Some(1.0), false), "2× slower");
    assert_eq!(versus(Some(5000.0), Some(500.0), true), "10× faster");
    assert_eq!(versus(None, Some(1.0), true), "—");
    assert_eq!(versus(Some(1.0), Some(0.0), true), "—");
}

#[test]
fn the_probes_scheduler_steps_are_shown_idle_and_flooded() {
    let label = "fair share: scheduler steps during a probe's round trip";
    // The sample's embedded figures: medians 2 and 4, maxima 3 and 6.
    assert_eq!(result_row(&sample::report(), label)[1], "2 / 3 → 4 / 6");
    // A report from before the steps were counted shows none.
    let mut old = sample::report();
    fair_share(&mut old).probe_flooded_steps = None;
    assert_eq!(result_row(&old, label)[1], "—");
}

#[test]
fn each_hops_median_is_shown_idle_and_flooded_once_both_were_read() {
    let mut report = sample::report();
    let row = |report: &BenchReport| result_row(report, "fair share: each hop's median");
    // The sample has the idle medians alone: nothing to set them against.
    assert_eq!(row(&report)[1], "—");
    let f = fair_share(&mut report);
    f.flooded_hop_medians = f.slowest_probe.clone();
    // A report from before the probes during the floods next door has none between.
    assert_eq!(
        row(&report)[1],
        "2.50 ms: 0.30 ms · 0.50 ms · 0.20 ms · 0.20 ms · 0.30 ms · 0.40 ms → — → \
         5 ms: 0.50 ms · 1 ms · 1.50 ms · 0.50 ms · 1 ms · 0.50 ms"
    );
    let f = fair_share(&mut report);
    f.next_door_hop_medians = Some(ProbeHops {
        round_trip_ms: 3.5,
        to_created_ms: 0.4,
        ..f.idle_hop_medians
            .clone()
            .expect("the sample's idle medians")
    });
    assert_eq!(
        row(&report)[1],
        "2.50 ms: 0.30 ms · 0.50 ms · 0.20 ms · 0.20 ms · 0.30 ms · 0.40 ms → \
         3.50 ms: 0.40 ms · 0.50 ms · 0.20 ms · 0.20 ms · 0.30 ms · 0.40 ms → \
         5 ms: 0.50 ms · 1 ms · 1.50 ms · 0.50 ms · 1 ms · 0.50 ms"
    );
}

#[test]
fn the_flooded_p99_is_set_against_the_same_flood_next_door() {
    let mut report = sample::report();
    let row = |report: &BenchReport| result_row(report, "fair share: the same round trip");
    // The sample during the floods next door: median 1.8 ms, p99 2 ms, the floods at 9,100
    // tasks/s; during its own flood, p99 5 ms.
    assert_eq!(
        row(&report)[1],
        "1.80 ms / 2 ms (2.5×; 3 probes; 9,100 tasks/s)"
    );
    // 2.5× the p99 next door: the installation's share misses its goal.
    assert_eq!(row(&report)[2], "≤ 2 × next door: MISSED");
    fair_share(&mut report).probe_flooded_ms.p99 = 4.0;
    assert_eq!(row(&report)[2], "≤ 2 × next door: met");
    fair_share(&mut report).probe_flooded_ms.p99 = 5.0;
    // Their rate unread, the probes' figures stand alone.
    fair_share(&mut report).next_door_flood_tasks_per_s = None;
    assert_eq!(row(&report)[1], "1.80 ms / 2 ms (2.5×; 3 probes; —)");
    // A report from before they were measured shows nothing, and no ratio.
    let f = fair_share(&mut report);
    f.probe_next_door_ms = None;
    assert_eq!(f.next_door_p99_ratio(), None);
    assert_eq!(row(&report)[1], "—");
    assert_eq!(row(&report)[2], "≤ 2 × next door: MISSED");
}

#[test]
fn the_flood_is_set_against_the_same_flood_alone_and_never_the_big_fan() {
    let mut report = sample::report();
    let row = |report: &BenchReport| result_row(report, "fair share: the flooding tenant's");
    // The sample's flood: 9,000 tasks/s, 9,400 alone, the big fan 9,500.
    assert!(
        row(&report)[1].contains("(96%, median of 5 floods)"),
        "{:?}",
        row(&report)
    );
    // Without the flood alone (its times unread, or a report from before it was measured)
    // there is no ratio: the big fan's 9,500 is another workload.
    fair_share(&mut report).flood_alone_tasks_per_s = None;
    assert!(
        row(&report)[1].contains("(—, median of 5 floods)"),
        "{:?}",
        row(&report)
    );
}

#[test]
fn the_slowest_round_trips_are_shown_at_their_time_into_the_flood() {
    let mut report = sample::report();
    let row = |report: &BenchReport| result_row(report, "fair share: the slowest round trip");
    // The sample's two slowest: one of 5 ms sent 1.604 s into its flood, one of 4.2 ms
    // sent 120 ms into its flood.
    assert_eq!(
        row(&report)[1],
        "5 ms: 0.50 ms + 1 ms + 1.50 ms + 0.50 ms + 1 ms + 0.50 ms; 5 ms at 1.60 s, 4.20 ms at 0.12 s"
    );
    // A report from before they were kept shows the slowest's hops alone.
    fair_share(&mut report).slowest_probes_at.clear();
    assert_eq!(
        row(&report)[1],
        "5 ms: 0.50 ms + 1 ms + 1.50 ms + 0.50 ms + 1 ms + 0.50 ms"
    );
}

/// The embedded fair share of `report`, which the sample measured.
fn fair_share(report: &mut BenchReport) -> &mut FairShare {
    match &mut report.embedded.fair_share {
        Outcome::Measured(f) => f,
        other => panic!("the sample's fair share is measured, not {other:?}"),
    }
}

/// The row of `report`'s results whose label starts with `label`.
fn result_row(report: &BenchReport, label: &str) -> Vec<String> {
    results(report)
        .rows
        .into_iter()
        .find(|r| r[0].starts_with(label))
        .expect("row")
}

#[test]
fn problems_are_short_and_say_what_happened() {
    let long = Outcome::<()>::Failed(format!("{}\nsecond line", "x".repeat(200)));
    let text = problem(&long);
    assert!(text.starts_with("failed: xxx"));
    assert!(text.ends_with('…'));
    assert!(!text.contains("second"));
    assert_eq!(
        problem(&Outcome::<()>::NotRun("--peers not given".into())),
        "not run: --peers not given"
    );
}

#[test]
fn results_put_each_goal_beside_its_figure() {
    let table = results(&sample::report());
    assert_eq!(table.header.len(), 5);
    let chain = &table.rows[0];
    assert_eq!(chain[1], "14 ms");
    assert_eq!(chain[2], "≤ 10 ms: MISSED");
    assert!(chain[3].starts_with("failed: cannot start"));
    assert_eq!(chain[4], "≤ 30 ms");
    let many = table
        .rows
        .iter()
        .find(|r| r[0].contains("runs of 100"))
        .expect("row");
    assert!(many[1].starts_with("failed: timed out"));
    let waits = table
        .rows
        .iter()
        .position(|r| r[0].starts_with("one event → all 1,000 waits ended"))
        .expect("row");
    assert_eq!(table.rows[waits][1], "45 ms (70 ms)");
    assert!(table.rows[waits][3].starts_with("failed: cannot start"));
    let fan = table
        .rows
        .iter()
        .position(|r| r[0].contains("runs of 100"))
        .expect("row");
    assert!(fan < waits, "beside the fan-outs");
    let deferred = table
        .rows
        .iter()
        .find(|r| r[0].starts_with("1,000 waits: trigger → all deferred"))
        .expect("row");
    assert_eq!(deferred[1], "200 ms (100 ms)");
    let cpu = table
        .rows
        .iter()
        .find(|r| r[0].starts_with("1,000 waits deferred: CPU"))
        .expect("row");
    assert_eq!(cpu[1], "standalone 5.0 ms/s (before 4.0)");
    let rss = table.rows.iter().find(|r| r[0] == "peak RSS").expect("row");
    assert_eq!(rss[1], "standalone 80 MiB");
}

#[test]
fn peers_show_ratios_and_why_a_peer_is_missing() {
    let table = peers(&sample::report());
    let fan = table
        .rows
        .iter()
        .find(|r| r[0].starts_with("fan100"))
        .expect("row");
    assert_eq!(fan[1], "30 ms");
    assert_eq!(fan[3], "Airflow 15 s");
    assert_eq!(fan[4], "500× faster / —");
    let tput = &table.rows[0];
    assert_eq!(tput[3], "not run: celery_bench.sh not found");
}

#[test]
fn sandbox_is_judged_on_its_mean() {
    let table = sandbox(&sample::report());
    assert_eq!(table.rows[0][1], "35 µs");
    assert_eq!(table.rows[0][2], "≤ 30 µs: MISSED");
}

#[test]
fn each_guest_language_is_a_row_with_its_page_faults() {
    let mut report = sample::report();
    let table = guests(&report);
    assert_eq!(table.rows.len(), 3);
    assert_eq!(table.rows[1][0], "Python (mean of 3)");
    assert_eq!(table.rows[1][1], "18,300 KiB");
    assert_eq!(table.rows[1][2], "3,600 µs (2,000 µs / 7,000 µs)");
    assert_eq!(table.rows[1][3], "420");
    // One language failing keeps the others' rows, and the run counts as failed.
    assert_eq!(table.rows[2][0], "TypeScript");
    assert!(
        table.rows[2][2].contains("examples/hello-ts"),
        "{:?}",
        table.rows[2]
    );
    assert!(
        report
            .guests
            .measured()
            .is_some_and(GuestFigures::has_failures)
    );
    report.guests = Outcome::Failed("cannot start the runtime".into());
    let table = guests(&report);
    assert_eq!(table.rows.len(), 1);
    assert!(
        table.rows[0][2].contains("cannot start the runtime"),
        "{:?}",
        table.rows[0]
    );
}

#[test]
fn breakdown_has_every_step_for_each_mode() {
    let table = breakdown(&sample::report());
    assert_eq!(table.rows.len(), 5);
    assert_eq!(table.rows[2][1], "0.050 ms");
    assert!(table.rows[2][2].starts_with("failed"));
}

#[test]
fn egress_is_judged_on_the_overhead() {
    let table = egress(&sample::report());
    assert_eq!(table.rows.len(), 4);
    assert!(table.rows[0][0].contains("(task with 200 GETs − with none) / 200"));
    assert_eq!(table.rows[0][1], "140 µs");
    assert_eq!(table.rows[1][1], "30 µs");
    assert_eq!(table.rows[2][1], "110 µs");
    assert_eq!(table.rows[2][2], "≤ 100 µs: MISSED");
    assert_eq!(table.rows[3][1], "30 ms / 2 ms");
    let mut report = sample::report();
    report.egress = Outcome::Failed("egress: the probe task did not succeed".into());
    let table = egress(&report);
    assert_eq!(table.rows.len(), 1);
    assert!(table.rows[0][1].starts_with("failed: egress: the probe"));
    assert_eq!(table.rows[0][2], "≤ 100 µs");
}

#[test]
fn s3_has_a_row_per_csv_and_says_why_one_failed() {
    let table = s3(&sample::report());
    assert_eq!(table.rows.len(), 2);
    assert_eq!(table.rows[0][0], "1 MB CSV (47,610 rows)");
    assert_eq!(table.rows[0][1], "850 ms");
    assert_eq!(table.rows[0][2], "3: 800 ms – 900 ms");
    assert!(
        table.rows[1][1]
            .starts_with("failed: task extract is up_for_retry after try 1 of 2 (trap)"),
        "{}",
        table.rows[1][1]
    );
    assert_eq!(table.rows[1][2], "—");
    assert_eq!(table.rows[1][0], "100 MB CSV (4,761,000 rows)");
}

#[test]
fn tls_costs_are_the_differences_of_the_two_installations() {
    let mut report = sample::report();
    // The plain installation did not start: its figures say why, and there is no cost.
    let table = tls(&report);
    let p50 = &table.rows[0];
    assert_eq!(p50[0], "round trip p50 (3 runs)");
    assert!(p50[1].starts_with("failed: cannot start"), "{p50:?}");
    assert_eq!(p50[2], "0.90 ms");
    assert_eq!(p50[3], "—");
    // Both measured: the cost is TLS − plain, with its share of the plain figure.
    report.distributed = sample::embedded();
    let table = tls(&report);
    assert_eq!(
        table.rows[0][1..],
        ["0.60 ms", "0.90 ms", "+0.30 ms (+50%)"]
    );
    assert_eq!(table.rows[1][0], "round trip p99 (3 runs)");
    assert_eq!(table.rows[1][3], "+0.60 ms (+67%)");
    let chain = &table.rows[2];
    assert_eq!(chain[1], "14 ms");
    assert!(
        chain[2].starts_with("failed: chain40: timed out"),
        "{chain:?}"
    );
    assert_eq!(chain[3], "—");
}
