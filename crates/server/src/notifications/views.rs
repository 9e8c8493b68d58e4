//! The JSON shapes of the notification route. They show where a notification goes (the
//! notifier's kind, its connection and recipients), never a secret: the connection's URL,
//! password and signing key stay in the connection.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use weft_model::Notifier;
use weft_store::NotificationRecord;

/// A notification of a task or run event, and how its delivery went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NotificationView {
    /// Its id.
    pub id: i64,
    /// `task_success`, `task_failure`, `task_retry`, `run_success` or `run_failure`.
    pub event: String,
    /// The task, for a task event.
    pub task_id: Option<String>,
    /// The try, for a task event.
    pub try_number: Option<u32>,
    /// `webhook` or `email`.
    pub kind: String,
    /// The connection it goes through.
    pub conn_id: String,
    /// The recipients, for an email.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<String>,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    /// Delivery attempts made.
    pub attempts: u32,
    /// Why the latest attempt failed, if it did: `refused` (the egress policy), `failed`, or
    /// `failed: HTTP <status>` when the receiver answered; a broken connection record is
    /// named. The whole cause is in the API server's log.
    pub last_error: Option<String>,
    /// When the event happened.
    pub created_at: Timestamp,
    /// When the next attempt may start (pending only).
    pub next_attempt_at: Option<Timestamp>,
    /// When it was delivered.
    pub delivered_at: Option<Timestamp>,
    /// The document delivered (webhook body; what an email says), payload version 1.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

impl NotificationView {
    pub(crate) fn of(n: NotificationRecord) -> NotificationView {
        let (kind, conn_id, to) = match n.notifier {
            Notifier::Webhook(conn_id) => ("webhook", conn_id, Vec::new()),
            Notifier::Email(email) => ("email", email.conn_id, email.to),
        };
        let pending = n.state == weft_store::NotificationState::Pending;
        NotificationView {
            id: n.id,
            event: n.event.as_str().to_owned(),
            task_id: n.task_id,
            try_number: n.try_number,
            kind: kind.to_owned(),
            conn_id,
            to,
            state: n.state.as_str().to_owned(),
            attempts: n.attempts,
            last_error: n.last_error,
            created_at: n.created_at,
            next_attempt_at: pending.then_some(n.next_attempt_at),
            delivered_at: n.delivered_at,
            payload: n.payload,
        }
    }
}

/// A run's notifications, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NotificationList {
    /// The notifications.
    pub notifications: Vec<NotificationView>,
}
