//! A slowloris against `serve` on a real loopback socket: clients that open connections and
//! send half a request header are cut off when the header's time is up, one address holds no
//! more than its share of connections, the server holds no more than its total, and other
//! clients are served meanwhile. Linux routes all of 127.0.0.0/8 to loopback, so binding a
//! client to 127.0.0.2 stands for another machine.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpSocket, TcpStream};
use weft_server::{ConnectionLimits, ServerConfig};

use crate::support::Harness;

/// Long enough for anything a loaded machine does on loopback; never a goal.
const GENEROUS: Duration = Duration::from_secs(30);

/// A server with these limits on a loopback port; it runs until the test ends.
async fn server(limits: ConnectionLimits) -> (Harness, SocketAddr) {
    let h = Harness::with_config(ServerConfig {
        connections: limits,
        ..ServerConfig::default()
    })
    .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(weft_server::serve(
        listener,
        h.state.clone(),
        std::future::pending(),
    ));
    (h, address)
}

/// A connection from `from` (a loopback address) that has sent half a request header.
async fn half_header(from: &str, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(format!("{from}:0").parse().expect("address"))
        .expect("bind the client");
    let mut stream = socket.connect(to).await.expect("connect");
    stream
        .write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: weft\r\nX-Slow: ")
        .await
        .expect("write half a header");
    stream
}

/// `None` when the server closes `stream` within `within` (end of stream or a reset) having
/// sent no response; else the stream, still open.
async fn unless_closed(mut stream: TcpStream, within: Duration) -> Option<TcpStream> {
    let mut buffer = [0_u8; 256];
    match tokio::time::timeout(within, stream.read(&mut buffer)).await {
        Ok(Ok(0)) | Ok(Err(_)) => None,
        Ok(Ok(n)) => panic!(
            "the server answered half a header: {:?}",
            String::from_utf8_lossy(&buffer[..n])
        ),
        Err(_) => Some(stream),
    }
}

/// How many of `streams` the server closes within `within` (watched together), and the
/// others, still open.
async fn split_closed(streams: Vec<TcpStream>, within: Duration) -> (usize, Vec<TcpStream>) {
    let watches: Vec<_> = streams
        .into_iter()
        .map(|s| tokio::spawn(unless_closed(s, within)))
        .collect();
    let (mut closed, mut open) = (0, Vec::new());
    for watch in watches {
        match watch.await.expect("watch") {
            Some(stream) => open.push(stream),
            None => closed += 1,
        }
    }
    (closed, open)
}

/// The status line of `GET /api/v1/health` sent whole from `from`.
async fn health_from(from: &str, to: SocketAddr) -> String {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(format!("{from}:0").parse().expect("address"))
        .expect("bind the client");
    let ask = async {
        let mut stream = socket.connect(to).await.expect("connect");
        let request = b"GET /api/v1/health HTTP/1.1\r\nHost: weft\r\nConnection: close\r\n\r\n";
        // A connection the server refused may be closed before the request is written.
        if stream.write_all(request).await.is_err() {
            return String::new();
        }
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response).await;
        response
    };
    let response = tokio::time::timeout(GENEROUS, ask)
        .await
        .expect("the server answered");
    response.lines().next().unwrap_or_default().to_owned()
}

/// One address opens many more connections than its share, each holding half a header: the
/// ones over its share are closed at once, and a client at another address is served while
/// the attacker holds its share.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_holds_no_more_than_its_share_and_others_are_served() {
    let (_h, address) = server(ConnectionLimits {
        header_read_timeout: Duration::from_secs(600),
        max_connections: 64,
        max_connections_per_client: 4,
    })
    .await;
    let mut attack = Vec::new();
    for _ in 0..20 {
        attack.push(half_header("127.0.0.1", address).await);
    }
    // Only the 16 over the share close; the 4 within it stay open.
    let (closed, held) = split_closed(attack, Duration::from_secs(5)).await;
    assert_eq!(closed, 16);
    assert_eq!(health_from("127.0.0.2", address).await, "HTTP/1.1 200 OK");
    // The attacker's address has no place left while it holds its share.
    assert_eq!(health_from("127.0.0.1", address).await, "");
    let (closed, _) = split_closed(held, Duration::from_millis(100)).await;
    assert_eq!(closed, 0, "the share was not held throughout");
}

/// Connections over the server's total are closed at once, whatever their address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_holds_no_more_than_its_total() {
    let (_h, address) = server(ConnectionLimits {
        header_read_timeout: Duration::from_secs(600),
        max_connections: 8,
        max_connections_per_client: 4,
    })
    .await;
    let mut attack = Vec::new();
    for from in ["127.0.0.3", "127.0.0.4", "127.0.0.5"] {
        for _ in 0..4 {
            attack.push(half_header(from, address).await);
        }
    }
    let (closed, _held) = split_closed(attack, Duration::from_secs(5)).await;
    assert_eq!(closed, 4);
    assert_eq!(health_from("127.0.0.6", address).await, "");
}

/// Connections that never finish their header are closed when its time is up, which gives
/// their places back: the same address is served again afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_headers_are_cut_off_when_their_time_is_up() {
    let (_h, address) = server(ConnectionLimits {
        header_read_timeout: Duration::from_secs(1),
        max_connections: 64,
        max_connections_per_client: 4,
    })
    .await;
    let mut attack = Vec::new();
    for _ in 0..4 {
        attack.push(half_header("127.0.0.1", address).await);
    }
    let (closed, _) = split_closed(attack, GENEROUS).await;
    assert_eq!(closed, 4);
    assert_eq!(health_from("127.0.0.1", address).await, "HTTP/1.1 200 OK");
}
