//! `--tls-cert` and `--tls-key`: the API server over HTTPS (`server`, `standalone`), served by
//! [`weft_server::spawn_serving`].

use std::path::PathBuf;

use weft_tls::ServerIdentity;

use crate::exit::Failure;

/// The API server's certificate and key, when it serves HTTPS.
#[derive(Debug, Clone, clap::Args)]
pub struct HttpsArgs {
    /// Serve HTTPS with this PEM certificate chain (the server's certificate first); needs
    /// --tls-key.
    #[arg(long, env = "WEFT_TLS_CERT", value_name = "PEM")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, env = "WEFT_TLS_KEY", value_name = "PEM")]
    tls_key: Option<PathBuf>,
}

impl HttpsArgs {
    /// The certificate and key, read and checked now; `None` for plain HTTP.
    pub fn identity(&self) -> Result<Option<ServerIdentity>, Failure> {
        // Checked here rather than by clap, which would not see a value from the config file.
        let (cert, key) = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => (cert, key),
            (None, None) => return Ok(None),
            (Some(_), None) => {
                return Err(Failure::usage(
                    "--tls-cert (WEFT_TLS_CERT) is given without --tls-key (WEFT_TLS_KEY)",
                ));
            }
            (None, Some(_)) => {
                return Err(Failure::usage(
                    "--tls-key (WEFT_TLS_KEY) is given without --tls-cert (WEFT_TLS_CERT)",
                ));
            }
        };
        ServerIdentity::from_files(cert, key, weft_server::ALPN)
            .map(Some)
            .map_err(|e| {
                Failure::usage(format!(
                    "--tls-cert/--tls-key (WEFT_TLS_CERT/WEFT_TLS_KEY): {e}"
                ))
            })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn args(cert: Option<&str>, key: Option<&str>) -> HttpsArgs {
        HttpsArgs {
            tls_cert: cert.map(PathBuf::from),
            tls_key: key.map(PathBuf::from),
        }
    }

    #[test]
    fn a_certificate_needs_its_key_and_files_are_checked_at_start() {
        assert!(args(None, None).identity().unwrap().is_none());
        let e = args(Some("/etc/weft/server.pem"), None)
            .identity()
            .unwrap_err();
        assert!(format!("{e:?}").contains("without --tls-key"), "{e:?}");
        let e = args(None, Some("/etc/weft/server.key"))
            .identity()
            .unwrap_err();
        assert!(format!("{e:?}").contains("without --tls-cert"), "{e:?}");
        let e = args(
            Some("/nonexistent/server.pem"),
            Some("/nonexistent/server.key"),
        )
        .identity()
        .unwrap_err();
        assert!(
            format!("{e:?}").contains("/nonexistent/server.pem"),
            "{e:?}"
        );
        let ca = weft_testkit::tls::TestCa::new().unwrap();
        let files = ca.server_files(&["localhost"]).unwrap();
        let good = HttpsArgs {
            tls_cert: Some(files.cert.clone()),
            tls_key: Some(files.key.clone()),
        };
        assert!(good.identity().unwrap().is_some());
    }
}
