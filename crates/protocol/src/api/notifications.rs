//! The JSON bodies of a run's notifications.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A notification of a task or run event, and how its delivery went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub payload: serde_json::Value,
}

/// A run's notifications, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotificationList {
    /// The notifications.
    pub notifications: Vec<NotificationView>,
}
