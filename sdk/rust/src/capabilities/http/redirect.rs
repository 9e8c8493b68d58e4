//! Following redirects: where the next hop goes, with which method, body and headers. Pure.
//!
//! Each hop is a request of its own, so the host checks it against the egress policy like
//! any other.

use url::Url;

use super::headers::Headers;
use super::method::Method;
use super::target::Target;

/// Whether `status` is a redirect this client can follow.
pub(crate) fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// The request after a redirect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hop {
    /// Where it goes.
    pub(crate) url: Url,
    /// Its method.
    pub(crate) method: Method,
    /// Whether it sends the same body again (307 and 308, and 301 and 302 except after a
    /// POST); otherwise it sends none.
    pub(crate) keep_body: bool,
}

/// The hop after a `status` redirect of `method from` to `location`, as browsers and curl do:
/// 303 turns into GET (HEAD stays HEAD), 301 and 302 turn a POST into GET, 307 and 308 keep
/// method and body. An error says why it cannot be followed.
pub(crate) fn next_hop(
    status: u16,
    method: &Method,
    location: Option<&str>,
    from: &Url,
) -> Result<Hop, String> {
    let location = location.ok_or("the response has no Location header")?;
    let url = from
        .join(location)
        .map_err(|e| format!("Location `{location}` is not a URL: {e}"))?;
    Target::of(&url).map_err(|e| e.to_string())?;
    let to_get = match status {
        303 => *method != Method::Head,
        301 | 302 => *method == Method::Post,
        _ => false,
    };
    Ok(Hop {
        url,
        method: if to_get { Method::Get } else { method.clone() },
        keep_body: !to_get,
    })
}

/// The headers of the next hop: without the body's headers when the body is dropped, and
/// without credentials when it goes to another origin (scheme, host or port).
pub(crate) fn hop_headers(headers: &Headers, from: &Url, hop: &Hop) -> Headers {
    let mut next = headers.clone();
    if !hop.keep_body {
        for name in ["content-length", "content-type", "content-encoding"] {
            next.remove(name);
        }
    }
    if from.origin() != hop.url.origin() {
        for name in ["authorization", "proxy-authorization", "cookie"] {
            next.remove(name);
        }
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("valid")
    }

    #[test]
    fn only_the_usual_redirect_statuses_are_followed() {
        for status in [301, 302, 303, 307, 308] {
            assert!(is_redirect(status));
        }
        for status in [200, 300, 304, 305, 400] {
            assert!(!is_redirect(status), "{status}");
        }
    }

    #[test]
    fn relative_locations_resolve_against_the_url_redirected_from() {
        let from = url("https://a.example/dir/page?x=1");
        let hop = next_hop(302, &Method::Get, Some("other"), &from).expect("followable");
        assert_eq!(hop.url.as_str(), "https://a.example/dir/other");
        let hop = next_hop(301, &Method::Get, Some("//b.example/p"), &from).expect("followable");
        assert_eq!(hop.url.as_str(), "https://b.example/p");
    }

    #[test]
    fn methods_and_bodies_change_as_browsers_do() {
        let from = url("http://h/x");
        let hop = |status, method: Method| {
            let hop = next_hop(status, &method, Some("/y"), &from).expect("followable");
            (hop.method, hop.keep_body)
        };
        assert_eq!(hop(303, Method::Post), (Method::Get, false));
        assert_eq!(hop(303, Method::Put), (Method::Get, false));
        assert_eq!(hop(303, Method::Head), (Method::Head, true));
        assert_eq!(hop(302, Method::Post), (Method::Get, false));
        assert_eq!(hop(301, Method::Put), (Method::Put, true));
        assert_eq!(hop(307, Method::Post), (Method::Post, true));
        assert_eq!(hop(308, Method::Put), (Method::Put, true));
    }

    #[test]
    fn unusable_locations_are_errors() {
        let from = url("http://h/x");
        assert!(
            next_hop(302, &Method::Get, None, &from)
                .expect_err("no location")
                .contains("no Location")
        );
        assert!(
            next_hop(302, &Method::Get, Some("ftp://h/f"), &from)
                .expect_err("ftp")
                .contains("not http or https")
        );
        assert!(
            next_hop(302, &Method::Get, Some("http://[::1"), &from)
                .expect_err("bad")
                .contains("is not a URL")
        );
    }

    #[test]
    fn credentials_stay_with_their_origin_and_body_headers_with_their_body() {
        let mut headers = Headers::new();
        headers.insert("Authorization", "Bearer t");
        headers.insert("Content-Type", "application/json");
        headers.insert("Accept", "*/*");
        let from = url("https://a.example/x");

        let same = next_hop(307, &Method::Post, Some("/y"), &from).expect("followable");
        let kept = hop_headers(&headers, &from, &same);
        assert_eq!(kept, headers);

        let elsewhere =
            next_hop(303, &Method::Post, Some("https://b.example/y"), &from).expect("followable");
        let next = hop_headers(&headers, &from, &elsewhere);
        assert!(!next.contains("authorization"));
        assert!(!next.contains("content-type"));
        assert_eq!(next.get("accept"), Some("*/*"));

        let other_port = next_hop(307, &Method::Get, Some("https://a.example:8443/"), &from)
            .expect("followable");
        assert!(!hop_headers(&headers, &from, &other_port).contains("authorization"));
    }
}
