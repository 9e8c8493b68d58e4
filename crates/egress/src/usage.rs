//! What one attempt has used of its egress limits, shared by its requests and connections in
//! flight.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use weft_protocol::log::{LogLevel, LogSink};

use crate::{EgressError, EgressLimits};

/// Counters of one attempt's outgoing HTTP and TCP, and its log for refusals.
pub struct Usage {
    pub(crate) limits: EgressLimits,
    pub(crate) requests: AtomicU32,
    /// TCP connections the policy let the task start.
    pub(crate) tcp_connections: AtomicU32,
    pub(crate) sent: AtomicU64,
    pub(crate) received: AtomicU64,
    /// The first request the egress policy refused (not a limit reached), if any.
    first_denial: std::sync::Mutex<Option<String>>,
    log: Arc<dyn LogSink>,
}

impl Usage {
    /// The counters of a new attempt under `limits`, writing refusals and limits reached to
    /// the attempt's `log`.
    pub fn new(limits: EgressLimits, log: Arc<dyn LogSink>) -> Usage {
        Usage {
            limits,
            requests: AtomicU32::new(0),
            tcp_connections: AtomicU32::new(0),
            sent: AtomicU64::new(0),
            received: AtomicU64::new(0),
            first_denial: std::sync::Mutex::new(None),
            log,
        }
    }

    /// Records a limit reached, in the attempt's log.
    pub(crate) fn note(&self, message: String) {
        tracing::debug!(%message, "egress limit");
        self.log.write(LogLevel::Warn, &message);
    }

    /// Records a request the policy refused, in the attempt's log.
    pub(crate) fn deny(&self, message: String) {
        weft_metrics::metrics().egress("http", false);
        self.refuse("egress denied", message);
    }

    /// Records a socket use the policy refused (a TCP connection, a listener, UDP), in the
    /// attempt's log; it counts like a refused request.
    pub(crate) fn deny_tcp(&self, message: String) {
        weft_metrics::metrics().egress("socket", false);
        self.refuse("tcp denied", message);
    }

    /// Records a name lookup the policy refused, in the attempt's log; it counts like a
    /// refused request.
    pub fn deny_lookup(&self, message: String) {
        weft_metrics::metrics().egress("dns", false);
        self.refuse("dns denied", message);
    }

    fn refuse(&self, what: &'static str, message: String) {
        tracing::debug!(%message, "{what}");
        self.first_denial
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get_or_insert_with(|| message.clone());
        self.log
            .write(LogLevel::Error, &format!("{what}: {message}"));
    }

    /// The first refusal's reason.
    pub fn first_denial(&self) -> Option<String> {
        self.first_denial
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Counts `bytes` of a request body against the attempt's limit.
    pub(crate) fn count_sent(&self, bytes: usize) -> Result<(), EgressError> {
        let limit = self.limits.max_sent_bytes;
        if add(&self.sent, bytes) > limit {
            self.note(format!(
                "egress limit: the attempt sent more than {limit} request-body bytes"
            ));
            return Err(EgressError::HttpRequestBodySize(Some(limit)));
        }
        Ok(())
    }

    /// Counts `bytes` of a response body against the attempt's limit.
    pub(crate) fn count_received(&self, bytes: usize) -> Result<(), EgressError> {
        let limit = self.limits.max_received_bytes;
        if add(&self.received, bytes) > limit {
            self.note(format!(
                "egress limit: the attempt received more than {limit} response-body bytes"
            ));
            return Err(EgressError::HttpResponseBodySize(Some(limit)));
        }
        Ok(())
    }
}

/// Adds `bytes` to `counter`, saturating; returns the new total.
fn add(counter: &AtomicU64, bytes: usize) -> u64 {
    let bytes = u64::try_from(bytes).unwrap_or(u64::MAX);
    let before = counter
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
            Some(n.saturating_add(bytes))
        })
        .unwrap_or_else(|n| n);
    before.saturating_add(bytes)
}

/// Counts one more against `counter` unless it has reached `max`; whether it was counted.
/// The counter never passes `max`, so it cannot wrap however often the guest retries.
pub(crate) fn count_up_to(counter: &AtomicU32, max: u32) -> bool {
    counter
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
            n.checked_add(1).filter(|m| *m <= max)
        })
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_saturate() {
        let c = AtomicU32::new(u32::MAX - 1);
        assert!(!count_up_to(&c, u32::MAX - 1));
        assert_eq!(c.load(Ordering::Relaxed), u32::MAX - 1);
        assert!(count_up_to(&c, u32::MAX));
        assert!(!count_up_to(&c, u32::MAX));
        assert_eq!(c.load(Ordering::Relaxed), u32::MAX);
        let b = AtomicU64::new(u64::MAX - 1);
        assert_eq!(add(&b, 10), u64::MAX);
        assert_eq!(add(&b, usize::MAX), u64::MAX);
    }
}
