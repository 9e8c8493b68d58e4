//! How notifications are delivered: who claims them, how often the store is asked, and
//! how failed attempts are spaced (`wfctl server` and `wfctl standalone` take these from
//! their `--notify-*` flags).

use std::time::Duration;

use jiff::Timestamp;

/// How notifications are delivered.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// Who claims notifications: unique per process (two servers must not share it).
    pub holder: String,
    /// How often the store is asked for due notifications when none were due.
    pub poll: Duration,
    /// How long a claim lasts: a server that dies holding one lets it go after this.
    pub claim_lease: Duration,
    /// Most notifications claimed (and delivered at once) per round.
    pub batch: u32,
    /// Attempts in all before a notification fails.
    pub max_attempts: u32,
    /// Delay before the second attempt; each later delay doubles.
    pub first_retry_delay: Duration,
    /// Longest delay between two attempts.
    pub max_retry_delay: Duration,
    /// Longest time one attempt may take.
    pub attempt_timeout: Duration,
    /// Longest wait after the store failed before asking it again.
    pub max_store_backoff: Duration,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            holder: default_holder(),
            poll: Duration::from_secs(1),
            claim_lease: Duration::from_secs(60),
            batch: 32,
            max_attempts: 5,
            first_retry_delay: Duration::from_secs(10),
            max_retry_delay: Duration::from_secs(600),
            attempt_timeout: Duration::from_secs(10),
            max_store_backoff: Duration::from_secs(30),
        }
    }
}

/// `notify-<host>-<pid>-<start time in ns>`: unique per process.
fn default_holder() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".into());
    format!(
        "notify-{host}-{}-{}",
        std::process::id(),
        Timestamp::now().as_nanosecond()
    )
}

impl DeliveryConfig {
    /// The delay after failed attempt number `attempt` (1-based): the first one doubled
    /// each time, at most the longest.
    pub(crate) fn retry_delay(&self, attempt: u32) -> Duration {
        crate::retry::backoff(self.first_retry_delay, self.max_retry_delay, attempt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_double_from_the_first_up_to_the_longest() {
        let config = DeliveryConfig {
            first_retry_delay: Duration::from_secs(10),
            max_retry_delay: Duration::from_secs(60),
            ..DeliveryConfig::default()
        };
        assert_eq!(config.retry_delay(1), Duration::from_secs(10));
        assert_eq!(config.retry_delay(3), Duration::from_secs(40));
        assert_eq!(config.retry_delay(100), Duration::from_secs(60));
    }
}
