//! Why a request failed, in the proxy's own terms, and the trait that turns it into the
//! error type of the HTTP stack the proxy serves (the runtime's is `wasi:http`'s).

use std::io;

/// Why the proxy refused or failed a request: the `wasi:http` error codes it produces, one
/// variant each.
#[derive(Debug, thiserror::Error)]
pub enum EgressError {
    /// The HTTP connection failed.
    #[error("hyper error: {0}")]
    Hyper(#[source] hyper::Error),
    /// No TCP connection could be made.
    #[error("connection error: {0}")]
    Connect(#[source] io::Error),
    /// The TLS handshake failed.
    #[error("TLS error: {0}")]
    Tls(#[source] io::Error),
    /// The host is not a name a TLS certificate can be checked against.
    #[error("invalid DNS name: {0}")]
    InvalidDnsName(#[source] rustls::pki_types::InvalidDnsNameError),
    /// The name lookup ran out of time.
    #[error("DNS lookup timed out")]
    DnsTimeout,
    /// The name lookup failed; `rcode` says how.
    #[error("DNS error: {rcode:?}")]
    DnsError {
        /// The resolver's message.
        rcode: Option<String>,
    },
    /// The name resolves to no address.
    #[error("destination not found")]
    DestinationNotFound,
    /// Every address of the name is one the policy refuses.
    #[error("destination IP address is prohibited")]
    DestinationIpProhibited,
    /// Every address refused the connection.
    #[error("connection refused")]
    ConnectionRefused,
    /// No connection (TCP or TLS) within the connect timeout.
    #[error("connection timeout")]
    ConnectionTimeout,
    /// A response body stalled or ran past the attempt's deadline.
    #[error("connection read timeout")]
    ConnectionReadTimeout,
    /// The attempt has sent as many requests as it may.
    #[error("connection limit reached")]
    ConnectionLimitReached,
    /// The egress policy refuses the request.
    #[error("HTTP request denied")]
    HttpRequestDenied,
    /// The request's URI has no authority, or cannot be sent as a request line.
    #[error("HTTP request URI invalid")]
    HttpRequestUriInvalid,
    /// The attempt has sent more request-body bytes than it may (the limit).
    #[error("HTTP request body size exceeds limit: {0:?}")]
    HttpRequestBodySize(Option<u64>),
    /// The attempt may not receive this many more response-body bytes (the size or limit).
    #[error("HTTP response body size exceeds limit: {0:?}")]
    HttpResponseBodySize(Option<u64>),
    /// No response within the first-byte timeout.
    #[error("HTTP response timeout")]
    HttpResponseTimeout,
}

/// The HTTP stack the proxy serves (the runtime's is `wasi:http`'s): the error type its
/// bodies carry, which the proxy's own failures become case by case.
pub trait HttpStack: 'static {
    /// The stack's error type.
    type Error: std::error::Error + Send + Sync + 'static;

    /// The stack's error for `e`.
    fn error(e: EgressError) -> Self::Error;
}
