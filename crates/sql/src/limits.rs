//! Per-attempt caps on SQL, set by the operator, and the counters of one attempt.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use weft_protocol::log::{LogLevel, LogSink};

use crate::SqlError;

/// Limits on one attempt's SQL, and on the pools the runtime keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqlLimits {
    /// Most statements one attempt may run, all sessions together.
    pub max_statements: u32,
    /// Most rows one attempt may receive, all statements together.
    pub max_rows: u64,
    /// Most bytes of values one attempt may receive: the values' payloads plus a fixed
    /// cost per value and per row (what the host holds for them).
    pub max_bytes: u64,
    /// Longest a statement may run before it is cancelled on the server; the attempt's
    /// deadline shortens it.
    pub statement_timeout: Duration,
    /// Longest wait for a connection (TCP, TLS and login).
    pub connect_timeout: Duration,
    /// Most connections of one pool (one connection's content).
    pub pool_size: u32,
    /// How long an unused pooled connection is kept.
    pub pool_idle_timeout: Duration,
}

impl Default for SqlLimits {
    fn default() -> Self {
        SqlLimits {
            max_statements: 10_000,
            max_rows: 10_000_000,
            max_bytes: 1 << 30,
            statement_timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            pool_size: 8,
            pool_idle_timeout: Duration::from_secs(300),
        }
    }
}

/// What one attempt has used of its SQL caps, shared by its sessions and streams.
pub struct SqlUsage {
    pub(crate) limits: SqlLimits,
    statements: AtomicU32,
    rows: AtomicU64,
    bytes: AtomicU64,
    first_denial: std::sync::Mutex<Option<String>>,
    log: Arc<dyn LogSink>,
}

impl SqlUsage {
    /// The counters of a new attempt under `limits`, writing refusals and caps reached to
    /// the attempt's `log`.
    pub fn new(limits: SqlLimits, log: Arc<dyn LogSink>) -> SqlUsage {
        SqlUsage {
            limits,
            statements: AtomicU32::new(0),
            rows: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            first_denial: std::sync::Mutex::new(None),
            log,
        }
    }

    /// Records a refusal by the egress policy in the attempt's log.
    pub(crate) fn deny(&self, message: &str) {
        tracing::debug!(%message, "sql denied");
        self.first_denial
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get_or_insert_with(|| message.to_owned());
        self.log
            .write(LogLevel::Error, &format!("sql denied: {message}"));
    }

    /// The first refusal's reason: a task that fails after one is classed `egress_denied`,
    /// as for HTTP.
    pub fn first_denial(&self) -> Option<String> {
        self.first_denial
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The caps of the attempt.
    pub fn limits(&self) -> &SqlLimits {
        &self.limits
    }

    /// Records a statement cancelled at its timeout in the attempt's log.
    pub(crate) fn note_timeout(&self, message: &str) {
        tracing::debug!(%message, "sql timeout");
        self.log
            .write(LogLevel::Warn, &format!("sql timeout: {message}"));
    }

    fn limit(&self, message: String) -> SqlError {
        tracing::debug!(%message, "sql limit");
        self.log
            .write(LogLevel::Warn, &format!("sql limit: {message}"));
        SqlError::Limit(message)
    }

    /// Counts one statement against the cap.
    pub(crate) fn count_statement(&self) -> Result<(), SqlError> {
        let limit = self.limits.max_statements;
        // Counted only below the cap, so the counter never passes it (nor wraps).
        let counted = self
            .statements
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                n.checked_add(1).filter(|m| *m <= limit)
            });
        if counted.is_err() {
            return Err(self.limit(format!(
                "the attempt may run at most {limit} statements (max_statements)"
            )));
        }
        Ok(())
    }

    /// Counts one row of `bytes` against the caps.
    pub(crate) fn count_row(&self, bytes: u64) -> Result<(), SqlError> {
        let max_rows = self.limits.max_rows;
        let counted = self
            .rows
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                n.checked_add(1).filter(|m| *m <= max_rows)
            });
        if counted.is_err() {
            return Err(self.limit(format!(
                "the attempt may receive at most {max_rows} rows (max_rows)"
            )));
        }
        let max_bytes = self.limits.max_bytes;
        let counted = self
            .bytes
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                n.checked_add(bytes).filter(|total| *total <= max_bytes)
            });
        if counted.is_err() {
            return Err(self.limit(format!(
                "the attempt may receive at most {max_bytes} bytes of values (max_bytes)"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoLog;

    impl LogSink for NoLog {
        fn write(&self, _: LogLevel, _: &str) {}
    }

    fn usage(limits: SqlLimits) -> SqlUsage {
        SqlUsage::new(limits, Arc::new(NoLog))
    }

    #[test]
    fn counters_stop_at_their_caps() {
        let u = usage(SqlLimits {
            max_statements: u32::MAX - 1,
            max_rows: u64::MAX - 1,
            max_bytes: u64::MAX - 1,
            ..SqlLimits::default()
        });
        u.statements.store(u32::MAX - 2, Ordering::Relaxed);
        assert!(u.count_statement().is_ok());
        for _ in 0..3 {
            assert!(u.count_statement().is_err());
        }
        assert_eq!(u.statements.load(Ordering::Relaxed), u32::MAX - 1);
        u.rows.store(u64::MAX - 2, Ordering::Relaxed);
        u.bytes.store(u64::MAX - 10, Ordering::Relaxed);
        assert!(u.count_row(u64::MAX).is_err());
        assert_eq!(u.bytes.load(Ordering::Relaxed), u64::MAX - 10);
        for _ in 0..3 {
            assert!(u.count_row(0).is_err());
        }
        assert_eq!(u.rows.load(Ordering::Relaxed), u64::MAX - 1);
    }
}
