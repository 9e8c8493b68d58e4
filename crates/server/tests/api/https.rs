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
use crate::worker_client::served_over;

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
        !String::from_utf8_lossy(&answer).contains("HTTP/1.1 200"),
        "plain HTTP was served: {}",
        String::from_utf8_lossy(&answer)
    );

    // The refused clients harmed nothing: the trusted client is still served, and the
    // stalled connection is still open, its handshake pending.
    let again = api
        .variable(s.attempt, "greeting")
        .await
        .expect("variable over HTTPS");
    assert_eq!(again.as_deref(), Some("hello"));
    stalled
        .write_all(b"")
        .expect("the stalled connection is open");
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
