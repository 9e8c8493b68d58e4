//! The API over HTTPS (`serve_tls`) on a loopback socket, with a certificate signed by a CA
//! made at test time: a worker's client trusting that CA is served; one trusting only the
//! public roots, and a plain-HTTP client, are refused without harming the server; a client
//! that never completes its handshake holds up nobody else.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use weft_test_guests_artifacts as guests;
use weft_testkit::tls::TestCa;
use weft_tls::{ServerIdentity, Trust};
use weft_worker::PlaneError;
use weft_worker::api::ApiClient;

use crate::support::guest;
use crate::support::host_calls::HostCalls as _;
use crate::worker_client::served_over;

/// `stream` is open and silent: a read waits rather than seeing the end.
#[track_caller]
fn assert_still_open(stream: &mut TcpStream) {
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("timeout");
    let mut byte = [0u8; 1];
    match stream.read(&mut byte) {
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) => {}
        other => panic!("the connection is not open and waiting: {other:?}"),
    }
}

/// A connection that never completes its handshake is closed once the handshake's time is
/// up, and another client is served meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_handshake_is_closed_when_its_time_is_up() {
    use weft_server::tls_listener::TlsListener;
    let ca = TestCa::new().expect("CA");
    let files = ca.server_files(&["localhost"]).expect("certificate");
    let identity =
        ServerIdentity::from_files(&files.cert, &files.key, weft_server::ALPN).expect("identity");
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = tcp.local_addr().expect("address");
    let timeout = Duration::from_secs(2);
    let listener = TlsListener::with_timeout(tcp, identity.config(), timeout).expect("listener");
    let app = axum::Router::new().route("/ping", axum::routing::get(|| async { "pong" }));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let started = std::time::Instant::now();
    let mut stalled = TcpStream::connect(address).expect("connect");
    let trust = Trust::with_ca_file(&files.ca).expect("trust");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .tls_config(trust.ureq_config())
        .build()
        .into();
    let url = format!("https://localhost:{}/ping", address.port());
    let answer = tokio::task::spawn_blocking(move || {
        agent
            .get(&url)
            .call()
            .and_then(|mut r| r.body_mut().read_to_string())
    })
    .await
    .expect("the request ran");
    assert_eq!(answer.expect("served meanwhile"), "pong");
    assert!(
        started.elapsed() < timeout,
        "the other client waited for the stalled one"
    );
    assert_still_open(&mut stalled);

    stalled
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut rest = Vec::new();
    let read = stalled.read_to_end(&mut rest);
    assert!(
        matches!(read, Ok(0))
            || read
                .as_ref()
                .is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset),
        "{read:?}"
    );
    assert!(
        started.elapsed() >= timeout,
        "closed after {:?}",
        started.elapsed()
    );
}

const WORKER_TOKEN: &str = "worker-token-for-tests";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_trusting_the_ca_is_served_and_others_are_refused() {
    let ca = TestCa::new().expect("CA");
    let files = ca.server_files(&["localhost"]).expect("certificate");
    let identity =
        ServerIdentity::from_files(&files.cert, &files.key, weft_server::ALPN).expect("identity");
    let s = served_over(Some(identity)).await;
    let port = s.address.port();
    let url = format!("https://localhost:{port}");
    let trusting = Trust::with_ca_file(&files.ca).expect("trust");

    // A connection that never sends its ClientHello stays open meanwhile.
    let mut stalled = TcpStream::connect(s.address).expect("connect");

    let api = ApiClient::new_trusting(&url, Some(WORKER_TOKEN.into()), &trusting).expect("client");
    let bytes = api
        .component(s.attempt, &s.digest)
        .await
        .expect("component over HTTPS");
    assert_eq!(bytes, guest(guests::NORMAL));

    // The public roots alone do not vouch for the test CA's certificate.
    let untrusting = ApiClient::new(&url, Some(WORKER_TOKEN.into())).expect("client");
    match untrusting.component(s.attempt, &s.digest).await {
        Err(e @ PlaneError::Unavailable { .. }) => {
            let message = e.to_string();
            assert!(message.contains("certificate"), "{message}");
        }
        other => panic!("an untrusted certificate was accepted: {other:?}"),
    }

    // Plain HTTP on the HTTPS port gets no HTTP answer.
    let mut plain = TcpStream::connect(s.address).expect("connect");
    plain
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    plain
        .write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .expect("write");
    let mut answer = Vec::new();
    let _ = plain.read_to_end(&mut answer);
    assert!(
        !answer.starts_with(b"HTTP/"),
        "plain HTTP was answered: {}",
        String::from_utf8_lossy(&answer)
    );

    // The refused clients harmed nothing: the trusted client is still served, and the
    // stalled connection is still open, its handshake pending.
    let again = api
        .variable(s.attempt, "greeting")
        .await
        .expect("variable over HTTPS");
    assert_eq!(again.as_deref(), Some("hello"));
    assert_still_open(&mut stalled);
    // A name the certificate does not carry is refused, though the CA is trusted.
    let by_address = format!("https://127.0.0.1:{port}");
    let wrong_name =
        ApiClient::new_trusting(&by_address, Some(WORKER_TOKEN.into()), &trusting).expect("client");
    match wrong_name.component(s.attempt, &s.digest).await {
        Err(e @ PlaneError::Unavailable { .. }) => {
            let message = e.to_string();
            assert!(message.contains("certificate"), "{message}");
        }
        other => panic!("a certificate for another name was accepted: {other:?}"),
    }
}
