//! An S3-compatible server for the tests ([`S3Server`]: s3s-fs, which checks SigV4
//! signatures) and a host-side client of it ([`S3Client`]: requests signed by `rusty-s3`,
//! sent with `ureq`).
//!
//! `scripts/services.sh` starts one server for a whole test run and exports
//! `WEFT_TEST_S3_URL`, `WEFT_TEST_S3_ACCESS_KEY` and `WEFT_TEST_S3_SECRET_KEY`; without them,
//! [`S3Server::from_env_or_start`] starts `weft-test-s3` (s3s-fs in the workspace) itself on a
//! free port, killed on drop.

use std::process::Command;
use std::time::Duration;

use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};

use crate::process::{Proc, free_port, wait_for, workspace_binary};

/// The server's URL, from `scripts/services.sh`.
pub const S3_URL_ENV: &str = "WEFT_TEST_S3_URL";
/// Its access key.
pub const S3_ACCESS_KEY_ENV: &str = "WEFT_TEST_S3_ACCESS_KEY";
/// Its secret key.
pub const S3_SECRET_KEY_ENV: &str = "WEFT_TEST_S3_SECRET_KEY";

/// How long the test's signed URLs stay valid.
const SIGNATURE_TTL: Duration = Duration::from_secs(600);

/// An S3-compatible server: its URL and credentials, and the process when the test started it.
pub struct S3Server {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The access key it accepts.
    pub access_key: String,
    /// The secret key it accepts.
    pub secret_key: String,
    _process: Option<(Proc, tempfile::TempDir)>,
}

impl S3Server {
    /// The server `scripts/services.sh` started, else a new `weft-test-s3` on a free port.
    pub fn from_env_or_start() -> S3Server {
        let env = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        if let (Some(url), Some(access_key), Some(secret_key)) = (
            env(S3_URL_ENV),
            env(S3_ACCESS_KEY_ENV),
            env(S3_SECRET_KEY_ENV),
        ) {
            return S3Server {
                url: url.trim_end_matches('/').to_owned(),
                access_key,
                secret_key,
                _process: None,
            };
        }
        let dir = tempfile::Builder::new()
            .prefix("weft-e2e-s3-")
            .tempdir()
            .expect("temp dir");
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).expect("data dir");
        let port = free_port();
        let (access_key, secret_key) = (
            "WEFTE2EACCESSKEY".to_owned(),
            "weft-e2e-secret-key".to_owned(),
        );
        let mut command = Command::new(workspace_binary("weft-test-s3", "weft-test-s3"));
        command
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", &access_key, "--secret-key", &secret_key])
            .arg(&data);
        let mut proc = Proc::spawn("weft-test-s3", command, &dir.path().join("s3.log"));
        wait_for("the S3 server to listen", Duration::from_secs(20), || {
            assert!(
                proc.is_running(),
                "the S3 server exited:\n{}",
                proc.output()
            );
            std::net::TcpStream::connect(("127.0.0.1", port)).ok()
        });
        S3Server {
            url: format!("http://127.0.0.1:{port}"),
            access_key,
            secret_key,
            _process: Some((proc, dir)),
        }
    }

    /// `host:port` of the server.
    pub fn authority(&self) -> &str {
        self.url
            .trim_start_matches("http://")
            .trim_start_matches("https://")
    }

    /// A client of bucket `name` on this server.
    pub fn client(&self, name: &str) -> S3Client {
        self.client_as(name, &self.access_key, &self.secret_key)
    }

    /// A client of bucket `name` that signs with these keys (wrong ones, say).
    pub fn client_as(&self, name: &str, access_key: &str, secret_key: &str) -> S3Client {
        let endpoint = self.url.parse().expect("the server's URL parses");
        S3Client {
            bucket: Bucket::new(endpoint, UrlStyle::Path, name.to_owned(), "us-east-1")
                .expect("a valid bucket"),
            credentials: Credentials::new(access_key.to_owned(), secret_key.to_owned()),
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(60)))
                .build()
                .into(),
        }
    }
}

/// A client of one bucket, with SigV4-signed requests.
pub struct S3Client {
    bucket: Bucket,
    credentials: Credentials,
    agent: ureq::Agent,
}

impl S3Client {
    /// The bucket's name.
    pub fn name(&self) -> &str {
        self.bucket.name()
    }

    /// Create the bucket; an existing one is fine.
    pub fn create_bucket(&self) {
        let url = self
            .bucket
            .create_bucket(&self.credentials)
            .sign(SIGNATURE_TTL);
        let (status, body) = self.send("PUT", url.as_str(), Vec::new());
        assert!(
            (200..300).contains(&status) || status == 409,
            "create bucket {}: {status} {}",
            self.name(),
            String::from_utf8_lossy(&body)
        );
    }

    /// Store `bytes` as object `key`.
    pub fn put(&self, key: &str, bytes: Vec<u8>) {
        let url = self
            .bucket
            .put_object(Some(&self.credentials), key)
            .sign(SIGNATURE_TTL);
        let (status, body) = self.send("PUT", url.as_str(), bytes);
        assert!(
            (200..300).contains(&status),
            "put {key}: {status} {}",
            String::from_utf8_lossy(&body)
        );
    }

    /// The object `key`, or none when it does not exist.
    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        let url = self
            .bucket
            .get_object(Some(&self.credentials), key)
            .sign(SIGNATURE_TTL);
        let (status, body) = self.send("GET", url.as_str(), Vec::new());
        match status {
            200 => Some(body),
            404 => None,
            _ => panic!("get {key}: {status} {}", String::from_utf8_lossy(&body)),
        }
    }

    /// `GET key`, signed: the status and body, whatever they are.
    pub fn get_raw(&self, key: &str) -> (u16, Vec<u8>) {
        let url = self
            .bucket
            .get_object(Some(&self.credentials), key)
            .sign(SIGNATURE_TTL);
        self.send("GET", url.as_str(), Vec::new())
    }

    /// `GET key` without a signature: the status and body.
    pub fn get_unsigned(&self, key: &str) -> (u16, Vec<u8>) {
        let url = self.bucket.object_url(key);
        self.send("GET", url.as_str(), Vec::new())
    }

    fn send(&self, method: &str, url: &str, body: Vec<u8>) -> (u16, Vec<u8>) {
        let response = match method {
            "PUT" => self.agent.put(url).send(&body[..]),
            "GET" => self.agent.get(url).call(),
            other => panic!("method {other} is not used by the tests"),
        };
        let mut response = response.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(256 << 20)
            .read_to_vec()
            .unwrap_or_default();
        (status, body)
    }
}
