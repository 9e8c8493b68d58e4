//! Opening a bucket: the connection's type, endpoint and credentials, made into a store whose
//! requests go through the attempt's egress, on the one endpoint the connection names.

use std::sync::Arc;
use std::time::{Duration, Instant};

use object_store::aws::AmazonS3Builder;
use object_store::{ClientOptions, ObjectStore, RetryConfig};
use weft_egress::{AttemptEgress, Secrets};
use weft_model::egress::EgressRule;
use weft_protocol::Connection;

use crate::bucket::Bucket;
use crate::transport::EgressConnector;
use crate::types::ObjectsError;

/// Most tries of one request the store makes when the server cannot be reached or answers
/// with a server error, within [`RETRY_TIMEOUT`] and the attempt's deadline.
const MAX_RETRIES: usize = 3;

/// Longest time a store keeps retrying one request.
const RETRY_TIMEOUT: Duration = Duration::from_secs(30);

/// Where a bucket is opened.
pub struct OpenRequest<'a> {
    /// The connection, declared by the task and read for it.
    pub conn: &'a Connection,
    /// The bucket's name.
    pub bucket: &'a str,
    /// The attempt's egress: its operator's and tenant's rules, counters and deadline.
    pub egress: &'a AttemptEgress,
}

impl OpenRequest<'_> {
    /// The bucket, on the endpoint the connection names.
    pub fn open(&self) -> Result<Bucket, ObjectsError> {
        let conn = self.conn;
        check_bucket_name(self.bucket)?;
        let (store, endpoint) = match conn.conn_type.as_str() {
            "aws" | "s3" => self.s3()?,
            other => {
                return Err(ObjectsError::Unsupported(format!(
                    "connection {:?} is of type {other:?}: buckets open through {}",
                    conn.conn_id,
                    crate::CONN_TYPES.join(", ")
                )));
            }
        };
        Ok(Bucket::new(
            store,
            format!("{}/{}", conn.conn_id, self.bucket),
            endpoint,
            self.egress.deadline,
        ))
    }

    /// The egress of the store's requests: the attempt's, with the endpoint as the task's
    /// one rule (declaring the connection stands for it) and no `{{secret:NAME}}` filled in.
    fn egress(&self, endpoint: &url::Url) -> Result<Arc<AttemptEgress>, ObjectsError> {
        let host = endpoint.host_str().unwrap_or_default();
        let port = endpoint.port_or_known_default().unwrap_or_default();
        let rule: EgressRule = format!("{}://{host}:{port}", endpoint.scheme())
            .parse()
            .map_err(|e| {
                ObjectsError::Unsupported(format!(
                    "connection {:?}: endpoint {endpoint} is not one requests can go to: {e}",
                    self.conn.conn_id
                ))
            })?;
        let base = self.egress;
        Ok(Arc::new(AttemptEgress {
            egress: base.egress.clone(),
            task_rules: Arc::from([rule]),
            tenant_rules: base.tenant_rules.clone(),
            usage: base.usage.clone(),
            secrets: Arc::new(NoSecrets),
            deadline: base.deadline,
        }))
    }

    /// An S3 bucket: at the connection's `endpoint_url` (an S3-compatible server, path-style)
    /// or Amazon's endpoint of its `region_name`, signed with its access key (`login`),
    /// secret key (`password`) and `aws_session_token`, or unsigned when its
    /// `config_kwargs.signature_version` is `unsigned` (as in Airflow).
    fn s3(&self) -> Result<(Arc<dyn ObjectStore>, String), ObjectsError> {
        let conn = self.conn;
        let extra = |key: &str| conn.extra.get(key).and_then(|v| v.as_str());
        let region = extra("region_name").unwrap_or("us-east-1");
        let endpoint = match extra("endpoint_url") {
            Some(url) => url.to_owned(),
            None => format!("https://s3.{region}.amazonaws.com"),
        };
        let endpoint = url::Url::parse(&endpoint)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or_else(|| {
                ObjectsError::Unsupported(format!(
                    "connection {:?}: endpoint_url {endpoint:?} is not an http or https URL",
                    conn.conn_id
                ))
            })?;
        let unsigned = conn
            .extra
            .pointer("/config_kwargs/signature_version")
            .and_then(|v| v.as_str())
            == Some("unsigned");
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(self.bucket)
            .with_region(region)
            .with_endpoint(endpoint.as_str().trim_end_matches('/'))
            .with_virtual_hosted_style_request(false)
            .with_client_options(ClientOptions::new().with_allow_http(endpoint.scheme() == "http"))
            .with_retry(retry(self.egress.deadline))
            .with_http_connector(EgressConnector(self.egress(&endpoint)?));
        if unsigned {
            builder = builder.with_skip_signature(true);
        } else {
            // Only the connection's keys: never the worker's environment or an instance's
            // metadata service, whose role is the worker's, not the task's.
            let (Some(key), Some(secret)) = (&conn.login, &conn.password) else {
                return Err(ObjectsError::Unsupported(format!(
                    "connection {:?} has no access key (login) and secret key (password); \
                     for a public bucket set extra {{\"config_kwargs\": {{\"signature_version\": \"unsigned\"}}}}",
                    conn.conn_id
                )));
            };
            builder = builder
                .with_access_key_id(key)
                .with_secret_access_key(secret);
            if let Some(token) = extra("aws_session_token") {
                builder = builder.with_token(token);
            }
        }
        let store = builder.build().map_err(|e| {
            ObjectsError::Unsupported(format!("connection {:?}: {e}", conn.conn_id))
        })?;
        Ok((Arc::new(store), endpoint.to_string()))
    }
}

/// Retries within `RETRY_TIMEOUT`, and not past `deadline`.
fn retry(deadline: Instant) -> RetryConfig {
    RetryConfig {
        max_retries: MAX_RETRIES,
        retry_timeout: RETRY_TIMEOUT.min(deadline.saturating_duration_since(Instant::now())),
        ..RetryConfig::default()
    }
}

/// A bucket's name: 1 to 255 letters, digits, `.`, `-` and `_`, not `.` or `..` (S3's rules
/// are narrower; the store says so for a name it refuses).
fn check_bucket_name(name: &str) -> Result<(), ObjectsError> {
    let valid = !name.is_empty()
        && name.len() <= 255
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if valid {
        Ok(())
    } else {
        Err(ObjectsError::InvalidPath(format!(
            "{name:?} is not a bucket name: 1 to 255 letters, digits, '.', '-' or '_'"
        )))
    }
}

/// The secrets of the stores' requests: none. A store's requests are signed by the host;
/// `{{secret:NAME}}` in a key or prefix is text, and a request that would carry it is refused
/// rather than filled in.
struct NoSecrets;

impl Secrets for NoSecrets {
    fn get(&self, name: &str, _deadline: Instant) -> Result<String, weft_egress::SecretError> {
        Err(format!("requests of the objects capability carry no secrets ({name:?})").into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_are_one_plain_segment() {
        for good in ["weft", "my-bucket.v2", "a_b", "0"] {
            assert_eq!(check_bucket_name(good), Ok(()), "{good}");
        }
        for bad in ["", ".", "..", "a/b", "a b", "ä", &"x".repeat(256)] {
            assert!(
                matches!(check_bucket_name(bad), Err(ObjectsError::InvalidPath(_))),
                "{bad:?}"
            );
        }
    }
}
