//! The JSON shapes of the notification route. They show where a notification goes (the
//! notifier's kind, its connection and recipients), never a secret: the connection's URL,
//! password and signing key stay in the connection.

use weft_model::Notifier;
pub use weft_protocol::api::notifications::{NotificationList, NotificationView};
use weft_store::NotificationRecord;

pub(crate) fn notification_view(n: NotificationRecord) -> NotificationView {
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
