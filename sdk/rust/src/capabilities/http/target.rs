//! Where a request goes: a parsed URL split into the parts `wasi:http` takes (scheme,
//! authority, path with query). Pure.

use url::Url;

use super::error::HttpError;

/// The parts of an `http` or `https` URL that an outgoing request is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    /// Whether TLS is used.
    pub(crate) https: bool,
    /// `host` or `host:port` (the port only when it is not the scheme's own); IPv6
    /// addresses in brackets.
    pub(crate) authority: String,
    /// The path and the query, if any: `/a/b?x=1`. Never empty.
    pub(crate) path_with_query: String,
}

/// Parse `text` as an absolute `http` or `https` URL.
pub(crate) fn parse_url(text: &str) -> Result<Url, HttpError> {
    let url = Url::parse(text).map_err(|e| HttpError::InvalidUrl {
        url: text.to_owned(),
        reason: e.to_string(),
    })?;
    Target::of(&url)?;
    Ok(url)
}

impl Target {
    /// The parts of `url`; an error unless it is an `http` or `https` URL with a host and no
    /// user name or password (send credentials in a header instead).
    pub(crate) fn of(url: &Url) -> Result<Target, HttpError> {
        let invalid = |reason: &str| HttpError::InvalidUrl {
            url: url.to_string(),
            reason: reason.to_owned(),
        };
        let https = match url.scheme() {
            "http" => false,
            "https" => true,
            _ => return Err(invalid("the scheme is not http or https")),
        };
        let host = url.host_str().ok_or_else(|| invalid("it has no host"))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(
                "credentials in URLs are not sent; put them in a header",
            ));
        }
        // `Url` leaves out a port that is the scheme's own.
        let authority = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        let path_with_query = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        Ok(Target {
            https,
            authority,
            path_with_query,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(text: &str) -> Result<Target, HttpError> {
        Target::of(&parse_url(text)?)
    }

    #[test]
    fn splits_a_url_into_scheme_authority_and_path() {
        assert_eq!(
            target("http://127.0.0.1:9000/bucket/key.csv?x-id=GetObject&a=b%20c").expect("valid"),
            Target {
                https: false,
                authority: "127.0.0.1:9000".into(),
                path_with_query: "/bucket/key.csv?x-id=GetObject&a=b%20c".into(),
            }
        );
        let t = target("https://Example.COM:443").expect("valid");
        assert!(t.https);
        assert_eq!(
            t.authority, "example.com",
            "own port left out, host lower-cased"
        );
        assert_eq!(t.path_with_query, "/");
        assert_eq!(
            target("http://[::1]:8080/x").expect("valid").authority,
            "[::1]:8080"
        );
        assert_eq!(
            target("https://h/a#frag").expect("valid").path_with_query,
            "/a"
        );
    }

    #[test]
    fn rejects_what_cannot_be_sent() {
        for (text, reason) in [
            ("ftp://example.com/x", "not http or https"),
            ("example.com/x", "relative URL without a base"),
            ("https://user:pw@example.com/", "credentials"),
            ("http://", "empty host"),
        ] {
            let err = target(text).expect_err(text);
            assert!(matches!(err, HttpError::InvalidUrl { .. }), "{err:?}");
            assert!(err.to_string().contains(reason), "{text}: {err}");
        }
    }
}
