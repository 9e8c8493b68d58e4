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
        assert_eq!(s.cron(), Some(&Cron::parse(expr).unwrap()), "{preset}");
        assert!(!s.is_once());
        assert_eq!(s.as_str(), preset);
    }
    let once = sched(" @once ");
    assert!(once.is_once());
    assert_eq!(once.as_str(), "@once");
    assert_eq!(once.cron(), None);
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
