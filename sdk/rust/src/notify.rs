//! Notifications: who is told when a task succeeds, fails or is retried, and when a DAG run
//! ends.

use crate::bindings::weft::dag::types as wit;
use crate::dag::Dag;

/// Where a notification goes: a webhook or an email, each through a connection.
///
/// Set on a task (or as a DAG default) with [`TaskSettings::on_success`],
/// [`on_failure`](crate::TaskSettings::on_failure) and
/// [`on_retry`](crate::TaskSettings::on_retry), and on the DAG's runs with
/// [`Dag::on_run_success`] and [`Dag::on_run_failure`].
///
/// ```
/// use weft_sdk::prelude::*;
///
/// let dag = Dag::new("nightly")
///     .default_on_failure(Notifier::email("smtp_default", ["oncall@example.com"]))
///     .on_run_failure(Notifier::webhook("alerts_hook"));
/// dag.task("load", |_: &Context| Ok(()))
///     .on_retry(Notifier::webhook("alerts_hook"));
/// ```
///
/// [`TaskSettings::on_success`]: crate::TaskSettings::on_success
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Notifier(Target);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Target {
    Webhook(String),
    Email { conn_id: String, to: Vec<String> },
}

impl Notifier {
    /// An HTTP POST of the notification's JSON document to the URL of connection `conn_id`
    /// (`conn-type` `http`); when the connection has a password, the host signs the request
    /// with it (`weft-signature: sha256=HMAC`). The operator's egress policy must allow the
    /// URL.
    pub fn webhook(conn_id: impl Into<String>) -> Self {
        Self(Target::Webhook(conn_id.into()))
    }

    /// An email to `to`, sent through the SMTP server of connection `conn_id`
    /// (`conn-type` `smtp`; its `extra` holds `from` and `tls`).
    pub fn email<I, S>(conn_id: impl Into<String>, to: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self(Target::Email {
            conn_id: conn_id.into(),
            to: to.into_iter().map(Into::into).collect(),
        })
    }

    pub(crate) fn to_wit(&self) -> wit::Notifier {
        match &self.0 {
            Target::Webhook(conn_id) => wit::Notifier::Webhook(conn_id.clone()),
            Target::Email { conn_id, to } => wit::Notifier::Email(wit::EmailNotifier {
                conn_id: conn_id.clone(),
                to: to.clone(),
            }),
        }
    }
}

/// The notifiers of a task's attempts. Sent only when one is set: a task that sets none
/// inherits the DAG's defaults, and one that sets any replaces all three default lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TaskNotifications {
    pub(crate) on_success: Vec<Notifier>,
    pub(crate) on_failure: Vec<Notifier>,
    pub(crate) on_retry: Vec<Notifier>,
}

impl TaskNotifications {
    pub(crate) fn to_wit(&self) -> Option<wit::TaskNotifications> {
        let none_set =
            self.on_success.is_empty() && self.on_failure.is_empty() && self.on_retry.is_empty();
        (!none_set).then(|| wit::TaskNotifications {
            on_success: to_wit(&self.on_success),
            on_failure: to_wit(&self.on_failure),
            on_retry: to_wit(&self.on_retry),
        })
    }
}

/// The notifiers of a DAG's runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RunNotifications {
    on_success: Vec<Notifier>,
    on_failure: Vec<Notifier>,
}

impl RunNotifications {
    pub(crate) fn to_wit(&self) -> wit::RunNotifications {
        wit::RunNotifications {
            on_success: to_wit(&self.on_success),
            on_failure: to_wit(&self.on_failure),
        }
    }
}

fn to_wit(notifiers: &[Notifier]) -> Vec<wit::Notifier> {
    notifiers.iter().map(Notifier::to_wit).collect()
}

impl Dag {
    /// Tell `notifier` when a run of the DAG succeeds. Each call adds one.
    pub fn on_run_success(mut self, notifier: Notifier) -> Self {
        self.state_mut().run_notifications.on_success.push(notifier);
        self
    }

    /// Tell `notifier` when a run of the DAG fails. Each call adds one.
    pub fn on_run_failure(mut self, notifier: Notifier) -> Self {
        self.state_mut().run_notifications.on_failure.push(notifier);
        self
    }
}
