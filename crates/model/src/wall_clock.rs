//! Wall-clock patterns (cron expressions) read in a time zone: which instants they fire at.
//!
//! A pattern names wall-clock minutes. Each one fires once, at the instant the zone gives it:
//! - a minute the zone skips (the hour lost when clocks go forward) fires when the gap ends,
//!   at the first valid time after it: a daily 02:30 fires at 03:00 on that day;
//! - a minute the zone repeats (the hour clocks go back over) fires at its first occurrence
//!   only: the repeated hour does not run twice.
//!
//! With these rules the instant of a minute never decreases as the minute grows, so a search
//! over wall-clock minutes finds instants in order.

use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp};

/// A set of wall-clock minutes, searchable in both directions.
pub(crate) trait WallClock {
    /// The first minute of the set at or after `from` (a whole minute).
    fn next_minute(&self, from: DateTime) -> Option<DateTime>;
    /// The last minute of the set at or before `from` (a whole minute).
    fn prev_minute(&self, from: DateTime) -> Option<DateTime>;
}

const MINUTE: SignedDuration = SignedDuration::from_mins(1);
const NANO: SignedDuration = SignedDuration::from_nanos(1);

/// The first firing strictly after `t`.
pub(crate) fn next_after(set: &impl WallClock, zone: &TimeZone, t: Timestamp) -> Option<Timestamp> {
    // No minute before the one holding `t` fires after `t`: instants follow minutes in order.
    let mut from = floor_minute(zone.to_datetime(t));
    loop {
        let minute = set.next_minute(from)?;
        let at = instant(zone, minute)?;
        if at > t {
            return Some(at);
        }
        // A minute of a repeated hour whose first occurrence is already past.
        from = minute.checked_add(MINUTE).ok()?;
    }
}

/// The last firing at or before `t`.
pub(crate) fn prev_at_or_before(
    set: &impl WallClock,
    zone: &TimeZone,
    t: Timestamp,
) -> Option<Timestamp> {
    let mut upto = floor_minute(latest_reading(zone, t));
    loop {
        let minute = set.prev_minute(upto)?;
        let at = instant(zone, minute)?;
        if at <= t {
            return Some(at);
        }
        // A minute of a repeated or skipped hour that fires after `t`.
        upto = minute.checked_sub(MINUTE).ok()?;
    }
}

/// The last firing strictly before `t`.
pub(crate) fn prev_before(
    set: &impl WallClock,
    zone: &TimeZone,
    t: Timestamp,
) -> Option<Timestamp> {
    prev_at_or_before(set, zone, t.checked_sub(NANO).ok()?)
}

/// Whether `t` is a firing.
pub(crate) fn fires_at(set: &impl WallClock, zone: &TimeZone, t: Timestamp) -> bool {
    prev_at_or_before(set, zone, t) == Some(t)
}

/// The instant wall-clock `minute` fires at in `zone` (see the module's rules).
pub(crate) fn instant(zone: &TimeZone, minute: DateTime) -> Option<Timestamp> {
    match zone.to_ambiguous_timestamp(minute).offset() {
        AmbiguousOffset::Unambiguous { offset } => offset.to_timestamp(minute).ok(),
        AmbiguousOffset::Fold { before, .. } => before.to_timestamp(minute).ok(),
        AmbiguousOffset::Gap { after, .. } => {
            // Read with the later offset, the minute lies before the transition that opens the
            // gap; that transition is the first valid time after it.
            let early = after.to_timestamp(minute).ok()?;
            zone.following(early).next().map(|tr| tr.timestamp())
        }
    }
}

/// The latest wall-clock reading any instant up to `t` had: `t`'s own, or, just after clocks
/// went back, `t` read with the offset before they did.
fn latest_reading(zone: &TimeZone, t: Timestamp) -> DateTime {
    let own = zone.to_datetime(t);
    let Some(last) = t
        .checked_add(NANO)
        .ok()
        .and_then(|after| zone.preceding(after).next())
    else {
        return own;
    };
    let Ok(just_before) = last.timestamp().checked_sub(NANO) else {
        return own;
    };
    let before = zone.to_offset(just_before);
    // Clocks went back by `repeat` at `last`: readings repeat for that long after it.
    let repeat = before.duration_since(zone.to_offset(t));
    let repeating = repeat.is_positive()
        && last
            .timestamp()
            .checked_add(repeat)
            .is_ok_and(|end| t < end);
    if repeating {
        own.max(before.to_datetime(t))
    } else {
        own
    }
}

/// `dt` without its seconds.
fn floor_minute(dt: DateTime) -> DateTime {
    dt.date().at(dt.hour(), dt.minute(), 0, 0)
}

#[cfg(test)]
mod tests;
