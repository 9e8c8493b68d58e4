//! Serving the API on a socket: HTTP/1.1 connections (plain or TLS) within the server's
//! [`ConnectionLimits`], each request's header read within `header_read_timeout`, and a
//! graceful shutdown that finishes the requests in flight.
//!
//! `axum::serve` offers no bound on the time a client may take to send its header: a client
//! sending half a header held its connection for good. Hence this loop, which is axum's
//! with hyper's header timer set.

use std::future::Future;
use std::io;
use std::net::SocketAddr;

use axum::serve::Listener;
use axum::{Extension, Router};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::sync::watch;

use crate::admission::{AdmittingListener, ConnectionLimits};
use crate::tls_listener::TlsListener;
use crate::{AppState, app, tasks};

/// Serve the API on `listener` until `shutdown` completes, then finish the requests in
/// flight and return.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let address = listener.local_addr()?;
    let listener = AdmittingListener::new(listener, &state.config.connections);
    serve_on(listener, address, "HTTP", state, shutdown).await
}

/// [`serve`] over HTTPS, with the certificate and key of `identity`.
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    identity: &weft_tls::ServerIdentity,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let address = listener.local_addr()?;
    let listener = AdmittingListener::new(listener, &state.config.connections);
    let listener = TlsListener::new(listener, identity.config())?;
    serve_on(listener, address, "HTTPS", state, shutdown).await
}

/// Serve the API on `listener` in a task of its own until `shutdown`: over HTTPS with
/// `identity`, else plain HTTP. The task, and the URL scheme it serves (`https`, `http`).
pub fn spawn_serving(
    listener: tokio::net::TcpListener,
    identity: Option<weft_tls::ServerIdentity>,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> (tokio::task::JoinHandle<io::Result<()>>, &'static str) {
    match identity {
        Some(identity) => {
            let task =
                tokio::spawn(async move { serve_tls(listener, &identity, state, shutdown).await });
            (task, "https")
        }
        None => (tokio::spawn(serve(listener, state, shutdown)), "http"),
    }
}

async fn serve_on<L>(
    listener: L,
    address: SocketAddr,
    protocol: &str,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()>
where
    L: Listener<Addr = SocketAddr>,
{
    tracing::info!(%address, protocol, "API server listening");
    // Log streams end when shutdown begins; the server then waits for the other requests.
    let (closing, closed) = watch::channel(false);
    let shutdown = async move {
        shutdown.await;
        let _ = closing.send(true);
    };
    let limits = state.config.connections;
    let app = app(state).layer(Extension(tasks::Closing(closed)));
    run(listener, app, &limits, shutdown).await;
    tracing::info!(%address, "API server stopped");
    Ok(())
}

/// Accept connections until `shutdown`, then let each finish its request in flight.
async fn run<L>(
    mut listener: L,
    app: Router,
    limits: &ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) where
    L: Listener<Addr = SocketAddr>,
{
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    // `stop` tells every connection to finish; each holds a receiver of `open` until it
    // has, so `open.closed()` is when all have.
    let (stop, stopping) = watch::channel(false);
    let (open, connection_open) = watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (io, peer) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let connection =
            http.serve_connection(TokioIo::new(io), TowerToHyperService::new(app.clone()));
        let mut stopping = stopping.clone();
        let connection_open = connection_open.clone();
        tokio::spawn(async move {
            let mut connection = std::pin::pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                _ = async { stopping.wait_for(|stop| *stop).await.map(|_| ()) } => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = result {
                // A client that went away, or one too slow with its header.
                tracing::debug!(%peer, error = %e, "connection ended");
            }
            drop(connection_open);
        });
    }
    drop(listener);
    let _ = stop.send(true);
    drop(connection_open);
    open.closed().await;
}
