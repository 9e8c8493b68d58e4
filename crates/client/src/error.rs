//! [`ClientError`]: why a request to the API server failed, with the server's own error body
//! when it refused.

use weft_protocol::api::error::{ErrorBody, ErrorDetail};

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No answer: the server is down, the address is wrong or TLS failed.
    #[error("cannot reach the Weft server at {base}: {source} (start one with wfctl standalone)")]
    Unreachable {
        /// The server's URL.
        base: String,
        /// What the HTTP client saw.
        #[source]
        source: Box<ureq::Error>,
    },
    /// The answer could not be read to its end.
    #[error("reading the answer of {base}: {source}")]
    Read {
        /// The server's URL.
        base: String,
        /// What the HTTP client saw.
        #[source]
        source: Box<ureq::Error>,
    },
    /// A 2xx answer whose body is not the JSON the route returns.
    #[error("the server at {base} answered with something that is not JSON: {source}")]
    NotJson {
        /// The server's URL.
        base: String,
        /// Where the body stopped making sense.
        #[source]
        source: serde_json::Error,
    },
    /// A 2xx answer of another shape than the route's (a server of another version).
    #[error("the server at {base} answered in a form this client does not read: {source}")]
    Shape {
        /// The server's URL.
        base: String,
        /// The field that did not fit.
        #[source]
        source: serde_json::Error,
    },
    /// The server refused the request and said why: `<status> <code>: <message>`.
    #[error("{status} {}: {}", .detail.code, .detail.message)]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The class (`code`) and message of the server's error body.
        detail: ErrorDetail,
    },
    /// The server refused the request without an error body (a proxy's page, say).
    #[error("{status}: {}", unexplained(.text))]
    Unexplained {
        /// The HTTP status.
        status: u16,
        /// The body, as it came.
        text: String,
    },
    /// A request body that cannot be encoded as JSON.
    #[error("encoding the request: {0}")]
    Encode(#[source] serde_json::Error),
}

impl ClientError {
    /// The error of a non-2xx answer with status `status` and body `body`.
    pub fn refused(status: u16, body: &str) -> ClientError {
        match serde_json::from_str::<ErrorBody>(body) {
            Ok(ErrorBody { error: detail }) => ClientError::Refused { status, detail },
            Err(_) => ClientError::Unexplained {
                status,
                text: body.trim().to_owned(),
            },
        }
    }

    /// The HTTP status the server refused the request with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Refused { status, .. } | ClientError::Unexplained { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }
}

fn unexplained(text: &str) -> &str {
    if text.is_empty() {
        "the server gave no reason"
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_become_messages() {
        let body = r#"{"error":{"code":"not_found","message":"no DAG \"x\""}}"#;
        assert_eq!(
            ClientError::refused(404, body).to_string(),
            "404 not_found: no DAG \"x\""
        );
        assert_eq!(
            ClientError::refused(502, "bad gateway\n").to_string(),
            "502: bad gateway"
        );
        assert_eq!(
            ClientError::refused(500, "").to_string(),
            "500: the server gave no reason"
        );
        assert_eq!(ClientError::refused(409, body).status(), Some(409));
    }
}
