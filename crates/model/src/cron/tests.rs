use super::*;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn cron(expr: &str) -> Cron {
    Cron::parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"))
}

fn next(expr: &str, after: &str) -> Option<String> {
    cron(expr).next_after(ts(after)).map(|t| t.to_string())
}

fn prev(expr: &str, at: &str) -> Option<String> {
    cron(expr).prev_at_or_before(ts(at)).map(|t| t.to_string())
}

fn parse_err(expr: &str) -> String {
    Cron::parse(expr).expect_err(expr).to_string()
}

/// Follows `next_after` from `start` `n` times.
fn series(expr: &str, start: &str, n: usize) -> Vec<String> {
    let c = cron(expr);
    let mut t = ts(start);
    let mut out = Vec::new();
    for _ in 0..n {
        t = c.next_after(t).unwrap();
        out.push(t.to_string());
    }
    out
}

#[test]
fn field_errors_name_the_field_and_value() {
    assert_eq!(
        parse_err("61 * * * *"),
        "minute field \"61\": out of range 0-59"
    );
    assert_eq!(
        parse_err("0 24 * * *"),
        "hour field \"24\": out of range 0-23"
    );
    assert_eq!(
        parse_err("0 0 0 * *"),
        "day-of-month field \"0\": out of range 1-31"
    );
    assert_eq!(
        parse_err("0 0 32 * *"),
        "day-of-month field \"32\": out of range 1-31"
    );
    assert_eq!(
        parse_err("0 0 * 13 *"),
        "month field \"13\": out of range 1-12"
    );
    assert_eq!(
        parse_err("0 0 * * 8"),
        "day-of-week field \"8\": out of range 0-7"
    );
    assert_eq!(
        parse_err("1,61 * * * *"),
        "minute field \"61\": out of range 0-59"
    );
    assert_eq!(
        parse_err("99999999999 * * * *"),
        "minute field \"99999999999\": out of range 0-59"
    );
    assert_eq!(
        parse_err("*/0 * * * *"),
        "minute field \"*/0\": step must be at least 1"
    );
    assert_eq!(
        parse_err("30-10 * * * *"),
        "minute field \"30-10\": range start 30 is after its end 10"
    );
    assert_eq!(parse_err("x * * * *"), "minute field \"x\": not a number");
    assert_eq!(parse_err("*/x * * * *"), "minute field \"x\": not a number");
    assert_eq!(parse_err("+5 * * * *"), "minute field \"+5\": not a number");
    assert_eq!(
        parse_err("0 0 * FOO *"),
        "month field \"FOO\": not a number or a name"
    );
    assert_eq!(
        parse_err("0 0 * * MONDAY"),
        "day-of-week field \"MONDAY\": not a number or a name"
    );
    assert_eq!(
        parse_err("0 0 * * FRI-MON"),
        "day-of-week field \"FRI-MON\": range start 5 is after its end 1"
    );
    assert_eq!(
        parse_err("1,,2 * * * *"),
        "minute field \"1,,2\": empty value"
    );
    assert_eq!(parse_err("1- * * * *"), "minute field \"1-\": empty value");
    assert_eq!(parse_err("*/ * * * *"), "minute field \"*/\": empty value");
    assert_eq!(parse_err("? * * * *"), "minute field \"?\": not a number");
}

#[test]
fn field_count_and_empty_expressions_are_errors() {
    assert_eq!(parse_err(""), "schedule is empty");
    assert_eq!(parse_err("   "), "schedule is empty");
    assert_eq!(
        parse_err("* * * *"),
        "expected 5 fields (minute hour day-of-month month day-of-week), found 4"
    );
    assert!(matches!(
        Cron::parse("0 * * * * *"),
        Err(ScheduleError::FieldCount { found: 6 })
    ));
}

#[test]
fn names_and_numbers_are_the_same() {
    assert_eq!(cron("0 0 * JAN-MAR MON-FRI"), cron("0 0 * 1-3 1-5"));
    assert_eq!(cron("0 0 * jan,Dec sun"), cron("0 0 * 1,12 0"));
    assert_eq!(cron("0 0 * * 7"), cron("0 0 * * 0"));
    assert_eq!(cron("0 0 * * SUN-SAT"), cron("0 0 * * 0-6"));
    assert_eq!(cron("  0   0 * *   *  "), cron("0 0 * * *"));
    assert_eq!(cron("5/15 * * * *"), cron("5,20,35,50 * * * *"));
    assert_eq!(cron("*/20 * * * *"), cron("0,20,40 * * * *"));
    assert_eq!(cron("1-30/5 * * * *"), cron("1,6,11,16,21,26 * * * *"));
    assert_eq!(cron("0 0 * * 1/2"), cron("0 0 * * 1,3,5"));
}

#[test]
fn steps_and_ranges() {
    assert_eq!(
        next("*/15 * * * *", "2024-01-01T10:07:00Z").unwrap(),
        "2024-01-01T10:15:00Z"
    );
    assert_eq!(
        next("*/15 * * * *", "2024-01-01T10:45:00Z").unwrap(),
        "2024-01-01T11:00:00Z"
    );
    assert_eq!(
        next("1-30/5 * * * *", "2024-01-01T10:26:00Z").unwrap(),
        "2024-01-01T11:01:00Z"
    );
    assert_eq!(
        next("0 9-17/4 * * *", "2024-01-01T13:00:00Z").unwrap(),
        "2024-01-01T17:00:00Z"
    );
    assert_eq!(
        next("0 9-17/4 * * *", "2024-01-01T17:00:00Z").unwrap(),
        "2024-01-02T09:00:00Z"
    );
    assert_eq!(
        series("0 0 * * 5-7", "2024-01-04T00:00:00Z", 4),
        [
            "2024-01-05T00:00:00Z",
            "2024-01-06T00:00:00Z",
            "2024-01-07T00:00:00Z",
            "2024-01-12T00:00:00Z"
        ]
    );
}

#[test]
fn next_after_is_strict() {
    assert_eq!(
        next("*/15 * * * *", "2024-01-01T10:15:00Z").unwrap(),
        "2024-01-01T10:30:00Z"
    );
    assert_eq!(
        next("*/15 * * * *", "2024-01-01T10:14:59.999Z").unwrap(),
        "2024-01-01T10:15:00Z"
    );
    assert_eq!(
        next("* * * * *", "2024-01-01T10:15:00.000000001Z").unwrap(),
        "2024-01-01T10:16:00Z"
    );
}

#[test]
fn month_ends_and_leap_years() {
    assert_eq!(
        series("0 0 31 * *", "2024-01-31T00:00:00Z", 3),
        [
            "2024-03-31T00:00:00Z",
            "2024-05-31T00:00:00Z",
            "2024-07-31T00:00:00Z"
        ]
    );
    assert_eq!(
        next("0 0 29 2 *", "2024-03-01T00:00:00Z").unwrap(),
        "2028-02-29T00:00:00Z"
    );
    // 2100 is not a leap year.
    assert_eq!(
        next("0 0 29 2 *", "2096-03-01T00:00:00Z").unwrap(),
        "2104-02-29T00:00:00Z"
    );
    assert_eq!(
        next("0 12 28-31 2 *", "2023-02-28T12:00:00Z").unwrap(),
        "2024-02-28T12:00:00Z"
    );
    assert_eq!(
        next("0 12 28-31 2 *", "2024-02-28T12:00:00Z").unwrap(),
        "2024-02-29T12:00:00Z"
    );
    assert_eq!(
        next("59 23 31 12 *", "2023-12-31T23:59:00Z").unwrap(),
        "2024-12-31T23:59:00Z"
    );
    assert_eq!(
        next("0 0 1 * *", "2024-12-15T00:00:00Z").unwrap(),
        "2025-01-01T00:00:00Z"
    );
}

#[test]
fn impossible_expressions_give_none_quickly() {
    for expr in ["0 0 31 2 *", "0 0 30 2 *", "0 0 31 4,6,9,11 *"] {
        let c = cron(expr);
        assert!(!c.can_fire(), "{expr}");
        assert_eq!(c.next_after(ts("2024-01-01T00:00:00Z")), None, "{expr}");
        assert_eq!(
            c.prev_at_or_before(ts("2024-01-01T00:00:00Z")),
            None,
            "{expr}"
        );
    }
    for expr in [
        "0 0 29 2 *",
        "0 0 31 * *",
        "0 0 31 2 MON",
        "* * * * *",
        "0 0 */31 2 1",
    ] {
        assert!(cron(expr).can_fire(), "{expr}");
    }
}

#[test]
fn weekly_and_day_rules() {
    // 2024-01-03 is a Wednesday; @weekly is Sunday midnight.
    assert_eq!(
        next("0 0 * * 0", "2024-01-03T08:00:00Z").unwrap(),
        "2024-01-07T00:00:00Z"
    );
    // Both day fields restricted: the 13th or any Friday.
    assert_eq!(
        series("0 0 13 * 5", "2024-01-01T00:00:00Z", 4),
        [
            "2024-01-05T00:00:00Z",
            "2024-01-12T00:00:00Z",
            "2024-01-13T00:00:00Z",
            "2024-01-19T00:00:00Z"
        ]
    );
    // A day field starting with `*` is not restricted: odd days that are also Mondays.
    assert_eq!(
        series("0 0 */2 * 1", "2023-12-31T00:00:00Z", 2),
        ["2024-01-01T00:00:00Z", "2024-01-15T00:00:00Z"]
    );
    // Weekdays only, at 09:30.
    assert_eq!(
        next("30 9 * * MON-FRI", "2024-01-05T10:00:00Z").unwrap(),
        "2024-01-08T09:30:00Z"
    );
}

#[test]
fn previous_firings() {
    assert_eq!(
        prev("0 9 * * MON-FRI", "2024-01-06T12:00:00Z").unwrap(),
        "2024-01-05T09:00:00Z"
    );
    assert_eq!(
        prev("0 9 * * MON-FRI", "2024-01-05T09:00:00Z").unwrap(),
        "2024-01-05T09:00:00Z"
    );
    assert_eq!(
        prev("0 9 * * MON-FRI", "2024-01-05T09:00:59Z").unwrap(),
        "2024-01-05T09:00:00Z"
    );
    assert_eq!(
        prev("0 0 31 * *", "2024-03-15T00:00:00Z").unwrap(),
        "2024-01-31T00:00:00Z"
    );
    assert_eq!(
        prev("0 0 29 2 *", "2024-02-28T00:00:00Z").unwrap(),
        "2020-02-29T00:00:00Z"
    );
    assert_eq!(
        prev("*/15 * * * *", "2024-01-01T00:14:00Z").unwrap(),
        "2024-01-01T00:00:00Z"
    );
    assert_eq!(
        prev("45 * * * *", "2024-01-01T00:14:00Z").unwrap(),
        "2023-12-31T23:45:00Z"
    );
    let c = cron("0 0 1 1 *");
    assert_eq!(
        c.prev_before(ts("2024-01-01T00:00:00Z"))
            .unwrap()
            .to_string(),
        "2023-01-01T00:00:00Z"
    );
    assert_eq!(
        c.prev_before(ts("2024-01-01T00:00:01Z"))
            .unwrap()
            .to_string(),
        "2024-01-01T00:00:00Z"
    );
}

#[test]
fn matches_needs_a_whole_minute() {
    let c = cron("0 0 * * *");
    assert!(c.matches(ts("2024-01-01T00:00:00Z")));
    assert!(!c.matches(ts("2024-01-01T00:00:01Z")));
    assert!(!c.matches(ts("2024-01-01T00:00:00.5Z")));
    assert!(!c.matches(ts("2024-01-01T00:01:00Z")));
}

#[test]
fn before_1970_and_at_the_end_of_time() {
    assert_eq!(
        next("0 0 1 1 *", "1969-06-01T00:00:00Z").unwrap(),
        "1970-01-01T00:00:00Z"
    );
    assert_eq!(
        cron("0 0 1 1 *")
            .prev_before(ts("1970-01-01T00:00:00Z"))
            .unwrap()
            .to_string(),
        "1969-01-01T00:00:00Z"
    );
    assert_eq!(next("0 0 1 1 *", "9999-06-01T00:00:00Z"), None);
}

/// Compares the field-skipping searches with a scan of every minute.
#[test]
fn searches_agree_with_a_minute_by_minute_scan() {
    let exprs = [
        "* * * * *",
        "*/7 * * * *",
        "5 */5 * * *",
        "0,30 8-10 * * 1-5",
        "15 3 1,15 * *",
        "0 0 13 * 5",
        "0 22 */2 * 6",
        "45 23 28-31 * *",
        "0 * 1 3,4 *",
    ];
    let starts = [
        "2024-02-27T21:13:00Z",
        "2023-12-31T23:59:30Z",
        "2024-03-01T00:00:00Z",
    ];
    for expr in exprs {
        let c = cron(expr);
        for start in starts {
            let start = ts(start);
            let minute = jiff::SignedDuration::from_mins(1);
            let mut t = Timestamp::from_second(start.as_second().div_euclid(60) * 60).unwrap();
            let mut expected = None;
            for _ in 0..(60 * 24 * 70) {
                t = t.checked_add(minute).unwrap();
                if c.matches(t) {
                    expected = Some(t);
                    break;
                }
            }
            let expected = expected.unwrap_or_else(|| panic!("{expr} never matched"));
            assert_eq!(c.next_after(start), Some(expected), "{expr} after {start}");
            assert_eq!(
                c.prev_at_or_before(expected),
                Some(expected),
                "{expr} at {expected}"
            );
            let just_before = expected
                .checked_sub(jiff::SignedDuration::from_secs(1))
                .unwrap();
            let prev = c.prev_at_or_before(just_before).unwrap();
            assert!(
                prev <= start,
                "{expr}: {prev} before {expected} is after {start}"
            );
        }
    }
}
