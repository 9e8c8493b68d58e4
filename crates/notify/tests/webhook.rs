//! Webhook delivery against a real axum server on 127.0.0.1.

mod support;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use support::{NoLoopback, chain, fast, free_port, sample};
use url::Url;
use weft_notify::{AllowAll, DeliveryError, Notification, Secret, Webhook};

#[derive(Default)]
struct Seen {
    requests: Vec<(String, HeaderMap, Bytes)>,
    /// Statuses to answer, in order; 200 once they run out.
    script: VecDeque<u16>,
}

type Shared = Arc<Mutex<Seen>>;

async fn record(
    State(seen): State<Shared>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let mut seen = seen.lock().expect("lock");
    seen.requests.push((uri.to_string(), headers, body));
    let status = seen.script.pop_front().unwrap_or(200);
    StatusCode::from_u16(status).expect("status")
}

/// A receiver answering `script`'s statuses in turn; returns its base URL and its log.
async fn receiver(script: &[u16]) -> (String, Shared) {
    let seen = Shared::default();
    seen.lock().expect("lock").script = script.iter().copied().collect();
    let app = Router::new()
        .route("/hook", post(record))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://127.0.0.1:{}", addr.port()), seen)
}

fn hook(url: &str) -> Webhook {
    Webhook::new(Url::parse(url).expect("url")).expect("webhook")
}

fn count(seen: &Shared) -> usize {
    seen.lock().expect("lock").requests.len()
}

#[tokio::test]
async fn delivers_signed_json() {
    let (base, seen) = receiver(&[]).await;
    let url = base.replace("http://", "http://alice:p%40ss@") + "/hook?k=v";
    let n = sample();
    let webhook = hook(&url)
        .with_signing_secret(Secret::new("s3cret"))
        .with_header(
            "x-team".parse().expect("name"),
            "data".parse().expect("value"),
        )
        .expect("header");
    let delivered = webhook
        .deliver(&n, &AllowAll, &fast(3))
        .await
        .expect("delivered");
    assert_eq!((delivered.attempts, delivered.status), (1, 200));

    let seen = seen.lock().expect("lock");
    let [(uri, headers, body)] = &seen.requests[..] else {
        panic!("expected one request, got {}", seen.requests.len());
    };
    assert_eq!(uri, "/hook?k=v");
    let back: Notification = serde_json::from_slice(body).expect("JSON body");
    assert_eq!(back, n);
    let header = |name: &str| headers.get(name).expect(name).to_str().expect("ascii");
    assert_eq!(header("content-type"), "application/json");
    assert_eq!(
        header("user-agent"),
        format!("weft/{}", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(header("weft-event"), "task_failure");
    assert_eq!(header("x-team"), "data");
    // alice:p@ss
    assert_eq!(header("authorization"), "Basic YWxpY2U6cEBzcw==");
    let mut mac = Hmac::<Sha256>::new_from_slice(b"s3cret").expect("key");
    mac.update(body);
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(header("weft-signature"), expected);
}

#[tokio::test]
async fn unsigned_webhook_sends_no_signature() {
    let (base, seen) = receiver(&[]).await;
    hook(&format!("{base}/hook"))
        .deliver(&sample(), &AllowAll, &fast(1))
        .await
        .expect("delivered");
    let seen = seen.lock().expect("lock");
    assert!(seen.requests[0].1.get("weft-signature").is_none());
    assert!(seen.requests[0].1.get("authorization").is_none());
}

#[tokio::test]
async fn retries_a_server_error() {
    let (base, seen) = receiver(&[500]).await;
    let delivered = hook(&format!("{base}/hook"))
        .deliver(&sample(), &AllowAll, &fast(3))
        .await
        .expect("delivered");
    assert_eq!((delivered.attempts, delivered.status), (2, 200));
    assert_eq!(count(&seen), 2);
}

#[tokio::test]
async fn gives_up_after_repeated_429() {
    let (base, seen) = receiver(&[429, 429, 429]).await;
    let err = hook(&format!("{base}/hook"))
        .deliver(&sample(), &AllowAll, &fast(3))
        .await
        .expect_err("gives up");
    match err {
        DeliveryError::GaveUp {
            attempts: 3,
            source,
        } => {
            assert!(matches!(
                *source,
                DeliveryError::Unavailable { status: 429, .. }
            ));
        }
        other => panic!("expected GaveUp, got {other:?}"),
    }
    assert_eq!(count(&seen), 3);
}

#[tokio::test]
async fn a_client_error_is_final() {
    let (base, seen) = receiver(&[404]).await;
    let err = hook(&format!("{base}/hook"))
        .deliver(&sample(), &AllowAll, &fast(3))
        .await
        .expect_err("rejected");
    assert!(
        matches!(err, DeliveryError::Rejected { status: 404, .. }),
        "{err:?}"
    );
    assert_eq!(count(&seen), 1);
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let (base, seen) = receiver(&[307]).await;
    let err = hook(&format!("{base}/hook"))
        .deliver(&sample(), &AllowAll, &fast(3))
        .await
        .expect_err("rejected");
    assert!(
        matches!(err, DeliveryError::Rejected { status: 307, .. }),
        "{err:?}"
    );
    assert_eq!(count(&seen), 1);
}

#[tokio::test]
async fn connection_refused_is_retried_then_reported() {
    let url = format!("http://127.0.0.1:{}/hook", free_port());
    let err = hook(&url)
        .deliver(&sample(), &AllowAll, &fast(3))
        .await
        .expect_err("refused");
    match err {
        DeliveryError::GaveUp {
            attempts: 3,
            source,
        } => {
            assert!(
                matches!(*source, DeliveryError::Connect { .. }),
                "{source:?}"
            );
        }
        other => panic!("expected GaveUp, got {other:?}"),
    }
}

#[tokio::test]
async fn a_denied_address_gets_no_request() {
    let (base, seen) = receiver(&[]).await;
    let url = base.replace("127.0.0.1", "localhost") + "/hook";
    let err = hook(&url)
        .deliver(&sample(), &NoLoopback, &fast(3))
        .await
        .expect_err("denied");
    match &err {
        DeliveryError::Denied { host, reason } => {
            assert_eq!(host, "localhost");
            assert!(reason.contains("loopback"), "{reason}");
        }
        other => panic!("expected Denied, got {other:?}"),
    }
    assert_eq!(count(&seen), 0);
}

#[tokio::test]
async fn errors_never_show_secrets() {
    let port = free_port();
    let url = format!("http://bob:hunter2@127.0.0.1:{port}/hook?token=t0ps3cret#frag");
    let webhook = hook(&url).with_signing_secret(Secret::new("sign1ng-key"));
    let err = webhook
        .deliver(&sample(), &AllowAll, &fast(2))
        .await
        .expect_err("refused");
    let shown = format!("{}\n{err:?}\n{webhook:?}", chain(&err));
    for secret in [
        "hunter2",
        "bob",
        "t0ps3cret",
        "token",
        "sign1ng-key",
        "frag",
    ] {
        assert!(!shown.contains(secret), "{secret:?} leaked in {shown}");
    }
    assert!(
        shown.contains(&format!("http://127.0.0.1:{port}/hook")),
        "{shown}"
    );

    let bad = Webhook::new(Url::parse("ftp://carol:pw9@example.com/x?q=1").expect("url"))
        .expect_err("scheme");
    let shown = format!("{}\n{bad:?}", chain(&bad));
    assert!(!shown.contains("pw9") && !shown.contains("q=1"), "{shown}");
}

#[tokio::test]
async fn weft_headers_cannot_be_replaced() {
    let err = hook("https://example.com/hook")
        .with_header(
            "weft-signature".parse().expect("name"),
            "x".parse().expect("value"),
        )
        .expect_err("reserved");
    assert!(matches!(err, DeliveryError::ReservedHeader { .. }));
}
