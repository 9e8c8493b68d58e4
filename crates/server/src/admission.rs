//! Which connections the API server takes: at most so many at once in all, and so many from
//! one client address, so that a client holding connections open (a slowloris) exhausts
//! neither the process's file descriptors nor everyone else's share of the server.
//!
//! A connection over either bound is closed as soon as it is accepted, never queued: a
//! queue would hold the very descriptors the bounds protect. How long a connection may take
//! to send its request's header is bounded where requests are read (`serving`); the two
//! together keep the server answering other clients while one attacks it.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How many connections the API server holds, and how long a request's header may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// The longest a client may take to send a request's header, counted from when the
    /// server waits for it (so an idle kept-alive connection is closed after this long too).
    pub header_read_timeout: Duration,
    /// Connections open at once, from all clients together; keep it below the process's
    /// limit of open files.
    pub max_connections: usize,
    /// Connections open at once from one client address.
    pub max_connections_per_client: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            // Above the 15 s for which workers' and wfctl's HTTP client (ureq) keeps an idle
            // connection, so that the server does not close one the client is about to reuse.
            header_read_timeout: Duration::from_secs(30),
            max_connections: 1024,
            max_connections_per_client: 128,
        }
    }
}

/// Counts the open connections, in all and per client address.
#[derive(Debug)]
pub(crate) struct Admission {
    total: Arc<Semaphore>,
    per_client: Arc<PerClient>,
}

#[derive(Debug)]
struct PerClient {
    max: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// Why a connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The server holds as many connections as it may.
    Full,
    /// The client holds as many connections as one client may.
    ClientFull,
}

impl Admission {
    pub(crate) fn new(limits: &ConnectionLimits) -> Admission {
        Admission {
            total: Arc::new(Semaphore::new(limits.max_connections.max(1))),
            per_client: Arc::new(PerClient {
                max: limits.max_connections_per_client.max(1),
                open: Mutex::default(),
            }),
        }
    }

    /// A ticket for one more connection from `client`, held as long as the connection is.
    pub(crate) fn admit(&self, client: IpAddr) -> Result<Ticket, Refusal> {
        let permit = self
            .total
            .clone()
            .try_acquire_owned()
            .map_err(|_| Refusal::Full)?;
        let mut open = self
            .per_client
            .open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = open.entry(client).or_default();
        if *count >= self.per_client.max {
            return Err(Refusal::ClientFull);
        }
        *count += 1;
        Ok(Ticket {
            _permit: permit,
            client,
            per_client: self.per_client.clone(),
        })
    }
}

/// One admitted connection; dropping it gives its place back.
#[derive(Debug)]
pub(crate) struct Ticket {
    _permit: OwnedSemaphorePermit,
    client: IpAddr,
    per_client: Arc<PerClient>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut open = self
            .per_client
            .open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(count) = open.get_mut(&self.client) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.client);
            }
        }
    }
}

/// A connection with its ticket: the place is given back when the connection is dropped.
#[derive(Debug)]
pub struct Admitted<T> {
    io: T,
    _ticket: Ticket,
}

impl<T: AsyncRead + Unpin> AsyncRead for Admitted<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Admitted<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

/// How long to wait before accepting again after `accept` failed for a reason of this
/// process (out of file descriptors, say), as axum does.
const ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

/// A TCP listener that hands on only the connections [`ConnectionLimits`] admit.
#[derive(Debug)]
pub struct AdmittingListener {
    tcp: TcpListener,
    admission: Admission,
}

impl AdmittingListener {
    /// Connections of `tcp`, within `limits`.
    pub fn new(tcp: TcpListener, limits: &ConnectionLimits) -> AdmittingListener {
        AdmittingListener {
            tcp,
            admission: Admission::new(limits),
        }
    }
}

impl axum::serve::Listener for AdmittingListener {
    type Io = Admitted<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (stream, peer) = match self.tcp.accept().await {
                Ok(accepted) => accepted,
                // The client gave up before we took its connection: nothing to say.
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot accept a connection; trying again in 1 s");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            };
            match self.admission.admit(peer.ip()) {
                Ok(ticket) => {
                    let io = Admitted {
                        io: stream,
                        _ticket: ticket,
                    };
                    return (io, peer);
                }
                // Dropping the stream closes it now; one line per refusal would let the
                // attacker fill the log, so it is a debug line.
                Err(refusal) => tracing::debug!(%peer, ?refusal, "connection refused"),
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.tcp.local_addr()
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn places_are_counted_per_client_and_in_all_and_given_back() {
        let admission = Admission::new(&ConnectionLimits {
            max_connections: 3,
            max_connections_per_client: 2,
            ..ConnectionLimits::default()
        });
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        let first = admission.admit(a).unwrap();
        let _second = admission.admit(a).unwrap();
        assert_eq!(admission.admit(a).unwrap_err(), Refusal::ClientFull);
        let _third = admission.admit(b).unwrap();
        assert_eq!(admission.admit(b).unwrap_err(), Refusal::Full);
        drop(first);
        let _again = admission.admit(a).unwrap();
    }
}
