//! HTTPS: a listener that hands axum only connections whose TLS handshake has completed.
//!
//! Handshakes run concurrently, each in a task of its own bounded by a timeout
//! ([`HANDSHAKE_TIMEOUT`] by default), so a client that opens a connection and never finishes
//! its handshake holds up nobody else; at most [`MAX_HANDSHAKES`] run at once, and no more
//! connections are accepted (the kernel's backlog holds them) while that many do. Failed
//! handshakes (a plain HTTP request, a client that does not trust the certificate) are
//! logged at debug level and dropped. Connections come from any listener, in the server from
//! an [`AdmittingListener`](crate::admission::AdmittingListener), so that the bounds on
//! connections hold before the handshake begins.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::Listener;
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

/// Accepts connections (of type `I`) on a listener and completes their TLS handshakes.
pub struct TlsListener<I> {
    ready: mpsc::Receiver<(TlsStream<I>, SocketAddr)>,
    local: SocketAddr,
    accepting: JoinHandle<()>,
}

impl<I> TlsListener<I>
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    /// TLS with `config` on the connections `tcp` accepts.
    pub fn new<L>(tcp: L, config: Arc<rustls::ServerConfig>) -> io::Result<TlsListener<I>>
    where
        L: Listener<Io = I, Addr = SocketAddr>,
    {
        Self::with_timeout(tcp, config, HANDSHAKE_TIMEOUT)
    }

    /// [`TlsListener::new`], giving each handshake `timeout`.
    pub fn with_timeout<L>(
        tcp: L,
        config: Arc<rustls::ServerConfig>,
        timeout: Duration,
    ) -> io::Result<TlsListener<I>>
    where
        L: Listener<Io = I, Addr = SocketAddr>,
    {
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

impl<I> Drop for TlsListener<I> {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

/// What each connection's handshake needs.
struct Handshake<I> {
    acceptor: TlsAcceptor,
    timeout: Duration,
    ready: mpsc::Sender<(TlsStream<I>, SocketAddr)>,
}

impl<I> Clone for Handshake<I> {
    fn clone(&self) -> Self {
        Handshake {
            acceptor: self.acceptor.clone(),
            timeout: self.timeout,
            ready: self.ready.clone(),
        }
    }
}

async fn accept<L, I>(mut tcp: L, handshake: Handshake<I>)
where
    L: Listener<Io = I, Addr = SocketAddr>,
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let slots = Arc::new(Semaphore::new(MAX_HANDSHAKES));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        // The listener retries failed accepts itself.
        let (stream, peer) = tcp.accept().await;
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

impl<I> Listener for TlsListener<I>
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    type Io = TlsStream<I>;
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
