//! Durations and byte sizes as people write them: `1h30m`, `250ms`, `256MiB`, `1G`.

use std::time::Duration;

/// Text that is not a duration or size.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    /// Not a duration.
    #[error("invalid duration \"{input}\": {reason}")]
    Duration {
        /// The text given.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Not a size.
    #[error("invalid size \"{input}\": {reason}")]
    Size {
        /// The text given.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Why a well-formed duration or size is refused: it does not fit.
const TOO_LARGE: &str = "it is too large";

impl UnitError {
    /// Whether the text is well formed but its value does not fit.
    pub fn is_too_large(&self) -> bool {
        match self {
            UnitError::Duration { reason, .. } | UnitError::Size { reason, .. } => {
                reason == TOO_LARGE
            }
        }
    }
}

const DURATION_UNITS: &str = "ns, us, ms, s, m, h or d";
const NANOS_PER_SEC: u128 = 1_000_000_000;

/// Parses a duration such as `250ms`, `30s`, `5m`, `1h30m`, `1h 30m`, `1.5h` or `2d`.
///
/// Units: `ns`, `us` (or `µs`), `ms`, `s`, `m`, `h`, `d` (24 hours), any case. A lone `0`
/// needs no unit.
pub fn parse_duration(input: &str) -> Result<Duration, UnitError> {
    let fail = |reason: String| UnitError::Duration {
        input: input.to_owned(),
        reason,
    };
    let text = input.trim();
    if text.is_empty() {
        return Err(fail("it is empty".into()));
    }
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    let mut nanos: u128 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let (number, after) = split_number(rest);
        if number.is_empty() {
            return Err(fail(format!("expected a number at \"{rest}\"")));
        }
        let after = after.trim_start();
        let unit_len = after
            .find(|c: char| !c.is_alphabetic())
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        let unit_nanos: u128 = match unit.to_lowercase().as_str() {
            "ns" => 1,
            "us" | "µs" => 1_000,
            "ms" => 1_000_000,
            "s" => NANOS_PER_SEC,
            "m" => 60 * NANOS_PER_SEC,
            "h" => 3_600 * NANOS_PER_SEC,
            "d" => 86_400 * NANOS_PER_SEC,
            "" => {
                return Err(fail(format!(
                    "missing unit after {number} (expected {DURATION_UNITS})"
                )));
            }
            other => {
                return Err(fail(format!(
                    "unknown unit \"{other}\" (expected {DURATION_UNITS})"
                )));
            }
        };
        let amount = scale(number, unit_nanos).ok_or_else(|| fail(TOO_LARGE.into()))?;
        nanos = nanos
            .checked_add(amount)
            .ok_or_else(|| fail(TOO_LARGE.into()))?;
        rest = after.trim_start();
    }
    let secs = u64::try_from(nanos / NANOS_PER_SEC).map_err(|_| fail(TOO_LARGE.into()))?;
    // The remainder is below 1e9, so it fits.
    Ok(Duration::new(secs, (nanos % NANOS_PER_SEC) as u32))
}

/// Formats a duration for people: `250ms`, `1.25s`, `3m 5s`, `1h 30m`, `2d 4h`, `0s`.
///
/// Below a minute it shows up to two decimals (cut, not rounded); from a minute up it shows
/// whole days, hours, minutes and seconds, leaving out the zero ones. The result parses back
/// with [`parse_duration`] (exactly below a minute up to the cut decimals).
pub fn format_duration(d: Duration) -> String {
    let nanos = d.as_nanos();
    if nanos == 0 {
        return "0s".into();
    }
    if nanos < 1_000 {
        return format!("{nanos}ns");
    }
    if nanos < 1_000_000 {
        return decimal(nanos, 1_000, "us");
    }
    if nanos < NANOS_PER_SEC {
        return decimal(nanos, 1_000_000, "ms");
    }
    let secs = d.as_secs();
    if secs < 60 {
        return decimal(nanos, NANOS_PER_SEC, "s");
    }
    let parts = [
        (secs / 86_400, "d"),
        (secs / 3_600 % 24, "h"),
        (secs / 60 % 60, "m"),
        (secs % 60, "s"),
    ];
    parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Parses a size in bytes: `1048576`, `512k`, `256MiB`, `1G`, `1.5GiB`, `100MB`, `64 kb`.
///
/// Suffixes are case-insensitive. `KiB`/`Ki`/`K`, `MiB`/`Mi`/`M`, `GiB`, `TiB`, `PiB`, `EiB`
/// (and their short forms) are binary (1 K = 1024 bytes); `kB`, `MB`, `GB`, `TB`, `PB`, `EB`
/// are decimal (1 kB = 1000 bytes). `B` or no suffix means bytes. A fraction of a byte is cut.
pub fn parse_size(input: &str) -> Result<u64, UnitError> {
    let fail = |reason: String| UnitError::Size {
        input: input.to_owned(),
        reason,
    };
    let text = input.trim();
    if text.is_empty() {
        return Err(fail("it is empty".into()));
    }
    let (number, suffix) = split_number(text);
    if number.is_empty() {
        return Err(fail("expected a number first".into()));
    }
    let suffix = suffix.trim().to_lowercase();
    let unit: u128 = match suffix.as_str() {
        "" | "b" => 1,
        s => size_unit(s).ok_or_else(|| {
            fail(format!(
                "unknown unit \"{suffix}\" (expected B, KiB, MiB, GiB, TiB, kB, MB, GB, TB, ...)"
            ))
        })?,
    };
    let bytes = scale(number, unit).ok_or_else(|| fail(TOO_LARGE.into()))?;
    u64::try_from(bytes).map_err(|_| fail(TOO_LARGE.into()))
}

/// Bytes per unit of a lowercase size suffix other than `b`.
fn size_unit(suffix: &str) -> Option<u128> {
    let power = match suffix.chars().next()? {
        'k' => 1,
        'm' => 2,
        'g' => 3,
        't' => 4,
        'p' => 5,
        'e' => 6,
        _ => return None,
    };
    let base: u128 = match &suffix[1..] {
        "" | "i" | "ib" => 1024,
        "b" => 1000,
        _ => return None,
    };
    Some(base.pow(power))
}

/// Formats a size with binary units: `512B`, `1KiB`, `1.5GiB`, `256MiB` (two decimals at
/// most, cut). The result parses back with [`parse_size`].
pub fn format_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut unit = 1u128;
    let mut name = "B";
    for (i, candidate) in UNITS.iter().enumerate() {
        let size = 1024u128.pow(i as u32 + 1);
        if u128::from(bytes) >= size {
            unit = size;
            name = candidate;
        }
    }
    decimal(u128::from(bytes), unit, name)
}

/// Splits leading digits with an optional `.fraction` from the rest.
fn split_number(s: &str) -> (&str, &str) {
    let mut end = 0;
    let mut seen_dot = false;
    for (i, c) in s.char_indices() {
        if c.is_ascii_digit() || (c == '.' && !seen_dot) {
            seen_dot |= c == '.';
            end = i + c.len_utf8();
        } else {
            break;
        }
    }
    let number = &s[..end];
    // A lone dot is not a number.
    if number.chars().all(|c| c == '.') {
        ("", s)
    } else {
        (number, &s[end..])
    }
}

/// `number` (digits with an optional fraction) times `unit`, with the fraction's remainder cut.
fn scale(number: &str, unit: u128) -> Option<u128> {
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut total = whole.checked_mul(unit)?;
    if !frac.is_empty() {
        let frac = &frac[..frac.len().min(18)];
        let denom = 10u128.pow(frac.len() as u32);
        let digits: u128 = frac.parse().ok()?;
        total = total.checked_add(digits.checked_mul(unit)? / denom)?;
    }
    Some(total)
}

/// `value / unit` with up to two decimals (cut) and `suffix`.
fn decimal(value: u128, unit: u128, suffix: &str) -> String {
    let whole = value / unit;
    let hundredths = value % unit * 100 / unit;
    match hundredths {
        0 => format!("{whole}{suffix}"),
        h if h % 10 == 0 => format!("{whole}.{}{suffix}", h / 10),
        h => format!("{whole}.{h:02}{suffix}"),
    }
}

#[cfg(test)]
mod tests;
