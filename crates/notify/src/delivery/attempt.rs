//! One delivery attempt of one stored notification: its connection opened, its destination
//! checked against the egress policy, and the payload sent by webhook or email. Retries are
//! the loop's business (one attempt here, so every attempt is counted and shown by the API).

use weft_model::Notifier;
use weft_model::egress::{AllowedEgress, EgressRule, Scheme};
use weft_protocol::Connection;
use weft_store::{Credentials, CredentialsError, NotificationRecord};

use super::egress::EgressCheck;
use crate::{DeliveryError, DeliveryOptions, Notification, Secret, SmtpSettings, Webhook};

/// Why an attempt failed: worth another attempt later, or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// It may pass next time (the receiver was down, the store unreachable).
    Retry(Cause),
    /// No retry mends it (a refused destination, a bad connection, a 4xx answer).
    Final(Cause),
}

/// What went wrong, told twice: to the run's viewers, and to the server's log. Neither
/// holds a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cause {
    /// What the API shows: for what happened on the network only `refused`, `failed` or
    /// `failed: HTTP <status>` (see [`DeliveryError::summary`]), so that a webhook cannot
    /// probe hosts and ports its tenant could not otherwise see.
    pub(crate) shown: String,
    /// The whole cause (addresses, ports, the OS error), for the server's log only.
    pub(crate) detail: String,
}

impl From<String> for Cause {
    /// A cause that names no destination (a missing or malformed connection): shown whole.
    fn from(text: String) -> Cause {
        Cause {
            shown: text.clone(),
            detail: text,
        }
    }
}

/// Deliver `n` once.
pub(crate) async fn deliver(
    n: &NotificationRecord,
    credentials: &Credentials,
    egress: &AllowedEgress,
    tenant_egress: Option<&[EgressRule]>,
    opts: &DeliveryOptions,
) -> Result<(), Failure> {
    let payload: Notification = serde_json::from_value(n.payload.clone()).map_err(|e| {
        Failure::Final(format!("the stored payload is not a notification: {e}").into())
    })?;
    match &n.notifier {
        Notifier::Webhook(conn_id) => {
            let conn = connection(credentials, &n.tenant, conn_id).await?;
            let webhook = webhook(&conn)?;
            let scheme = match webhook.url().scheme() {
                "https" => Scheme::Https,
                _ => Scheme::Http,
            };
            let check = EgressCheck {
                policy: egress,
                scheme,
                method: "POST",
                tenant: tenant_egress,
            };
            webhook
                .deliver(&payload, &check, opts)
                .await
                .map(drop)
                .map_err(failure)
        }
        Notifier::Email(email) => {
            let conn = connection(credentials, &n.tenant, &email.conn_id).await?;
            let settings = SmtpSettings::from_connection_parts(
                conn.host.as_deref(),
                conn.port,
                conn.login.as_deref(),
                conn.password.as_deref(),
                &conn.extra.to_string(),
            )
            .map_err(|e| {
                Failure::Final(format!("connection {:?}: {}", conn.conn_id, chain(&e)).into())
            })?;
            let check = EgressCheck {
                policy: egress,
                scheme: Scheme::Tcp,
                method: "",
                tenant: tenant_egress,
            };
            crate::send_email(&settings, &email.to, &payload, &check, opts)
                .await
                .map(drop)
                .map_err(failure)
        }
    }
}

/// The notifier's connection, opened. A missing one may yet be created: worth a retry.
async fn connection(
    credentials: &Credentials,
    tenant: &str,
    conn_id: &str,
) -> Result<Connection, Failure> {
    match credentials.connection(tenant, conn_id).await {
        Ok(Some(stored)) => Ok(stored.connection),
        Ok(None) => Err(Failure::Retry(
            format!("connection {conn_id:?} does not exist").into(),
        )),
        Err(e @ CredentialsError::Store(_)) => Err(Failure::Retry(
            format!("reading connection {conn_id:?}: {}", chain(&e)).into(),
        )),
        Err(e) => Err(Failure::Final(
            format!("opening connection {conn_id:?}: {}", chain(&e)).into(),
        )),
    }
}

/// The webhook a connection describes: its URL is the connection's `host` when that is a
/// whole URL (`https://hooks.example.com/weft`), else `<scheme>://host[:port]<path>`, the
/// scheme being the connection's `schema` (`http` or `https`, as in Airflow's HTTP
/// connections) or else its conn-type (`http` or `https`), and the path `extra.path` (or
/// `/`). Its password, if any, signs every body.
pub(crate) fn webhook(conn: &Connection) -> Result<Webhook, Failure> {
    let bad = |why: String| Failure::Final(format!("connection {:?}: {why}", conn.conn_id).into());
    let host = conn
        .host
        .as_deref()
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .ok_or_else(|| bad("a webhook connection needs a host (or a URL as its host)".into()))?;
    let text = if host.contains("://") {
        host.to_owned()
    } else {
        let scheme = [conn.schema.as_deref(), Some(conn.conn_type.as_str())]
            .into_iter()
            .flatten()
            .find(|s| matches!(*s, "http" | "https"))
            .ok_or_else(|| {
                bad(format!(
                    "its host is not a URL, and neither its schema nor its conn-type \
                     ({:?}) is http or https",
                    conn.conn_type
                ))
            })?;
        let port = conn.port.map(|p| format!(":{p}")).unwrap_or_default();
        let path = conn.extra["path"]
            .as_str()
            .unwrap_or("")
            .trim_start_matches('/');
        format!("{scheme}://{host}{port}/{path}")
    };
    let url = url::Url::parse(&text).map_err(|e| bad(format!("its URL does not parse: {e}")))?;
    let mut webhook = Webhook::new(url).map_err(|e| bad(chain(&e)))?;
    if let Some(secret) = conn.password.as_deref().filter(|p| !p.is_empty()) {
        webhook = webhook.with_signing_secret(Secret::new(secret));
    }
    Ok(webhook)
}

/// A delivery error as a [`Failure`]: an attempt that failed in a way worth retrying comes
/// back wrapped as given up (one attempt is made), its cause kept for the log and summed up
/// for the API.
fn failure(error: DeliveryError) -> Failure {
    let cause = |e: &DeliveryError| Cause {
        shown: e.summary(),
        detail: chain(e),
    };
    match error {
        DeliveryError::GaveUp { source, .. } => Failure::Retry(cause(&source)),
        other if other.is_transient() => Failure::Retry(cause(&other)),
        other => Failure::Final(cause(&other)),
    }
}

/// An error and its sources, joined with `: `.
pub(crate) fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let next = e.to_string();
        if !text.ends_with(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = e.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(conn_type: &str, host: &str, port: Option<u16>, schema: Option<&str>) -> Connection {
        Connection {
            conn_id: "hook".into(),
            conn_type: conn_type.into(),
            host: Some(host.into()),
            port,
            schema: schema.map(str::to_owned),
            login: None,
            password: Some("s3cret".into()),
            extra: serde_json::json!({}),
        }
    }

    #[test]
    fn a_webhook_url_comes_from_the_host_or_its_parts() {
        let hook = webhook(&conn("http", "http://127.0.0.1:9/a?b=c", None, None)).expect("url");
        assert_eq!(hook.url().as_str(), "http://127.0.0.1:9/a?b=c");
        let mut parts = conn("http", "hooks.example.com", Some(8443), Some("https"));
        parts.extra = serde_json::json!({"path": "/weft"});
        let hook = webhook(&parts).expect("parts");
        assert_eq!(hook.url().as_str(), "https://hooks.example.com:8443/weft");
        assert!(!format!("{hook:?}").contains("s3cret"));
        let err = webhook(&conn("postgres", "db", None, None)).expect_err("not http");
        assert!(
            matches!(&err, Failure::Final(m) if m.shown.contains("not a URL")),
            "{err:?}"
        );
        let err = webhook(&conn("http", "ftp://x/y", None, None)).expect_err("bad scheme");
        assert!(
            matches!(&err, Failure::Final(m) if m.shown.contains("http or https")),
            "{err:?}"
        );
    }
}
