//! `serve` on a real loopback socket: it answers, and returns once told to shut down.

use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use crate::support::Harness;

#[tokio::test]
async fn serve_answers_and_shuts_down_gracefully() {
    let h = Harness::new().await;
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(weft_server::serve(listener, h.state.clone(), async {
        let _ = stopped.await;
    }));

    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream
        .write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: weft\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"status\":\"ok\""), "{response}");

    stop.send(()).expect("server still running");
    let result = tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("serve returned")
        .expect("join");
    assert!(result.is_ok(), "{result:?}");
    assert!(
        TcpStream::connect(address).await.is_err(),
        "still listening after shutdown"
    );
}
