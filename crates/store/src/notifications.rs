//! Notifications of task and run events (webhooks, emails) as the store keeps them.
//!
//! The scheduler adds a [`NewNotification`] to the [`WriteBatch`](crate::WriteBatch) that
//! writes the state change causing it, so that the notification is committed with it or not
//! at all. A server then [claims](crate::Store::claim_notifications) due notifications,
//! delivers them, and [records](crate::Store::record_notification) each attempt's result; a
//! run's notifications are [listed](crate::Store::notifications) for the API. The store keeps
//! no secret here: a notifier names a connection, and the payload is the event's.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use weft_model::Notifier;

use crate::records::{RunPk, TiPk};

pub use weft_model::notification::{NotificationEvent, NotificationState};

/// A notification to write with a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewNotification {
    /// The tenant owning the run.
    pub tenant: String,
    /// The DAG.
    pub dag_id: String,
    /// The run's textual id.
    pub run_id: String,
    /// The run.
    pub run: RunPk,
    /// The task, for a task event.
    pub task_id: Option<String>,
    /// The try the event is about, for a task event.
    pub try_number: Option<u32>,
    /// What happened.
    pub event: NotificationEvent,
    /// Where it goes.
    pub notifier: Notifier,
    /// The document delivered (the webhook's body; what an email renders), without secrets.
    pub payload: serde_json::Value,
    /// When the event happened: the notification is due from then.
    pub at: Timestamp,
    /// Written only if the batch's finish of this task instance applies: a notification of
    /// an attempt's result the store refuses is not written either.
    pub after_finish: Option<TiPk>,
}

/// A notification as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationRecord {
    /// Its id.
    pub id: i64,
    /// The tenant owning the run.
    pub tenant: String,
    /// The DAG.
    pub dag_id: String,
    /// The run's textual id.
    pub run_id: String,
    /// The run.
    pub run: RunPk,
    /// The task, for a task event.
    pub task_id: Option<String>,
    /// The try the event is about, for a task event.
    pub try_number: Option<u32>,
    /// What happened.
    pub event: NotificationEvent,
    /// Where it goes.
    pub notifier: Notifier,
    /// The document delivered.
    pub payload: serde_json::Value,
    /// Where it stands.
    pub state: NotificationState,
    /// Delivery attempts started so far (a claim starts one).
    pub attempts: u32,
    /// Why the latest attempt failed, if it did.
    pub last_error: Option<String>,
    /// When the event happened.
    pub created_at: Timestamp,
    /// When the next attempt may start (while pending).
    pub next_attempt_at: Timestamp,
    /// When it was delivered.
    pub delivered_at: Option<Timestamp>,
    /// Who holds the current claim, if anyone.
    pub claimed_by: Option<String>,
}

/// How one delivery attempt ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeliveryOutcome {
    /// Delivered.
    Delivered,
    /// It failed; try again from `next_attempt_at`.
    Retry {
        /// Why it failed (no secret in it).
        error: String,
        /// When the next attempt may start.
        next_attempt_at: Timestamp,
    },
    /// It failed; give up.
    Failed {
        /// Why it failed (no secret in it).
        error: String,
    },
}

/// The result of the attempt a claim started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryResult {
    /// The notification.
    pub id: i64,
    /// Who claimed it.
    pub holder: String,
    /// The attempt's number, as the claim returned it in
    /// [`attempts`](NotificationRecord::attempts): the result applies only if this claim is
    /// still the notification's current one.
    pub attempt: u32,
    /// When the attempt ended.
    pub at: Timestamp,
    /// How it ended.
    pub outcome: DeliveryOutcome,
}
