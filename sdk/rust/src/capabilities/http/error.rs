//! [`HttpError`]: why an HTTP request failed, mapped from `wasi:http`'s `error-code`, and
//! whether another attempt may succeed.

use crate::bindings::wasi::http::types::ErrorCode;
use crate::error::TaskError;

/// Why an HTTP request failed.
///
/// `?` in a task turns it into a retryable [`TaskError`]; [`HttpError::into_task_error`]
/// picks the kind by [`HttpError::is_retryable`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The host's egress policy refused the request: the task must declare the destination
    /// (`allow_egress`) and the operator must allow it too.
    #[error(
        "{method} {url}: refused by the host's egress policy (declare the destination with \
         `allow_egress`; the operator's policy must allow it too)"
    )]
    Denied {
        /// The request's method.
        method: String,
        /// The request's URL.
        url: String,
    },
    /// The URL cannot be parsed, or is not `http` or `https`.
    #[error("invalid URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The request cannot be built: a bad header, method or body.
    #[error("invalid request to {url}: {reason}")]
    InvalidRequest {
        /// The request's URL.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The host name could not be resolved.
    #[error("{url}: DNS lookup failed{detail}")]
    Dns {
        /// The request's URL.
        url: String,
        /// The resolver's words, if any (`: ...`).
        detail: String,
    },
    /// Nothing listens at the destination.
    #[error("{url}: connection refused")]
    ConnectionRefused {
        /// The request's URL.
        url: String,
    },
    /// A timeout expired: connecting, waiting for the first byte, or between bytes.
    #[error("{url}: timed out {phase}")]
    Timeout {
        /// The request's URL.
        url: String,
        /// Which wait expired.
        phase: &'static str,
    },
    /// TLS failed: a bad certificate, an alert, a protocol error.
    #[error("{url}: TLS error: {detail}")]
    Tls {
        /// The request's URL.
        url: String,
        /// What failed.
        detail: String,
    },
    /// The connection could not be made or broke.
    #[error("{url}: connection failed: {detail}")]
    Connection {
        /// The request's URL.
        url: String,
        /// What failed.
        detail: String,
    },
    /// The server broke the HTTP protocol, or a limit on sizes was exceeded.
    #[error("{url}: HTTP error: {detail}")]
    Protocol {
        /// The request's URL.
        url: String,
        /// What failed.
        detail: String,
    },
    /// Reading the response body or writing the request body failed.
    #[error("{url}: {detail}")]
    Body {
        /// The request's URL.
        url: String,
        /// What failed.
        detail: String,
    },
    /// More redirects than [`follow_redirects`](super::Request::follow_redirects) allows.
    #[error("{url}: still redirected after following {limit} redirects")]
    TooManyRedirects {
        /// The last URL redirected from.
        url: String,
        /// How many redirects were followed.
        limit: u32,
    },
    /// A redirect that cannot be followed: no `Location`, or one that is not a URL.
    #[error("{url}: cannot follow redirect {status}: {reason}")]
    BadRedirect {
        /// The URL redirected from.
        url: String,
        /// The redirect's status.
        status: u16,
        /// What is wrong with it.
        reason: String,
    },
    /// The server answered with an error status ([`Response::error_for_status`]).
    ///
    /// [`Response::error_for_status`]: super::Response::error_for_status
    #[error("{method} {url}: status {status}{}", snippet_suffix(.body))]
    Status {
        /// The request's method.
        method: String,
        /// The request's URL.
        url: String,
        /// The status code.
        status: u16,
        /// The start of the response body, as text.
        body: String,
    },
    /// A body could not be encoded or decoded as JSON.
    #[error("{url}: JSON: {source}")]
    Json {
        /// The request's URL.
        url: String,
        /// The encoder's or decoder's error.
        #[source]
        source: serde_json::Error,
    },
    /// Anything else the host reported.
    #[error("{url}: {detail}")]
    Other {
        /// The request's URL.
        url: String,
        /// The host's words.
        detail: String,
    },
}

fn snippet_suffix(body: &str) -> String {
    if body.is_empty() {
        String::new()
    } else {
        format!(": {body}")
    }
}

impl HttpError {
    /// Whether another attempt may succeed: network trouble, timeouts and server-side
    /// statuses (408, 429, 5xx) may pass; a refusal by policy, a bad URL or request, TLS
    /// certificate errors and client-side statuses will not.
    pub fn is_retryable(&self) -> bool {
        match self {
            HttpError::Dns { .. }
            | HttpError::ConnectionRefused { .. }
            | HttpError::Timeout { .. }
            | HttpError::Connection { .. }
            | HttpError::Body { .. }
            | HttpError::Other { .. } => true,
            HttpError::Status { status, .. } => matches!(status, 408 | 429 | 500..=599),
            HttpError::Protocol { .. }
            | HttpError::Denied { .. }
            | HttpError::InvalidUrl { .. }
            | HttpError::InvalidRequest { .. }
            | HttpError::Tls { .. }
            | HttpError::TooManyRedirects { .. }
            | HttpError::BadRedirect { .. }
            | HttpError::Json { .. } => false,
        }
    }

    /// The [`TaskError`] of the right kind: retryable when
    /// [`is_retryable`](Self::is_retryable), else permanent.
    pub fn into_task_error(self) -> TaskError {
        if self.is_retryable() {
            TaskError::retryable(self.to_string())
        } else {
            TaskError::permanent(self.to_string())
        }
    }

    /// The error for `wasi:http` error code `code`, from request `method url`.
    pub(crate) fn from_code(code: ErrorCode, method: &str, url: &str) -> Self {
        let url = url.to_owned();
        let detail = |text: &str| text.to_owned();
        match code {
            ErrorCode::HttpRequestDenied => HttpError::Denied {
                method: method.to_owned(),
                url,
            },
            ErrorCode::DnsTimeout => HttpError::Timeout {
                url,
                phase: "resolving the host name",
            },
            ErrorCode::DnsError(payload) => {
                let words = [
                    payload.rcode,
                    payload.info_code.map(|c| format!("code {c}")),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
                HttpError::Dns {
                    url,
                    detail: if words.is_empty() {
                        words
                    } else {
                        format!(": {words}")
                    },
                }
            }
            ErrorCode::DestinationNotFound => HttpError::Dns {
                url,
                detail: ": no such host".to_owned(),
            },
            ErrorCode::ConnectionRefused => HttpError::ConnectionRefused { url },
            ErrorCode::ConnectionTimeout => HttpError::Timeout {
                url,
                phase: "connecting",
            },
            ErrorCode::ConnectionReadTimeout | ErrorCode::HttpResponseTimeout => {
                HttpError::Timeout {
                    url,
                    phase: "waiting for the response",
                }
            }
            ErrorCode::ConnectionWriteTimeout => HttpError::Timeout {
                url,
                phase: "sending the request",
            },
            ErrorCode::DestinationUnavailable => HttpError::Connection {
                url,
                detail: detail("destination unavailable"),
            },
            ErrorCode::DestinationIpProhibited => HttpError::Denied {
                method: method.to_owned(),
                url,
            },
            ErrorCode::DestinationIpUnroutable => HttpError::Connection {
                url,
                detail: detail("destination address unroutable"),
            },
            ErrorCode::ConnectionTerminated => HttpError::Connection {
                url,
                detail: detail("the connection was closed"),
            },
            ErrorCode::ConnectionLimitReached => HttpError::Connection {
                url,
                detail: detail("connection limit reached"),
            },
            ErrorCode::TlsProtocolError => HttpError::Tls {
                url,
                detail: detail("protocol error"),
            },
            ErrorCode::TlsCertificateError => HttpError::Tls {
                url,
                detail: detail("the server's certificate was not accepted"),
            },
            ErrorCode::TlsAlertReceived(alert) => HttpError::Tls {
                url,
                detail: format!(
                    "alert received{}{}",
                    alert
                        .alert_id
                        .map(|id| format!(" {id}"))
                        .unwrap_or_default(),
                    alert
                        .alert_message
                        .map(|m| format!(": {m}"))
                        .unwrap_or_default()
                ),
            },
            ErrorCode::HttpRequestMethodInvalid => HttpError::InvalidRequest {
                url,
                reason: format!("method `{method}` is not valid"),
            },
            ErrorCode::HttpRequestUriInvalid => HttpError::InvalidUrl {
                url,
                reason: "refused by the host".to_owned(),
            },
            ErrorCode::HttpRequestUriTooLong => HttpError::InvalidUrl {
                url,
                reason: "too long".to_owned(),
            },
            ErrorCode::HttpRequestLengthRequired => HttpError::InvalidRequest {
                url,
                reason: "the server requires a Content-Length".to_owned(),
            },
            ErrorCode::HttpRequestBodySize(size) => HttpError::InvalidRequest {
                url,
                reason: match size {
                    Some(n) => format!("the body does not have its declared size ({n} bytes)"),
                    None => "the body is too large or not its declared size".to_owned(),
                },
            },
            ErrorCode::InternalError(words) => HttpError::Other {
                url,
                detail: words.unwrap_or_else(|| "the host failed to send the request".into()),
            },
            other => HttpError::Protocol {
                url,
                detail: format!("{other:?}"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TaskErrorKind;
    use crate::bindings::wasi::http::types::DnsErrorPayload;

    const URL: &str = "https://api.example.com/x";

    #[test]
    fn a_denied_request_says_the_egress_policy_refused_it() {
        let err = HttpError::from_code(ErrorCode::HttpRequestDenied, "GET", URL);
        assert!(matches!(err, HttpError::Denied { .. }));
        let text = err.to_string();
        assert!(
            text.starts_with("GET https://api.example.com/x: refused by the host's egress policy"),
            "{text}"
        );
        assert!(text.contains("allow_egress"), "{text}");
        assert_eq!(err.into_task_error().kind(), TaskErrorKind::Permanent);
    }

    #[test]
    fn network_trouble_is_retryable() {
        for code in [
            ErrorCode::ConnectionRefused,
            ErrorCode::ConnectionTimeout,
            ErrorCode::HttpResponseTimeout,
            ErrorCode::ConnectionTerminated,
            ErrorCode::DnsTimeout,
            ErrorCode::DnsError(DnsErrorPayload {
                rcode: Some("NXDOMAIN".into()),
                info_code: None,
            }),
        ] {
            let err = HttpError::from_code(code, "GET", URL);
            assert!(err.is_retryable(), "{err:?}");
            assert_eq!(err.into_task_error().kind(), TaskErrorKind::Retryable);
        }
    }

    #[test]
    fn errors_name_the_url_and_what_failed() {
        let text = |code| HttpError::from_code(code, "PUT", URL).to_string();
        assert_eq!(
            text(ErrorCode::ConnectionRefused),
            "https://api.example.com/x: connection refused"
        );
        assert_eq!(
            text(ErrorCode::ConnectionTimeout),
            "https://api.example.com/x: timed out connecting"
        );
        assert_eq!(
            text(ErrorCode::DnsError(DnsErrorPayload {
                rcode: Some("NXDOMAIN".into()),
                info_code: Some(3),
            })),
            "https://api.example.com/x: DNS lookup failed: NXDOMAIN, code 3"
        );
        assert_eq!(
            text(ErrorCode::TlsCertificateError),
            "https://api.example.com/x: TLS error: the server's certificate was not accepted"
        );
        assert_eq!(
            text(ErrorCode::InternalError(Some("boom".into()))),
            "https://api.example.com/x: boom"
        );
    }

    #[test]
    fn statuses_are_retryable_only_on_the_server_side() {
        let status = |status| HttpError::Status {
            method: "GET".into(),
            url: URL.into(),
            status,
            body: String::new(),
        };
        assert!(status(503).is_retryable());
        assert!(status(429).is_retryable());
        assert!(!status(404).is_retryable());
        assert!(!status(403).is_retryable());
        assert_eq!(
            status(404).to_string(),
            "GET https://api.example.com/x: status 404"
        );
        let with_body = HttpError::Status {
            method: "GET".into(),
            url: URL.into(),
            status: 404,
            body: "<Error>NoSuchKey</Error>".into(),
        };
        assert!(
            with_body
                .to_string()
                .ends_with("status 404: <Error>NoSuchKey</Error>")
        );
    }
}
