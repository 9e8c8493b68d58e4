//! Delivering stored notifications.
//!
//! The scheduler writes a notification with the state change that causes it (see
//! `weft_store::notifications`); every process that serves the API (`wfctl server`, `wfctl
//! standalone`) runs [`run_delivery`], which claims due notifications (two servers never
//! hold one at once), opens the notifier's connection, checks the destination against the
//! installation's egress policy, sends the webhook or email, and records the attempt. A
//! failed attempt is tried again after a growing delay, up to
//! [`DeliveryConfig::max_attempts`]; one that no retry mends (a destination the egress
//! policy refuses, a 4xx answer) fails at once. Failures are logged whole, and shown by the
//! API server's `GET /dags/{dag_id}/runs/{run_id}/notifications` only as `refused`,
//! `failed` or `failed: HTTP <status>` (a webhook is no port scanner); a notification never
//! changes the task or run it reports on.
//!
//! # Layout
//! - `config`: [`DeliveryConfig`]; `egress`: the egress policy as an [`AddressPolicy`];
//! - `attempt`: one attempt of one notification.
//!
//! [`AddressPolicy`]: crate::AddressPolicy

mod attempt;
mod config;
mod egress;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use tokio::task::JoinSet;
use weft_model::egress::AllowedEgress;
use weft_store::{
    Credentials, DeliveryOutcome, DeliveryResult, NotificationRecord, Store, StoreError,
};
use weft_tls::Trust;

pub use config::DeliveryConfig;

use crate::DeliveryOptions;
use attempt::Failure;

/// Delivers due notifications until `shutdown` completes: claims them from `store`, opens
/// their connections with `credentials`, lets them out only where `egress` (the operator's
/// egress allowance, the one tasks' traffic passes) allows, and trusts for HTTPS and SMTP
/// over TLS what `trust` holds (the public roots and `--egress-ca-file`). A store that fails
/// is asked again after a growing wait; this never returns before `shutdown`.
pub async fn run_delivery(
    store: Arc<dyn Store>,
    credentials: Credentials,
    egress: AllowedEgress,
    trust: Trust,
    config: DeliveryConfig,
    shutdown: impl Future<Output = ()> + Send,
) {
    let deliverer = Arc::new(Deliverer {
        store,
        credentials,
        egress,
        options: DeliveryOptions {
            attempts: 1,
            timeout_per_attempt: config.attempt_timeout,
            // Receivers behind the operator's own CA (`--egress-ca-file`) are trusted as
            // tasks' HTTPS requests trust them.
            trust,
            ..DeliveryOptions::default()
        },
        config,
    });
    tracing::info!(holder = %deliverer.config.holder, "notification delivery started");
    let mut shutdown = std::pin::pin!(shutdown);
    let mut store_failures = 0u32;
    loop {
        let wait = match deliverer.round().await {
            Ok(0) => {
                store_failures = 0;
                deliverer.config.poll
            }
            Ok(_) => {
                store_failures = 0;
                Duration::ZERO
            }
            Err(e) => {
                store_failures = store_failures.saturating_add(1);
                let wait = deliverer
                    .config
                    .poll
                    .saturating_mul(1u32.checked_shl(store_failures.min(10)).unwrap_or(1024))
                    .min(deliverer.config.max_store_backoff);
                tracing::warn!(
                    error = &e as &dyn std::error::Error,
                    retry_in_ms = wait.as_millis() as u64,
                    "cannot reach the store to deliver notifications; trying again"
                );
                wait
            }
        };
        tokio::select! {
            () = &mut shutdown => break,
            () = tokio::time::sleep(wait) => {}
        }
    }
    tracing::info!("notification delivery stopped");
}

/// What every delivery shares.
struct Deliverer {
    store: Arc<dyn Store>,
    credentials: Credentials,
    egress: AllowedEgress,
    options: DeliveryOptions,
    config: DeliveryConfig,
}

impl Deliverer {
    /// The egress rules of `tenant`, when it has its own; a policy that cannot be read allows
    /// nothing (and is logged), never everything.
    async fn tenant_egress(
        &self,
        tenant: &str,
    ) -> Result<Option<Vec<weft_model::egress::EgressRule>>, StoreError> {
        let Some(found) = self.store.tenant(tenant).await? else {
            return Ok(None);
        };
        match found.sandbox.egress_rules() {
            Ok(rules) => Ok(rules),
            Err(e) => {
                tracing::error!(%tenant, error = %e, "tenant's egress rules unreadable; its notifications go nowhere");
                Ok(Some(Vec::new()))
            }
        }
    }

    /// Claim due notifications and deliver them, all at once; how many were claimed.
    async fn round(self: &Arc<Self>) -> Result<usize, StoreError> {
        let claimed = self
            .store
            .claim_notifications(
                &self.config.holder,
                Timestamp::now(),
                self.config.claim_lease,
                self.config.batch,
            )
            .await?;
        let count = claimed.len();
        let mut deliveries = JoinSet::new();
        for n in claimed {
            let this = self.clone();
            deliveries.spawn(async move { this.deliver_and_record(n).await });
        }
        let mut first_error = None;
        while let Some(done) = deliveries.join_next().await {
            match done {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    first_error.get_or_insert(e);
                }
                Err(e) => tracing::error!(error = %e, "a notification delivery panicked"),
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(count),
        }
    }

    /// Deliver `n` once and record how it went. A result the store cannot take is lost: the
    /// claim expires and the notification is delivered again (at least once).
    async fn deliver_and_record(&self, n: NotificationRecord) -> Result<(), StoreError> {
        let tenant_egress = self.tenant_egress(&n.tenant).await?;
        let outcome = match attempt::deliver(
            &n,
            &self.credentials,
            &self.egress,
            tenant_egress.as_deref(),
            &self.options,
        )
        .await
        {
            Ok(()) => {
                tracing::info!(
                    id = n.id, event = %n.event, dag_id = %n.dag_id, run_id = %n.run_id,
                    attempt = n.attempts, "notification delivered"
                );
                DeliveryOutcome::Delivered
            }
            Err(Failure::Retry(cause)) if n.attempts < self.config.max_attempts => {
                let delay = self.config.retry_delay(n.attempts);
                tracing::warn!(
                    id = n.id, event = %n.event, dag_id = %n.dag_id, run_id = %n.run_id,
                    attempt = n.attempts, retry_in_ms = delay.as_millis() as u64,
                    error = %cause.detail,
                    "notification delivery failed; it will be tried again"
                );
                let now = Timestamp::now();
                let next = SignedDuration::try_from(delay)
                    .ok()
                    .and_then(|d| now.checked_add(d).ok())
                    .unwrap_or(now);
                DeliveryOutcome::Retry {
                    error: cause.shown,
                    next_attempt_at: next,
                }
            }
            Err(Failure::Retry(cause) | Failure::Final(cause)) => {
                tracing::error!(
                    id = n.id, event = %n.event, dag_id = %n.dag_id, run_id = %n.run_id,
                    attempt = n.attempts, error = %cause.detail,
                    "notification delivery failed for good"
                );
                DeliveryOutcome::Failed { error: cause.shown }
            }
        };
        let recorded = self
            .store
            .record_notification(&DeliveryResult {
                id: n.id,
                holder: self.config.holder.clone(),
                attempt: n.attempts,
                at: Timestamp::now(),
                outcome,
            })
            .await?;
        if !recorded {
            tracing::warn!(
                id = n.id,
                "a notification's claim expired before its result was recorded"
            );
        }
        Ok(())
    }
}
