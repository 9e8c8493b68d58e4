//! Email delivery through a real SMTP server (aiosmtpd, `scripts/smtp_server.py`).

mod support;

use support::{NoLoopback, SmtpServer, chain, fast, free_port, sample};
use weft_notify::{AllowAll, DeliveryError, SmtpSettings, send_email};

fn settings(port: u16, login: Option<(&str, &str)>) -> SmtpSettings {
    SmtpSettings::from_connection_parts(
        Some("127.0.0.1"),
        Some(port),
        login.map(|l| l.0),
        login.map(|l| l.1),
        r#"{"from": "Weft <weft@example.com>", "tls": "none"}"#,
    )
    .expect("settings")
}

/// Headers unfolded, so a long header reads as one line.
fn unfold(message: &str) -> String {
    message
        .replace("\r\n", "\n")
        .replace("\n ", " ")
        .replace("\n\t", " ")
}

#[tokio::test]
async fn delivers_an_email_to_the_maildir() {
    let server = SmtpServer::start(None);
    let to = vec![
        "ops@example.com".to_owned(),
        "Oncall <oncall@example.org>".to_owned(),
    ];
    let n = sample();
    let delivered = send_email(&settings(server.port, None), &to, &n, &AllowAll, &fast(2))
        .await
        .expect("sent");
    assert_eq!((delivered.attempts, delivered.status), (1, 250));

    let messages = server.messages();
    let [message] = &messages[..] else {
        panic!("expected one message, got {}", messages.len());
    };
    let message = unfold(message);
    for expected in [
        "Subject: [weft] task_failure: mall_sort / manual__2026-11-22T10:00:00Z / sort\n",
        "From: Weft <weft@example.com>\n",
        "To: ops@example.com, Oncall <oncall@example.org>\n",
        "Content-Type: text/plain; charset=utf-8\n",
        "dag_id:       mall_sort\n",
        "run_id:       manual__2026-11-22T10:00:00Z\n",
        "task_id:      sort\n",
        "try_number:   3\n",
        "state:        failed\n",
        "\nerror:\ntrap: out of fuel\n",
    ] {
        assert!(
            message.contains(expected),
            "{expected:?} missing from:\n{message}"
        );
    }
}

#[tokio::test]
async fn logs_in_with_the_right_password() {
    let server = SmtpServer::start(Some(("weft", "c0rrect-h0rse")));
    let delivered = send_email(
        &settings(server.port, Some(("weft", "c0rrect-h0rse"))),
        &["ops@example.com".to_owned()],
        &sample(),
        &AllowAll,
        &fast(2),
    )
    .await
    .expect("sent");
    assert_eq!(delivered.attempts, 1);
    assert_eq!(server.messages().len(), 1);
}

#[tokio::test]
async fn a_wrong_password_is_an_auth_error_without_the_password() {
    let server = SmtpServer::start(Some(("weft", "c0rrect-h0rse")));
    let err = send_email(
        &settings(server.port, Some(("weft", "wr0ng-pa55"))),
        &["ops@example.com".to_owned()],
        &sample(),
        &AllowAll,
        &fast(3),
    )
    .await
    .expect_err("refused");
    assert!(matches!(err, DeliveryError::Auth { .. }), "{err:?}");
    let shown = format!("{}\n{err:?}", chain(&err));
    assert!(
        !shown.contains("wr0ng-pa55") && !shown.contains("c0rrect"),
        "{shown}"
    );
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn a_bad_recipient_is_rejected_before_connecting() {
    // Nothing listens on this port: reaching the network would be a Connect error.
    let err = send_email(
        &settings(free_port(), None),
        &["ops@example.com".to_owned(), "not an address".to_owned()],
        &sample(),
        &AllowAll,
        &fast(1),
    )
    .await
    .expect_err("bad recipient");
    match &err {
        DeliveryError::Recipient { address, .. } => assert_eq!(address, "not an address"),
        other => panic!("expected Recipient, got {other:?}"),
    }
    assert!(err.to_string().contains("\"not an address\""), "{err}");
    let none = send_email(
        &settings(free_port(), None),
        &[],
        &sample(),
        &AllowAll,
        &fast(1),
    )
    .await;
    assert!(matches!(none, Err(DeliveryError::NoRecipients)));
}

#[tokio::test]
async fn a_denied_server_is_refused() {
    let server = SmtpServer::start(None);
    let err = send_email(
        &settings(server.port, None),
        &["ops@example.com".to_owned()],
        &sample(),
        &NoLoopback,
        &fast(3),
    )
    .await
    .expect_err("denied");
    assert!(
        matches!(err, DeliveryError::Denied { ref host, .. } if host == "127.0.0.1"),
        "{err:?}"
    );
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn an_unreachable_server_is_retried() {
    let err = send_email(
        &settings(free_port(), None),
        &["ops@example.com".to_owned()],
        &sample(),
        &AllowAll,
        &fast(2),
    )
    .await
    .expect_err("unreachable");
    assert!(
        matches!(err, DeliveryError::GaveUp { attempts: 2, ref source } if matches!(**source, DeliveryError::Smtp { .. })),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_transient_reply_is_retried() {
    let server = SmtpServer::start_with(None, &[("WEFT_SMTP_FAIL_FIRST", "1")]);
    let delivered = send_email(
        &settings(server.port, None),
        &["ops@example.com".to_owned()],
        &sample(),
        &AllowAll,
        &fast(3),
    )
    .await
    .expect("sent on the second attempt");
    assert_eq!((delivered.attempts, delivered.status), (2, 250));
    assert_eq!(server.messages().len(), 1);
}

#[tokio::test]
async fn a_permanent_reply_is_final() {
    let server = SmtpServer::start_with(None, &[("WEFT_SMTP_REJECT_DOMAIN", "gone.example")]);
    let err = send_email(
        &settings(server.port, None),
        &["nobody@gone.example".to_owned()],
        &sample(),
        &AllowAll,
        &fast(3),
    )
    .await
    .expect_err("rejected");
    match &err {
        DeliveryError::Smtp { source, .. } => assert!(source.is_permanent(), "{source:?}"),
        other => panic!("expected a final Smtp error, got {other:?}"),
    }
    assert!(server.messages().is_empty());
}
