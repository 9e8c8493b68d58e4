//! Sensor settings: how a task that reschedules or defers pokes, and how long it may wait.

use std::time::Duration;

use crate::bindings::weft::dag::types as wit;
use crate::settings::millis;

/// How a sensor pokes and how long it may wait (Airflow's `BaseSensorOperator` settings).
///
/// Applies to a task that returns [`TaskError::reschedule`](crate::TaskError::reschedule) or
/// [`TaskError::defer`](crate::TaskError::defer), and to a [wait](crate::Dag::wait). Set it
/// with `.sensor(...)` on the task, or as a DAG default with `default_sensor`.
///
/// ```
/// use std::time::Duration;
/// use weft_sdk::SensorSettings;
///
/// let sensor = SensorSettings::new()
///     .poke_interval(Duration::from_secs(30))
///     .timeout(Duration::from_secs(6 * 3600))
///     .exponential_backoff(true)
///     .max_poke_interval(Duration::from_secs(600))
///     .soft_fail(true);
/// # let _ = sensor;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SensorSettings {
    poke_interval_ms: u64,
    timeout_ms: Option<u64>,
    soft_fail: bool,
    exponential_backoff: bool,
    max_poke_interval_ms: Option<u64>,
}

impl Default for SensorSettings {
    fn default() -> Self {
        Self::new()
    }
}

impl SensorSettings {
    /// Poke every minute (Airflow's default), with no timeout, no soft fail and no backoff.
    pub fn new() -> Self {
        Self {
            poke_interval_ms: 60_000,
            timeout_ms: None,
            soft_fail: false,
            exponential_backoff: false,
            max_poke_interval_ms: None,
        }
    }

    /// Delay before the next poke when the task reschedules without naming one
    /// ([`TaskError::reschedule`](crate::TaskError::reschedule)).
    pub fn poke_interval(mut self, interval: Duration) -> Self {
        self.poke_interval_ms = millis(interval);
        self
    }

    /// Longest the task may wait, from its first poke (or the start of its wait). Past it the
    /// task fails, or is skipped with [`soft_fail`](Self::soft_fail); it is not retried.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout_ms = Some(millis(timeout));
        self
    }

    /// Skip the task instead of failing it when it times out or when what it waits for ends
    /// in a failed state.
    pub fn soft_fail(mut self, soft_fail: bool) -> Self {
        self.soft_fail = soft_fail;
        self
    }

    /// Double the delay after each poke that reschedules, up to
    /// [`max_poke_interval`](Self::max_poke_interval).
    pub fn exponential_backoff(mut self, enabled: bool) -> Self {
        self.exponential_backoff = enabled;
        self
    }

    /// Upper bound of the delay with exponential backoff (an hour unless set).
    pub fn max_poke_interval(mut self, interval: Duration) -> Self {
        self.max_poke_interval_ms = Some(millis(interval));
        self
    }

    pub(crate) fn to_wit(&self) -> wit::SensorSettings {
        wit::SensorSettings {
            poke_interval_ms: self.poke_interval_ms,
            timeout_ms: self.timeout_ms,
            soft_fail: self.soft_fail,
            exponential_backoff: self.exponential_backoff,
            max_poke_interval_ms: self.max_poke_interval_ms,
        }
    }
}
