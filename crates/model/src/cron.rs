//! Five-field cron expressions (minute hour day-of-month month day-of-week), read in UTC or in
//! a time zone.
//!
//! Each field is `*` or a comma-separated list of items; an item is a value, a range `a-b`, or
//! either of those or `*` followed by a step `/n` (`*/15`, `1-30/5`; `5/15` means `5-59/15`).
//! Months and weekdays also take names (`JAN`, `mon`, any case), and weekday `7` is Sunday.
//! When both day fields are restricted (neither starts with `*`) a day matches if *either*
//! matches, as in Vixie cron: `0 0 1,15 * MON` fires on the 1st, the 15th and every Monday.

use std::fmt;

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::schedule::ScheduleError;
use crate::wall_clock::{self, WallClock};

/// How many years a search for the next or previous firing looks ahead or back before giving
/// up. A cron expression that can fire at all fires within this many years (weekday cycles
/// repeat every 28 years).
const SEARCH_YEARS: i16 = 28;

/// One of the five fields of a cron expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CronField {
    /// Minute, 0-59.
    Minute,
    /// Hour, 0-23.
    Hour,
    /// Day of the month, 1-31.
    DayOfMonth,
    /// Month, 1-12 or `JAN`-`DEC`.
    Month,
    /// Day of the week, 0-7 (0 and 7 are Sunday) or `SUN`-`SAT`.
    DayOfWeek,
}

impl CronField {
    const ALL: [CronField; 5] = [
        Self::Minute,
        Self::Hour,
        Self::DayOfMonth,
        Self::Month,
        Self::DayOfWeek,
    ];

    /// The field's name as shown in errors, e.g. `day-of-month`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Minute => "minute",
            Self::Hour => "hour",
            Self::DayOfMonth => "day-of-month",
            Self::Month => "month",
            Self::DayOfWeek => "day-of-week",
        }
    }

    const fn bounds(self) -> (u32, u32) {
        match self {
            Self::Minute => (0, 59),
            Self::Hour => (0, 23),
            Self::DayOfMonth => (1, 31),
            Self::Month => (1, 12),
            Self::DayOfWeek => (0, 7),
        }
    }

    /// The range `*` stands for (Sunday only once for weekdays).
    const fn star_bounds(self) -> (u32, u32) {
        match self {
            Self::DayOfWeek => (0, 6),
            other => other.bounds(),
        }
    }

    /// Names accepted for values, the first one standing for the lowest value.
    const fn names(self) -> &'static [&'static str] {
        match self {
            Self::Month => &[
                "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
            ],
            Self::DayOfWeek => &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
            _ => &[],
        }
    }
}

impl fmt::Display for CronField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What is wrong with one field of a cron expression.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldIssue {
    /// A value outside the field's range.
    #[error("out of range {min}-{max}")]
    OutOfRange {
        /// Lowest value allowed.
        min: u32,
        /// Highest value allowed.
        max: u32,
    },
    /// Neither a number nor a name the field accepts.
    #[error("not a number{}", if .0.is_empty() { "" } else { " or a name" })]
    NotANumber(&'static [&'static str]),
    /// An empty item, as in `1,,2` or `1-`.
    #[error("empty value")]
    Empty,
    /// A step of zero, as in `*/0`.
    #[error("step must be at least 1")]
    ZeroStep,
    /// A range whose start is after its end, as in `30-10`.
    #[error("range start {start} is after its end {end}")]
    Backwards {
        /// The range's start.
        start: u32,
        /// The range's end.
        end: u32,
    },
}

/// A parsed five-field cron expression.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cron {
    minutes: u64,
    hours: u64,
    days_of_month: u64,
    months: u64,
    days_of_week: u64,
    /// Day of month does not start with `*`.
    dom_restricted: bool,
    /// Day of week does not start with `*`.
    dow_restricted: bool,
}

impl Cron {
    /// Parses a five-field expression such as `*/15 9-17 * * MON-FRI`.
    pub fn parse(expr: &str) -> Result<Self, ScheduleError> {
        let fields: Vec<&str> = expr.split_whitespace().collect();
        if fields.is_empty() {
            return Err(ScheduleError::Empty);
        }
        if fields.len() != 5 {
            return Err(ScheduleError::FieldCount {
                found: fields.len(),
            });
        }
        let mut masks = [0u64; 5];
        for ((mask, field), text) in masks.iter_mut().zip(CronField::ALL).zip(&fields) {
            *mask = parse_field(field, text)?;
        }
        // Weekday 7 is Sunday, like 0.
        let dow = masks[4];
        let dow = (dow & 0x7f) | ((dow >> 7) & 1);
        Ok(Self {
            minutes: masks[0],
            hours: masks[1],
            days_of_month: masks[2],
            months: masks[3],
            days_of_week: dow,
            dom_restricted: !fields[2].starts_with('*'),
            dow_restricted: !fields[4].starts_with('*'),
        })
    }

    /// Whether some date matches the day and month fields at all: false for `0 0 31 2 *`,
    /// which asks for February 31st.
    pub fn can_fire(&self) -> bool {
        if self.dom_restricted && self.dow_restricted {
            return true; // Either day field may match; weekdays occur in every month.
        }
        (1..=12i8).filter(|&m| has(self.months, m as u32)).any(|m| {
            // 2000 is a leap year: February has its 29th.
            let longest = Date::new(2000, m, 1).map_or(31, |d| d.days_in_month());
            (1..=longest).any(|d| has(self.days_of_month, d as u32))
        })
    }

    /// Whether the expression fires at `t`, read in UTC.
    pub fn matches(&self, t: Timestamp) -> bool {
        self.fires_at_in(&TimeZone::UTC, t)
    }

    /// The first firing strictly after `t`, read in UTC; none if there is none in the next
    /// 28 years or before the end of the range of [`Timestamp`].
    pub fn next_after(&self, t: Timestamp) -> Option<Timestamp> {
        self.next_after_in(&TimeZone::UTC, t)
    }

    /// The last firing at or before `t`, read in UTC; none if there is none in the previous
    /// 28 years.
    pub fn prev_at_or_before(&self, t: Timestamp) -> Option<Timestamp> {
        self.prev_at_or_before_in(&TimeZone::UTC, t)
    }

    /// The last firing strictly before `t`, read in UTC.
    pub fn prev_before(&self, t: Timestamp) -> Option<Timestamp> {
        self.prev_before_in(&TimeZone::UTC, t)
    }

    /// Whether the expression, read in `zone`, fires at `t`. A minute that a change of clocks
    /// skips fires when the gap ends; a minute it repeats fires at its first occurrence only.
    pub fn fires_at_in(&self, zone: &TimeZone, t: Timestamp) -> bool {
        wall_clock::fires_at(self, zone, t)
    }

    /// The first firing strictly after `t`, read in `zone`.
    pub fn next_after_in(&self, zone: &TimeZone, t: Timestamp) -> Option<Timestamp> {
        wall_clock::next_after(self, zone, t)
    }

    /// The last firing at or before `t`, read in `zone`.
    pub fn prev_at_or_before_in(&self, zone: &TimeZone, t: Timestamp) -> Option<Timestamp> {
        wall_clock::prev_at_or_before(self, zone, t)
    }

    /// The last firing strictly before `t`, read in `zone`.
    pub fn prev_before_in(&self, zone: &TimeZone, t: Timestamp) -> Option<Timestamp> {
        wall_clock::prev_before(self, zone, t)
    }

    fn day_matches(&self, date: Date) -> bool {
        let dom = has(self.days_of_month, date.day() as u32);
        let dow = has(
            self.days_of_week,
            date.weekday().to_sunday_zero_offset() as u32,
        );
        if self.dom_restricted && self.dow_restricted {
            dom || dow
        } else {
            dom && dow
        }
    }
}

impl WallClock for Cron {
    /// Skips whole months, days and hours that cannot match.
    fn next_minute(&self, mut c: DateTime) -> Option<DateTime> {
        let last_year = c.year().checked_add(SEARCH_YEARS)?;
        while c.year() <= last_year {
            let (month, hour, minute) = (c.month() as u32, c.hour() as u32, c.minute() as u32);
            if !has(self.months, month) {
                c = match lowest_from(self.months, month + 1) {
                    Some(month) => month_start(c.year(), month)?,
                    None => month_start(c.year().checked_add(1)?, lowest_from(self.months, 1)?)?,
                };
            } else if !self.day_matches(c.date()) {
                c = c.date().tomorrow().ok()?.to_datetime(Time::midnight());
            } else if !has(self.hours, hour) {
                c = match lowest_from(self.hours, hour + 1) {
                    Some(hour) => c.date().at(small(hour)?, 0, 0, 0),
                    None => c.date().tomorrow().ok()?.to_datetime(Time::midnight()),
                };
            } else if !has(self.minutes, minute) {
                c = match lowest_from(self.minutes, minute + 1) {
                    Some(minute) => c.date().at(c.hour(), small(minute)?, 0, 0),
                    None => c
                        .checked_add(SignedDuration::from_mins(i64::from(60 - minute)))
                        .ok()?,
                };
            } else {
                return Some(c);
            }
        }
        None
    }

    /// Skips whole months, days and hours that cannot match.
    fn prev_minute(&self, mut c: DateTime) -> Option<DateTime> {
        let first_year = c.year().checked_sub(SEARCH_YEARS)?;
        while c.year() >= first_year {
            let (month, hour, minute) = (c.month() as u32, c.hour() as u32, c.minute() as u32);
            if !has(self.months, month) {
                c = match highest_upto(self.months, month.checked_sub(1)) {
                    Some(month) => month_end(c.year(), month)?,
                    None => month_end(
                        c.year().checked_sub(1)?,
                        highest_upto(self.months, Some(12))?,
                    )?,
                };
            } else if !self.day_matches(c.date()) {
                c = c.date().yesterday().ok()?.at(23, 59, 0, 0);
            } else if !has(self.hours, hour) {
                c = match highest_upto(self.hours, hour.checked_sub(1)) {
                    Some(hour) => c.date().at(small(hour)?, 59, 0, 0),
                    None => c.date().yesterday().ok()?.at(23, 59, 0, 0),
                };
            } else if !has(self.minutes, minute) {
                c = match highest_upto(self.minutes, minute.checked_sub(1)) {
                    Some(minute) => c.date().at(c.hour(), small(minute)?, 0, 0),
                    None => c
                        .checked_sub(SignedDuration::from_mins(i64::from(minute) + 1))
                        .ok()?,
                };
            } else {
                return Some(c);
            }
        }
        None
    }
}

/// Midnight of the first day of `month` (1-12) in `year`.
fn month_start(year: i16, month: u32) -> Option<DateTime> {
    Some(
        Date::new(year, small(month)?, 1)
            .ok()?
            .to_datetime(Time::midnight()),
    )
}

/// 23:59 of the last day of `month` (1-12) in `year`.
fn month_end(year: i16, month: u32) -> Option<DateTime> {
    Some(
        Date::new(year, small(month)?, 1)
            .ok()?
            .last_of_month()
            .at(23, 59, 0, 0),
    )
}

/// A field value (at most 59) as jiff's civil types take it.
fn small(value: u32) -> Option<i8> {
    i8::try_from(value).ok()
}

const fn has(mask: u64, bit: u32) -> bool {
    bit < 64 && mask & (1 << bit) != 0
}

/// The lowest set bit at or above `from`.
fn lowest_from(mask: u64, from: u32) -> Option<u32> {
    let rest = mask.checked_shr(from)?;
    (rest != 0).then(|| from + rest.trailing_zeros())
}

/// The highest set bit at or below `upto`.
fn highest_upto(mask: u64, upto: Option<u32>) -> Option<u32> {
    let upto = upto?;
    let kept = if upto >= 63 {
        mask
    } else {
        mask & ((2u64 << upto) - 1)
    };
    (kept != 0).then(|| 63 - kept.leading_zeros())
}

fn parse_field(field: CronField, text: &str) -> Result<u64, ScheduleError> {
    let err = |value: &str, issue| ScheduleError::Field {
        field,
        value: value.to_owned(),
        issue,
    };
    let (min, max) = field.bounds();
    let mut mask = 0u64;
    for item in text.split(',') {
        if item.is_empty() {
            return Err(err(text, FieldIssue::Empty));
        }
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => (range, Some(step)),
            None => (item, None),
        };
        let stepped = step.is_some();
        let step = match step {
            None => 1,
            Some("") => return Err(err(item, FieldIssue::Empty)),
            Some(s) => match parse_number(s) {
                Some(0) => return Err(err(item, FieldIssue::ZeroStep)),
                Some(n) => n,
                None => return Err(err(s, FieldIssue::NotANumber(&[]))),
            },
        };
        let value = |s: &str| -> Result<u32, ScheduleError> {
            if s.is_empty() {
                return Err(err(item, FieldIssue::Empty));
            }
            let n = parse_number(s)
                .or_else(|| name_value(field, s))
                .ok_or_else(|| err(s, FieldIssue::NotANumber(field.names())))?;
            if n < min || n > max {
                return Err(err(s, FieldIssue::OutOfRange { min, max }));
            }
            Ok(n)
        };
        let (start, end) = if range == "*" {
            field.star_bounds()
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a)?, value(b)?)
        } else {
            let v = value(range)?;
            // `5/15` runs from 5 to the end of the field.
            (v, if stepped { field.star_bounds().1 } else { v })
        };
        if start > end {
            return Err(err(item, FieldIssue::Backwards { start, end }));
        }
        let mut v = start;
        while v <= end {
            mask |= 1 << v;
            v = match v.checked_add(step) {
                Some(next) => next,
                None => break,
            };
        }
    }
    Ok(mask)
}

fn parse_number(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Too many digits is simply out of range.
    Some(s.parse::<u32>().unwrap_or(u32::MAX))
}

fn name_value(field: CronField, s: &str) -> Option<u32> {
    let (min, _) = field.bounds();
    let index = field
        .names()
        .iter()
        .position(|n| n.eq_ignore_ascii_case(s))?;
    u32::try_from(index).ok().map(|i| i + min)
}

#[cfg(test)]
mod tests;
