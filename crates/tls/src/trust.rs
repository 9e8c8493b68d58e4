//! What a client trusts: the public web roots, plus an installation's own CA.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject as _;

use crate::error::TlsError;

/// The certificates a client trusts: the public web roots, plus any read from CA files.
/// [`Trust::default`] is the web roots alone.
#[derive(Debug, Clone)]
pub struct Trust {
    /// The CA files the extra certificates came from, in order.
    files: Vec<PathBuf>,
    /// The extra certificates, DER.
    extra: Vec<CertificateDer<'static>>,
    /// The extra certificates as PEM, for clients that take PEM (sqlx).
    extra_pem: Vec<u8>,
    /// The web roots and the extra certificates, each checked as it was added.
    roots: rustls::RootCertStore,
}

impl Default for Trust {
    fn default() -> Trust {
        Trust {
            files: Vec::new(),
            extra: Vec::new(),
            extra_pem: Vec::new(),
            roots: rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            },
        }
    }
}

impl Trust {
    /// The web roots and the certificates of the PEM file `path` (one or more CAs).
    pub fn with_ca_file(path: &Path) -> Result<Trust, TlsError> {
        let mut trust = Trust::default();
        trust.add_ca_file(path)?;
        Ok(trust)
    }

    /// [`Trust::with_ca_file`] if a file is given, else the web roots alone.
    pub fn from_optional_file(path: Option<&Path>) -> Result<Trust, TlsError> {
        path.map_or_else(|| Ok(Trust::default()), Trust::with_ca_file)
    }

    /// Trust the certificates of the PEM file `path` too. Each must be usable as a CA; on
    /// an error nothing of the file is added.
    pub fn add_ca_file(&mut self, path: &Path) -> Result<(), TlsError> {
        let pem = std::fs::read(path).map_err(|source| TlsError::Read {
            path: path.to_owned(),
            source,
        })?;
        self.add_pem(&pem, path)
    }

    /// Trust the PEM certificates `pem` (read from `path`, which errors name) too.
    pub fn add_pem(&mut self, pem: &[u8], path: &Path) -> Result<(), TlsError> {
        let certs = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|source| TlsError::Pem {
                path: path.to_owned(),
                source,
            })?;
        if certs.is_empty() {
            return Err(TlsError::NoCertificate {
                path: path.to_owned(),
            });
        }
        let mut roots = self.roots.clone();
        for (index, cert) in certs.iter().enumerate() {
            roots
                .add(cert.clone())
                .map_err(|source| TlsError::BadRoot {
                    path: path.to_owned(),
                    index: index + 1,
                    source,
                })?;
        }
        self.roots = roots;
        // Only the certificates, never anything else the file holds (a key, say), since
        // some clients show what they were given in their errors.
        let blocks: Vec<pem::Pem> = certs
            .iter()
            .map(|der| pem::Pem::new("CERTIFICATE", der.as_ref()))
            .collect();
        self.extra_pem
            .extend_from_slice(pem::encode_many(&blocks).as_bytes());
        self.extra.extend(certs);
        self.files.push(path.to_owned());
        Ok(())
    }

    /// Whether a CA file was given.
    pub fn has_ca_file(&self) -> bool {
        !self.files.is_empty()
    }

    /// The CA files, in the order given.
    pub fn ca_files(&self) -> &[PathBuf] {
        &self.files
    }

    /// The CA files' certificates, DER (none without a CA file).
    pub fn extra_certs(&self) -> &[CertificateDer<'static>] {
        &self.extra
    }

    /// The CA files' certificates, PEM, if any was given.
    pub fn extra_pem(&self) -> Option<&[u8]> {
        self.has_ca_file().then_some(self.extra_pem.as_slice())
    }

    /// The web roots and the extra certificates, as a rustls root store.
    pub fn roots(&self) -> &rustls::RootCertStore {
        &self.roots
    }

    /// A rustls client configuration trusting these roots, without a client certificate.
    pub fn client_config(&self) -> Result<Arc<rustls::ClientConfig>, TlsError> {
        let config = rustls::ClientConfig::builder_with_provider(crate::provider())
            .with_safe_default_protocol_versions()
            .map_err(TlsError::Config)?
            .with_root_certificates(self.roots.clone())
            .with_no_client_auth();
        Ok(Arc::new(config))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_adds_its_certificates_to_the_web_roots() {
        let ca = weft_testkit::tls::TestCa::new().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, ca.cert_pem()).unwrap();
        let trust = Trust::with_ca_file(&path).unwrap();
        assert_eq!(trust.extra_certs().len(), 1);
        assert_eq!(trust.ca_files(), std::slice::from_ref(&path));
        let pem = String::from_utf8(trust.extra_pem().unwrap().to_vec()).unwrap();
        assert_eq!(pem.matches("BEGIN CERTIFICATE").count(), 1, "{pem}");
        assert_eq!(
            CertificateDer::pem_slice_iter(pem.as_bytes())
                .next()
                .unwrap()
                .unwrap(),
            trust.extra_certs()[0]
        );
        assert_eq!(
            trust.roots().len(),
            webpki_roots::TLS_SERVER_ROOTS.len() + 1
        );
        assert!(trust.client_config().is_ok());
        let web = Trust::default();
        assert_eq!(web.roots().len(), webpki_roots::TLS_SERVER_ROOTS.len());
        assert_eq!(web.extra_pem(), None);
        assert!(!web.has_ca_file());

        // A second file adds to the first; a file with one bad certificate adds nothing.
        let mut both = trust.clone();
        let other = weft_testkit::tls::TestCa::new().unwrap();
        let second = dir.path().join("second.pem");
        std::fs::write(&second, other.cert_pem()).unwrap();
        both.add_ca_file(&second).unwrap();
        assert_eq!(both.extra_certs().len(), 2);
        assert_eq!(both.roots().len(), webpki_roots::TLS_SERVER_ROOTS.len() + 2);
        let bad = dir.path().join("bad.pem");
        let garbage = "-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n";
        std::fs::write(&bad, format!("{}{garbage}", other.cert_pem())).unwrap();
        let e = both.add_ca_file(&bad).unwrap_err().to_string();
        assert!(
            e.contains("certificate 2 of") && e.contains("bad.pem"),
            "{e}"
        );
        assert_eq!(both.extra_certs().len(), 2);
        assert_eq!(both.ca_files().len(), 2);
        assert_eq!(both.roots().len(), webpki_roots::TLS_SERVER_ROOTS.len() + 2);
    }

    #[test]
    fn bad_ca_files_are_refused_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let e = Trust::with_ca_file(&missing).unwrap_err().to_string();
        assert!(
            e.contains("cannot read") && e.contains("missing.pem"),
            "{e}"
        );

        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "just text\n").unwrap();
        let e = Trust::with_ca_file(&empty).unwrap_err().to_string();
        assert!(
            e.contains("holds no certificate") && e.contains("empty.pem"),
            "{e}"
        );

        let broken = dir.path().join("broken.pem");
        std::fs::write(
            &broken,
            "-----BEGIN CERTIFICATE-----\n!!!not base64!!!\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let e = Trust::with_ca_file(&broken).unwrap_err().to_string();
        assert!(
            e.contains("not valid PEM") && e.contains("broken.pem"),
            "{e}"
        );

        let garbage = dir.path().join("garbage.pem");
        std::fs::write(
            &garbage,
            "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let e = Trust::with_ca_file(&garbage).unwrap_err().to_string();
        assert!(
            e.contains("certificate 1 of") && e.contains("garbage.pem"),
            "{e}"
        );
    }
}
