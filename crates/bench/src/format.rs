//! Figures as text: thousands separators, sensible precision, durations in ms or s.

/// `value` with a precision that suits its size and `,` between thousands:
/// `0.042`, `0.42`, `4.2`, `42.1`, `1,234`.
pub fn number(value: f64) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    let magnitude = value.abs();
    let decimals = if magnitude >= 100.0 || magnitude == magnitude.trunc() {
        0
    } else if magnitude >= 10.0 {
        1
    } else if magnitude >= 0.1 {
        2
    } else {
        3
    };
    let text = format!("{value:.decimals$}");
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text.as_str(), None),
    };
    let (sign, digits) = match int.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", int),
    };
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// [`number`] without trailing zeros after the point: `0.5`, `10,000`, `1.25`.
pub fn compact(value: f64) -> String {
    let text = number(value);
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

/// Milliseconds as text: `0.42 ms`, `35.2 ms`, `1,234 ms`; a minute or more in seconds.
pub fn ms(value: f64) -> String {
    if value >= 60_000.0 {
        return format!("{} s", number(value / 1000.0));
    }
    format!("{} ms", number(value))
}

/// Seconds as text: `51.7 s`.
pub fn secs(value: f64) -> String {
    format!("{} s", number(value))
}

/// A rate: `1,234 tasks/s`.
pub fn rate(value: f64) -> String {
    format!("{} tasks/s", number(value))
}

/// A size in bytes, in decimal units: `512 B`, `900 KB`, `1 MB`, `4.24 MB`.
pub fn bytes(value: f64) -> String {
    if value >= 1e6 {
        format!("{} MB", compact(value / 1e6))
    } else if value >= 1e3 {
        format!("{} KB", compact(value / 1e3))
    } else {
        format!("{} B", compact(value))
    }
}

/// A ratio, `12×`, `1.5×`, `0.42×`.
pub fn ratio(value: f64) -> String {
    format!("{}×", number(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_get_separators_and_precision() {
        assert_eq!(number(10_000.0), "10,000");
        assert_eq!(number(1_234_567.8), "1,234,568");
        assert_eq!(number(999.4), "999");
        assert_eq!(number(42.14), "42.1");
        assert_eq!(number(4.214), "4.21");
        assert_eq!(number(0.5), "0.50");
        assert_eq!(number(0.0421), "0.042");
        assert_eq!(number(20.0), "20");
        assert_eq!(number(-1234.0), "-1,234");
        assert_eq!(number(0.0), "0");
    }

    #[test]
    fn units_are_attached() {
        assert_eq!(ms(0.42), "0.42 ms");
        assert_eq!(ms(61_500.0), "61.5 s");
        assert_eq!(compact(0.5), "0.5");
        assert_eq!(compact(10_000.0), "10,000");
        assert_eq!(compact(0.25), "0.25");
        assert_eq!(secs(51.7), "51.7 s");
        assert_eq!(rate(5_000.0), "5,000 tasks/s");
        assert_eq!(ratio(12.0), "12×");
        assert_eq!(bytes(900_000.0), "900 KB");
        assert_eq!(bytes(1_000_000.0), "1 MB");
        assert_eq!(bytes(100_000_000.0), "100 MB");
        assert_eq!(bytes(4_237_429.0), "4.24 MB");
        assert_eq!(bytes(512.0), "512 B");
    }
}
