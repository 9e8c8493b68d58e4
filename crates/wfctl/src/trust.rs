//! `--ca-file`: the CA an installation's own certificates are signed by, trusted on every
//! TLS link a command opens (the API server over `https://`, Redis over `rediss://`,
//! PostgreSQL with `sslmode=verify-ca` or `verify-full`), besides the public web roots.

use std::path::PathBuf;

use weft_tls::Trust;

use crate::exit::Failure;

/// The `--ca-file` flag.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TrustArgs {
    /// PEM file of the CA (or CAs) that signed the installation's certificates, trusted
    /// besides the public web roots on TLS links: the API server (https://), Redis
    /// (rediss://) and PostgreSQL (sslmode=verify-ca or verify-full).
    #[arg(
        long = "ca-file",
        env = "WEFT_CA_FILE",
        value_name = "PEM",
        global = true
    )]
    pub tls_ca_file: Option<PathBuf>,
}

impl TrustArgs {
    /// The certificates to trust: the web roots, and the CA file's when one is given.
    pub fn trust(&self) -> Result<Trust, Failure> {
        Trust::from_optional_file(self.tls_ca_file.as_deref())
            .map_err(|e| Failure::usage(format!("--ca-file (WEFT_CA_FILE): {e}")))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_that_cannot_be_read_is_named_with_its_flag() {
        assert!(!TrustArgs::default().trust().unwrap().has_ca_file());
        let args = TrustArgs {
            tls_ca_file: Some(PathBuf::from("/nonexistent/ca.pem")),
        };
        let e = format!("{:?}", args.trust().unwrap_err());
        assert!(
            e.contains("--ca-file (WEFT_CA_FILE)") && e.contains("/nonexistent/ca.pem"),
            "{e:?}"
        );
    }
}
