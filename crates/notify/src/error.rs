//! Errors of notification delivery and of reading SMTP settings. Each keeps its source; none
//! carries a secret: URLs appear as `scheme://host:port/path` only (no userinfo, no query),
//! and signing secrets and passwords never appear at all.

use std::time::Duration;

use lettre::address::AddressError;
use lettre::transport::smtp;

/// Why a notification was not delivered.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The webhook URL cannot be used (wrong scheme, no host).
    #[error("webhook URL {url} cannot be used: {reason}")]
    InvalidUrl {
        /// The URL, without userinfo or query.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An extra header would replace one Weft sets itself.
    #[error("header {name} is set by Weft and cannot be replaced")]
    ReservedHeader {
        /// The header's name.
        name: String,
    },
    /// The address policy refused an address the destination resolved to. Not retried.
    #[error("delivery to {host} refused: {reason}")]
    Denied {
        /// The destination's host name.
        host: String,
        /// The policy's reason.
        reason: String,
    },
    /// The destination's host name could not be resolved.
    #[error("resolving {host} failed")]
    Resolve {
        /// The host name.
        host: String,
        /// The resolver's error.
        #[source]
        source: std::io::Error,
    },
    /// The destination's host name resolved to no address.
    #[error("{host} resolved to no address")]
    NoAddress {
        /// The host name.
        host: String,
    },
    /// No TCP connection could be made to any checked address.
    #[error("connecting to {target} failed")]
    Connect {
        /// The address tried last.
        target: String,
        /// The connection error.
        #[source]
        source: std::io::Error,
    },
    /// The TLS client could not be configured.
    #[error("configuring TLS for {host} failed")]
    TlsConfig {
        /// The destination's host.
        host: String,
        /// Why.
        #[source]
        source: Box<weft_tls::TlsError>,
    },
    /// The destination's host is not a valid TLS server name.
    #[error("{host} is not a valid TLS server name")]
    ServerName {
        /// The destination's host.
        host: String,
        /// The parsing error.
        #[source]
        source: rustls_pki_types::InvalidDnsNameError,
    },
    /// The TLS handshake failed (untrusted certificate, wrong name, no common protocol).
    #[error("TLS handshake with {host} failed")]
    Tls {
        /// The destination's host.
        host: String,
        /// The handshake error.
        #[source]
        source: std::io::Error,
    },
    /// The payload could not be serialized.
    #[error("serializing the notification failed")]
    Payload {
        /// The serializer's error.
        #[source]
        source: serde_json::Error,
    },
    /// The HTTP request could not be built.
    #[error("building the request to {target} failed")]
    Request {
        /// The URL, without userinfo or query.
        target: String,
        /// The builder's error.
        #[source]
        source: hyper::http::Error,
    },
    /// The HTTP exchange failed (connection reset, malformed response).
    #[error("HTTP exchange with {target} failed")]
    Http {
        /// The URL, without userinfo or query.
        target: String,
        /// hyper's error.
        #[source]
        source: hyper::Error,
    },
    /// The receiver answered with a status that will not change on retry: a 4xx other than
    /// 429, or a redirect (redirects are not followed).
    #[error("{target} rejected the notification with status {status}")]
    Rejected {
        /// The URL, without userinfo or query.
        target: String,
        /// The HTTP status.
        status: u16,
    },
    /// The receiver answered 5xx or 429: retried.
    #[error("{target} answered status {status}")]
    Unavailable {
        /// The URL, without userinfo or query.
        target: String,
        /// The HTTP status.
        status: u16,
    },
    /// One attempt took longer than `timeout_per_attempt`.
    #[error("delivery to {target} timed out after {after:?}")]
    Timeout {
        /// The destination, without userinfo or query.
        target: String,
        /// The time allowed to one attempt.
        after: Duration,
    },
    /// No recipient was given for an email.
    #[error("an email notification needs at least one recipient")]
    NoRecipients,
    /// A recipient is not a valid email address. Checked before connecting.
    #[error("recipient {address:?} is not a valid email address")]
    Recipient {
        /// The address as given.
        address: String,
        /// The parsing error.
        #[source]
        source: AddressError,
    },
    /// The sender (`from`) is not a valid email address.
    #[error("sender {address:?} is not a valid email address")]
    Sender {
        /// The address as given.
        address: String,
        /// The parsing error.
        #[source]
        source: AddressError,
    },
    /// The email could not be built.
    #[error("building the email failed")]
    Message {
        /// lettre's error.
        #[source]
        source: lettre::error::Error,
    },
    /// The SMTP server refused the login.
    #[error("SMTP server {target} refused the login")]
    Auth {
        /// `host:port` of the server.
        target: String,
        /// lettre's error, with the server's reply (never the password).
        #[source]
        source: smtp::Error,
    },
    /// The SMTP exchange failed: transient replies (4xx) and connection errors are retried,
    /// permanent replies (5xx) are not.
    #[error("SMTP delivery through {target} failed")]
    Smtp {
        /// `host:port` of the server.
        target: String,
        /// lettre's error.
        #[source]
        source: smtp::Error,
    },
    /// Every attempt failed with an error worth retrying; the last one is the source.
    #[error("delivery failed after {attempts} attempts")]
    GaveUp {
        /// How many attempts were made.
        attempts: u32,
        /// The last attempt's error.
        #[source]
        source: Box<DeliveryError>,
    },
}

impl DeliveryError {
    /// What may be shown to someone who cannot see the destination (any viewer of the run):
    /// `refused` when the egress policy stopped it, `failed: HTTP <status>` when the receiver
    /// answered, `failed` for every other network outcome (a closed port, a timeout, a name
    /// that does not resolve, a TLS or protocol error look alike, so that a webhook is no
    /// port scanner), and the error itself when it names no destination and Weft never went
    /// on the network (an extra header Weft sets, a bad recipient). The whole error goes to
    /// the server's log.
    pub fn summary(&self) -> String {
        match self {
            Self::Denied { .. } => "refused".into(),
            Self::Rejected { status, .. } | Self::Unavailable { status, .. } => {
                format!("failed: HTTP {status}")
            }
            Self::GaveUp { source, .. } => source.summary(),
            Self::InvalidUrl { reason, .. } => {
                format!("failed: the webhook URL cannot be used: {reason}")
            }
            Self::ReservedHeader { .. }
            | Self::NoRecipients
            | Self::Recipient { .. }
            | Self::Sender { .. } => format!("failed: {self}"),
            Self::Resolve { .. }
            | Self::NoAddress { .. }
            | Self::Connect { .. }
            | Self::TlsConfig { .. }
            | Self::ServerName { .. }
            | Self::Tls { .. }
            | Self::Payload { .. }
            | Self::Request { .. }
            | Self::Http { .. }
            | Self::Timeout { .. }
            | Self::Message { .. }
            | Self::Auth { .. }
            | Self::Smtp { .. } => "failed".into(),
        }
    }

    /// Whether another attempt may succeed: connection errors, timeouts, HTTP 5xx and 429,
    /// and transient SMTP replies. Denials, rejections and bad input are final.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Resolve { .. }
            | Self::Connect { .. }
            | Self::Http { .. }
            | Self::Unavailable { .. }
            | Self::Timeout { .. } => true,
            // A reply code of 5xx is final; a 4xx, a timeout or a broken connection
            // (no reply at all) may pass next time.
            Self::Smtp { source, .. } => {
                !source.is_permanent() && !source.is_client() && !source.is_tls()
            }
            _ => false,
        }
    }
}

/// Why SMTP settings could not be read from a connection.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The connection has no host.
    #[error("the smtp connection has no host")]
    MissingHost,
    /// The connection's `extra` is not a JSON object of the expected shape.
    #[error(
        "the smtp connection's extra is not valid JSON of the form {{\"from\": ..., \"tls\": ...}}"
    )]
    BadExtra {
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// `extra.tls` is none of `none`, `starttls`, `tls`.
    #[error(
        "the smtp connection's extra.tls is {value:?}; expected \"none\", \"starttls\" or \"tls\""
    )]
    BadTls {
        /// The value found.
        value: String,
    },
    /// `extra.from` is missing.
    #[error("the smtp connection's extra has no \"from\" address")]
    MissingFrom,
    /// `extra.from` is not a valid email address.
    #[error("the smtp connection's extra.from {value:?} is not a valid email address")]
    BadFrom {
        /// The value found.
        value: String,
        /// The parsing error.
        #[source]
        source: AddressError,
    },
    /// A password is given without a login.
    #[error("the smtp connection has a password but no login")]
    PasswordWithoutLogin,
}
