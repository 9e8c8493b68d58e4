//! Each tenant's rate of user API requests ([`Quotas::api_requests_per_second`] with its
//! burst), kept per server by a token bucket (GCRA) per tenant. A server reads a tenant's
//! quota again at most every [`REREAD`], so a change reaches every server within that (the
//! server that made it, at once); each
//! server keeps its own bucket, so N servers behind a balancer let through up to N times the
//! rate. The installation administrator is not limited.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use governor::clock::Clock as _;
use governor::{DefaultDirectRateLimiter, Quota as Rate, RateLimiter};
use weft_store::{Quotas, Store};

use crate::error::ApiError;

/// How long a tenant's quota, once read, is used before it is read again.
pub const REREAD: Duration = Duration::from_secs(5);

/// The rate and burst a tenant's quotas set, if any.
type Setting = Option<(NonZeroU32, NonZeroU32)>;

/// A tenant's bucket, and when its setting was read.
struct Bucket {
    read_at: Instant,
    setting: Setting,
    limiter: Option<Arc<DefaultDirectRateLimiter>>,
}

/// The tenants' buckets on this server.
#[derive(Default)]
pub(crate) struct RateLimits {
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimits {
    /// Let a request of `tenant` through, or a 429 saying when to come back.
    pub(crate) async fn admit(&self, store: &dyn Store, tenant: &str) -> Result<(), ApiError> {
        let limiter = match self.current(tenant) {
            Some(limiter) => limiter,
            None => {
                // Read outside the lock; two requests reading at once set the same thing.
                let asked_at = Instant::now();
                let quotas = store
                    .tenant(tenant)
                    .await?
                    .map_or(Quotas::NONE, |t| t.quotas);
                self.keep(tenant, setting(&quotas), asked_at)
            }
        };
        let Some(limiter) = limiter else {
            return Ok(());
        };
        limiter.check().map_err(|not_until| {
            let wait = not_until.wait_time_from(limiter.clock().now());
            ApiError::RateLimited {
                message: format!(
                    "tenant {tenant} is at its quota api_requests_per_second; try again in {} ms",
                    wait.as_millis().max(1)
                ),
                // Whole seconds, rounded up: never sooner than the bucket lets through.
                retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            }
        })
    }

    /// Use `quotas`, which this server just stored for `tenant`, from now on: a read that
    /// began before cannot put the old setting back.
    pub(crate) fn set(&self, tenant: &str, quotas: &Quotas) {
        self.keep(tenant, setting(quotas), Instant::now());
    }

    /// The tenant's bucket (`Some(None)`: no rate) while its setting is fresh.
    #[allow(clippy::option_option)]
    fn current(&self, tenant: &str) -> Option<Option<Arc<DefaultDirectRateLimiter>>> {
        let buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let bucket = buckets.get(tenant)?;
        (bucket.read_at.elapsed() < REREAD).then(|| bucket.limiter.clone())
    }

    /// Keep the setting of `tenant` read from a request sent at `asked_at`: the same bucket if
    /// the setting is unchanged (what it let through still counts), a new one if it changed.
    /// A setting older than the one kept (asked for before that one was) changes nothing.
    fn keep(
        &self,
        tenant: &str,
        setting: Setting,
        asked_at: Instant,
    ) -> Option<Arc<DefaultDirectRateLimiter>> {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let read_at = asked_at;
        if let Some(bucket) = buckets.get_mut(tenant) {
            if asked_at < bucket.read_at {
                return bucket.limiter.clone();
            }
            if bucket.setting == setting {
                bucket.read_at = read_at;
                return bucket.limiter.clone();
            }
        }
        let limiter = setting.map(|(rate, burst)| {
            Arc::new(RateLimiter::direct(
                Rate::per_second(rate).allow_burst(burst),
            ))
        });
        buckets.insert(
            tenant.to_owned(),
            Bucket {
                read_at,
                setting,
                limiter: limiter.clone(),
            },
        );
        limiter
    }
}

/// The rate and burst `quotas` set: the burst is the rate when not set.
fn setting(quotas: &Quotas) -> Setting {
    let rate = NonZeroU32::new(quotas.api_requests_per_second?)?;
    let burst = quotas.api_burst.and_then(NonZeroU32::new).unwrap_or(rate);
    Some((rate, burst))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_let_through_then_refused_with_when_to_come_back() {
        let limits = RateLimits::default();
        let limiter = limits
            .keep(
                "team-a",
                setting(&Quotas {
                    api_requests_per_second: Some(1),
                    api_burst: Some(3),
                    ..Quotas::NONE
                }),
                Instant::now(),
            )
            .unwrap();
        for _ in 0..3 {
            assert!(limiter.check().is_ok());
        }
        let refused = limiter.check().unwrap_err();
        let wait = refused.wait_time_from(limiter.clock().now());
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
    }

    #[test]
    fn an_unchanged_setting_keeps_its_bucket_and_a_changed_one_starts_afresh() {
        let limits = RateLimits::default();
        let one = Some((NonZeroU32::MIN, NonZeroU32::MIN));
        let first = limits.keep("team-a", one, Instant::now()).unwrap();
        assert!(first.check().is_ok());
        let again = limits.keep("team-a", one, Instant::now()).unwrap();
        assert!(
            Arc::ptr_eq(&first, &again),
            "the same setting keeps its bucket"
        );
        assert!(
            again.check().is_err(),
            "what the bucket let through still counts"
        );
        let two = NonZeroU32::new(2);
        let changed = limits.keep("team-a", two.zip(two), Instant::now()).unwrap();
        assert!(changed.check().is_ok());
        assert!(
            limits.keep("team-a", None, Instant::now()).is_none(),
            "no rate: no bucket"
        );
        assert!(matches!(limits.current("team-a"), Some(None)));
        assert!(limits.current("team-b").is_none(), "never read");
        // A read that began before the quota was set here cannot put the old one back.
        let asked_before = Instant::now();
        limits.set(
            "team-a",
            &Quotas {
                api_requests_per_second: Some(5),
                ..Quotas::NONE
            },
        );
        let kept = limits.keep("team-a", None, asked_before);
        assert!(kept.is_some(), "the setting made later stays");
    }

    #[test]
    fn the_burst_defaults_to_the_rate() {
        let rate = |r, b| {
            setting(&Quotas {
                api_requests_per_second: r,
                api_burst: b,
                ..Quotas::NONE
            })
        };
        assert_eq!(rate(None, None), None);
        assert_eq!(
            rate(Some(5), None),
            NonZeroU32::new(5).zip(NonZeroU32::new(5))
        );
        assert_eq!(
            rate(Some(5), Some(9)),
            NonZeroU32::new(5).zip(NonZeroU32::new(9))
        );
    }
}
