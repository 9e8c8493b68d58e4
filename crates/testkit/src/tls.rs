//! A certificate authority made at test time, and server certificates it signs, so that
//! tests run every TLS link against a CA no machine trusts by default.
//!
//! ```
//! let ca = weft_testkit::tls::TestCa::new().expect("CA");
//! let files = ca.server_files(&["localhost", "127.0.0.1"]).expect("files");
//! assert!(std::fs::read_to_string(&files.ca).expect("CA file").contains("BEGIN CERTIFICATE"));
//! ```

use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

use crate::error::{TestkitError, TestkitResult};

/// A CA made now: its certificate, and the key that signs server certificates.
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    cert_pem: String,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa").finish_non_exhaustive()
    }
}

/// A server certificate and its private key.
#[derive(Debug, Clone)]
pub struct ServerCert {
    /// The certificate, PEM.
    pub cert_pem: String,
    /// The certificate, DER.
    pub cert_der: Vec<u8>,
    /// The private key, PKCS#8 PEM.
    pub key_pem: String,
    /// The private key, PKCS#8 DER.
    pub key_der: Vec<u8>,
}

/// The CA certificate, a server certificate and its key as PEM files in a directory of
/// their own, removed when this value is dropped.
#[derive(Debug)]
pub struct TlsFiles {
    /// The CA's certificate.
    pub ca: PathBuf,
    /// The server's certificate.
    pub cert: PathBuf,
    /// The server's private key (mode 0600).
    pub key: PathBuf,
    dir: tempfile::TempDir,
}

impl TlsFiles {
    /// The directory holding the files.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

fn failed(what: &str, e: &rcgen::Error) -> TestkitError {
    TestkitError::Failed {
        what: format!("making {what} (rcgen)"),
        status: "error".to_owned(),
        output: e.to_string(),
    }
}

impl TestCa {
    /// A new CA with a new key.
    pub fn new() -> TestkitResult<TestCa> {
        let key = KeyPair::generate().map_err(|e| failed("the test CA's key", &e))?;
        let mut params =
            CertificateParams::new(Vec::<String>::new()).map_err(|e| failed("the test CA", &e))?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "Weft test CA");
        let cert = params
            .self_signed(&key)
            .map_err(|e| failed("the test CA", &e))?;
        Ok(TestCa {
            cert_pem: cert.pem(),
            issuer: Issuer::new(params, key),
        })
    }

    /// The CA's certificate, PEM.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// A server certificate for `names`: DNS names, or IP addresses written as such.
    pub fn server_cert(&self, names: &[&str]) -> TestkitResult<ServerCert> {
        let key = KeyPair::generate().map_err(|e| failed("a server key", &e))?;
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params =
            CertificateParams::new(names).map_err(|e| failed("a server certificate", &e))?;
        params
            .distinguished_name
            .push(DnType::CommonName, "Weft test server");
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(|e| failed("a server certificate", &e))?;
        Ok(ServerCert {
            cert_pem: cert.pem(),
            cert_der: cert.der().to_vec(),
            key_pem: key.serialize_pem(),
            key_der: key.serialize_der(),
        })
    }

    /// [`TestCa::server_cert`] for `names`, written with the CA's certificate as PEM files.
    pub fn server_files(&self, names: &[&str]) -> TestkitResult<TlsFiles> {
        let server = self.server_cert(names)?;
        let dir = tempfile::Builder::new()
            .prefix("weft-tls-")
            .tempdir()
            .map_err(|source| TestkitError::Io {
                what: "creating a directory in",
                path: std::env::temp_dir(),
                source,
            })?;
        let files = TlsFiles {
            ca: dir.path().join("ca.pem"),
            cert: dir.path().join("server.pem"),
            key: dir.path().join("server.key"),
            dir,
        };
        write(&files.ca, &self.cert_pem, 0o644)?;
        write(&files.cert, &server.cert_pem, 0o644)?;
        write(&files.key, &server.key_pem, 0o600)?;
        Ok(files)
    }
}

fn write(path: &Path, text: &str, mode: u32) -> TestkitResult<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let io = |source| TestkitError::Io {
        what: "writing",
        path: path.to_owned(),
        source,
    };
    std::fs::write(path, text).map_err(io)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(io)
}
