//! Text encoded for a URL: path segments (run ids hold `:` and `+`) and query values.

/// `text` encoded for one path segment.
pub fn segment(text: &str) -> String {
    encode(text, |b| {
        b.is_ascii_alphanumeric() || b"-._~:@+".contains(&b)
    })
}

/// `text` encoded for a query-string value.
pub fn query_value(text: &str) -> String {
    encode(text, |b| b.is_ascii_alphanumeric() || b"-._~:".contains(&b))
}

fn encode(text: &str, keep: impl Fn(u8) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if keep(b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_encoded() {
        assert_eq!(
            segment("manual__2024-01-01T00:00:00+00:00"),
            "manual__2024-01-01T00:00:00+00:00"
        );
        assert_eq!(segment("a b/c"), "a%20b%2Fc");
        assert_eq!(query_value("a+b&c"), "a%2Bb%26c");
    }
}
