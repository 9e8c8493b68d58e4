//! [`StandaloneError`]: why the embedded process could not start. Each message names what to
//! fix (the home directory, the database file, the key, the address).

use std::net::SocketAddr;
use std::path::PathBuf;

/// Why [`Standalone::start`](crate::Standalone::start) failed.
#[derive(Debug, thiserror::Error)]
pub enum StandaloneError {
    /// The home directory cannot be made.
    #[error("cannot create {}: {source}", path.display())]
    Home {
        /// The home directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The SQLite database cannot be opened.
    #[error("cannot open {}: {source}", path.display())]
    Database {
        /// The database file.
        path: PathBuf,
        /// Why.
        #[source]
        source: weft_store::StoreError,
    },
    /// The sealing key cannot be read or generated.
    #[error(transparent)]
    Key(#[from] weft_vault::VaultError),
    /// The sealing key does not open what the store holds.
    #[error("checking the secret key: {0}")]
    KeyCheck(#[source] weft_store::CredentialsError),
    /// The sandbox cannot be set up.
    #[error(transparent)]
    Runtime(#[from] weft_runtime::RuntimeInitError),
    /// The API server's address cannot be listened on.
    #[error("cannot listen on {address}: {source}")]
    Listen {
        /// The address asked for.
        address: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The address the listener got cannot be read.
    #[error(transparent)]
    Address(std::io::Error),
    /// No token could be drawn to close the worker API.
    #[error("closing the worker API: {0}")]
    ClosingWorkerApi(#[source] getrandom::Error),
}
