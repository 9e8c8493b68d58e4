//! The worker's client of the API server's worker API (`/api/v1/worker/`): components by
//! digest, the host calls of its attempts (XCom values, variables, the connections and
//! secrets they declare, runs they trigger), live logs, and the worker's own registration
//! and heartbeats. It is what a worker on another machine has instead of database
//! credentials.
//!
//! Calls are blocking HTTP (ureq) run on tokio's blocking pool, over one agent so that
//! connections are reused. Answers become [`PlaneError`]s that name the path and status:
//! 401 and 403 are [`PlaneError::Refused`] (the server does not accept the worker token),
//! 404 is [`PlaneError::NotFound`] (a host call answers `None` for what does not exist),
//! anything else
//! is [`PlaneError::Unavailable`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use ureq::http::{HeaderValue, Uri};
use weft_protocol::worker_api::{
    self, ATTEMPT_KEY_HEADER, LiveLogLines, PREFIX as WORKER_API, VERSION_HEADER, WorkerBeat,
};
use weft_protocol::{AttemptKey, AttemptRef, Call, HostAnswer, HostCall, PROTOCOL_VERSION};
use weft_tls::Trust;

use crate::plane::{PlaneError, Reason};
/// How long connecting to the server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a whole call may take, the largest component's body included.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest response body read, in bytes.
const MAX_BODY_BYTES: u64 = 256 << 20;

/// Why an [`ApiClient`] cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiClientError {
    /// The server's URL is not one the client can call.
    #[error("bad API server URL {url:?}: {reason}")]
    BadUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The worker token cannot be sent (it is never shown).
    #[error("bad worker token: {0}")]
    BadToken(String),
}

/// A client of one API server's worker API. Cheap to clone; clones share connections.
#[derive(Clone)]
pub struct ApiClient {
    agent: ureq::Agent,
    base: Arc<str>,
    authorization: Option<HeaderValue>,
}

impl fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiClient")
            .field("base", &self.base)
            .field("token", &self.authorization.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// A response: its status and body.
struct Reply {
    status: u16,
    body: Vec<u8>,
}

impl ApiClient {
    /// A client of the server at `base_url` (`http://host:port` or `https://…`, optionally
    /// with a path prefix), sending `token` as `Authorization: Bearer <token>` when given.
    /// Over HTTPS it trusts the web roots.
    pub fn new(base_url: &str, token: Option<String>) -> Result<ApiClient, ApiClientError> {
        Self::new_trusting(base_url, token, &Trust::default())
    }

    /// [`ApiClient::new`], trusting `trust`'s certificates over HTTPS.
    pub fn new_trusting(
        base_url: &str,
        token: Option<String>,
        trust: &Trust,
    ) -> Result<ApiClient, ApiClientError> {
        let base = check_url(base_url)?;
        let authorization = token.map(|t| bearer(&t)).transpose()?;
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_global(Some(CALL_TIMEOUT))
            .tls_config(trust.ureq_config())
            .build();
        Ok(ApiClient {
            agent: config.into(),
            base: base.into(),
            authorization,
        })
    }

    /// The server's base URL, without a trailing `/`.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// A component's bytes, by digest (`sha256:<hex>`), of the tenant of the current attempt
    /// `attempt`. The caller checks them against the digest.
    pub async fn component(
        &self,
        attempt: AttemptRef,
        digest: &str,
    ) -> Result<Vec<u8>, PlaneError> {
        let path = worker_api::component_path(attempt, digest);
        let reply = self.call("GET", path.clone(), None, attempt.key).await?;
        match reply.status {
            200 => Ok(reply.body),
            404 => Err(PlaneError::NotFound(format!(
                "component {digest} ({})",
                failure("GET", &path, &reply)
            ))),
            _ => Err(error("GET", &path, &reply)),
        }
    }

    /// The answer to `call` of the running attempt `attempt`. A refusal (403: the attempt no
    /// longer holds its lease, or its task does not declare what it asks for) is
    /// [`PlaneError::Refused`] with the server's reason, which never holds a value.
    pub async fn host_call(
        &self,
        attempt: AttemptRef,
        call: &HostCall,
    ) -> Result<HostAnswer, PlaneError> {
        let path = worker_api::calls_path(attempt);
        let body = serde_json::to_string(call).map_err(|e| {
            PlaneError::unavailable(format!("POST {WORKER_API}{path}: encoding the call"), e)
        })?;
        let reply = self
            .call("POST", path.clone(), Some(body), attempt.key)
            .await?;
        match reply.status {
            200 => serde_json::from_slice::<HostAnswer>(&reply.body)
                .map_err(|e| not_the_body(&path, e)),
            403 => Err(PlaneError::Refused(failure("POST", &path, &reply))),
            _ => Err(error("POST", &path, &reply)),
        }
    }

    /// Ask `request` of the control plane for the running attempt `attempt` and take its
    /// answer (see [`host_call`](Self::host_call)).
    pub async fn ask<C: Call>(
        &self,
        attempt: AttemptRef,
        request: C,
    ) -> Result<C::Answer, PlaneError> {
        let call: HostCall = request.into();
        let path = worker_api::calls_path(attempt);
        let answer = self.host_call(attempt, &call).await?;
        C::answer(answer).ok_or_else(|| {
            PlaneError::unavailable(
                format!("POST {WORKER_API}{path}"),
                Reason(format!("the answer is not one to a {} call", call.name())),
            )
        })
    }

    /// Add `lines` to the stored log of the running attempt `attempt`: 204 stored; 403 (the
    /// attempt no longer holds its lease) and 413 (its stored log is full) are
    /// [`PlaneError::Refused`].
    pub async fn append_log(
        &self,
        attempt: AttemptRef,
        first_line: u64,
        lines: Vec<weft_protocol::log::LogLine>,
    ) -> Result<(), PlaneError> {
        let path = worker_api::log_path(attempt);
        let body = serde_json::to_string(&LiveLogLines { first_line, lines }).map_err(|e| {
            PlaneError::unavailable(format!("POST {WORKER_API}{path}: encoding the lines"), e)
        })?;
        let reply = self
            .call("POST", path.clone(), Some(body), attempt.key)
            .await?;
        match reply.status {
            200..=299 => Ok(()),
            403 | 413 => Err(PlaneError::Refused(failure("POST", &path, &reply))),
            _ => Err(error("POST", &path, &reply)),
        }
    }

    /// Register worker `worker_id`, or heartbeat: the server records `beat`, stamped with
    /// its own clock.
    pub async fn heartbeat(&self, worker_id: &str, beat: &WorkerBeat) -> Result<(), PlaneError> {
        let path = worker_api::worker_path(worker_id);
        let body = serde_json::to_string(beat).map_err(|e| {
            PlaneError::unavailable(format!("PUT {WORKER_API}{path}: encoding the beat"), e)
        })?;
        let reply = self.call("PUT", path.clone(), Some(body), None).await?;
        match reply.status {
            200..=299 => Ok(()),
            _ => Err(error("PUT", &path, &reply)),
        }
    }

    /// `method path` (under the worker API) with an optional JSON body, on the blocking pool:
    /// `GET` without a body, `POST` or `PUT` with one; with the attempt key of the attempt
    /// it is made for, if any.
    async fn call(
        &self,
        method: &'static str,
        path: String,
        body: Option<String>,
        attempt_key: Option<AttemptKey>,
    ) -> Result<Reply, PlaneError> {
        let client = self.clone();
        let what = format!("{method} {WORKER_API}{path}");
        tokio::task::spawn_blocking(move || client.call_blocking(method, &path, body, attempt_key))
            .await
            .map_err(|e| PlaneError::unavailable(format!("{what}: the call failed"), e))?
    }

    fn call_blocking(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
        attempt_key: Option<AttemptKey>,
    ) -> Result<Reply, PlaneError> {
        let url = format!("{}{WORKER_API}{path}", self.base);
        let attempt_key = attempt_key.map(|key| key.to_hex());
        let sent = match body {
            None => {
                let mut request = self
                    .agent
                    .get(&url)
                    .header(VERSION_HEADER, PROTOCOL_VERSION.to_string());
                if let Some(value) = &self.authorization {
                    request = request.header("Authorization", value.clone());
                }
                if let Some(key) = &attempt_key {
                    request = request.header(ATTEMPT_KEY_HEADER, key);
                }
                request.call()
            }
            Some(body) => {
                let request = if method == "POST" {
                    self.agent.post(&url)
                } else {
                    self.agent.put(&url)
                };
                let mut request = request
                    .header(VERSION_HEADER, PROTOCOL_VERSION.to_string())
                    .header("Content-Type", "application/json");
                if let Some(value) = &self.authorization {
                    request = request.header("Authorization", value.clone());
                }
                if let Some(key) = &attempt_key {
                    request = request.header(ATTEMPT_KEY_HEADER, key);
                }
                request.send(body)
            }
        };
        let unreachable = |e: ureq::Error| {
            PlaneError::unavailable(
                format!(
                    "{method} {WORKER_API}{path}: cannot reach the API server at {}",
                    self.base
                ),
                e,
            )
        };
        let mut response = sent.map_err(unreachable)?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY_BYTES)
            .read_to_vec()
            .map_err(unreachable)?;
        Ok(Reply { status, body })
    }
}

/// A body of the wrong shape; serde_json's message names a position, never the body (which
/// holds a password or secret).
fn not_the_body(path: &str, e: serde_json::Error) -> PlaneError {
    PlaneError::unavailable(format!("GET {WORKER_API}{path}: not the expected body"), e)
}

/// The error code of the server's error body, if it sent one.
fn error_code(reply: &Reply) -> Option<String> {
    let parsed: Value = serde_json::from_slice(&reply.body).ok()?;
    parsed["error"]["code"].as_str().map(str::to_owned)
}

/// `<method> <path>: <status> <code>: <message>`, from the server's error body when it
/// sent one.
fn failure(method: &str, path: &str, reply: &Reply) -> String {
    format!("{method} {WORKER_API}{path}: {}", status_reason(reply))
}

/// `<status> <code>: <message>`, from the server's error body when it sent one.
fn status_reason(reply: &Reply) -> String {
    let parsed: Option<Value> = serde_json::from_slice(&reply.body).ok();
    let detail = parsed.as_ref().map(|v| &v["error"]);
    let reason = match detail.and_then(|d| d["message"].as_str()) {
        Some(message) => {
            let code = detail.and_then(|d| d["code"].as_str()).unwrap_or("error");
            format!("{code}: {message}")
        }
        None => {
            let text = String::from_utf8_lossy(&reply.body);
            let text = text.trim();
            if text.is_empty() {
                "no reason given".to_owned()
            } else {
                text.chars().take(200).collect()
            }
        }
    };
    format!("{} {reason}", reply.status)
}

/// The error of a reply that is not the answer hoped for.
fn error(method: &str, path: &str, reply: &Reply) -> PlaneError {
    let message = failure(method, path, reply);
    match reply.status {
        401 | 403 => PlaneError::Refused(format!(
            "the API server refused the worker token ({message})"
        )),
        404 => PlaneError::NotFound(message),
        400 if error_code(reply).as_deref() == Some(worker_api::VERSION_MISMATCH) => {
            PlaneError::Refused(message)
        }
        _ => PlaneError::unavailable(
            format!("{method} {WORKER_API}{path}"),
            Reason(status_reason(reply)),
        ),
    }
}

/// The base URL without a trailing `/`, if it is `http[s]://host[:port][/prefix]`.
fn check_url(url: &str) -> Result<String, ApiClientError> {
    let bad = |reason: &str| ApiClientError::BadUrl {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };
    let uri: Uri = url
        .parse()
        .map_err(|e: ureq::http::uri::InvalidUri| bad(&e.to_string()))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        Some(other) => return Err(bad(&format!("scheme {other} is neither http nor https"))),
        None => return Err(bad("it has no scheme; write http://host:port or https://…")),
    }
    match uri.authority() {
        Some(authority) if !authority.host().is_empty() => {}
        _ => return Err(bad("it names no host")),
    }
    if uri.query().is_some() {
        return Err(bad("it has a query string"));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// The `Authorization` header carrying `token`: visible ASCII only, as bearer tokens are.
fn bearer(token: &str) -> Result<HeaderValue, ApiClientError> {
    if token.is_empty() {
        return Err(ApiClientError::BadToken("it is empty".into()));
    }
    let unsendable = || {
        ApiClientError::BadToken(
            "it holds characters other than visible ASCII (spaces, control characters or \
             non-ASCII letters)"
                .into(),
        )
    };
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(unsendable());
    }
    let mut value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| unsendable())?;
    value.set_sensitive(true);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_become_plane_errors() {
        let reply = |status, body: &str| Reply {
            status,
            body: body.as_bytes().to_vec(),
        };
        let body =
            r#"{"error":{"code":"unauthorized","message":"token not accepted for worker routes"}}"#;
        match error("GET", "/variables/k", &reply(401, body)) {
            PlaneError::Refused(m) => {
                assert!(m.contains("refused the worker token"), "{m}");
                assert!(
                    m.contains("GET /api/v1/worker/variables/k: 401 unauthorized"),
                    "{m}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            error("GET", "/x", &reply(403, "")),
            PlaneError::Refused(_)
        ));
        assert!(matches!(
            error("GET", "/x", &reply(404, "")),
            PlaneError::NotFound(_)
        ));
        let e = error("PUT", "/workers/w", &reply(502, "bad gateway"));
        assert!(e.is_retriable());
        assert_eq!(
            e.to_string(),
            "unavailable: PUT /api/v1/worker/workers/w: 502 bad gateway"
        );
        let body = r#"{"error":{"code":"protocol_version","message":"speaks 1, not 2"}}"#;
        let e = error("GET", "/x", &reply(400, body));
        assert!(
            matches!(&e, PlaneError::Refused(m) if m.contains("speaks 1, not 2")),
            "{e:?}"
        );
        assert!(!e.is_retriable());
        assert!(error("GET", "/x", &reply(400, "")).is_retriable());
    }
}
