//! What one attempt has used of its egress limits, shared by its requests in flight.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use super::policy::EgressLimits;
use crate::log::{LogBuffer, LogLevel};

/// Counters of one attempt's outgoing HTTP, and its log for refusals.
pub(crate) struct Usage {
    pub(crate) limits: EgressLimits,
    pub(crate) requests: AtomicU32,
    pub(crate) sent: AtomicU64,
    pub(crate) received: AtomicU64,
    /// Set when a request was refused by the egress policy (not by a limit).
    denied: AtomicBool,
    first_denial: std::sync::Mutex<Option<String>>,
    log: LogBuffer,
}

impl Usage {
    pub(crate) fn new(limits: EgressLimits, log: LogBuffer) -> Usage {
        Usage {
            limits,
            requests: AtomicU32::new(0),
            sent: AtomicU64::new(0),
            received: AtomicU64::new(0),
            denied: AtomicBool::new(false),
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
        tracing::debug!(%message, "egress denied");
        self.denied.store(true, Ordering::Relaxed);
        self.first_denial
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get_or_insert_with(|| message.clone());
        self.log
            .write(LogLevel::Error, &format!("egress denied: {message}"));
    }

    /// The first refusal's reason.
    pub(crate) fn first_denial(&self) -> Option<String> {
        self.first_denial
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Whether any request was refused by the policy.
    pub(crate) fn was_denied(&self) -> bool {
        self.denied.load(Ordering::Relaxed)
    }
}
