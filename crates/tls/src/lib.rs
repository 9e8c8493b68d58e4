//! TLS for Weft's links between machines.
//!
//! - [`Trust`]: what a client trusts: the public web roots (webpki-roots), plus the
//!   certificates of an installation's own CA (`--ca-file`), for the API, Redis
//!   (`rediss://`) and PostgreSQL (`sslmode=verify-full`).
//! - [`ServerIdentity`]: a server's certificate chain and private key (`--tls-cert`,
//!   `--tls-key`), as a rustls server configuration.
//!
//! With the `ureq` feature, [`Trust::ureq_config`] gives the API clients' TLS settings;
//! Redis clients (`rediss://`) are made by `weft-redis` from [`Trust::extra_certs`].
//! PostgreSQL (sqlx) takes [`Trust::extra_pem`] as it is: it adds those certificates to the
//! web roots itself.
//!
//! Every file is read as PEM, and every error names the file and what is wrong with it.
//! Cryptography is rustls with its `ring` provider, chosen explicitly, so that no process
//! depends on a provider installed process-wide.

mod error;
mod identity;
mod trust;
#[cfg(feature = "ureq")]
mod ureq_tls;

pub use error::TlsError;
pub use identity::ServerIdentity;
pub use trust::Trust;

use std::sync::Arc;

/// The cryptography every configuration here uses.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Make ring the process's default rustls provider, for the libraries that ask rustls for
/// the default (the Redis client does); a no-op when one is installed already.
pub fn install_default_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
