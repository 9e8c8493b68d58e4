//! Assets: data named by a URI (`s3://bucket/customers.parquet`), which tasks update and
//! DAGs may be scheduled on, as Airflow's assets (datasets).
//!
//! A task lists the assets it updates as its outlets: each gets an event when the task
//! succeeds. A DAG lists the assets it waits for: a run starts once every one of them has had
//! an event since the last run they started. Events can also be posted through the API, by
//! a system outside Weft announcing new data. URIs are compared exactly as written.

/// Longest asset URI, in bytes.
pub const MAX_URI_LEN: usize = 1000;

/// Largest `extra` of an asset event, in bytes of JSON as stored: a run's conf holds up to
/// 100 of them, and it goes with each of its task messages.
pub const MAX_EXTRA_BYTES: usize = 16 * 1024;

/// Checks the `extra` of an asset event: a JSON object of at most [`MAX_EXTRA_BYTES`] as
/// stored (which may be longer than as sent: `1e15` is written `1000000000000000.0`).
pub fn check_extra(extra: &serde_json::Value) -> Result<(), String> {
    if !extra.is_object() {
        return Err(format!(
            "the extra of an asset event must be a JSON object, not {extra}"
        ));
    }
    let size = extra.to_string().len();
    if size > MAX_EXTRA_BYTES {
        return Err(format!(
            "the extra of an asset event is {size} bytes of JSON (at most {MAX_EXTRA_BYTES})"
        ));
    }
    Ok(())
}

/// What is wrong with an asset URI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssetIssue {
    /// It is longer than [`MAX_URI_LEN`].
    #[error("is {len} bytes long (at most {MAX_URI_LEN})")]
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// It is not an absolute URI.
    #[error("is not a URI with a scheme, such as s3://bucket/key or file:///data/x.csv ({reason})")]
    NotAUri {
        /// Why it does not parse.
        reason: String,
    },
    /// It has spaces or control characters, which a URI cannot hold as written.
    #[error("has spaces or control characters (percent-encode them)")]
    Whitespace,
    /// It is listed more than once.
    #[error("is listed more than once")]
    Repeated,
}

/// Checks that `uri` names an asset: an absolute URI of at most [`MAX_URI_LEN`] bytes.
pub fn check_uri(uri: &str) -> Result<(), AssetIssue> {
    if uri.len() > MAX_URI_LEN {
        return Err(AssetIssue::TooLong { len: uri.len() });
    }
    if uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(AssetIssue::Whitespace);
    }
    url::Url::parse(uri)
        .map(|_| ())
        .map_err(|e| AssetIssue::NotAUri {
            reason: e.to_string(),
        })
}

/// Checks a list of asset URIs: each valid, none twice; the problems found, by URI.
pub fn check_uris(uris: &[String]) -> Vec<(String, AssetIssue)> {
    let mut seen = std::collections::HashSet::new();
    let mut problems = Vec::new();
    for uri in uris {
        if let Err(issue) = check_uri(uri) {
            problems.push((uri.clone(), issue));
        } else if !seen.insert(uri.as_str()) {
            problems.push((uri.clone(), AssetIssue::Repeated));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extras_are_objects_measured_as_stored() {
        assert_eq!(check_extra(&serde_json::json!({"rows": 200})), Ok(()));
        assert!(check_extra(&serde_json::json!([1])).is_err_and(|e| e.contains("JSON object")));
        // Sent as `1e15` (4 bytes), each number is stored as `1000000000000000.0` (18): a list
        // under the limit as sent is over it as stored.
        let sent = format!("{{\"a\":[{}]}}", vec!["1e15"; 1000].join(","));
        assert!(sent.len() < MAX_EXTRA_BYTES);
        let value: serde_json::Value = serde_json::from_str(&sent).unwrap();
        assert!(check_extra(&value).is_err_and(|e| e.contains("bytes of JSON")));
    }

    #[test]
    fn uris_are_checked() {
        for good in [
            "s3://weft/customers.csv",
            "file:///data/x.csv",
            "postgres://db.example/sales/orders",
            "x-report:monthly",
        ] {
            assert_eq!(check_uri(good), Ok(()), "{good}");
        }
        assert!(matches!(
            check_uri("customers.csv"),
            Err(AssetIssue::NotAUri { .. })
        ));
        assert_eq!(check_uri("s3://a b"), Err(AssetIssue::Whitespace));
        assert_eq!(
            check_uri(""),
            Err(AssetIssue::NotAUri {
                reason: "relative URL without a base".into()
            })
        );
        let long = format!("s3://b/{}", "k".repeat(MAX_URI_LEN));
        assert_eq!(
            check_uri(&long),
            Err(AssetIssue::TooLong { len: long.len() })
        );
        let listed = [
            "s3://a/1".to_owned(),
            "nope".to_owned(),
            "s3://a/1".to_owned(),
        ];
        let found: Vec<String> = check_uris(&listed)
            .into_iter()
            .map(|(uri, issue)| format!("{uri}: {issue}"))
            .collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].starts_with("nope: is not a URI"), "{found:?}");
        assert_eq!(found[1], "s3://a/1: is listed more than once");
    }
}
