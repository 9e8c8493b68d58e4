//! Schedules and the data intervals of scheduled runs.
//!
//! A schedule is one of:
//! - cron expressions or presets (`@daily`, ...), several joined by `;`: read as wall-clock
//!   time in the DAG's time zone (UTC unless its start date names one). Intervals follow
//!   Airflow's cron data-interval timetable: a run covers the interval from one firing to the
//!   next, its logical date is the interval's start, and it is due once the interval has
//!   ended.
//! - `@every <duration>` (`@every 90m`, `@every 1h30m`, `@every PT6H`): fixed intervals laid
//!   end to end from the start date, as Airflow's `timedelta` schedules.
//! - `@continuous`: a new run as soon as the last ends, within `max_active_runs`; a run
//!   covers the time since the previous run's interval ended.
//! - `@once`: a single run at the start date.
//!
//! The current time is always passed in.

use std::fmt;
use std::str::FromStr;

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::cron::{CronField, FieldIssue};

pub use crate::cron::Cron;

/// Shortest `@every` interval.
pub const MIN_EVERY: SignedDuration = SignedDuration::from_secs(1);

/// Why a schedule could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// The schedule is empty or only spaces.
    #[error("schedule is empty")]
    Empty,
    /// An `@` word that is not a preset.
    #[error(
        "unknown preset \"{0}\" (expected @once, @continuous, @every <duration>, @hourly, @daily, @midnight, @weekly, @monthly, @yearly or @annually)"
    )]
    UnknownPreset(String),
    /// Not five fields.
    #[error("expected 5 fields (minute hour day-of-month month day-of-week), found {found}")]
    FieldCount {
        /// How many fields were found.
        found: usize,
    },
    /// One field is wrong.
    #[error("{field} field \"{value}\": {issue}")]
    Field {
        /// Which field.
        field: CronField,
        /// The part of the field that is wrong.
        value: String,
        /// What is wrong with it.
        issue: FieldIssue,
    },
    /// The day and month fields match no date, as in `0 0 31 2 *`.
    #[error("\"{0}\" never fires: no month has such a day")]
    NeverFires(String),
    /// `@every` with a duration that is not one.
    #[error(
        "\"@every {value}\": {reason} (expected a duration in hours, minutes or seconds such as 90m, 1h30m or PT6H; for calendar days use a cron expression such as @daily, read in the DAG's time zone)"
    )]
    Every {
        /// The duration as written.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An empty part between `;`s.
    #[error("a schedule joined by \";\" has an empty part")]
    EmptyPart,
    /// A schedule that cannot be joined with others by `;`.
    #[error(
        "\"{0}\" cannot be joined with other schedules by \";\" (only cron expressions and presets such as @daily can)"
    )]
    NotJoinable(String),
}

/// The interval of data a DAG run covers: `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DataInterval {
    /// Start, included; the logical date of a scheduled run.
    pub start: Timestamp,
    /// End, excluded; a scheduled run is due once this time has come.
    pub end: Timestamp,
}

impl DataInterval {
    /// The empty interval at `t` (of `@once` runs and of runs of unscheduled DAGs).
    pub const fn exact(t: Timestamp) -> Self {
        Self { start: t, end: t }
    }

    /// The logical date of a run covering this interval: its start.
    pub const fn logical_date(&self) -> Timestamp {
        self.start
    }

    /// The earliest time a scheduled run for this interval may be created: its end.
    pub const fn run_after(&self) -> Timestamp {
        self.end
    }
}

/// When a DAG runs (see the module docs), read in a time zone.
///
/// It serializes as the text it was parsed from; its zone and start date are the DAG's, set
/// with [`in_zone`](Self::in_zone) and [`anchored_at`](Self::anchored_at).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Schedule {
    source: String,
    kind: Kind,
    zone: TimeZone,
    /// Where `@every` intervals are laid from; none: from the start given to each call.
    anchor: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Once,
    Continuous,
    Every(SignedDuration),
    Crons(Vec<Cron>),
}

const PRESETS: &[(&str, &str)] = &[
    ("@hourly", "0 * * * *"),
    ("@daily", "0 0 * * *"),
    ("@midnight", "0 0 * * *"),
    ("@weekly", "0 0 * * 0"),
    ("@monthly", "0 0 1 * *"),
    ("@yearly", "0 0 1 1 *"),
    ("@annually", "0 0 1 1 *"),
];

impl Schedule {
    /// Parses a schedule: five-field cron expressions or the presets `@hourly`, `@daily`,
    /// `@midnight`, `@weekly`, `@monthly`, `@yearly`, `@annually` (any case), several joined
    /// by `;`; or `@every <duration>`, `@continuous` or `@once` alone. It is read in UTC
    /// until [`in_zone`](Self::in_zone) says otherwise.
    pub fn parse(text: &str) -> Result<Self, ScheduleError> {
        let source = text.trim();
        if source.is_empty() {
            return Err(ScheduleError::Empty);
        }
        let parts: Vec<&str> = source.split(';').map(str::trim).collect();
        let kind = if let [only] = parts.as_slice()
            && let Some(kind) = lone_kind(only)?
        {
            kind
        } else {
            let mut crons = Vec::with_capacity(parts.len());
            if parts.iter().any(|p| p.is_empty()) {
                return Err(ScheduleError::EmptyPart);
            }
            for part in parts {
                if lone_kind(part)?.is_some() {
                    return Err(ScheduleError::NotJoinable(part.to_owned()));
                }
                crons.push(cron_or_preset(part)?);
            }
            Kind::Crons(crons)
        };
        Ok(Self {
            source: source.to_owned(),
            kind,
            zone: TimeZone::UTC,
            anchor: None,
        })
    }

    /// The schedule read as wall-clock time in `zone`.
    #[must_use]
    pub fn in_zone(self, zone: TimeZone) -> Self {
        Self { zone, ..self }
    }

    /// The schedule with `@every` intervals laid end to end from `start` (the DAG's start
    /// date), whatever start a call gives.
    #[must_use]
    pub fn anchored_at(self, start: Timestamp) -> Self {
        Self {
            anchor: Some(start),
            ..self
        }
    }

    /// The schedule as written (without surrounding spaces).
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The time zone its cron expressions are read in.
    pub const fn zone(&self) -> &TimeZone {
        &self.zone
    }

    /// Whether this is `@once`: a single run at the start date.
    pub const fn is_once(&self) -> bool {
        matches!(self.kind, Kind::Once)
    }

    /// Whether this is `@continuous`: a new run as soon as the last ends.
    pub const fn is_continuous(&self) -> bool {
        matches!(self.kind, Kind::Continuous)
    }

    /// The cron expressions (presets as their expressions); none but for cron schedules.
    pub fn crons(&self) -> &[Cron] {
        match &self.kind {
            Kind::Crons(crons) => crons,
            _ => &[],
        }
    }

    /// The `@every` interval, if that is the schedule.
    pub const fn every(&self) -> Option<SignedDuration> {
        match self.kind {
            Kind::Every(every) => Some(every),
            _ => None,
        }
    }

    /// The first firing strictly after `t`: of any of its cron expressions, or the end of
    /// an `@every` interval; none for `@once` and `@continuous`, or when it never fires.
    pub fn next_after(&self, t: Timestamp) -> Option<Timestamp> {
        self.next_after_from(t, t)
    }

    /// The last firing at or before `t`; none for `@once` and `@continuous`, or when it
    /// never fired.
    pub fn prev_at_or_before(&self, t: Timestamp) -> Option<Timestamp> {
        self.prev_at_or_before_from(t, t)
    }

    /// [`next_after`](Self::next_after), with `@every` laid from `start` when not anchored.
    fn next_after_from(&self, t: Timestamp, start: Timestamp) -> Option<Timestamp> {
        match &self.kind {
            Kind::Once | Kind::Continuous => None,
            Kind::Every(every) => {
                let base = self.anchor.unwrap_or(start);
                let k = steps_floor(t.duration_since(base), *every)?.checked_add(1)?;
                base.checked_add(times(*every, k)?).ok()
            }
            Kind::Crons(crons) => crons
                .iter()
                .filter_map(|c| c.next_after_in(&self.zone, t))
                .min(),
        }
    }

    /// [`prev_at_or_before`](Self::prev_at_or_before), with `@every` laid from `start` when
    /// not anchored.
    fn prev_at_or_before_from(&self, t: Timestamp, start: Timestamp) -> Option<Timestamp> {
        match &self.kind {
            Kind::Once | Kind::Continuous => None,
            Kind::Every(every) => {
                let base = self.anchor.unwrap_or(start);
                let k = steps_floor(t.duration_since(base), *every)?;
                base.checked_add(times(*every, k)?).ok()
            }
            Kind::Crons(crons) => crons
                .iter()
                .filter_map(|c| c.prev_at_or_before_in(&self.zone, t))
                .max(),
        }
    }

    /// The last firing strictly before `t`.
    fn prev_before_from(&self, t: Timestamp, start: Timestamp) -> Option<Timestamp> {
        self.prev_at_or_before_from(t.checked_sub(SignedDuration::from_nanos(1)).ok()?, start)
    }

    /// The interval of the next scheduled run, due or not (Airflow's `next_dagrun_info`).
    ///
    /// `last` is the interval of the latest scheduled run, if any. With `catchup` that is the
    /// interval after `last`, or the first one starting at or after `start_date`. Without it,
    /// it is the latest interval that ended at or before `now` (or the first one at or after
    /// `start_date`, if that is later), but never one before the end of `last`. `@once` gives
    /// the empty interval at `start_date`, once; `@continuous` the interval from the end of
    /// `last` (or `start_date`) to `now`, due at once. Returns none when there is no further
    /// run.
    pub fn next_interval(
        &self,
        last: Option<DataInterval>,
        start_date: Timestamp,
        catchup: bool,
        now: Timestamp,
    ) -> Option<DataInterval> {
        match &self.kind {
            Kind::Once => return last.is_none().then_some(DataInterval::exact(start_date)),
            Kind::Continuous => {
                let start = last.map_or(start_date, |l| l.end.max(start_date));
                return Some(DataInterval {
                    start,
                    end: start.max(now),
                });
            }
            Kind::Every(_) | Kind::Crons(_) => {}
        }
        let next = |t| self.next_after_from(t, start_date);
        let first = if self.fires_at(start_date, start_date) {
            start_date
        } else {
            next(start_date)?
        };
        let earliest = if catchup {
            first
        } else {
            // The start of the latest interval that is complete at `now`.
            let last_start = self.prev_before_from(now, start_date)?;
            let latest = if next(last_start)? == now {
                last_start
            } else {
                self.prev_before_from(last_start, start_date)?
            };
            latest.max(first)
        };
        let start = match last {
            None => earliest,
            Some(last) => self
                .prev_at_or_before_from(last.end, start_date)?
                .max(earliest),
        };
        let end = next(start)?;
        Some(DataInterval { start, end })
    }

    /// The interval of the next scheduled run if it is due at `now` (its end has come), as
    /// [`next_interval`](Self::next_interval) chooses it; none if no run is due yet.
    pub fn next_dagrun_interval(
        &self,
        last: Option<DataInterval>,
        start_date: Timestamp,
        catchup: bool,
        now: Timestamp,
    ) -> Option<DataInterval> {
        self.next_interval(last, start_date, catchup, now)
            .filter(|iv| iv.end <= now)
    }

    /// The intervals of the next `count` scheduled runs after `last`, the first as
    /// [`next_interval`](Self::next_interval) chooses it and the rest following it; none for
    /// `@continuous`, whose runs follow each other's ends rather than the clock.
    pub fn upcoming(
        &self,
        last: Option<DataInterval>,
        start_date: Timestamp,
        catchup: bool,
        now: Timestamp,
        count: usize,
    ) -> Vec<DataInterval> {
        let mut out = Vec::new();
        if self.is_continuous() {
            return out;
        }
        let mut last = last;
        while out.len() < count {
            let Some(next) = self.next_interval(last, start_date, catchup || !out.is_empty(), now)
            else {
                break;
            };
            if last == Some(next) {
                break;
            }
            out.push(next);
            last = Some(next);
        }
        out
    }

    /// The interval a manual run at `logical_date` covers, as Airflow infers it: the latest
    /// complete interval ending at or before it. For `@once` and `@continuous`, the empty
    /// interval at it.
    pub fn manual_interval(&self, logical_date: Timestamp) -> DataInterval {
        self.prev_at_or_before_from(logical_date, logical_date)
            .and_then(|end| {
                Some(DataInterval {
                    start: self.prev_before_from(end, logical_date)?,
                    end,
                })
            })
            .unwrap_or(DataInterval::exact(logical_date))
    }

    /// Whether the schedule fires at `t`.
    fn fires_at(&self, t: Timestamp, start: Timestamp) -> bool {
        self.prev_at_or_before_from(t, start) == Some(t)
    }
}

/// How many whole `every`s fit in `span`, rounding towards the past.
fn steps_floor(span: SignedDuration, every: SignedDuration) -> Option<i64> {
    let (span, every) = (span.as_nanos(), every.as_nanos());
    if every <= 0 {
        return None;
    }
    i64::try_from(span.div_euclid(every)).ok()
}

/// `every` taken `k` times.
fn times(every: SignedDuration, k: i64) -> Option<SignedDuration> {
    const NANOS_PER_SEC: i128 = 1_000_000_000;
    let nanos = every.as_nanos().checked_mul(i128::from(k))?;
    let secs = i64::try_from(nanos.div_euclid(NANOS_PER_SEC)).ok()?;
    let subsec = i32::try_from(nanos.rem_euclid(NANOS_PER_SEC)).ok()?;
    Some(SignedDuration::new(secs, subsec))
}

/// The kind of a schedule that stands alone (`@once`, `@continuous`, `@every ...`); none
/// for a cron expression or a preset.
fn lone_kind(text: &str) -> Result<Option<Kind>, ScheduleError> {
    if text.eq_ignore_ascii_case("@once") {
        return Ok(Some(Kind::Once));
    }
    if text.eq_ignore_ascii_case("@continuous") {
        return Ok(Some(Kind::Continuous));
    }
    let Some((word, rest)) = text.split_once(char::is_whitespace) else {
        return Ok(None);
    };
    if !word.eq_ignore_ascii_case("@every") {
        return Ok(None);
    }
    let value = rest.trim();
    let bad = |reason: String| ScheduleError::Every {
        value: value.to_owned(),
        reason,
    };
    let every: SignedDuration = value.parse().map_err(|e: jiff::Error| bad(e.to_string()))?;
    if every < MIN_EVERY {
        return Err(bad(format!(
            "shorter than the shortest interval, {MIN_EVERY:#}"
        )));
    }
    Ok(Some(Kind::Every(every)))
}

/// One cron expression or preset.
fn cron_or_preset(text: &str) -> Result<Cron, ScheduleError> {
    if text.starts_with('@') {
        let (_, expr) = PRESETS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(text))
            .ok_or_else(|| ScheduleError::UnknownPreset(text.to_owned()))?;
        Cron::parse(expr)
    } else {
        Cron::parse(text)
    }
}

impl FromStr for Schedule {
    type Err = ScheduleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Schedule {
    type Error = ScheduleError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Schedule> for String {
    fn from(s: Schedule) -> Self {
        s.source
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

#[cfg(test)]
mod tests;
