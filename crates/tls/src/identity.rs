//! A server's certificate chain and private key.

use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::TlsError;

/// A server's certificate chain and private key, as a rustls server configuration.
#[derive(Debug, Clone)]
pub struct ServerIdentity {
    config: Arc<rustls::ServerConfig>,
}

impl ServerIdentity {
    /// Reads the PEM certificate chain `cert` (the server's certificate first) and the PEM
    /// private key `key` (PKCS#8, PKCS#1 or SEC1), offering `alpn` (`h2`, `http/1.1`, …).
    pub fn from_files(cert: &Path, key: &Path, alpn: &[&[u8]]) -> Result<ServerIdentity, TlsError> {
        let chain = CertificateDer::pem_file_iter(cert)
            .map_err(|source| pem_error(cert, source))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|source| pem_error(cert, source))?;
        if chain.is_empty() {
            return Err(TlsError::NoCertificate {
                path: cert.to_owned(),
            });
        }
        let private = PrivateKeyDer::from_pem_file(key).map_err(|source| match source {
            rustls_pki_types::pem::Error::NoItemsFound if encrypted(key) => {
                TlsError::EncryptedKey {
                    path: key.to_owned(),
                }
            }
            rustls_pki_types::pem::Error::NoItemsFound => TlsError::NoPrivateKey {
                path: key.to_owned(),
            },
            source => pem_error(key, source),
        })?;
        let mut config = rustls::ServerConfig::builder_with_provider(crate::provider())
            .with_safe_default_protocol_versions()
            .map_err(TlsError::Config)?
            .with_no_client_auth()
            .with_single_cert(chain, private)
            .map_err(|source| TlsError::Identity {
                cert: cert.to_owned(),
                key: key.to_owned(),
                source,
            })?;
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(ServerIdentity {
            config: Arc::new(config),
        })
    }

    /// The rustls server configuration.
    pub fn config(&self) -> Arc<rustls::ServerConfig> {
        self.config.clone()
    }
}

/// Whether the file `path` holds an encrypted PKCS#8 key.
fn encrypted(path: &Path) -> bool {
    std::fs::read(path).is_ok_and(|text| {
        text.windows(b"BEGIN ENCRYPTED PRIVATE KEY".len())
            .any(|w| w == b"BEGIN ENCRYPTED PRIVATE KEY")
    })
}

/// A PEM error on `path`: a missing or unreadable file is a read error.
fn pem_error(path: &Path, source: rustls_pki_types::pem::Error) -> TlsError {
    match source {
        rustls_pki_types::pem::Error::Io(source) => TlsError::Read {
            path: path.to_owned(),
            source,
        },
        source => TlsError::Pem {
            path: path.to_owned(),
            source,
        },
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_and_its_key_make_an_identity() {
        let ca = weft_testkit::tls::TestCa::new().unwrap();
        let files = ca.server_files(&["localhost"]).unwrap();
        let identity = ServerIdentity::from_files(&files.cert, &files.key, &[b"http/1.1"]).unwrap();
        assert_eq!(identity.config().alpn_protocols, vec![b"http/1.1".to_vec()]);
    }

    #[test]
    fn wrong_files_are_refused_naming_them() {
        let ca = weft_testkit::tls::TestCa::new().unwrap();
        let files = ca.server_files(&["localhost"]).unwrap();
        let other = ca.server_files(&["localhost"]).unwrap();
        // A key that is not the certificate's.
        let e = ServerIdentity::from_files(&files.cert, &other.key, &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("cannot be used together") && e.contains("server.key"),
            "{e}"
        );
        // The files swapped.
        let e = ServerIdentity::from_files(&files.key, &files.cert, &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("holds no certificate") && e.contains("server.key"),
            "{e}"
        );
        let missing = files.dir().join("nothing.pem");
        let e = ServerIdentity::from_files(&missing, &files.key, &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("cannot read") && e.contains("nothing.pem"),
            "{e}"
        );
        let e = ServerIdentity::from_files(&files.cert, &files.ca, &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("holds no private key") && e.contains("ca.pem"),
            "{e}"
        );
        let locked = files.dir().join("locked.key");
        std::fs::write(
            &locked,
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n",
        )
        .unwrap();
        let e = ServerIdentity::from_files(&files.cert, &locked, &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("is encrypted") && e.contains("locked.key"),
            "{e}"
        );
    }
}
