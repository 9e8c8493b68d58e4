//! The operator's limits on one attempt's outgoing HTTP and TCP.

use std::time::Duration;

/// Limits on one attempt's outgoing HTTP and TCP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EgressLimits {
    /// Most requests one attempt may send.
    pub max_requests: u32,
    /// Most raw TCP connections one attempt may open (`tcp://` rules).
    pub max_tcp_connections: u32,
    /// Most request-body bytes one attempt may send, all requests together.
    pub max_sent_bytes: u64,
    /// Most response-body bytes one attempt may receive, all responses together.
    pub max_received_bytes: u64,
    /// Longest wait for a connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// Longest wait from sending a request to the first byte of its response.
    pub first_byte_timeout: Duration,
    /// Longest pause between two chunks of a response body.
    pub between_bytes_timeout: Duration,
}

impl Default for EgressLimits {
    fn default() -> Self {
        EgressLimits {
            max_requests: 10_000,
            max_tcp_connections: 100,
            max_sent_bytes: 1 << 30,
            max_received_bytes: 1 << 30,
            connect_timeout: Duration::from_secs(10),
            first_byte_timeout: Duration::from_secs(60),
            between_bytes_timeout: Duration::from_secs(60),
        }
    }
}
