//! Schedules beyond UTC cron, driven by a manual clock: fixed intervals, continuous runs, and
//! cron read in a time zone across changes of clocks, for scheduled runs and backfills.

#![allow(clippy::unwrap_used)]

use crate::support;

use std::time::Duration;

use jiff::SignedDuration;
use support::{Now as _, bench, task_ids, ts};
use weft_model::{DagRunState, DagSpec, TaskSpec};
use weft_scheduler::{Control, ControlError, SchedulerConfig};
use weft_store::DEFAULT_TENANT;

fn scheduled(dag_id: &str, schedule: &str, start: &str, catchup: bool) -> DagSpec {
    let mut spec = DagSpec::new(dag_id);
    spec.schedule = Some(schedule.into());
    spec.start_date = Some(start.into());
    spec.catchup = catchup;
    spec.tasks = vec![TaskSpec::new("a")];
    spec
}

/// The logical dates of DAG `dag_id`'s runs, in UTC.
async fn logical_dates(b: &support::Bench, dag_id: &str) -> Vec<String> {
    b.runs(dag_id)
        .await
        .iter()
        .map(|r| r.logical_date.to_string())
        .collect()
}

fn intervals(runs: &[weft_store::DagRun]) -> Vec<(String, String)> {
    runs.iter()
        .map(|r| {
            (
                r.data_interval_start.to_string(),
                r.data_interval_end.to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn every_90_minutes_runs_on_the_start_dates_grid() {
    let b = bench("2024-01-01T04:00:00Z", SchedulerConfig::default()).await;
    b.deploy(scheduled(
        "every",
        "@every 90m",
        "2024-01-01T00:10:00Z",
        true,
    ))
    .await;
    let mut s = b.scheduler();
    s.start().await.unwrap();
    assert_eq!(
        intervals(&b.runs("every").await),
        [
            ("2024-01-01T00:10:00Z".into(), "2024-01-01T01:40:00Z".into()),
            ("2024-01-01T01:40:00Z".into(), "2024-01-01T03:10:00Z".into()),
        ]
    );
    assert_eq!(s.wake_at(), Some(ts("2024-01-01T04:40:00Z")));
    b.clock.advance(Duration::from_secs(40 * 60));
    s.step(Vec::new()).await.unwrap();
    let runs = b.runs("every").await;
    assert_eq!(runs.len(), 3);
    assert_eq!(runs[2].logical_date, ts("2024-01-01T03:10:00Z"));
    assert_eq!(runs[2].run_id, "scheduled__2024-01-01T03:10:00+00:00");
}

#[tokio::test]
async fn a_continuous_dag_starts_its_next_run_when_the_last_ends() {
    let b = bench("2024-01-01T12:00:00Z", SchedulerConfig::default()).await;
    b.deploy(scheduled("loop", "@continuous", "2024-01-01", false))
        .await;
    let mut s = b.scheduler();
    s.start().await.unwrap();
    let runs = b.runs("loop").await;
    assert_eq!(
        intervals(&runs),
        [("2024-01-01T00:00:00Z".into(), "2024-01-01T12:00:00Z".into())]
    );
    let first = b.take().await;
    assert_eq!(task_ids(&first), ["a"]);
    // While it runs, no other run: one at a time unless max_active_runs says more.
    b.clock.advance(Duration::from_secs(60));
    s.step(Vec::new()).await.unwrap();
    assert_eq!(b.runs("loop").await.len(), 1);
    assert_ne!(s.wake_at(), Some(b.clock.now_ts()));

    b.clock.advance(Duration::from_secs(60));
    s.step(b.succeed(&first[0])).await.unwrap();
    assert_eq!(b.runs("loop").await[0].state, DagRunState::Success);
    assert_eq!(
        s.wake_at(),
        Some(b.clock.now_ts()),
        "the next run is due at once"
    );
    s.step(Vec::new()).await.unwrap();
    let runs = b.runs("loop").await;
    assert_eq!(runs.len(), 2);
    assert_eq!(
        (runs[1].data_interval_start, runs[1].data_interval_end),
        (ts("2024-01-01T12:00:00Z"), ts("2024-01-01T12:02:00Z")),
        "the second covers the time since the first's interval ended"
    );
    assert_eq!(task_ids(&b.take().await), ["a"]);
}

#[tokio::test]
async fn a_continuous_dag_keeps_max_active_runs_going() {
    let b = bench("2024-01-01T12:00:00Z", SchedulerConfig::default()).await;
    let mut spec = scheduled("loop", "@continuous", "2024-01-01", false);
    spec.max_active_runs = Some(2);
    b.deploy(spec).await;
    let mut s = b.scheduler();
    s.start().await.unwrap();
    assert_eq!(b.runs("loop").await.len(), 1);
    assert_eq!(s.wake_at(), Some(b.clock.now_ts()), "room for one more");
    b.clock.advance(Duration::from_millis(5));
    s.step(Vec::new()).await.unwrap();
    let runs = b.runs("loop").await;
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1].data_interval_start, runs[0].data_interval_end);
    assert_eq!(b.take().await.len(), 2);
    b.clock.advance(Duration::from_millis(5));
    s.step(Vec::new()).await.unwrap();
    assert_eq!(
        b.runs("loop").await.len(),
        2,
        "never more than max_active_runs"
    );

    // A backfill needs intervals of time, which a continuous schedule does not have.
    let refused = b
        .handle
        .backfill(
            DEFAULT_TENANT,
            "loop",
            ts("2023-12-01T00:00:00Z"),
            ts("2023-12-02T00:00:00Z"),
        )
        .await;
    assert!(
        matches!(&refused, Err(ControlError::Invalid(m)) if m.contains("continuous")),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_daily_0230_in_berlin_runs_once_each_day_across_both_changes_of_clocks() {
    let b = bench("2024-04-02T00:00:00Z", SchedulerConfig::default()).await;
    b.deploy(scheduled(
        "berlin",
        "30 2 * * *",
        "2024-03-29[Europe/Berlin]",
        true,
    ))
    .await;
    let mut s = b.scheduler();
    s.start().await.unwrap();
    let starts = logical_dates(&b, "berlin").await;
    assert_eq!(
        starts,
        [
            "2024-03-29T01:30:00Z", // 02:30 CET
            "2024-03-30T01:30:00Z",
            "2024-03-31T01:00:00Z", // 02:30 does not exist: 03:00 CEST
        ]
    );
    // Up to the autumn change, skipping the summer.
    let b = bench("2024-10-29T00:00:00Z", SchedulerConfig::default()).await;
    b.deploy(scheduled(
        "berlin",
        "30 2 * * *",
        "2024-10-26[Europe/Berlin]",
        true,
    ))
    .await;
    let mut s = b.scheduler();
    s.start().await.unwrap();
    let runs = b.runs("berlin").await;
    let starts: Vec<String> = runs.iter().map(|r| r.logical_date.to_string()).collect();
    assert_eq!(
        starts,
        [
            "2024-10-26T00:30:00Z", // 02:30 CEST
            "2024-10-27T00:30:00Z", // the first 02:30; the second does not run
        ]
    );
    assert_eq!(
        runs[1]
            .data_interval_end
            .duration_since(runs[1].data_interval_start),
        SignedDuration::from_hours(25),
        "the day the clocks go back lasts 25 hours"
    );
}

#[tokio::test]
async fn a_backfill_in_new_york_spans_the_change_of_clocks() {
    let b = bench("2024-12-01T00:00:00Z", SchedulerConfig::default()).await;
    b.deploy(scheduled(
        "ny",
        "@daily",
        "2024-01-01[America/New_York]",
        false,
    ))
    .await;
    let created = b
        .handle
        .backfill(
            DEFAULT_TENANT,
            "ny",
            ts("2024-11-02T04:00:00Z"),
            ts("2024-11-04T05:00:00Z"),
        )
        .await
        .unwrap();
    let got: Vec<(String, i64)> = created
        .iter()
        .map(|r| {
            (
                r.logical_date.to_string(),
                r.data_interval_end
                    .duration_since(r.data_interval_start)
                    .as_hours(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("2024-11-02T04:00:00Z".into(), 24), // midnight EDT
            ("2024-11-03T04:00:00Z".into(), 25), // the day the clocks go back
            ("2024-11-04T05:00:00Z".into(), 24), // midnight EST
        ]
    );
}

#[tokio::test]
async fn an_end_date_stops_the_schedule() {
    let b = bench("2024-01-10T00:00:00Z", SchedulerConfig::default()).await;
    let mut spec = scheduled("ending", "@daily", "2024-01-01", true);
    spec.end_date = Some("2024-01-03".into());
    b.deploy(spec).await;
    let mut s = b.scheduler();
    s.start().await.unwrap();
    let starts = logical_dates(&b, "ending").await;
    assert_eq!(
        starts,
        [
            "2024-01-01T00:00:00Z",
            "2024-01-02T00:00:00Z",
            "2024-01-03T00:00:00Z"
        ],
        "the last run's logical date is the end date"
    );
    assert_eq!(s.wake_at(), None, "nothing more is due, ever");
    b.clock.advance(Duration::from_secs(30 * 86_400));
    s.step(Vec::new()).await.unwrap();
    assert_eq!(b.runs("ending").await.len(), 3);
}
