//! How long a task waits before its next attempt.

use std::time::Duration;

use crate::dag::Task;

/// Longest delay exponential backoff can reach, whatever the task's settings: 24 hours
/// (Airflow's `MAX_RETRY_DELAY`).
pub const MAX_BACKOFF_DELAY: Duration = Duration::from_secs(24 * 3_600);

impl Task {
    /// The delay before the attempt after failed attempt `try_number` (1 for the first).
    ///
    /// Without exponential backoff this is `retry_delay`. With it, it is Airflow's delay
    /// without the random part: `retry_delay * 2^(try_number - 1)`, rounded up to whole
    /// seconds and at least 1 s, at most 24 hours, and at most `max_retry_delay` if set.
    pub fn retry_delay_for(&self, try_number: u32) -> Duration {
        if !self.retry_exponential_backoff {
            return self.retry_delay;
        }
        let exponent = try_number.saturating_sub(1).min(64);
        let nanos = self
            .retry_delay
            .as_nanos()
            .saturating_mul(1u128 << exponent);
        let secs = nanos.div_ceil(1_000_000_000).max(1);
        let cap = u128::from(MAX_BACKOFF_DELAY.as_secs());
        // At most 24 hours, so it fits in u64.
        let delay = Duration::from_secs(secs.min(cap) as u64);
        match self.max_retry_delay {
            Some(max) => delay.min(max),
            None => delay,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{DagSpec, TaskSettings, TaskSpec};

    fn task(settings: TaskSettings) -> Task {
        let mut spec = DagSpec::new("d");
        spec.tasks.push(TaskSpec {
            settings,
            ..TaskSpec::new("t")
        });
        let dag = spec.validate().unwrap();
        dag.tasks()[0].clone()
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn without_backoff_the_delay_is_fixed() {
        let t = task(TaskSettings {
            retry_delay_ms: Some(1_500),
            max_retry_delay_ms: Some(1_000),
            ..Default::default()
        });
        for try_number in [0, 1, 2, 10, u32::MAX] {
            assert_eq!(t.retry_delay_for(try_number), Duration::from_millis(1_500));
        }
        assert_eq!(task(TaskSettings::default()).retry_delay_for(3), secs(300));
    }

    #[test]
    fn backoff_doubles_per_try() {
        let t = task(TaskSettings {
            retry_delay_ms: Some(10_000),
            retry_exponential_backoff: Some(true),
            ..Default::default()
        });
        let delays: Vec<_> = (1..=5).map(|n| t.retry_delay_for(n)).collect();
        assert_eq!(delays, [secs(10), secs(20), secs(40), secs(80), secs(160)]);
        assert_eq!(t.retry_delay_for(0), secs(10));
    }

    #[test]
    fn backoff_is_capped() {
        let capped = task(TaskSettings {
            retry_delay_ms: Some(10_000),
            retry_exponential_backoff: Some(true),
            max_retry_delay_ms: Some(60_000),
            ..Default::default()
        });
        assert_eq!(capped.retry_delay_for(3), secs(40));
        assert_eq!(capped.retry_delay_for(4), secs(60));
        assert_eq!(capped.retry_delay_for(u32::MAX), secs(60));
        let uncapped = task(TaskSettings {
            retry_delay_ms: Some(300_000),
            retry_exponential_backoff: Some(true),
            ..Default::default()
        });
        assert_eq!(uncapped.retry_delay_for(9), secs(76_800));
        assert_eq!(uncapped.retry_delay_for(10), MAX_BACKOFF_DELAY);
        assert_eq!(uncapped.retry_delay_for(200), MAX_BACKOFF_DELAY);
    }

    #[test]
    fn backoff_rounds_up_to_whole_seconds() {
        let t = task(TaskSettings {
            retry_delay_ms: Some(250),
            retry_exponential_backoff: Some(true),
            ..Default::default()
        });
        assert_eq!(t.retry_delay_for(1), secs(1));
        assert_eq!(t.retry_delay_for(3), secs(1));
        assert_eq!(t.retry_delay_for(4), secs(2));
        assert_eq!(t.retry_delay_for(5), secs(4));
        let zero = task(TaskSettings {
            retry_delay_ms: Some(0),
            retry_exponential_backoff: Some(true),
            ..Default::default()
        });
        assert_eq!(zero.retry_delay_for(1), secs(1));
    }
}
