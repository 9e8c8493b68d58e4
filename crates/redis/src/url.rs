//! A Redis server's URL: parsed and checked into a client (TLS over `rediss://`, trusting
//! the web roots and the installation's CA file), and shown only with its password hidden.

use redis::IntoConnectionInfo as _;
use weft_tls::Trust;

/// A URL that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("bad Redis URL {url}: {source}")]
pub struct BadUrl {
    /// The URL, password hidden ([`redact`]).
    pub url: String,
    /// What the client library found wrong with it.
    #[source]
    pub source: redis::RedisError,
}

/// A client of the server at `url`. Over `rediss://` it verifies the server's certificate
/// against the web roots, and against `trust`'s CA file's certificates when there is one.
pub fn client(url: &str, trust: &Trust) -> Result<redis::Client, BadUrl> {
    let bad = |source| BadUrl {
        url: redact(url),
        source,
    };
    let info = url.into_connection_info().map_err(bad)?;
    let tls = matches!(info.addr(), redis::ConnectionAddr::TcpTls { .. });
    if !trust.has_ca_file() || !tls {
        return redis::Client::open(info).map_err(bad);
    }
    let mut bundle: Vec<pem::Pem> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .map(|der| pem::Pem::new("CERTIFICATE", der.as_ref()))
        .collect();
    bundle.extend(
        trust
            .extra_certs()
            .iter()
            .map(|der| pem::Pem::new("CERTIFICATE", der.as_ref())),
    );
    let certificates = redis::TlsCertificates {
        client_tls: None,
        root_cert: Some(pem::encode_many(&bundle).into_bytes()),
    };
    redis::Client::build_with_tls(info, certificates).map_err(bad)
}

/// `url` with its password replaced by `***`, wherever it is: in the user info
/// (`redis://user:PASSWORD@host`, or `redis://PASSWORD@host`, a password alone) or in a
/// `pass` or `password` query parameter. The one form in which a Redis URL is shown, in
/// messages, logs and `Debug` output alike.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{host}"),
            None => format!("***@{host}"),
        },
        None => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let (query, fragment) = match query.split_once('#') {
                Some((q, f)) => (q, Some(f)),
                None => (query, None),
            };
            let pairs: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((name, _)) if matches!(name, "pass" | "password") => {
                        format!("{name}=***")
                    }
                    _ => pair.to_owned(),
                })
                .collect();
            let fragment = fragment.map(|f| format!("#{f}")).unwrap_or_default();
            format!("{path}?{}{fragment}", pairs.join("&"))
        }
        None => tail.to_owned(),
    };
    format!("{scheme}://{authority}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_passwords_and_keeps_the_rest() {
        let cases = [
            ("redis://127.0.0.1:6379/", "redis://127.0.0.1:6379/"),
            ("redis://127.0.0.1:6379", "redis://127.0.0.1:6379"),
            ("redis://u:s3cret@host:1/2", "redis://u:***@host:1/2"),
            (
                "redis://user:s3cret@host:6379/0",
                "redis://user:***@host:6379/0",
            ),
            ("redis://:s3cret@host", "redis://:***@host"),
            ("redis://s3cret@host", "redis://***@host"),
            (
                "rediss://token@host/0?protocol=resp3",
                "rediss://***@host/0?protocol=resp3",
            ),
            (
                "redis://host:1/?password=s3cret&protocol=resp3",
                "redis://host:1/?password=***&protocol=resp3",
            ),
            (
                "redis+unix:///run/redis.sock?db=1&pass=s3cret#x",
                "redis+unix:///run/redis.sock?db=1&pass=***#x",
            ),
            ("not a url", "not a url"),
        ];
        for (url, shown) in cases {
            assert_eq!(redact(url), shown, "{url}");
            assert!(!redact(url).contains("s3cret"), "{url}");
        }
    }

    #[test]
    fn a_bad_url_is_named_without_its_password() {
        let trust = Trust::default();
        for url in [
            "http://127.0.0.1:6379/",
            "redis://user:s3cret@127.0.0.1:notaport/?password=s3cret",
            "",
        ] {
            let err = client(url, &trust).expect_err(url);
            assert!(!err.to_string().contains("s3cret"), "{err}");
            assert!(!format!("{err:?}").contains("s3cret"), "{err:?}");
        }
        assert!(client("rediss://localhost:6380/", &trust).is_ok());
    }
}
