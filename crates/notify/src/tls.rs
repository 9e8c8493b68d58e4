//! The rustls client configuration for HTTPS webhooks: the public web roots (webpki-roots)
//! plus any extra CA the options carry.

use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio_rustls::TlsConnector;

use crate::error::DeliveryError;

/// A TLS connector trusting the web roots and `extra_ca_pem`'s certificates.
pub(crate) fn connector(
    host: &str,
    extra_ca_pem: Option<&[u8]>,
) -> Result<TlsConnector, DeliveryError> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(pem) = extra_ca_pem {
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|source| DeliveryError::CaCertificate { source })?;
            roots.add(cert).map_err(|source| DeliveryError::TlsConfig {
                host: host.to_owned(),
                source,
            })?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|source| DeliveryError::TlsConfig {
            host: host.to_owned(),
            source,
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

/// The name the server's certificate must carry: a DNS name, or an IP literal (without
/// brackets).
pub(crate) fn server_name(host: &str) -> Result<ServerName<'static>, DeliveryError> {
    ServerName::try_from(host.to_owned()).map_err(|source| DeliveryError::ServerName {
        host: host.to_owned(),
        source,
    })
}
