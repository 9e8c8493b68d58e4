//! Redis clients (`rediss://` over rustls) that trust the web roots and the CA file.

use crate::trust::Trust;

impl Trust {
    /// A Redis client of `url`. Over `rediss://` it verifies the server's certificate against
    /// the web roots, and against the CA file's certificates when there is one.
    pub fn redis_client(&self, url: &str) -> redis::RedisResult<redis::Client> {
        use redis::IntoConnectionInfo as _;
        let info = url.into_connection_info()?;
        let tls = matches!(info.addr(), redis::ConnectionAddr::TcpTls { .. });
        if !self.has_ca_file() || !tls {
            return redis::Client::open(info);
        }
        let mut bundle: Vec<pem::Pem> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .map(|der| pem::Pem::new("CERTIFICATE", der.as_ref()))
            .collect();
        bundle.extend(
            self.extra_certs()
                .iter()
                .map(|der| pem::Pem::new("CERTIFICATE", der.as_ref())),
        );
        let certificates = redis::TlsCertificates {
            client_tls: None,
            root_cert: Some(pem::encode_many(&bundle).into_bytes()),
        };
        redis::Client::build_with_tls(info, certificates)
    }
}
