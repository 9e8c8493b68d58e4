//! Delivery of Weft's run and task notifications (the equivalents of a failure callback or
//! an email on failure): a webhook POST of a documented JSON payload ([`payload`]), and an
//! email over SMTP.
//!
//! Both check every address the destination resolves to with an [`AddressPolicy`] and
//! connect only to a checked address, retry transient failures with exponential backoff
//! ([`DeliveryOptions`]), and keep secrets out of errors and logs. Which events fire and
//! where the destinations come from is the scheduler's business; this crate only delivers.

pub mod email;
pub mod error;
pub mod payload;
pub mod policy;
pub mod retry;
pub mod secret;
pub mod smtp_settings;
mod tls;
pub mod webhook;

pub use email::send_email;
pub use error::{DeliveryError, SettingsError};
pub use payload::{Event, Notification, PAYLOAD_VERSION};
pub use policy::{AddressPolicy, AllowAll};
pub use retry::{Delivered, DeliveryOptions};
pub use secret::Secret;
pub use smtp_settings::{SmtpSettings, SmtpTls};
pub use webhook::{Webhook, signature};
