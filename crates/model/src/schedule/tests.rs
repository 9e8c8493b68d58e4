use super::*;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn sched(s: &str) -> Schedule {
    Schedule::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn iv(start: &str, end: &str) -> DataInterval {
    DataInterval {
        start: ts(start),
        end: ts(end),
    }
}

const DAY1: &str = "2024-01-01T00:00:00Z";
const DAY2: &str = "2024-01-02T00:00:00Z";
const DAY3: &str = "2024-01-03T00:00:00Z";
const DAY4: &str = "2024-01-04T00:00:00Z";
const DAY5: &str = "2024-01-05T00:00:00Z";
const DAY6: &str = "2024-01-06T00:00:00Z";
const DAY5_NOON: &str = "2024-01-05T12:00:00Z";

#[test]
fn presets_are_cron_expressions() {
    let pairs = [
        ("@hourly", "0 * * * *"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@weekly", "0 0 * * 0"),
        ("@monthly", "0 0 1 * *"),
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
        ("@Daily", "0 0 * * *"),
    ];
    for (preset, expr) in pairs {
        let s = sched(preset);
        assert_eq!(s.crons(), [Cron::parse(expr).unwrap()], "{preset}");
        assert!(!s.is_once());
        assert_eq!(s.as_str(), preset);
    }
    let once = sched(" @once ");
    assert!(once.is_once());
    assert_eq!(once.as_str(), "@once");
    assert!(once.crons().is_empty());
    assert_eq!(once.next_after(ts(DAY1)), None);
    assert_eq!(once.prev_at_or_before(ts(DAY1)), None);
}

#[test]
fn bad_schedules_are_explained() {
    let err = |s: &str| Schedule::parse(s).expect_err(s).to_string();
    assert_eq!(err("61 * * * *"), "minute field \"61\": out of range 0-59");
    assert!(
        err("@often").starts_with("unknown preset \"@often\" (expected @once"),
        "{}",
        err("@often")
    );
    assert_eq!(err(""), "schedule is empty");
    assert_eq!(
        err("daily"),
        "expected 5 fields (minute hour day-of-month month day-of-week), found 1"
    );
    assert_eq!("@hourly".parse::<Schedule>().unwrap(), sched("@hourly"));
}

#[test]
fn serializes_as_the_written_string() {
    let s = sched("*/5 * * * *");
    assert_eq!(
        serde_json::to_value(&s).unwrap(),
        serde_json::json!("*/5 * * * *")
    );
    assert_eq!(
        serde_json::from_str::<Schedule>("\"@daily\"").unwrap(),
        sched("@daily")
    );
    let err = serde_json::from_str::<Schedule>("\"0 25 * * *\"").unwrap_err();
    assert!(err.to_string().contains("hour field \"25\""), "{err}");
    assert_eq!(s.to_string(), "*/5 * * * *");
}

#[test]
fn schedule_delegates_searches_to_cron() {
    let s = sched("@weekly");
    assert_eq!(
        s.next_after(ts("2024-01-03T08:00:00Z")),
        Some(ts("2024-01-07T00:00:00Z"))
    );
    assert_eq!(
        s.prev_at_or_before(ts("2024-01-07T00:00:00Z")),
        Some(ts("2024-01-07T00:00:00Z"))
    );
    assert_eq!(
        s.prev_at_or_before(ts("2024-01-06T23:59:59Z")),
        Some(ts("2023-12-31T00:00:00Z"))
    );
}

#[test]
fn catchup_walks_every_interval() {
    let s = sched("@daily");
    let start = ts(DAY1);
    let now = ts(DAY5_NOON);
    assert_eq!(
        s.next_dagrun_interval(None, start, true, now),
        Some(iv(DAY1, DAY2))
    );
    assert_eq!(
        s.next_dagrun_interval(Some(iv(DAY1, DAY2)), start, true, now),
        Some(iv(DAY2, DAY3))
    );
    assert_eq!(
        s.next_dagrun_interval(Some(iv(DAY3, DAY4)), start, true, now),
        Some(iv(DAY4, DAY5))
    );
    // The next interval has not ended yet.
    assert_eq!(
        s.next_dagrun_interval(Some(iv(DAY4, DAY5)), start, true, now),
        None
    );
    assert_eq!(
        s.next_interval(Some(iv(DAY4, DAY5)), start, true, now),
        Some(iv(DAY5, DAY6))
    );
    // Due exactly when it ends.
    assert_eq!(
        s.next_dagrun_interval(Some(iv(DAY4, DAY5)), start, true, ts(DAY6)),
        Some(iv(DAY5, DAY6))
    );
}

#[test]
fn catchup_aligns_the_start_date() {
    let s = sched("@daily");
    let now = ts(DAY5_NOON);
    let first = s.next_dagrun_interval(None, ts("2024-01-01T10:30:00Z"), true, now);
    assert_eq!(first, Some(iv(DAY2, DAY3)));
    let monthly = sched("@monthly");
    let start = ts("2024-01-15T00:00:00Z");
    let now = ts("2024-06-01T00:00:00Z");
    let first = monthly
        .next_dagrun_interval(None, start, true, now)
        .unwrap();
    assert_eq!(first, iv("2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z"));
    let second = monthly
        .next_dagrun_interval(Some(first), start, true, now)
        .unwrap();
    assert_eq!(second, iv("2024-03-01T00:00:00Z", "2024-04-01T00:00:00Z"));
    // @weekly from a Monday: the first interval starts on the next Sunday.
    let weekly = sched("@weekly").next_dagrun_interval(None, ts(DAY1), true, now);
    assert_eq!(
        weekly,
        Some(iv("2024-01-07T00:00:00Z", "2024-01-14T00:00:00Z"))
    );
}

#[test]
fn without_catchup_only_the_latest_interval_runs() {
    let s = sched("@daily");
    let start = ts(DAY1);
    assert_eq!(
        s.next_dagrun_interval(None, start, false, ts(DAY5_NOON)),
        Some(iv(DAY4, DAY5))
    );
    // On a boundary, the interval that ends now is complete.
    assert_eq!(
        s.next_dagrun_interval(None, start, false, ts(DAY5)),
        Some(iv(DAY4, DAY5))
    );
    // Missed intervals after `last` are skipped.
    let last = Some(iv(DAY1, DAY2));
    assert_eq!(
        s.next_dagrun_interval(last, start, false, ts(DAY5_NOON)),
        Some(iv(DAY4, DAY5))
    );
    // Never the same interval as `last` again.
    let last = Some(iv(DAY4, DAY5));
    assert_eq!(
        s.next_dagrun_interval(last, start, false, ts(DAY5_NOON)),
        None
    );
    assert_eq!(
        s.next_interval(last, start, false, ts(DAY5_NOON)),
        Some(iv(DAY5, DAY6))
    );
    let hourly = sched("@hourly");
    assert_eq!(
        hourly.next_dagrun_interval(None, start, false, ts("2024-01-01T10:30:00Z")),
        Some(iv("2024-01-01T09:00:00Z", "2024-01-01T10:00:00Z"))
    );
}

#[test]
fn a_start_date_in_the_future_waits() {
    let s = sched("@daily");
    let start = ts("2024-02-01T00:00:00Z");
    for catchup in [true, false] {
        assert_eq!(
            s.next_dagrun_interval(None, start, catchup, ts(DAY5_NOON)),
            None
        );
        assert_eq!(
            s.next_interval(None, start, catchup, ts(DAY5_NOON)),
            Some(iv("2024-02-01T00:00:00Z", "2024-02-02T00:00:00Z"))
        );
    }
}

#[test]
fn a_changed_schedule_realigns_the_last_interval() {
    // The last run was hourly; the schedule is daily now.
    let last = Some(iv("2024-01-03T04:00:00Z", "2024-01-03T05:00:00Z"));
    let next = sched("@daily").next_dagrun_interval(last, ts(DAY1), true, ts(DAY5_NOON));
    assert_eq!(next, Some(iv(DAY3, DAY4)));
}

#[test]
fn once_runs_once_at_the_start_date() {
    let s = sched("@once");
    let start = ts(DAY2);
    assert_eq!(
        s.next_dagrun_interval(None, start, false, ts(DAY5)),
        Some(DataInterval::exact(start))
    );
    assert_eq!(
        s.next_dagrun_interval(None, start, true, ts(DAY2)),
        Some(DataInterval::exact(start))
    );
    assert_eq!(s.next_dagrun_interval(None, start, true, ts(DAY1)), None);
    assert_eq!(
        s.next_interval(None, start, true, ts(DAY1)),
        Some(DataInterval::exact(start))
    );
    let last = Some(DataInterval::exact(start));
    assert_eq!(s.next_interval(last, start, true, ts(DAY5)), None);
}

#[test]
fn impossible_schedules_have_no_interval() {
    let s = sched("0 0 31 2 *");
    assert_eq!(s.next_interval(None, ts(DAY1), true, ts(DAY5)), None);
    assert_eq!(s.next_interval(None, ts(DAY1), false, ts(DAY5)), None);
    assert_eq!(s.manual_interval(ts(DAY5)), DataInterval::exact(ts(DAY5)));
}

#[test]
fn manual_runs_cover_the_last_complete_interval() {
    let daily = sched("@daily");
    assert_eq!(
        daily.manual_interval(ts("2024-01-25T01:00:00Z")),
        iv("2024-01-24T00:00:00Z", "2024-01-25T00:00:00Z")
    );
    assert_eq!(
        daily.manual_interval(ts("2024-01-25T00:00:00Z")),
        iv("2024-01-24T00:00:00Z", "2024-01-25T00:00:00Z")
    );
    let hourly = sched("@hourly");
    assert_eq!(
        hourly.manual_interval(ts("2024-01-01T10:30:00Z")),
        iv("2024-01-01T09:00:00Z", "2024-01-01T10:00:00Z")
    );
    assert_eq!(
        sched("@once").manual_interval(ts(DAY3)),
        DataInterval::exact(ts(DAY3))
    );
}

#[test]
fn data_intervals() {
    let i = iv(DAY1, DAY2);
    assert_eq!(i.logical_date(), ts(DAY1));
    assert_eq!(i.run_after(), ts(DAY2));
    assert_eq!(
        serde_json::to_value(i).unwrap(),
        serde_json::json!({"start": "2024-01-01T00:00:00Z", "end": "2024-01-02T00:00:00Z"})
    );
    let e = DataInterval::exact(ts(DAY3));
    assert_eq!((e.start, e.end), (ts(DAY3), ts(DAY3)));
}

fn zone(name: &str) -> jiff::tz::TimeZone {
    crate::time_zone::find(name).unwrap()
}

#[test]
fn every_lays_fixed_intervals_from_the_start_date() {
    let start = ts("2024-01-01T00:10:00Z");
    let s = sched("@every 90m").anchored_at(start);
    assert_eq!(s.every(), Some(jiff::SignedDuration::from_mins(90)));
    let now = ts("2024-01-01T04:00:00Z");
    let first = s.next_dagrun_interval(None, start, true, now).unwrap();
    assert_eq!(first, iv("2024-01-01T00:10:00Z", "2024-01-01T01:40:00Z"));
    let second = s
        .next_dagrun_interval(Some(first), start, true, now)
        .unwrap();
    assert_eq!(second, iv("2024-01-01T01:40:00Z", "2024-01-01T03:10:00Z"));
    // The third ends at 04:40: not due at 04:00.
    assert_eq!(s.next_dagrun_interval(Some(second), start, true, now), None);
    // Without catchup, the latest complete interval, still on the start date's grid.
    assert_eq!(
        s.next_dagrun_interval(None, start, false, ts("2024-01-02T00:00:00Z")),
        Some(iv("2024-01-01T21:10:00Z", "2024-01-01T22:40:00Z"))
    );
    // A backfill's later lower bound keeps the grid of the start date.
    assert_eq!(
        s.next_interval(None, ts("2024-01-01T02:00:00Z"), true, now),
        Some(iv("2024-01-01T03:10:00Z", "2024-01-01T04:40:00Z"))
    );
    assert_eq!(
        s.manual_interval(ts("2024-01-01T02:00:00Z")),
        iv("2024-01-01T00:10:00Z", "2024-01-01T01:40:00Z")
    );
    assert_eq!(
        sched("@every PT6H").every(),
        Some(jiff::SignedDuration::from_hours(6))
    );
    assert_eq!(
        sched("@EVERY 1h 30m").every(),
        Some(jiff::SignedDuration::from_mins(90))
    );
}

#[test]
fn continuous_runs_cover_the_time_since_the_last_one() {
    let s = sched("@continuous");
    assert!(s.is_continuous());
    let start = ts(DAY1);
    let now = ts(DAY5_NOON);
    assert_eq!(
        s.next_dagrun_interval(None, start, false, now),
        Some(iv(DAY1, DAY5_NOON))
    );
    let last = iv(DAY1, DAY5);
    assert_eq!(
        s.next_dagrun_interval(Some(last), start, true, now),
        Some(iv(DAY5, DAY5_NOON))
    );
    // Before the start date: an empty interval at it, due once it has come.
    assert_eq!(s.next_dagrun_interval(None, ts(DAY6), false, now), None);
    assert!(s.upcoming(None, start, false, now, 10).is_empty());
    assert_eq!(s.manual_interval(now), DataInterval::exact(now));
}

#[test]
fn joined_crons_fire_at_each_of_their_times() {
    let s = sched("0 9 * * MON-FRI; 0 12 * * SAT,SUN");
    assert_eq!(s.crons().len(), 2);
    // 2024-01-05 is a Friday.
    let ups = s.upcoming(None, ts("2024-01-05T00:00:00Z"), true, ts(DAY1), 4);
    let starts: Vec<String> = ups.iter().map(|i| i.start.to_string()).collect();
    assert_eq!(
        starts,
        [
            "2024-01-05T09:00:00Z",
            "2024-01-06T12:00:00Z",
            "2024-01-07T12:00:00Z",
            "2024-01-08T09:00:00Z"
        ]
    );
    assert_eq!(ups[0].end, ups[1].start);
    assert_eq!(sched("@daily;@hourly").crons().len(), 2);
}

#[test]
fn schedules_that_stand_alone_or_are_malformed_are_explained() {
    let err = |s: &str| Schedule::parse(s).expect_err(s).to_string();
    assert!(
        err("@once; @daily").starts_with("\"@once\" cannot be joined"),
        "{}",
        err("@once; @daily")
    );
    assert!(err("@daily; @every 1h").starts_with("\"@every 1h\" cannot be joined"));
    assert!(
        err("@every 1d").contains("for calendar days use a cron expression"),
        "{}",
        err("@every 1d")
    );
    assert!(
        err("@every soon").starts_with("\"@every soon\": "),
        "{}",
        err("@every soon")
    );
    assert!(
        err("@every 0s").contains("shorter than the shortest interval"),
        "{}",
        err("@every 0s")
    );
    assert!(
        err("@every -5m").contains("shorter than"),
        "{}",
        err("@every -5m")
    );
    assert_eq!(
        err("0 9 * * *; 61 * * * *"),
        "minute field \"61\": out of range 0-59"
    );
    assert_eq!(
        err("0 9 * * *;"),
        "a schedule joined by \";\" has an empty part"
    );
}

#[test]
fn intervals_in_a_zone_follow_its_wall_clock_over_a_change_of_clocks() {
    let berlin = zone("Europe/Berlin");
    let start = ts("2024-03-29T23:00:00Z"); // Midnight, 30 March, in Berlin.
    let s = sched("30 2 * * *")
        .in_zone(berlin.clone())
        .anchored_at(start);
    let ups = s.upcoming(None, start, true, start, 3);
    let shown: Vec<String> = ups
        .iter()
        .map(|i| {
            i.start
                .to_zoned(berlin.clone())
                .strftime("%F %H:%M%:z")
                .to_string()
        })
        .collect();
    assert_eq!(
        shown,
        [
            "2024-03-30 02:30+01:00",
            "2024-03-31 03:00+02:00",
            "2024-04-01 02:30+02:00"
        ]
    );
    // The interval over the change is shorter: 23 hours less the half hour lost.
    assert_eq!(
        ups[0].end.duration_since(ups[0].start),
        jiff::SignedDuration::from_mins(23 * 60 + 30)
    );
    // A daily schedule at midnight in Seoul: each interval is a Seoul day.
    let seoul = zone("Asia/Seoul");
    let d = sched("@daily").in_zone(seoul);
    assert_eq!(
        d.manual_interval(ts("2025-01-01T03:00:00Z")),
        iv("2024-12-30T15:00:00Z", "2024-12-31T15:00:00Z")
    );
}
