//! The rustls client configuration for HTTPS webhooks: the public web roots (webpki-roots)
//! plus any CA file the options trust.

use rustls_pki_types::ServerName;
use tokio_rustls::TlsConnector;
use weft_tls::Trust;

use crate::error::DeliveryError;

/// A TLS connector trusting what `trust` trusts.
pub(crate) fn connector(host: &str, trust: &Trust) -> Result<TlsConnector, DeliveryError> {
    let config = trust
        .client_config()
        .map_err(|source| DeliveryError::TlsConfig {
            host: host.to_owned(),
            source: Box::new(source),
        })?;
    Ok(TlsConnector::from(config))
}

/// The name the server's certificate must carry: a DNS name, or an IP literal (without
/// brackets).
pub(crate) fn server_name(host: &str) -> Result<ServerName<'static>, DeliveryError> {
    ServerName::try_from(host.to_owned()).map_err(|source| DeliveryError::ServerName {
        host: host.to_owned(),
        source,
    })
}
