//! A small, blocking client of the Weft API server, for the commands that talk to one.
//!
//! Errors come back as [`Failure::Usage`] with a message ready to show: the server's own
//! message for a refused request, or a hint to start a server when none answers.

use std::time::Duration;

use serde_json::Value;

use weft_tls::Trust;

use crate::exit::Failure;
use crate::trust::TrustArgs;

/// The server used when neither `--server` nor `WEFT_SERVER` names one.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";

/// Where the API is mounted on the server.
const API_PREFIX: &str = "/api/v1";

/// Largest response body read, in bytes.
const MAX_RESPONSE_BYTES: u64 = 256 << 20;

/// The flags every server command takes.
#[derive(Debug, Clone, clap::Args)]
pub struct ServerArgs {
    /// URL of the Weft API server.
    #[arg(
        long,
        env = "WEFT_SERVER",
        default_value = DEFAULT_SERVER,
        value_name = "URL",
        global = true
    )]
    pub server: String,
    /// API token: an administrator's, or a tenant's (it chooses the tenant the command
    /// acts in); needed when the server has administrator tokens configured.
    #[arg(long, env = "WEFT_API_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<String>,
    /// The CA the server's certificate is signed by, over `https://`.
    #[command(flatten)]
    pub trust: TrustArgs,
}

/// A client of one Weft API server.
#[derive(Debug, Clone)]
pub struct Client {
    agent: ureq::Agent,
    base: String,
    token: Option<String>,
}

impl Client {
    /// A client of the server at `base` (like `http://127.0.0.1:8080`), trusting `trust`'s
    /// certificates over `https://`.
    pub fn new_trusting(base: &str, trust: &Trust) -> Client {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_global(Some(Duration::from_secs(300)))
            .tls_config(trust.ureq_config())
            .build();
        Client {
            agent: config.into(),
            base: base.trim_end_matches('/').to_owned(),
            token: None,
        }
    }

    /// The same client, sending `token` as its bearer token.
    #[must_use]
    pub fn with_token(mut self, token: Option<String>) -> Client {
        self.token = token.filter(|t| !t.is_empty());
        self
    }

    /// `request` with the bearer token, if the client has one.
    fn auth<B>(&self, request: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        match &self.token {
            Some(token) => request.header("Authorization", format!("Bearer {token}")),
            None => request,
        }
    }

    /// A client of the server named by `args`; a CA file that cannot be used is an error.
    pub fn from_args(args: &ServerArgs) -> Result<Client, Failure> {
        let trust = args.trust.trust()?;
        Ok(Client::new_trusting(&args.server, &trust).with_token(args.token.clone()))
    }

    fn url(&self, path: &str) -> String {
        format!("{}{API_PREFIX}{path}", self.base)
    }

    /// `GET path` (under `/api/v1`), its JSON body.
    pub fn get(&self, path: &str) -> Result<Value, Failure> {
        self.finish(self.auth(self.agent.get(self.url(path))).call())
    }

    /// `GET path` as server-sent events, each handed to `on_event` until the stream ends
    /// (`Ok(true)`), the connection drops (`Ok(false)`), or `on_event` says to stop
    /// (returns false; `Ok(true)`). `last_event_id` asks the server to go on after that
    /// event.
    pub fn events(
        &self,
        path: &str,
        last_event_id: Option<&str>,
        mut on_event: impl FnMut(crate::sse::ServerEvent) -> bool,
    ) -> Result<bool, Failure> {
        use std::io::BufRead as _;
        let mut request = self
            .auth(self.agent.get(self.url(path)))
            .header("Accept", "text/event-stream")
            .config()
            .timeout_global(None)
            .timeout_recv_body(None)
            .build();
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        let mut response = request.call().map_err(|e| self.unreachable(&e))?;
        let status = response.status();
        if !status.is_success() {
            let text = response
                .body_mut()
                .with_config()
                .limit(MAX_RESPONSE_BYTES)
                .read_to_string()
                .unwrap_or_default();
            return Err(Failure::Usage(api_error(status.as_u16(), &text)));
        }
        let reader = std::io::BufReader::new(response.into_body().into_reader());
        let mut events = crate::sse::EventReader::default();
        for line in reader.lines() {
            let Ok(line) = line else {
                return Ok(false);
            };
            if let Some(event) = events.line(&line)
                && !on_event(event)
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// `POST path` with a JSON body.
    pub fn post(&self, path: &str, body: &Value) -> Result<Value, Failure> {
        let request = self
            .auth(self.agent.post(self.url(path)))
            .header("Content-Type", "application/json");
        self.finish(request.send(body.to_string()))
    }

    /// `PATCH path` with a JSON body.
    pub fn patch(&self, path: &str, body: &Value) -> Result<Value, Failure> {
        let request = self
            .auth(self.agent.patch(self.url(path)))
            .header("Content-Type", "application/json");
        self.finish(request.send(body.to_string()))
    }

    /// `PUT path` with a JSON body.
    pub fn put(&self, path: &str, body: &Value) -> Result<Value, Failure> {
        let request = self
            .auth(self.agent.put(self.url(path)))
            .header("Content-Type", "application/json");
        self.finish(request.send(body.to_string()))
    }

    /// `DELETE path`; the body, or `null` when there is none.
    pub fn delete(&self, path: &str) -> Result<Value, Failure> {
        self.finish(self.auth(self.agent.delete(self.url(path))).call())
    }

    /// `POST path` with `bytes` as an `application/wasm` body.
    pub fn upload(&self, path: &str, bytes: &[u8]) -> Result<Value, Failure> {
        let request = self
            .auth(self.agent.post(self.url(path)))
            .header("Content-Type", "application/wasm");
        self.finish(request.send(bytes))
    }

    /// The JSON of a 2xx response (`null` for an empty body), or the failure to show.
    fn finish(
        &self,
        sent: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Value, Failure> {
        let mut response = sent.map_err(|e| self.unreachable(&e))?;
        let status = response.status();
        let text = response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_string()
            .map_err(|e| Failure::usage(format!("reading the answer of {}: {e}", self.base)))?;
        if status.is_success() {
            if text.trim().is_empty() {
                return Ok(Value::Null);
            }
            return serde_json::from_str(&text).map_err(|e| {
                Failure::usage(format!(
                    "the server at {} answered with something that is not JSON: {e}",
                    self.base
                ))
            });
        }
        Err(Failure::Usage(api_error(status.as_u16(), &text)))
    }

    fn unreachable(&self, e: &ureq::Error) -> Failure {
        Failure::usage(format!(
            "cannot reach the Weft server at {}: {e} (start one with wfctl standalone)",
            self.base
        ))
    }
}

/// The message for a refused request: `<status> <code>: <message>` from the error body, or
/// the raw body when it is not one.
pub fn api_error(status: u16, body: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let detail = parsed.as_ref().map(|v| &v["error"]);
    match detail.and_then(|d| d["message"].as_str()) {
        Some(message) => {
            let code = detail.and_then(|d| d["code"].as_str()).unwrap_or("error");
            format!("{status} {code}: {message}")
        }
        None if body.trim().is_empty() => format!("{status}: the server gave no reason"),
        None => format!("{status}: {}", body.trim()),
    }
}

/// `text` encoded for one path segment.
pub fn segment(text: &str) -> String {
    encode(text, |b| {
        b.is_ascii_alphanumeric() || b"-._~:@+".contains(&b)
    })
}

/// `text` encoded for a query-string value.
pub fn query_value(text: &str) -> String {
    encode(text, |b| b.is_ascii_alphanumeric() || b"-._~:".contains(&b))
}

fn encode(text: &str, keep: impl Fn(u8) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if keep(b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_become_messages() {
        let body = r#"{"error":{"code":"not_found","message":"no DAG \"x\""}}"#;
        assert_eq!(api_error(404, body), "404 not_found: no DAG \"x\"");
        assert_eq!(api_error(502, "bad gateway"), "502: bad gateway");
        assert_eq!(api_error(500, ""), "500: the server gave no reason");
    }

    #[test]
    fn segments_are_encoded() {
        assert_eq!(
            segment("manual__2024-01-01T00:00:00+00:00"),
            "manual__2024-01-01T00:00:00+00:00"
        );
        assert_eq!(segment("a b/c"), "a%20b%2Fc");
        assert_eq!(query_value("a+b&c"), "a%2Bb%26c");
    }
}
