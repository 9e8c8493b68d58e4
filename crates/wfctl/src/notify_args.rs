//! How the process that serves the API delivers notifications (`wfctl server`, `wfctl
//! standalone`): how many attempts a webhook or email gets, and how long it waits between
//! them.

use clap::Args as ClapArgs;
use weft_model::units::parse_duration;
use weft_notify::delivery::DeliveryConfig;

use crate::exit::Failure;

/// Delivery of run and task notifications.
#[derive(Debug, Clone, ClapArgs)]
pub struct NotifyArgs {
    /// Attempts a notification gets before it is shown as failed.
    #[arg(
        long = "notify-max-attempts",
        value_name = "N",
        env = "WEFT_NOTIFY_MAX_ATTEMPTS",
        default_value_t = 5
    )]
    max_attempts: u32,
    /// Wait after a notification's first failed attempt, e.g. `10s`; each later wait
    /// doubles, up to 10 minutes.
    #[arg(
        long = "notify-retry-delay",
        value_name = "DURATION",
        env = "WEFT_NOTIFY_RETRY_DELAY",
        default_value = "10s"
    )]
    retry_delay: String,
}

impl NotifyArgs {
    /// The delivery settings these flags describe.
    pub fn config(&self) -> Result<DeliveryConfig, Failure> {
        let first_retry_delay = parse_duration(&self.retry_delay)
            .map_err(|e| Failure::usage(format!("--notify-retry-delay: {e}")))?;
        let defaults = DeliveryConfig::default();
        Ok(DeliveryConfig {
            max_attempts: self.max_attempts.max(1),
            first_retry_delay,
            max_retry_delay: defaults.max_retry_delay.max(first_retry_delay),
            poll: defaults
                .poll
                .min(first_retry_delay.max(std::time::Duration::from_millis(50))),
            ..defaults
        })
    }
}
