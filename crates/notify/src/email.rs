//! Email delivery over SMTP (lettre): the notification's [`Notification::subject`] and
//! [`Notification::text_body`] as a plain-text message.
//!
//! The server's host is resolved here, every address checked with the [`AddressPolicy`],
//! and lettre connects to a checked IP address while TLS still verifies the certificate
//! against the host name. Transient replies (4xx) and connection errors are retried;
//! permanent replies (5xx) are not. The password appears in no error and no log.

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::{self, AsyncSmtpTransport};
use lettre::{AsyncTransport, Message, Tokio1Executor};

use crate::error::DeliveryError;
use crate::payload::Notification;
use crate::policy::{AddressPolicy, resolve_checked};
use crate::retry::{Delivered, DeliveryOptions, with_retries};
use crate::smtp_settings::{SmtpSettings, SmtpTls};

/// SMTP replies meaning the login was refused: 534 (mechanism too weak) and 535
/// (credentials invalid).
const AUTH_REFUSED: [u16; 2] = [534, 535];

/// Sends `n` by email to every address in `to` through the server `settings` name.
///
/// Recipients are validated before anything is sent: an invalid one fails with
/// [`DeliveryError::Recipient`] naming it. Returns the server's final reply code (250) as
/// [`Delivered::status`].
pub async fn send_email(
    settings: &SmtpSettings,
    to: &[String],
    n: &Notification,
    policy: &dyn AddressPolicy,
    opts: &DeliveryOptions,
) -> Result<Delivered, DeliveryError> {
    let message = build_message(settings, to, n)?;
    let target = format!("{}:{}", settings.host, settings.port);
    let host = settings.host.trim_start_matches('[').trim_end_matches(']');
    let tls = tls_mode(settings, host, opts).map_err(|source| DeliveryError::Smtp {
        target: target.clone(),
        source,
    })?;
    let (code, attempts) = with_retries(&target, opts, || async {
        let addrs = resolve_checked(host, settings.port, policy).await?;
        // The first checked address: lettre makes one connection per transport.
        let ip = addrs
            .first()
            .ok_or_else(|| DeliveryError::NoAddress {
                host: host.to_owned(),
            })?
            .ip();
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(ip.to_string())
            .port(settings.port)
            .tls(tls.clone())
            .timeout(Some(opts.timeout_per_attempt));
        if let Some(login) = &settings.login {
            let password = settings
                .password
                .as_ref()
                .map(|p| p.expose().to_owned())
                .unwrap_or_default();
            builder = builder
                .credentials(Credentials::new(login.clone(), password))
                .authentication(vec![Mechanism::Plain, Mechanism::Login]);
        }
        let response = builder
            .build()
            .send(message.clone())
            .await
            .map_err(|source| smtp_error(&target, source))?;
        Ok(u16::from(response.code()))
    })
    .await?;
    tracing::info!(%target, event = %n.event, recipients = to.len(), attempts, "notification email sent");
    Ok(Delivered {
        attempts,
        status: code,
    })
}

/// The message, after checking the sender and every recipient.
fn build_message(
    settings: &SmtpSettings,
    to: &[String],
    n: &Notification,
) -> Result<Message, DeliveryError> {
    if to.is_empty() {
        return Err(DeliveryError::NoRecipients);
    }
    let from: Mailbox = settings
        .from
        .parse()
        .map_err(|source| DeliveryError::Sender {
            address: settings.from.clone(),
            source,
        })?;
    let mut builder = Message::builder()
        .from(from)
        .subject(n.subject())
        .header(ContentType::TEXT_PLAIN);
    for address in to {
        let mailbox: Mailbox = address.parse().map_err(|source| DeliveryError::Recipient {
            address: address.clone(),
            source,
        })?;
        builder = builder.to(mailbox);
    }
    builder
        .body(n.text_body())
        .map_err(|source| DeliveryError::Message { source })
}

/// lettre's TLS mode; certificates are checked against `host`, not the IP connected to.
fn tls_mode(
    settings: &SmtpSettings,
    host: &str,
    opts: &DeliveryOptions,
) -> Result<Tls, smtp::Error> {
    let parameters = || {
        let mut builder = TlsParameters::builder(host.to_owned());
        for der in opts.trust.extra_certs() {
            builder = builder.add_root_certificate(Certificate::from_der(der.to_vec())?);
        }
        builder.build_rustls()
    };
    Ok(match settings.tls {
        SmtpTls::None => Tls::None,
        SmtpTls::StartTls => Tls::Required(parameters()?),
        SmtpTls::Tls => Tls::Wrapper(parameters()?),
    })
}

/// A refused login becomes [`DeliveryError::Auth`], anything else [`DeliveryError::Smtp`].
fn smtp_error(target: &str, source: smtp::Error) -> DeliveryError {
    let code = source.status().map(u16::from);
    if code.is_some_and(|code| AUTH_REFUSED.contains(&code)) {
        DeliveryError::Auth {
            target: target.to_owned(),
            source,
        }
    } else {
        DeliveryError::Smtp {
            target: target.to_owned(),
            source,
        }
    }
}
