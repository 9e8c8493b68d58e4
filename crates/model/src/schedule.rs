//! Schedules (a cron expression or a preset) and the data intervals of scheduled runs.
//!
//! Intervals follow Airflow's cron data-interval timetable: a run covers the interval from one
//! firing of the schedule to the next, its logical date is the interval's start, and it is due
//! once the interval has ended. Everything is in UTC; the current time is always passed in.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::cron::{CronField, FieldIssue};

pub use crate::cron::Cron;

/// Why a schedule could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// The schedule is empty or only spaces.
    #[error("schedule is empty")]
    Empty,
    /// An `@` word that is not a preset.
    #[error(
        "unknown preset \"{0}\" (expected @once, @hourly, @daily, @midnight, @weekly, @monthly, @yearly or @annually)"
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

/// When a DAG runs: a cron expression or a preset, in UTC.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Schedule {
    source: String,
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Kind {
    Once,
    Cron(Cron),
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
    /// Parses a five-field cron expression or one of the presets `@once`, `@hourly`,
    /// `@daily`, `@midnight`, `@weekly`, `@monthly`, `@yearly`, `@annually` (any case).
    pub fn parse(text: &str) -> Result<Self, ScheduleError> {
        let source = text.trim();
        let kind = if source.starts_with('@') {
            if source.eq_ignore_ascii_case("@once") {
                Kind::Once
            } else {
                let (_, expr) = PRESETS
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case(source))
                    .ok_or_else(|| ScheduleError::UnknownPreset(source.to_owned()))?;
                Kind::Cron(Cron::parse(expr)?)
            }
        } else {
            Kind::Cron(Cron::parse(source)?)
        };
        Ok(Self {
            source: source.to_owned(),
            kind,
        })
    }

    /// The schedule as written (without surrounding spaces).
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether this is `@once`: a single run at the start date.
    pub const fn is_once(&self) -> bool {
        matches!(self.kind, Kind::Once)
    }

    /// The cron expression, none for `@once`.
    pub const fn cron(&self) -> Option<&Cron> {
        match &self.kind {
            Kind::Once => None,
            Kind::Cron(cron) => Some(cron),
        }
    }

    /// The first firing strictly after `t`; none for `@once` or when it never fires.
    pub fn next_after(&self, t: Timestamp) -> Option<Timestamp> {
        self.cron()?.next_after(t)
    }

    /// The last firing at or before `t`; none for `@once` or when it never fired.
    pub fn prev_at_or_before(&self, t: Timestamp) -> Option<Timestamp> {
        self.cron()?.prev_at_or_before(t)
    }

    /// The interval of the next scheduled run, due or not (Airflow's `next_dagrun_info`).
    ///
    /// `last` is the interval of the latest scheduled run, if any. With `catchup` that is the
    /// interval after `last`, or the first one starting at or after `start_date`. Without it,
    /// it is the latest interval that ended at or before `now` (or the first one at or after
    /// `start_date`, if that is later), but never one before the end of `last`. `@once` gives
    /// the empty interval at `start_date`, once. Returns none when there is no further run.
    pub fn next_interval(
        &self,
        last: Option<DataInterval>,
        start_date: Timestamp,
        catchup: bool,
        now: Timestamp,
    ) -> Option<DataInterval> {
        let cron = match &self.kind {
            Kind::Once => return last.is_none().then_some(DataInterval::exact(start_date)),
            Kind::Cron(cron) => cron,
        };
        let first = align_next(cron, start_date)?;
        let earliest = if catchup {
            first
        } else {
            // The start of the latest interval that is complete at `now`.
            let last_start = cron.prev_before(now)?;
            let latest = if cron.next_after(last_start)? == now {
                last_start
            } else {
                cron.prev_before(last_start)?
            };
            latest.max(first)
        };
        let start = match last {
            None => earliest,
            Some(last) => cron.prev_at_or_before(last.end)?.max(earliest),
        };
        let end = cron.next_after(start)?;
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

    /// The interval a manual run at `logical_date` covers, as Airflow infers it: the latest
    /// complete interval ending at or before it. For `@once`, the empty interval at it.
    pub fn manual_interval(&self, logical_date: Timestamp) -> DataInterval {
        let Some(cron) = self.cron() else {
            return DataInterval::exact(logical_date);
        };
        cron.prev_at_or_before(logical_date)
            .and_then(|end| {
                Some(DataInterval {
                    start: cron.prev_before(end)?,
                    end,
                })
            })
            .unwrap_or(DataInterval::exact(logical_date))
    }
}

/// `t` if the schedule fires at `t`, else its next firing.
fn align_next(cron: &Cron, t: Timestamp) -> Option<Timestamp> {
    if cron.matches(t) {
        Some(t)
    } else {
        cron.next_after(t)
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
