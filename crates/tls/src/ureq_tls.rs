//! The API clients' TLS settings (`wfctl`'s and the worker's, both on ureq).

use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};

use crate::trust::Trust;

impl Trust {
    /// ureq's TLS settings: rustls (ring), trusting the web roots and the CA file's
    /// certificates.
    pub fn ureq_config(&self) -> TlsConfig {
        let builder = TlsConfig::builder().provider(TlsProvider::Rustls);
        if self.extra_certs().is_empty() {
            return builder.root_certs(RootCerts::WebPki).build();
        }
        let certs: Vec<Certificate<'static>> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .map(|der| Certificate::from_der(der.as_ref()))
            .chain(
                self.extra_certs()
                    .iter()
                    .map(|der| Certificate::from_der(der.as_ref()).to_owned()),
            )
            .collect();
        builder
            .root_certs(RootCerts::new_with_certs(&certs))
            .build()
    }
}
