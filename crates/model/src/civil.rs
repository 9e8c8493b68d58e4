//! Proleptic Gregorian calendar arithmetic in UTC, minute resolution, for the cron search.

use jiff::Timestamp;

/// A UTC wall-clock minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Minute {
    pub year: i32,
    /// 1-12.
    pub month: u32,
    /// 1-31.
    pub day: u32,
    /// 0-23.
    pub hour: u32,
    /// 0-59.
    pub minute: u32,
}

pub(crate) const fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub(crate) const fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a date (Howard Hinnant's `days_from_civil`).
pub(crate) const fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = if month <= 2 {
        year as i64 - 1
    } else {
        year as i64
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
pub(crate) const fn civil_from_days(days: i64) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = (yoe + era * 400 + if month <= 2 { 1 } else { 0 }) as i32;
    (year, month, day)
}

/// Day of the week, 0 = Sunday.
pub(crate) const fn weekday(year: i32, month: u32, day: u32) -> u32 {
    // 1970-01-01 was a Thursday (4).
    (days_from_civil(year, month, day) + 4).rem_euclid(7) as u32
}

impl Minute {
    /// The minute that contains `t` (rounding down, also before 1970).
    pub fn containing(t: Timestamp) -> Self {
        let mut secs = t.as_second();
        if t.subsec_nanosecond() < 0 {
            secs -= 1;
        }
        Self::from_unix_minute(secs.div_euclid(60))
    }

    fn from_unix_minute(minutes: i64) -> Self {
        let (year, month, day) = civil_from_days(minutes.div_euclid(1440));
        let in_day = minutes.rem_euclid(1440) as u32;
        Self {
            year,
            month,
            day,
            hour: in_day / 60,
            minute: in_day % 60,
        }
    }

    fn unix_minute(self) -> i64 {
        days_from_civil(self.year, self.month, self.day) * 1440
            + i64::from(self.hour * 60 + self.minute)
    }

    /// The timestamp of the minute's start, or none outside the range of [`Timestamp`].
    pub fn to_timestamp(self) -> Option<Timestamp> {
        Timestamp::from_second(self.unix_minute().checked_mul(60)?).ok()
    }

    /// The minute `n` minutes later (earlier when negative).
    pub fn plus_minutes(self, n: i64) -> Self {
        Self::from_unix_minute(self.unix_minute() + n)
    }

    pub const fn weekday(self) -> u32 {
        weekday(self.year, self.month, self.day)
    }

    /// Midnight of the next day.
    pub fn next_day(self) -> Self {
        let (year, month, day) =
            civil_from_days(days_from_civil(self.year, self.month, self.day) + 1);
        Self {
            year,
            month,
            day,
            hour: 0,
            minute: 0,
        }
    }

    /// 23:59 of the previous day.
    pub fn prev_day_end(self) -> Self {
        let (year, month, day) =
            civil_from_days(days_from_civil(self.year, self.month, self.day) - 1);
        Self {
            year,
            month,
            day,
            hour: 23,
            minute: 59,
        }
    }

    /// Midnight of the first day of `month` (1-12) in `year`.
    pub const fn month_start(year: i32, month: u32) -> Self {
        Self {
            year,
            month,
            day: 1,
            hour: 0,
            minute: 0,
        }
    }

    /// 23:59 of the last day of `month` (1-12) in `year`.
    pub const fn month_end(year: i32, month: u32) -> Self {
        Self {
            year,
            month,
            day: days_in_month(year, month),
            hour: 23,
            minute: 59,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::tz::TimeZone;

    #[test]
    fn days_round_trip_and_agree_with_jiff() {
        for days in (-1_000_000..1_000_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
            let ts = Timestamp::from_second(days * 86_400).unwrap();
            let dt = TimeZone::UTC.to_datetime(ts);
            assert_eq!(
                (y, m, d),
                (i32::from(dt.year()), dt.month() as u32, dt.day() as u32)
            );
            assert_eq!(
                weekday(y, m, d),
                dt.weekday().to_sunday_zero_offset() as u32
            );
        }
    }

    #[test]
    fn leap_years() {
        assert!(
            is_leap(2024) && is_leap(2000) && !is_leap(1900) && !is_leap(2100) && !is_leap(2023)
        );
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2100, 2), 28);
        assert_eq!(days_in_month(2023, 12), 31);
        assert_eq!(days_in_month(2023, 11), 30);
    }

    #[test]
    fn minutes_convert_both_ways() {
        let t: Timestamp = "2024-02-29T23:59:59.5Z".parse().unwrap();
        let m = Minute::containing(t);
        assert_eq!(
            m,
            Minute {
                year: 2024,
                month: 2,
                day: 29,
                hour: 23,
                minute: 59
            }
        );
        assert_eq!(m.plus_minutes(1), Minute::month_start(2024, 3));
        assert_eq!(m.next_day(), Minute::month_start(2024, 3));
        assert_eq!(
            Minute::month_start(2024, 3).prev_day_end(),
            Minute::month_end(2024, 2)
        );
        assert_eq!(
            m.to_timestamp().unwrap().to_string(),
            "2024-02-29T23:59:00Z"
        );
        let before_epoch: Timestamp = "1969-12-31T23:59:59.9Z".parse().unwrap();
        assert_eq!(
            Minute::containing(before_epoch)
                .to_timestamp()
                .unwrap()
                .to_string(),
            "1969-12-31T23:59:00Z"
        );
        assert_eq!(Minute::month_start(10_000, 1).to_timestamp(), None);
    }
}
