//! `--tls-cert` and `--tls-key`: the API server over HTTPS (`server`, `standalone`).

use std::future::Future;
use std::io;
use std::path::PathBuf;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use weft_server::AppState;
use weft_tls::ServerIdentity;

use crate::exit::Failure;

/// The API server's certificate and key, when it serves HTTPS.
#[derive(Debug, Clone, clap::Args)]
pub struct HttpsArgs {
    /// Serve HTTPS with this PEM certificate chain (the server's certificate first); needs
    /// --tls-key.
    #[arg(long, env = "WEFT_TLS_CERT", value_name = "PEM", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, env = "WEFT_TLS_KEY", value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

impl HttpsArgs {
    /// The certificate and key, read and checked now; `None` for plain HTTP.
    pub fn identity(&self) -> Result<Option<ServerIdentity>, Failure> {
        let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) else {
            return Ok(None);
        };
        ServerIdentity::from_files(cert, key, weft_server::ALPN)
            .map(Some)
            .map_err(|e| Failure::usage(format!("--tls-cert/--tls-key: {e}")))
    }
}

/// Serve the API on `listener` (over HTTPS with `identity`) until `shutdown`; the task, and
/// the URL scheme it serves.
pub fn spawn_api(
    listener: TcpListener,
    identity: Option<ServerIdentity>,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> (JoinHandle<io::Result<()>>, &'static str) {
    match identity {
        Some(identity) => {
            let task = tokio::spawn(async move {
                weft_server::serve_tls(listener, &identity, state, shutdown).await
            });
            (task, "https")
        }
        None => (
            tokio::spawn(weft_server::serve(listener, state, shutdown)),
            "http",
        ),
    }
}
