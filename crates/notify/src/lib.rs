//! Delivery of Weft's run and task notifications (the equivalents of a failure callback or
//! an email on failure): a webhook POST of a documented JSON payload ([`payload`]), and an
//! email over SMTP.
//!
//! Both check every address the destination resolves to with an [`AddressPolicy`] and
//! connect only to a checked address, retry transient failures with exponential backoff
//! ([`DeliveryOptions`]), and keep secrets out of errors and logs. Which events fire and
//! where the destinations come from is the scheduler's business (it stores a notification
//! with the state change that causes it); this crate delivers them: [`delivery`] claims the
//! stored ones, checks their destinations against the installation's egress allowance, and
//! records each attempt.
//!
//! # Layout
//! - [`webhook`] and [`email`] (with [`smtp_settings`]): sending one notification;
//! - [`policy`]: which addresses it may reach; [`retry`]: attempts and backoff;
//!   [`error`]: what went wrong, and what the API may show of it; [`secret`]: signing keys;
//! - [`delivery`]: the loop `wfctl server` and `wfctl standalone` run over the store.

pub mod delivery;
pub mod email;
pub mod error;
pub mod policy;
pub mod retry;
pub mod secret;
pub mod smtp_settings;
mod tls;
pub mod webhook;

pub use email::send_email;
pub use error::{DeliveryError, SettingsError};
pub use policy::{AddressPolicy, AllowAll};
pub use retry::{Delivered, DeliveryOptions};
pub use secret::Secret;
pub use smtp_settings::{SmtpSettings, SmtpTls};
pub use webhook::{Webhook, signature};
/// The notification delivered: its JSON shape, subject and text body (kept in `weft-model`,
/// so that the scheduler writes the very record this crate delivers).
pub use weft_model::notification as payload;
pub use weft_model::notification::{Notification, NotificationEvent as Event, PAYLOAD_VERSION};
