//! How a PostgreSQL URL's TLS settings and `--ca-file` combine for the metadata store.
//!
//! The PostgreSQL client checks certificates against the public web roots plus the CA it is
//! given, so `sslmode=verify-ca` (which skips the name check) would accept a certificate any
//! public CA issued for any name: it is refused, and `verify-full` is the mode that
//! authenticates the server. The CA file is used only with `verify-full`, and only when the
//! URL names no `sslrootcert` of its own (the URL's wins).

use weft_tls::Trust;

use crate::exit::Failure;

/// The CA certificates (PEM) to give the store's client for `database`, if any; an error for
/// a URL whose TLS mode cannot authenticate the server as it claims to.
pub fn store_ca<'a>(database: &str, trust: &'a Trust) -> Result<Option<&'a [u8]>, Failure> {
    let Ok(url) = url::Url::parse(database) else {
        // The store says what is wrong with the URL.
        return Ok(trust.extra_pem());
    };
    let query = |keys: &[&str]| {
        url.query_pairs()
            .find(|(k, _)| keys.contains(&k.as_ref()))
            .map(|(_, v)| v.to_ascii_lowercase())
    };
    let mode = query(&["sslmode", "ssl-mode"]);
    if mode.as_deref() == Some("verify-ca") {
        return Err(Failure::usage(
            "--database: sslmode=verify-ca would accept a certificate that any public CA issued \
             for any host name; use sslmode=verify-full",
        ));
    }
    if !trust.has_ca_file() {
        return Ok(None);
    }
    if query(&["sslrootcert", "ssl-root-cert", "ssl-ca"]).is_some() {
        tracing::info!(
            "the database URL names its own sslrootcert; --ca-file is not used for PostgreSQL"
        );
        return Ok(None);
    }
    if mode.as_deref() != Some("verify-full") {
        let mode = mode.unwrap_or_else(|| "prefer (the default)".to_owned());
        tracing::warn!(
            "--ca-file is not used for PostgreSQL: sslmode={mode} does not check the server's \
             certificate; add sslmode=verify-full to the database URL"
        );
        return Ok(None);
    }
    Ok(trust.extra_pem())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn trust() -> (tempfile::TempDir, Trust) {
        let dir = tempfile::tempdir().unwrap();
        let ca = weft_testkit::tls::TestCa::new().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, ca.cert_pem()).unwrap();
        let trust = Trust::with_ca_file(&path).unwrap();
        (dir, trust)
    }

    #[test]
    fn the_ca_file_serves_verify_full_urls_without_a_root_of_their_own() {
        let (_dir, trust) = trust();
        let url = "postgres://weft@db.example/weft";
        assert!(
            store_ca(&format!("{url}?sslmode=verify-full"), &trust)
                .unwrap()
                .is_some()
        );
        assert!(
            store_ca(
                &format!("{url}?sslmode=verify-full&sslrootcert=/etc/rds.pem"),
                &trust
            )
            .unwrap()
            .is_none()
        );
        for unverified in [
            "",
            "?sslmode=require",
            "?sslmode=prefer",
            "?sslmode=disable",
        ] {
            assert!(
                store_ca(&format!("{url}{unverified}"), &trust)
                    .unwrap()
                    .is_none(),
                "{unverified}"
            );
        }
        let web = Trust::default();
        assert!(
            store_ca(&format!("{url}?sslmode=verify-full"), &web)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn verify_ca_is_refused_with_what_to_use() {
        let (_dir, trust) = trust();
        for t in [&trust, &Trust::default()] {
            let e = store_ca("postgres://weft@db/weft?sslmode=verify-ca", t).unwrap_err();
            let message = format!("{e:?}");
            assert!(message.contains("verify-full"), "{message}");
        }
    }
}
