//! Objects in an S3-compatible bucket, reached through a connection of type `aws`: requests
//! signed with SigV4 by `rusty-s3` (sans-IO) and sent with the SDK's HTTP client.
//!
//! The connection gives the endpoint (`extra.endpoint_url`, else `host` and `port`), the
//! access key (`login`), the secret key (`password`), the region (`extra.region_name`,
//! default `us-east-1`) and the default bucket (`schema`). Requests use path-style URLs
//! (`http://host:port/bucket/key`), which every S3-compatible server and IP endpoints
//! accept; `extra.addressing_style: "virtual"` asks for `bucket.host` URLs instead.

use std::time::Duration;

use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};
use url::Url;
use weft_sdk::Connection;
use weft_sdk::http::{self, BodyReader, HttpError};

/// How long a signed request stays valid: long enough for a slow upload to start.
const SIGNATURE_TTL: Duration = Duration::from_secs(15 * 60);

/// Why the connection does not describe a usable bucket. No retry mends these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum S3ConfigError {
    /// Neither `extra.endpoint_url` nor `host` is set.
    #[error("connection `{0}` has no endpoint: set `extra.endpoint_url` or `host` (and `port`)")]
    NoEndpoint(String),
    /// The endpoint is not an `http` or `https` URL.
    #[error("connection `{conn_id}`: endpoint `{endpoint}` is not an http(s) URL: {reason}")]
    BadEndpoint {
        /// The connection's id.
        conn_id: String,
        /// The endpoint as built.
        endpoint: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No bucket in the run's conf nor in the connection's `schema`.
    #[error("no bucket: give `s3.bucket` in the run's conf or set `schema` on connection `{0}`")]
    NoBucket(String),
    /// Only one of the access key and secret key is set.
    #[error("connection `{0}` has only one of `login` (access key) and `password` (secret key)")]
    HalfCredentials(String),
}

/// A bucket and the credentials to sign requests to it.
#[derive(Debug)]
pub struct S3Bucket {
    bucket: Bucket,
    credentials: Option<Credentials>,
}

impl S3Bucket {
    /// The bucket `bucket` (else the connection's `schema`) at the connection's endpoint.
    pub fn from_connection(conn: &Connection, bucket: Option<&str>) -> Result<Self, S3ConfigError> {
        let endpoint = endpoint(conn)?;
        let name = bucket
            .or(conn.schema.as_deref())
            .filter(|b| !b.is_empty())
            .ok_or_else(|| S3ConfigError::NoBucket(conn.conn_id.clone()))?;
        let region = conn.extra_str("region_name").unwrap_or("us-east-1");
        let style = match conn.extra_str("addressing_style") {
            Some("virtual") => UrlStyle::VirtualHost,
            _ => UrlStyle::Path,
        };
        let bucket = Bucket::new(endpoint.clone(), style, name.to_owned(), region.to_owned())
            .map_err(|e| S3ConfigError::BadEndpoint {
                conn_id: conn.conn_id.clone(),
                endpoint: endpoint.to_string(),
                reason: e.to_string(),
            })?;
        let credentials = match (&conn.login, &conn.password) {
            (Some(key), Some(secret)) => Some(Credentials::new(key.clone(), secret.clone())),
            (None, None) => None,
            _ => return Err(S3ConfigError::HalfCredentials(conn.conn_id.clone())),
        };
        Ok(Self {
            bucket,
            credentials,
        })
    }

    /// The bucket's name.
    pub fn name(&self) -> &str {
        self.bucket.name()
    }

    /// `s3://bucket/key`, for messages and outputs.
    pub fn s3_uri(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket.name())
    }

    /// The signed URL of `GET key`.
    pub fn get_url(&self, key: &str) -> Url {
        self.bucket
            .get_object(self.credentials.as_ref(), key)
            .sign(SIGNATURE_TTL)
    }

    /// The signed URL of `PUT key`.
    pub fn put_url(&self, key: &str) -> Url {
        self.bucket
            .put_object(self.credentials.as_ref(), key)
            .sign(SIGNATURE_TTL)
    }

    /// Start reading object `key` — only in version `etag` when given (`If-Match`; another
    /// version is refused with status 412).
    pub fn open(&self, key: &str, etag: Option<&str>) -> Result<Download, HttpError> {
        let mut request = http::get(self.get_url(key).as_str());
        if let Some(etag) = etag {
            request = request.header("if-match", etag);
        }
        let response = request.send()?.error_for_status()?;
        Ok(Download {
            etag: response.header("etag").map(str::to_owned),
            body: response.into_reader(),
        })
    }

    /// Store `bytes` as object `key`, with content type `content_type`.
    pub fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), HttpError> {
        http::put(self.put_url(key).as_str())
            .header("content-type", content_type)
            .body(bytes)
            .send()?
            .error_for_status()?;
        Ok(())
    }
}

/// An object being read.
#[derive(Debug)]
pub struct Download {
    /// The version read, when the server names it.
    pub etag: Option<String>,
    /// The object's bytes, as they arrive.
    pub body: BodyReader,
}

/// The endpoint of an `aws` connection: `extra.endpoint_url`, else `host` (with its scheme,
/// or `https`; `http` when `extra.use_ssl` is false) and `port`.
fn endpoint(conn: &Connection) -> Result<Url, S3ConfigError> {
    let text = match (conn.extra_str("endpoint_url"), conn.host.as_deref()) {
        (Some(url), _) if !url.is_empty() => url.to_owned(),
        (_, Some(host)) if !host.is_empty() => {
            let with_scheme = if host.contains("://") {
                host.to_owned()
            } else {
                let plain = conn.extra.get("use_ssl").and_then(|v| v.as_bool()) == Some(false);
                format!("{}://{host}", if plain { "http" } else { "https" })
            };
            match conn.port {
                Some(port) => format!("{}:{port}", with_scheme.trim_end_matches('/')),
                None => with_scheme,
            }
        }
        _ => return Err(S3ConfigError::NoEndpoint(conn.conn_id.clone())),
    };
    let bad = |reason: String| S3ConfigError::BadEndpoint {
        conn_id: conn.conn_id.clone(),
        endpoint: text.clone(),
        reason,
    };
    let url = Url::parse(&text).map_err(|e| bad(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(bad(
            "expected http://HOST[:PORT] or https://HOST[:PORT]".into()
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connection(host: Option<&str>, port: Option<u16>, extra: serde_json::Value) -> Connection {
        Connection {
            conn_id: "aws_default".into(),
            conn_type: "aws".into(),
            host: host.map(Into::into),
            port,
            schema: Some("from-schema".into()),
            login: Some("AKIAEXAMPLE".into()),
            password: Some("secret".into()),
            extra: match extra {
                serde_json::Value::Object(map) => map,
                _ => serde_json::Map::new(),
            },
        }
    }

    #[test]
    fn the_endpoint_comes_from_extra_else_host_and_port() {
        let extra = serde_json::json!({"endpoint_url": "http://127.0.0.1:9000"});
        let c = connection(Some("ignored"), None, extra);
        assert_eq!(
            endpoint(&c).expect("valid").as_str(),
            "http://127.0.0.1:9000/"
        );

        let c = connection(Some("http://127.0.0.1"), Some(9100), serde_json::json!({}));
        assert_eq!(
            endpoint(&c).expect("valid").as_str(),
            "http://127.0.0.1:9100/"
        );

        let c = connection(Some("s3.example.com"), None, serde_json::json!({}));
        assert_eq!(
            endpoint(&c).expect("valid").as_str(),
            "https://s3.example.com/"
        );

        let c = connection(
            Some("minio"),
            Some(9000),
            serde_json::json!({"use_ssl": false}),
        );
        assert_eq!(endpoint(&c).expect("valid").as_str(), "http://minio:9000/");

        let c = connection(None, None, serde_json::json!({}));
        assert_eq!(
            endpoint(&c),
            Err(S3ConfigError::NoEndpoint("aws_default".into()))
        );

        let c = connection(None, None, serde_json::json!({"endpoint_url": "ftp://x"}));
        assert!(matches!(
            endpoint(&c),
            Err(S3ConfigError::BadEndpoint { .. })
        ));
    }

    #[test]
    fn the_bucket_comes_from_the_conf_else_the_schema() {
        let extra = serde_json::json!({"endpoint_url": "http://127.0.0.1:9000", "region_name": "eu-west-3"});
        let c = connection(None, None, extra);
        let b = S3Bucket::from_connection(&c, Some("from-conf")).expect("valid");
        assert_eq!(b.name(), "from-conf");
        assert_eq!(b.s3_uri("a/b.csv"), "s3://from-conf/a/b.csv");
        let b = S3Bucket::from_connection(&c, None).expect("valid");
        assert_eq!(b.name(), "from-schema");

        let mut no_schema = c.clone();
        no_schema.schema = None;
        assert_eq!(
            S3Bucket::from_connection(&no_schema, None).expect_err("no bucket"),
            S3ConfigError::NoBucket("aws_default".into())
        );
    }

    #[test]
    fn urls_are_path_style_and_signed_with_the_region_and_key() {
        let extra = serde_json::json!({"endpoint_url": "http://127.0.0.1:9000", "region_name": "eu-west-3"});
        let b =
            S3Bucket::from_connection(&connection(None, None, extra), Some("data")).expect("valid");
        let url = b.get_url("Mall_Customers.csv");
        assert_eq!(url.path(), "/data/Mall_Customers.csv");
        let query = url.query().unwrap_or_default();
        assert!(
            query.contains("X-Amz-Algorithm=AWS4-HMAC-SHA256"),
            "{query}"
        );
        assert!(query.contains("AKIAEXAMPLE%2F"), "{query}");
        assert!(
            query.contains("%2Feu-west-3%2Fs3%2Faws4_request"),
            "{query}"
        );
        assert!(query.contains("X-Amz-Signature="), "{query}");
        assert_eq!(b.put_url("out/x.parquet").path(), "/data/out/x.parquet");
    }

    #[test]
    fn credentials_come_in_pairs_or_not_at_all() {
        let extra = serde_json::json!({"endpoint_url": "http://127.0.0.1:9000"});
        let mut c = connection(None, None, extra);
        c.password = None;
        assert_eq!(
            S3Bucket::from_connection(&c, None).expect_err("half"),
            S3ConfigError::HalfCredentials("aws_default".into())
        );
        c.login = None;
        let anonymous = S3Bucket::from_connection(&c, None).expect("anonymous");
        assert!(!anonymous.get_url("k").as_str().contains("X-Amz-Signature"));
    }
}
