//! Why a certificate, key or TLS configuration cannot be used.

use std::path::PathBuf;

/// Why a certificate, key or TLS configuration cannot be used; file errors name the file.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file is not valid PEM.
    #[error("{} is not valid PEM: {source}", path.display())]
    Pem {
        /// The file.
        path: PathBuf,
        /// Why.
        source: rustls_pki_types::pem::Error,
    },
    /// A file meant to hold certificates holds none.
    #[error("{} holds no certificate (expected a PEM \"BEGIN CERTIFICATE\" block)", path.display())]
    NoCertificate {
        /// The file.
        path: PathBuf,
    },
    /// A file meant to hold a private key holds none.
    #[error(
        "{} holds no private key (expected a PEM \"BEGIN PRIVATE KEY\", \"BEGIN RSA PRIVATE KEY\" or \"BEGIN EC PRIVATE KEY\" block)",
        path.display()
    )]
    NoPrivateKey {
        /// The file.
        path: PathBuf,
    },
    /// A private key is encrypted.
    #[error("the private key in {} is encrypted; give the key unencrypted, readable by this process only", path.display())]
    EncryptedKey {
        /// The file.
        path: PathBuf,
    },
    /// A certificate cannot be parsed into a trusted root.
    #[error("certificate {index} of {} cannot be used as a trusted root: {source}", path.display())]
    BadRoot {
        /// The file.
        path: PathBuf,
        /// Its position in the file, from 1.
        index: usize,
        /// Why.
        source: rustls::Error,
    },
    /// A certificate chain and key do not make a server identity (the key does not match
    /// the certificate, say).
    #[error("the certificate {} and the key {} cannot be used together: {source}", cert.display(), key.display())]
    Identity {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// Why.
        source: rustls::Error,
    },
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Config(#[source] rustls::Error),
}
