//! Attempts, backoff and per-attempt timeouts shared by webhook and email delivery.

use std::future::Future;
use std::time::Duration;

use crate::error::DeliveryError;

/// How hard to try delivering one notification.
#[derive(Debug, Clone)]
pub struct DeliveryOptions {
    /// Attempts in all, the first included (default 3; 0 counts as 1).
    pub attempts: u32,
    /// The wait before the second attempt (default 1 s); each later wait doubles.
    pub first_delay: Duration,
    /// The longest wait between two attempts (default 60 s).
    pub max_delay: Duration,
    /// The time one attempt may take, from resolving the host to the reply (default 10 s).
    pub timeout_per_attempt: Duration,
    /// What HTTPS and SMTP over TLS trust: the public web roots by default, plus CA files
    /// for receivers behind a private CA.
    pub trust: weft_tls::Trust,
}

impl Default for DeliveryOptions {
    fn default() -> Self {
        Self {
            attempts: 3,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            timeout_per_attempt: Duration::from_secs(10),
            trust: weft_tls::Trust::default(),
        }
    }
}

impl DeliveryOptions {
    /// The wait after failed attempt number `attempt` (1-based): `first_delay` doubled
    /// `attempt - 1` times, at most `max_delay`.
    pub fn delay_after(&self, attempt: u32) -> Duration {
        backoff(self.first_delay, self.max_delay, attempt)
    }
}

/// `first` doubled `attempt - 1` times, at most `max`: the wait after failed attempt number
/// `attempt` (1-based), for the attempts of one delivery and for the stored notifications'
/// retries alike.
pub(crate) fn backoff(first: Duration, max: Duration, attempt: u32) -> Duration {
    let factor = 1u32
        .checked_shl(attempt.saturating_sub(1))
        .unwrap_or(u32::MAX);
    first.checked_mul(factor).unwrap_or(max).min(max)
}

/// A successful delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    /// The attempts it took, the successful one included.
    pub attempts: u32,
    /// The receiver's status: the HTTP status for a webhook, the SMTP reply code (250) for
    /// an email.
    pub status: u16,
}

/// Runs `attempt` until it succeeds, fails for good, or `opts.attempts` are spent; each
/// attempt is bounded by `opts.timeout_per_attempt`. `target` names the destination in logs
/// and timeout errors (never with secrets). Returns the value and the attempts it took.
pub(crate) async fn with_retries<T, F, Fut>(
    target: &str,
    opts: &DeliveryOptions,
    mut attempt: F,
) -> Result<(T, u32), DeliveryError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, DeliveryError>>,
{
    let attempts = opts.attempts.max(1);
    let mut number = 1;
    loop {
        let outcome = match tokio::time::timeout(opts.timeout_per_attempt, attempt()).await {
            Ok(outcome) => outcome,
            Err(_elapsed) => Err(DeliveryError::Timeout {
                target: target.to_owned(),
                after: opts.timeout_per_attempt,
            }),
        };
        let error = match outcome {
            Ok(value) => return Ok((value, number)),
            Err(error) => error,
        };
        let transient = error.is_transient();
        tracing::warn!(
            %target,
            attempt = number,
            of = attempts,
            retrying = transient && number < attempts,
            error = &error as &dyn std::error::Error,
            "notification delivery attempt failed"
        );
        if !transient {
            return Err(error);
        }
        if number >= attempts {
            return Err(DeliveryError::GaveUp {
                attempts: number,
                source: Box::new(error),
            });
        }
        tokio::time::sleep(opts.delay_after(number)).await;
        number += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let opts = DeliveryOptions {
            first_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
            ..DeliveryOptions::default()
        };
        let delays: Vec<u128> = (1..=5).map(|n| opts.delay_after(n).as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 500, 500]);
        assert_eq!(opts.delay_after(200), Duration::from_millis(500));
    }

    #[test]
    fn defaults_match_the_docs() {
        let opts = DeliveryOptions::default();
        assert_eq!(opts.attempts, 3);
        assert_eq!(opts.first_delay, Duration::from_secs(1));
        assert_eq!(opts.timeout_per_attempt, Duration::from_secs(10));
    }

    #[tokio::test]
    async fn a_slow_attempt_times_out_and_is_retried() {
        let opts = DeliveryOptions {
            attempts: 2,
            first_delay: Duration::from_millis(1),
            timeout_per_attempt: Duration::from_millis(20),
            ..DeliveryOptions::default()
        };
        let mut calls = 0;
        let result: Result<((), u32), _> = with_retries("http://x:80/", &opts, || {
            calls += 1;
            std::future::pending()
        })
        .await;
        assert_eq!(calls, 2);
        match result {
            Err(DeliveryError::GaveUp {
                attempts: 2,
                source,
            }) => {
                assert!(
                    matches!(*source, DeliveryError::Timeout { .. }),
                    "{source:?}"
                );
            }
            other => panic!("expected GaveUp, got {other:?}"),
        }
    }
}
