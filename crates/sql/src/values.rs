//! Typed values between the guest's `sql-value` and the databases' binary formats: what a
//! parameter is sent as, and how a column is read by its type name.

use jiff::civil::{Date, DateTime, Time};
use jiff::{SignedDuration, Timestamp};

use crate::SqlValue;

/// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01T00:00:00Z).
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// A value that could not be converted, with what was wrong.
pub(crate) type Conversion<T> = Result<T, String>;

/// Bytes each value counts for besides its payload: what the host holds for it, so that
/// rows of many NULLs (or empty strings) cannot fill host memory within the caps.
const VALUE_COST: u64 = std::mem::size_of::<SqlValue>() as u64;
/// Bytes each row counts for besides its values.
const ROW_COST: u64 = std::mem::size_of::<Vec<SqlValue>>() as u64;

/// Bytes a row counts for against the attempt's bytes-returned cap: a fixed cost per row
/// and per value, plus the values' payloads.
pub(crate) fn row_size(values: &[SqlValue]) -> u64 {
    values
        .iter()
        .map(size)
        .fold(ROW_COST, |total, n| total.saturating_add(n))
}

/// Bytes this value counts for against the attempt's bytes-returned cap: a fixed cost plus
/// its payload.
fn size(value: &SqlValue) -> u64 {
    let n = match value {
        SqlValue::Null => 0,
        SqlValue::Boolean(_) => 1,
        SqlValue::Int(_) | SqlValue::Float(_) => 8,
        SqlValue::Bytes(b) => b.len(),
        SqlValue::Text(s)
        | SqlValue::Decimal(s)
        | SqlValue::Timestamp(s)
        | SqlValue::Datetime(s)
        | SqlValue::Date(s)
        | SqlValue::Time(s)
        | SqlValue::Uuid(s)
        | SqlValue::Json(s) => s.len(),
    };
    VALUE_COST.saturating_add(u64::try_from(n).unwrap_or(u64::MAX))
}

fn pg_date_epoch() -> Date {
    jiff::civil::date(2000, 1, 1)
}

/// `micros` past midnight as a time of day.
fn time_from_micros(micros: i64) -> Conversion<Time> {
    Time::midnight()
        .checked_add(SignedDuration::from_micros(micros))
        .map_err(|e| format!("time of day out of range: {e}"))
}

fn micros_since_midnight(time: Time) -> i64 {
    time.duration_since(Time::midnight()).as_micros() as i64
}

pub(crate) fn parse_timestamp(text: &str) -> Conversion<Timestamp> {
    text.parse::<Timestamp>()
        .map_err(|e| format!("{text:?} is not an RFC 3339 timestamp: {e}"))
}

pub(crate) fn parse_datetime(text: &str) -> Conversion<DateTime> {
    text.parse::<DateTime>()
        .map_err(|e| format!("{text:?} is not a date and time: {e}"))
}

pub(crate) fn parse_date(text: &str) -> Conversion<Date> {
    text.parse::<Date>()
        .map_err(|e| format!("{text:?} is not a date: {e}"))
}

pub(crate) fn parse_time(text: &str) -> Conversion<Time> {
    text.parse::<Time>()
        .map_err(|e| format!("{text:?} is not a time of day: {e}"))
}

pub(crate) fn parse_uuid(text: &str) -> Conversion<[u8; 16]> {
    let hex: String = text.chars().filter(|c| *c != '-').collect();
    let mut out = [0u8; 16];
    hex::decode_to_slice(&hex, &mut out).map_err(|_| format!("{text:?} is not a UUID"))?;
    Ok(out)
}

pub(crate) fn format_uuid(bytes: &[u8]) -> Conversion<String> {
    if bytes.len() != 16 {
        return Err(format!("a UUID of {} bytes", bytes.len()));
    }
    let h = hex::encode(bytes);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    ))
}

/// PostgreSQL: the binary form of a parameter, and its type OID (0 lets the server infer
/// the type of a NULL).
pub(crate) fn pg_encode(value: &SqlValue) -> Conversion<(u32, Option<Vec<u8>>)> {
    Ok(match value {
        SqlValue::Null => (0, None),
        SqlValue::Boolean(b) => (16, Some(vec![u8::from(*b)])),
        SqlValue::Int(i) => (20, Some(i.to_be_bytes().to_vec())),
        SqlValue::Float(f) => (701, Some(f.to_be_bytes().to_vec())),
        SqlValue::Text(s) => (25, Some(s.as_bytes().to_vec())),
        SqlValue::Bytes(b) => (17, Some(b.clone())),
        SqlValue::Decimal(s) => (1700, Some(numeric::encode(s)?)),
        SqlValue::Timestamp(s) => {
            let micros = parse_timestamp(s)?
                .as_microsecond()
                .checked_sub(PG_EPOCH_MICROS)
                .ok_or_else(|| format!("{s:?} is out of PostgreSQL's timestamp range"))?;
            (1184, Some(micros.to_be_bytes().to_vec()))
        }
        SqlValue::Datetime(s) => {
            let dt = parse_datetime(s)?;
            let micros = dt
                .duration_since(pg_date_epoch().at(0, 0, 0, 0))
                .as_micros() as i64;
            (1114, Some(micros.to_be_bytes().to_vec()))
        }
        SqlValue::Date(s) => {
            let days = parse_date(s)?.duration_since(pg_date_epoch()).as_hours() / 24;
            (1082, Some((days as i32).to_be_bytes().to_vec()))
        }
        SqlValue::Time(s) => (
            1083,
            Some(micros_since_midnight(parse_time(s)?).to_be_bytes().to_vec()),
        ),
        SqlValue::Uuid(s) => (2950, Some(parse_uuid(s)?.to_vec())),
        SqlValue::Json(s) => {
            let mut b = vec![1u8];
            b.extend_from_slice(s.as_bytes());
            (3802, Some(b))
        }
    })
}

/// PostgreSQL's `infinity` / `-infinity`: no sql-value counterpart.
fn infinite(positive: bool) -> String {
    let sign = if positive { "" } else { "-" };
    format!(
        "{sign}infinity has no sql-value counterpart; test for it in the statement (isfinite) or cast it to text"
    )
}

/// Fails on the microsecond values PostgreSQL uses for `infinity` and `-infinity`.
fn infinite_micros(micros: i64) -> Conversion<()> {
    if micros == i64::MAX || micros == i64::MIN {
        return Err(infinite(micros > 0));
    }
    Ok(())
}

/// MySQL's microseconds of a second as nanoseconds, if in range.
fn mysql_nanos(micros: u32) -> Conversion<i32> {
    micros
        .checked_mul(1000)
        .and_then(|n| i32::try_from(n).ok())
        .filter(|n| *n < 1_000_000_000)
        .ok_or_else(|| format!("{micros} microseconds is not a fraction of a second"))
}

fn be<const N: usize>(bytes: &[u8]) -> Conversion<[u8; N]> {
    bytes
        .try_into()
        .map_err(|_| format!("{} bytes where {N} were expected", bytes.len()))
}

fn utf8(bytes: &[u8]) -> Conversion<String> {
    String::from_utf8(bytes.to_vec()).map_err(|_| "text that is not UTF-8".to_owned())
}

/// PostgreSQL: a column value in binary format, by its type name (`INT8`, `TEXT`, ...).
/// `is_enum` marks a user-defined enum, sent as text.
pub(crate) fn pg_decode(type_name: &str, is_enum: bool, raw: &[u8]) -> Conversion<SqlValue> {
    Ok(match type_name {
        "BOOL" => SqlValue::Boolean(raw.first().is_some_and(|b| *b != 0)),
        "INT2" => SqlValue::Int(i16::from_be_bytes(be(raw)?).into()),
        "INT4" => SqlValue::Int(i32::from_be_bytes(be(raw)?).into()),
        "INT8" => SqlValue::Int(i64::from_be_bytes(be(raw)?)),
        "OID" => SqlValue::Int(u32::from_be_bytes(be(raw)?).into()),
        "FLOAT4" => SqlValue::Float(f32::from_be_bytes(be(raw)?).into()),
        "FLOAT8" => SqlValue::Float(f64::from_be_bytes(be(raw)?)),
        "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" | "CITEXT" | "\"CHAR\"" | "CHAR" | "UNKNOWN" => {
            SqlValue::Text(utf8(raw)?)
        }
        "BYTEA" => SqlValue::Bytes(raw.to_vec()),
        "NUMERIC" => SqlValue::Decimal(numeric::decode(raw)?),
        "TIMESTAMPTZ" => {
            let micros = i64::from_be_bytes(be(raw)?);
            infinite_micros(micros)?;
            let micros = micros
                .checked_add(PG_EPOCH_MICROS)
                .ok_or_else(|| format!("timestamp {micros} µs past 2000-01-01 is out of range"))?;
            let ts = Timestamp::from_microsecond(micros).map_err(|e| e.to_string())?;
            SqlValue::Timestamp(ts.to_string())
        }
        "TIMESTAMP" => {
            let micros = i64::from_be_bytes(be(raw)?);
            infinite_micros(micros)?;
            let dt = pg_date_epoch()
                .at(0, 0, 0, 0)
                .checked_add(SignedDuration::from_micros(micros))
                .map_err(|e| e.to_string())?;
            SqlValue::Datetime(dt.to_string())
        }
        "DATE" => {
            let days = i32::from_be_bytes(be(raw)?);
            if days == i32::MAX || days == i32::MIN {
                return Err(infinite(days > 0));
            }
            let date = pg_date_epoch()
                .checked_add(
                    jiff::Span::new()
                        .try_days(i64::from(days))
                        .map_err(|e| e.to_string())?,
                )
                .map_err(|e| e.to_string())?;
            SqlValue::Date(date.to_string())
        }
        "TIME" => SqlValue::Time(time_from_micros(i64::from_be_bytes(be(raw)?))?.to_string()),
        "UUID" => SqlValue::Uuid(format_uuid(raw)?),
        "JSON" => SqlValue::Json(utf8(raw)?),
        "JSONB" => SqlValue::Json(utf8(raw.get(1..).unwrap_or_default())?),
        _ if is_enum => SqlValue::Text(utf8(raw)?),
        other => {
            return Err(format!(
                "PostgreSQL type {other} has no sql-value counterpart; cast it in the statement (e.g. ::text)"
            ));
        }
    })
}

/// MySQL and MariaDB: a column value of the binary protocol, by its type name.
pub(crate) fn mysql_decode(type_name: &str, raw: &[u8]) -> Conversion<SqlValue> {
    let le_i = |raw: &[u8]| -> Conversion<i64> {
        Ok(match raw.len() {
            1 => i64::from(raw[0] as i8),
            2 => i16::from_le_bytes(be(raw)?).into(),
            4 => i32::from_le_bytes(be(raw)?).into(),
            8 => i64::from_le_bytes(be(raw)?),
            n => return Err(format!("an integer of {n} bytes")),
        })
    };
    let le_u = |raw: &[u8]| -> Conversion<u64> {
        Ok(match raw.len() {
            1 => raw[0].into(),
            2 => u16::from_le_bytes(be(raw)?).into(),
            4 => u32::from_le_bytes(be(raw)?).into(),
            8 => u64::from_le_bytes(be(raw)?),
            n => return Err(format!("an integer of {n} bytes")),
        })
    };
    Ok(match type_name {
        "BOOLEAN" => SqlValue::Boolean(le_i(raw)? != 0),
        "TINYINT" | "SMALLINT" | "MEDIUMINT" | "INT" | "BIGINT" => SqlValue::Int(le_i(raw)?),
        "YEAR" | "TINYINT UNSIGNED" | "SMALLINT UNSIGNED" | "MEDIUMINT UNSIGNED"
        | "INT UNSIGNED" | "BIGINT UNSIGNED" => {
            let u = le_u(raw)?;
            match i64::try_from(u) {
                Ok(i) => SqlValue::Int(i),
                Err(_) => SqlValue::Decimal(u.to_string()),
            }
        }
        "FLOAT" => SqlValue::Float(f32::from_le_bytes(be(raw)?).into()),
        "DOUBLE" => SqlValue::Float(f64::from_le_bytes(be(raw)?)),
        "DECIMAL" => SqlValue::Decimal(utf8(raw)?),
        "BIT" => {
            let mut v: u64 = 0;
            for b in raw {
                v = (v << 8) | u64::from(*b);
            }
            SqlValue::Int(i64::try_from(v).map_err(|e| e.to_string())?)
        }
        "VARCHAR" | "CHAR" | "TEXT" | "TINYTEXT" | "MEDIUMTEXT" | "LONGTEXT" | "ENUM" | "SET" => {
            SqlValue::Text(utf8(raw)?)
        }
        "VARBINARY" | "BINARY" | "BLOB" | "TINYBLOB" | "MEDIUMBLOB" | "LONGBLOB" | "GEOMETRY" => {
            SqlValue::Bytes(raw.to_vec())
        }
        "JSON" => SqlValue::Json(utf8(raw)?),
        "NULL" => SqlValue::Null,
        "DATE" => SqlValue::Date(mysql_datetime(raw)?.date().to_string()),
        "DATETIME" => SqlValue::Datetime(mysql_datetime(raw)?.to_string()),
        "TIMESTAMP" => {
            // The session's time zone is UTC (set when the connection is made).
            let dt = mysql_datetime(raw)?;
            let ts = dt
                .to_zoned(jiff::tz::TimeZone::UTC)
                .map_err(|e| e.to_string())?
                .timestamp();
            SqlValue::Timestamp(ts.to_string())
        }
        "TIME" => SqlValue::Time(mysql_time(raw)?),
        other => {
            return Err(format!(
                "MySQL type {other} has no sql-value counterpart; cast it in the statement"
            ));
        }
    })
}

/// `[len][year:2][month][day][hour][minute][second][micros:4]`, shorter when zero.
fn mysql_datetime(raw: &[u8]) -> Conversion<DateTime> {
    let len = usize::from(*raw.first().ok_or("an empty date")?);
    let b = raw.get(1..1 + len).ok_or("a truncated date")?;
    if len == 0 {
        return Err("the zero date 0000-00-00 has no sql-value counterpart".into());
    }
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let year = i16::from_le_bytes([at(0), at(1)]);
    let micros = if len >= 11 {
        u32::from_le_bytes([b[7], b[8], b[9], b[10]])
    } else {
        0
    };
    let date = Date::new(year, at(2) as i8, at(3) as i8).map_err(|e| e.to_string())?;
    let time = Time::new(at(4) as i8, at(5) as i8, at(6) as i8, mysql_nanos(micros)?)
        .map_err(|e| e.to_string())?;
    Ok(date.to_datetime(time))
}

/// `[len][negative][days:4][hour][minute][second][micros:4]`.
fn mysql_time(raw: &[u8]) -> Conversion<String> {
    let len = usize::from(*raw.first().ok_or("an empty time")?);
    let b = raw.get(1..1 + len).ok_or("a truncated time")?;
    if len == 0 {
        return Ok("00:00:00".into());
    }
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let negative = at(0) != 0;
    let days = u32::from_le_bytes([at(1), at(2), at(3), at(4)]);
    let hours = u64::from(days) * 24 + u64::from(at(5));
    let micros = if len >= 12 {
        u32::from_le_bytes([b[8], b[9], b[10], b[11]])
    } else {
        0
    };
    if negative || hours >= 24 {
        return Err("a MySQL TIME outside 00:00:00-23:59:59 is a duration; cast it to text".into());
    }
    let time = Time::new(hours as i8, at(6) as i8, at(7) as i8, mysql_nanos(micros)?)
        .map_err(|e| e.to_string())?;
    Ok(time.to_string())
}

/// MySQL and MariaDB parameter text for values sent as strings (the server converts
/// them to the column's type): times in UTC, without `T` and zone.
pub(crate) fn mysql_text(value: &SqlValue) -> Conversion<Option<String>> {
    Ok(match value {
        SqlValue::Timestamp(s) => {
            let utc = parse_timestamp(s)?
                .to_zoned(jiff::tz::TimeZone::UTC)
                .datetime();
            Some(format!("{} {}", utc.date(), utc.time()))
        }
        SqlValue::Datetime(s) => {
            let dt = parse_datetime(s)?;
            Some(format!("{} {}", dt.date(), dt.time()))
        }
        SqlValue::Date(s) => Some(parse_date(s)?.to_string()),
        SqlValue::Time(s) => Some(parse_time(s)?.to_string()),
        SqlValue::Uuid(s) => Some(format_uuid(&parse_uuid(s)?)?),
        SqlValue::Decimal(s) => {
            numeric::encode(s)?;
            Some(s.clone())
        }
        SqlValue::Json(s) | SqlValue::Text(s) => Some(s.clone()),
        _ => None,
    })
}

/// PostgreSQL's binary `numeric`: base-10000 digits with a weight, a sign and a scale.
mod numeric {
    use super::Conversion;

    const POS: u16 = 0x0000;
    const NEG: u16 = 0x4000;

    pub(crate) fn decode(raw: &[u8]) -> Conversion<String> {
        let word = |i: usize| -> Conversion<u16> {
            raw.get(i * 2..i * 2 + 2)
                .map(|b| u16::from_be_bytes([b[0], b[1]]))
                .ok_or_else(|| "a truncated numeric".to_owned())
        };
        let ndigits = word(0)? as usize;
        let weight = word(1)? as i16 as i64;
        let sign = word(2)?;
        let dscale = word(3)? as usize;
        match sign {
            0xC000 => return Ok("NaN".into()),
            0xD000 => return Ok("Infinity".into()),
            0xF000 => return Ok("-Infinity".into()),
            _ => {}
        }
        let digits: Vec<u16> = (0..ndigits)
            .map(|i| word(4 + i))
            .collect::<Result<_, _>>()?;
        let digit = |i: i64| -> u16 {
            usize::try_from(i)
                .ok()
                .and_then(|i| digits.get(i).copied())
                .unwrap_or(0)
        };
        let mut out = String::new();
        if sign == NEG {
            out.push('-');
        }
        if weight < 0 {
            out.push('0');
        } else {
            for i in 0..=weight {
                if i == 0 {
                    out.push_str(&digit(i).to_string());
                } else {
                    out.push_str(&format!("{:04}", digit(i)));
                }
            }
        }
        if dscale > 0 {
            let mut frac = String::new();
            let mut i = weight + 1;
            while frac.len() < dscale {
                frac.push_str(&format!("{:04}", digit(i)));
                i += 1;
            }
            frac.truncate(dscale);
            out.push('.');
            out.push_str(&frac);
        }
        Ok(out)
    }

    pub(crate) fn encode(text: &str) -> Conversion<Vec<u8>> {
        let bad = || format!("{text:?} is not a decimal number");
        let (negative, body) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        if (int.is_empty() && frac.is_empty())
            || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let dscale = u16::try_from(frac.len()).map_err(|_| bad())?;
        let int = int.trim_start_matches('0');
        let int_pad = (4 - int.len() % 4) % 4;
        let int_digits = format!("{}{int}", "0".repeat(int_pad));
        let frac_pad = (4 - frac.len() % 4) % 4;
        let frac_digits = format!("{frac}{}", "0".repeat(frac_pad));
        let group = |s: &str| -> Vec<u16> {
            s.as_bytes()
                .chunks(4)
                .map(|c| c.iter().fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0')))
                .collect()
        };
        let int_groups = group(&int_digits);
        let mut weight = int_groups.len() as i64 - 1;
        let mut all: Vec<u16> = int_groups;
        all.extend(group(&frac_digits));
        while all.first() == Some(&0) {
            all.remove(0);
            weight -= 1;
        }
        while all.last() == Some(&0) {
            all.pop();
        }
        if all.is_empty() {
            weight = 0;
        }
        let sign = if negative && !all.is_empty() {
            NEG
        } else {
            POS
        };
        let mut out = Vec::with_capacity(8 + all.len() * 2);
        let ndigits = u16::try_from(all.len())
            .map_err(|_| format!("{text:?} has too many digits for a PostgreSQL numeric"))?;
        let weight = i16::try_from(weight)
            .map_err(|_| format!("{text:?} is out of a PostgreSQL numeric's range"))?;
        out.extend(ndigits.to_be_bytes());
        out.extend(weight.to_be_bytes());
        out.extend(sign.to_be_bytes());
        out.extend(dscale.to_be_bytes());
        for d in all {
            out.extend(d.to_be_bytes());
        }
        Ok(out)
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn numerics_round_trip() {
            for text in [
                "0",
                "1",
                "-1",
                "12345.678",
                "0.0001",
                "-0.5",
                "100000000",
                "3.14159265358979323846",
            ] {
                let raw = super::encode(text).expect("encodes");
                assert_eq!(super::decode(&raw).expect("decodes"), text);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_values_and_rows_count_against_the_bytes_cap() {
        assert!(row_size(&[]) >= 16);
        let nulls = vec![SqlValue::Null; 1000];
        assert!(row_size(&nulls) >= 16 * 1000 + 16, "{}", row_size(&nulls));
        assert_eq!(
            row_size(&[SqlValue::Text("abc".into())]),
            row_size(&[SqlValue::Null]) + 3
        );
    }

    #[test]
    fn infinite_and_extreme_pg_times_fail_without_panicking() {
        for name in ["TIMESTAMPTZ", "TIMESTAMP"] {
            for micros in [i64::MAX, i64::MIN, i64::MAX - 1, i64::MIN + 1] {
                let err = pg_decode(name, false, &micros.to_be_bytes()).expect_err("out of range");
                assert!(!err.is_empty());
            }
        }
        let err = pg_decode("TIMESTAMPTZ", false, &i64::MAX.to_be_bytes()).expect_err("infinity");
        assert!(err.contains("infinity"), "{err}");
        let err = pg_decode("DATE", false, &i32::MIN.to_be_bytes()).expect_err("-infinity");
        assert!(err.contains("-infinity"), "{err}");
        let err = pg_decode("DATE", false, &(i32::MAX - 1).to_be_bytes()).expect_err("far");
        assert!(!err.is_empty());
    }

    #[test]
    fn extreme_mysql_times_fail_without_panicking() {
        // TIME: u32::MAX days, and microseconds past a second.
        let mut raw = vec![12u8, 0];
        raw.extend(u32::MAX.to_le_bytes());
        raw.extend([1, 2, 3]);
        raw.extend(u32::MAX.to_le_bytes());
        assert!(mysql_decode("TIME", &raw).is_err());
        let mut raw = vec![12u8, 0, 0, 0, 0, 0, 1, 2, 3];
        raw.extend(u32::MAX.to_le_bytes());
        assert!(mysql_decode("TIME", &raw).is_err());
        // DATETIME with microseconds past a second.
        let mut raw = vec![11u8, 0xE8, 0x07, 1, 1, 0, 0, 0];
        raw.extend(5_000_000u32.to_le_bytes());
        assert!(mysql_decode("DATETIME", &raw).is_err());
        let mut raw = vec![11u8, 0xE8, 0x07, 1, 1, 0, 0, 0];
        raw.extend(999_999u32.to_le_bytes());
        let value = mysql_decode("DATETIME", &raw).expect("decodes");
        assert!(
            matches!(&value, SqlValue::Datetime(s) if s == "2024-01-01T00:00:00.999999"),
            "{value:?}"
        );
    }

    #[test]
    fn numerics_out_of_range_fail_without_wrapping() {
        let huge = format!("1{}", "0".repeat(200_000));
        assert!(pg_encode(&SqlValue::Decimal(huge)).is_err());
        let tiny = format!("0.{}1", "0".repeat(200_000));
        assert!(pg_encode(&SqlValue::Decimal(tiny)).is_err());
        let many = "1".repeat(300_000);
        assert!(pg_encode(&SqlValue::Decimal(many)).is_err());
    }
}
