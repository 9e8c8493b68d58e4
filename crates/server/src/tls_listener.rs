//! HTTPS: a listener that hands axum only connections whose TLS handshake has completed.
//!
//! Handshakes run concurrently, each in a task of its own bounded by a timeout
//! ([`HANDSHAKE_TIMEOUT`] by default), so a client that opens a connection and never finishes
//! its handshake holds up nobody else; at most [`MAX_HANDSHAKES`] run at once, and no more
//! connections are accepted (the kernel's backlog holds them) while that many do. Failed
//! handshakes (a plain HTTP request, a client that does not trust the certificate) are
//! logged at debug level and dropped.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// The longest a client may take to complete its handshake, by default.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes in progress at once, at most.
pub const MAX_HANDSHAKES: usize = 256;
/// Connections whose handshake completed, waiting for axum to take them.
const READY: usize = 64;
/// How long to wait before accepting again after `accept` failed for a reason of this
/// process (out of file descriptors, say), as axum does.
const ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

/// Accepts TCP connections on a listener and completes their TLS handshakes.
pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    accepting: JoinHandle<()>,
}

impl TlsListener {
    /// TLS with `config` on the connections `tcp` accepts.
    pub fn new(tcp: TcpListener, config: Arc<rustls::ServerConfig>) -> io::Result<TlsListener> {
        Self::with_timeout(tcp, config, HANDSHAKE_TIMEOUT)
    }

    /// [`TlsListener::new`], giving each handshake `timeout`.
    pub fn with_timeout(
        tcp: TcpListener,
        config: Arc<rustls::ServerConfig>,
        timeout: Duration,
    ) -> io::Result<TlsListener> {
        let local = tcp.local_addr()?;
        let (sender, ready) = mpsc::channel(READY);
        let handshake = Handshake {
            acceptor: TlsAcceptor::from(config),
            timeout,
            ready: sender,
        };
        let accepting = tokio::spawn(accept(tcp, handshake));
        Ok(TlsListener {
            ready,
            local,
            accepting,
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

/// What each connection's handshake needs.
#[derive(Clone)]
struct Handshake {
    acceptor: TlsAcceptor,
    timeout: Duration,
    ready: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
}

async fn accept(tcp: TcpListener, handshake: Handshake) {
    let slots = Arc::new(Semaphore::new(MAX_HANDSHAKES));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let (stream, peer) = match tcp.accept().await {
            Ok(accepted) => accepted,
            // The client gave up before we took its connection: nothing to say.
            Err(e) if is_connection_error(&e) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "cannot accept a connection; trying again in 1 s");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        let handshake = handshake.clone();
        tokio::spawn(async move {
            let accepted =
                tokio::time::timeout(handshake.timeout, handshake.acceptor.accept(stream)).await;
            drop(slot);
            match accepted {
                Ok(Ok(tls)) => {
                    // Bounded like the handshake: a server too busy to take the connection
                    // in that time drops it rather than holding it.
                    if handshake
                        .ready
                        .send_timeout((tls, peer), handshake.timeout)
                        .await
                        .is_err()
                    {
                        tracing::debug!(%peer, "connection dropped: the server did not take it in time");
                    }
                }
                Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "TLS handshake not completed in time"),
            }
        });
    }
}

/// An error of one connection, not of the listener.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // Only when the accepting task has ended, which it does not while this lives.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local)
    }
}
