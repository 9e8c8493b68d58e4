//! Cron expressions read in zones with daylight saving time, over both changes of clocks.

use std::collections::BTreeSet;

use jiff::Zoned;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use super::{WallClock, instant};
use crate::cron::Cron;
use crate::time_zone;

fn zone(name: &str) -> TimeZone {
    time_zone::find(name).unwrap()
}

/// `Zoned` text such as `2024-03-31T03:00:00+02:00[Europe/Berlin]` to its instant.
fn at(text: &str) -> Timestamp {
    text.parse::<Zoned>()
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .timestamp()
}

/// `n` firings after `start`, shown as wall-clock time and offset in `zone`.
fn series(expr: &str, zone_name: &str, start: &str, n: usize) -> Vec<String> {
    let (cron, tz) = (Cron::parse(expr).unwrap(), zone(zone_name));
    let mut t = at(start);
    let mut out = Vec::new();
    for _ in 0..n {
        let next = cron.next_after_in(&tz, t).unwrap();
        assert!(next > t, "{expr}: {next} after {t}");
        t = next;
        out.push(t.to_zoned(tz.clone()).strftime("%F %H:%M%:z").to_string());
    }
    out
}

#[test]
fn berlin_daily_0230_runs_once_each_day_over_both_changes() {
    let spring = series(
        "30 2 * * *",
        "Europe/Berlin",
        "2024-03-29T00:00:00+01:00[Europe/Berlin]",
        4,
    );
    assert_eq!(
        spring,
        [
            "2024-03-29 02:30+01:00",
            "2024-03-30 02:30+01:00",
            // 02:30 does not exist on the 31st: the run is at the first valid time after it.
            "2024-03-31 03:00+02:00",
            "2024-04-01 02:30+02:00",
        ]
    );
    let autumn = series(
        "30 2 * * *",
        "Europe/Berlin",
        "2024-10-26T00:00:00+02:00[Europe/Berlin]",
        3,
    );
    assert_eq!(
        autumn,
        [
            "2024-10-26 02:30+02:00",
            // 02:30 happens twice on the 27th: only the first runs.
            "2024-10-27 02:30+02:00",
            "2024-10-28 02:30+01:00",
        ]
    );
}

#[test]
fn berlin_hourly_skips_the_lost_hour_and_does_not_repeat_the_doubled_one() {
    let spring = series(
        "0 * * * *",
        "Europe/Berlin",
        "2024-03-31T00:30:00+01:00[Europe/Berlin]",
        3,
    );
    assert_eq!(
        spring,
        [
            "2024-03-31 01:00+01:00",
            "2024-03-31 03:00+02:00",
            "2024-03-31 04:00+02:00"
        ]
    );
    let autumn = series(
        "0 * * * *",
        "Europe/Berlin",
        "2024-10-27T00:30:00+02:00[Europe/Berlin]",
        4,
    );
    assert_eq!(
        autumn,
        [
            "2024-10-27 01:00+02:00",
            "2024-10-27 02:00+02:00",
            "2024-10-27 03:00+01:00",
            "2024-10-27 04:00+01:00",
        ]
    );
}

#[test]
fn new_york_daily_and_hourly_over_both_changes() {
    let spring = series(
        "30 2 * * *",
        "America/New_York",
        "2024-03-09T00:00:00-05:00[America/New_York]",
        3,
    );
    assert_eq!(
        spring,
        [
            "2024-03-09 02:30-05:00",
            "2024-03-10 03:00-04:00",
            "2024-03-11 02:30-04:00"
        ]
    );
    // In New York the doubled hour is 01:00-02:00: 02:30 is plain, 01:30 runs once.
    let autumn = series(
        "30 2 * * *",
        "America/New_York",
        "2024-11-02T00:00:00-04:00[America/New_York]",
        3,
    );
    assert_eq!(
        autumn,
        [
            "2024-11-02 02:30-04:00",
            "2024-11-03 02:30-05:00",
            "2024-11-04 02:30-05:00"
        ]
    );
    let doubled = series(
        "30 1 * * *",
        "America/New_York",
        "2024-11-02T12:00:00-04:00[America/New_York]",
        2,
    );
    assert_eq!(
        doubled,
        ["2024-11-03 01:30-04:00", "2024-11-04 01:30-05:00"]
    );
    let spring_hourly = series(
        "0 * * * *",
        "America/New_York",
        "2024-03-10T00:30:00-05:00[America/New_York]",
        3,
    );
    assert_eq!(
        spring_hourly,
        [
            "2024-03-10 01:00-05:00",
            "2024-03-10 03:00-04:00",
            "2024-03-10 04:00-04:00"
        ]
    );
    let autumn_hourly = series(
        "0 * * * *",
        "America/New_York",
        "2024-11-03T00:30:00-04:00[America/New_York]",
        3,
    );
    assert_eq!(
        autumn_hourly,
        [
            "2024-11-03 01:00-04:00",
            "2024-11-03 02:00-05:00",
            "2024-11-03 03:00-05:00"
        ]
    );
}

#[test]
fn seoul_at_nine_across_a_year_boundary() {
    let days = series(
        "0 9 * * *",
        "Asia/Seoul",
        "2024-12-30T00:00:00+09:00[Asia/Seoul]",
        3,
    );
    assert_eq!(
        days,
        [
            "2024-12-30 09:00+09:00",
            "2024-12-31 09:00+09:00",
            "2025-01-01 09:00+09:00"
        ]
    );
    let new_year = Cron::parse("0 9 * * *").unwrap();
    assert_eq!(
        new_year
            .next_after_in(
                &zone("Asia/Seoul"),
                at("2024-12-31T09:00:00+09:00[Asia/Seoul]")
            )
            .map(|t| t.to_string()),
        Some("2025-01-01T00:00:00Z".to_owned())
    );
}

#[test]
fn previous_firings_inside_the_doubled_and_the_lost_hour() {
    let ny = zone("America/New_York");
    let prev = |expr: &str, t: &str| {
        Cron::parse(expr)
            .unwrap()
            .prev_at_or_before_in(&ny, at(t))
            .map(|p| p.to_zoned(ny.clone()).strftime("%F %H:%M%:z").to_string())
    };
    // 01:10 in the second pass of the doubled hour: 01:30 of the first pass came before it.
    assert_eq!(
        prev("30 1 * * *", "2024-11-03T01:10:00-05:00[America/New_York]").as_deref(),
        Some("2024-11-03 01:30-04:00")
    );
    assert_eq!(
        prev("0 * * * *", "2024-11-03T01:30:00-05:00[America/New_York]").as_deref(),
        Some("2024-11-03 01:00-04:00")
    );
    // Just after the lost hour: 02:30 fired when it ended, at 03:00.
    assert_eq!(
        prev("30 2 * * *", "2024-03-10T03:10:00-04:00[America/New_York]").as_deref(),
        Some("2024-03-10 03:00-04:00")
    );
    assert_eq!(
        prev("30 2 * * *", "2024-03-10T01:59:00-05:00[America/New_York]").as_deref(),
        Some("2024-03-09 02:30-05:00")
    );
    let c = Cron::parse("30 2 * * *").unwrap();
    assert!(c.fires_at_in(&ny, at("2024-03-10T03:00:00-04:00[America/New_York]")));
    assert!(!c.fires_at_in(&ny, at("2024-03-10T03:30:00-04:00[America/New_York]")));
}

/// Every minute of a wall-clock window, resolved to its instant: the firings the searches
/// must find, in order and without repeats.
fn firings_by_scan(cron: &Cron, zone: &TimeZone, from: DateTime, days: i64) -> BTreeSet<Timestamp> {
    let mut out = BTreeSet::new();
    let mut minute = from;
    for _ in 0..(days * 24 * 60) {
        if cron.next_minute(minute) == Some(minute) {
            out.insert(instant(zone, minute).unwrap());
        }
        minute = minute.checked_add(SignedDuration::from_mins(1)).unwrap();
    }
    out
}

#[test]
fn searches_agree_with_a_scan_of_every_minute_around_each_change() {
    let windows = [
        ("Europe/Berlin", "2024-03-30T00:00:00"),
        ("Europe/Berlin", "2024-10-26T00:00:00"),
        ("America/New_York", "2024-03-09T00:00:00"),
        ("America/New_York", "2024-11-02T00:00:00"),
        // Half-hour changes of clocks.
        ("Australia/Lord_Howe", "2024-04-06T00:00:00"),
        ("Australia/Lord_Howe", "2024-10-05T00:00:00"),
    ];
    let exprs = [
        "* * * * *",
        "*/20 * * * *",
        "30 2 * * *",
        "0 1-3 * * *",
        "45 1 * * *",
        "15,45 * * * *",
    ];
    for (name, from) in windows {
        let tz = zone(name);
        let from: DateTime = from.parse().unwrap();
        for expr in exprs {
            let cron = Cron::parse(expr).unwrap();
            let expected: Vec<Timestamp> =
                firings_by_scan(&cron, &tz, from, 3).into_iter().collect();
            for pair in expected.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                assert_eq!(
                    cron.next_after_in(&tz, a),
                    Some(b),
                    "{name} {expr} after {a}"
                );
                assert_eq!(
                    cron.prev_at_or_before_in(&tz, b),
                    Some(b),
                    "{name} {expr} at {b}"
                );
                let between = b.checked_sub(SignedDuration::from_nanos(1)).unwrap();
                assert_eq!(
                    cron.prev_at_or_before_in(&tz, between),
                    Some(a),
                    "{name} {expr} before {b}"
                );
                let mid = a.checked_add(b.duration_since(a) / 2).unwrap();
                assert_eq!(
                    cron.next_after_in(&tz, mid),
                    Some(b),
                    "{name} {expr} after {mid}"
                );
            }
        }
    }
}
