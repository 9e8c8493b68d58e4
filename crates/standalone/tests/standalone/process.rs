//! [`Standalone`] as a library, as `wfctl standalone` uses it: started on a free port over a
//! fresh home it answers the API, keeps its home and key to its owner, stops, and starts
//! again on the same home with the same key; an address in use is an error naming it.

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use weft_notify::delivery::DeliveryConfig;
use weft_runtime::RuntimeConfig;
use weft_scheduler::SchedulerConfig;
use weft_server::{AuthConfig, ConnectionLimits};
use weft_standalone::{Standalone, StandaloneConfig, StandaloneError};
use weft_vault::KeySettings;

/// The process on `home`, listening on `address`, with one worker slot and no key
/// configured (so it makes its own).
fn config(home: &Path, address: SocketAddr) -> StandaloneConfig {
    StandaloneConfig {
        home: home.to_owned(),
        address,
        auth: AuthConfig::default(),
        tls: None,
        connections: ConnectionLimits::default(),
        keys: KeySettings::default(),
        runtime: RuntimeConfig {
            cache_dir: Some(home.join("cache")),
            max_concurrent_instances: 2,
            ..RuntimeConfig::default()
        },
        scheduler: SchedulerConfig::default(),
        concurrency: Some(1),
        hostname: "host-a".into(),
        delivery: DeliveryConfig::default(),
        clean: None,
    }
}

/// The status line of `GET path` on `address`.
async fn status_of(address: SocketAddr, path: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    let text = String::from_utf8_lossy(&response);
    text.lines().next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn it_answers_keeps_its_home_private_and_starts_again_with_the_same_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("not").join("yet");
    let loopback: SocketAddr = "127.0.0.1:0".parse().expect("address");

    let first = Standalone::start(config(&home, loopback))
        .await
        .expect("starts");
    assert_ne!(first.address().port(), 0, "the port it got, not 0");
    assert_eq!(
        first.url(),
        format!("http://127.0.0.1:{}", first.address().port())
    );
    assert_eq!(first.home(), home);
    let status = status_of(first.address(), "/api/v1/health").await;
    assert!(status.contains(" 200 "), "{status}");
    let mode = std::fs::metadata(&home).expect("home").permissions().mode();
    assert_eq!(mode & 0o777, 0o700, "home {mode:o}");
    let key = std::fs::read(home.join("secret.key")).expect("a key made on first start");
    first.stop().await;

    let second = Standalone::start(config(&home, loopback))
        .await
        .expect("starts again on the same home");
    let status = status_of(second.address(), "/api/v1/health").await;
    assert!(status.contains(" 200 "), "{status}");
    second.stop().await;
    assert_eq!(
        std::fs::read(home.join("secret.key")).expect("key"),
        key,
        "the key is kept"
    );
}

#[tokio::test]
async fn an_address_in_use_is_an_error_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = taken.local_addr().expect("address");
    let Err(e) = Standalone::start(config(dir.path(), address)).await else {
        panic!("started on an address in use");
    };
    assert!(matches!(e, StandaloneError::Listen { .. }), "{e:?}");
    assert!(
        e.to_string()
            .starts_with(&format!("cannot listen on {address}: ")),
        "{e}"
    );
}
