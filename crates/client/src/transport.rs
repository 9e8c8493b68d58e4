//! [`Client`]: one API server's address, the agent that talks to it (with the CAs it
//! trusts) and the bearer token it sends; the generic requests every route method is made of.

use std::io::BufRead as _;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use weft_tls::Trust;

use crate::error::ClientError;
use crate::sse::{EventReader, ServerEvent};

/// The server used when none is named.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";

/// Where the API is mounted on the server.
pub const API_PREFIX: &str = "/api/v1";

/// Largest response body read, in bytes.
const MAX_RESPONSE_BYTES: u64 = 256 << 20;

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

    /// The same client, sending `token` as its bearer token (none when empty).
    #[must_use]
    pub fn with_token(mut self, token: Option<String>) -> Client {
        self.token = token.filter(|t| !t.is_empty());
        self
    }

    /// The server's URL, without the API prefix.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `request` with the bearer token, if the client has one.
    fn auth<B>(&self, request: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        match &self.token {
            Some(token) => request.header("Authorization", format!("Bearer {token}")),
            None => request,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{API_PREFIX}{path}", self.base)
    }

    /// `GET path` (under `/api/v1`), its JSON body.
    pub fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        self.finish(self.auth(self.agent.get(self.url(path))).call())
    }

    /// `GET path` as text (the Prometheus metrics).
    pub fn get_text(&self, path: &str) -> Result<String, ClientError> {
        let (status, text) = self.read(self.auth(self.agent.get(self.url(path))).call())?;
        if (200..300).contains(&status) {
            Ok(text)
        } else {
            Err(ClientError::refused(status, &text))
        }
    }

    /// `GET url` as text, `url` whole and outside the API: the metrics a Weft process serves
    /// on a port of its own (`--metrics-addr`), read through the same agent (its kept-alive
    /// connections and trusted CAs) without the token; errors name `url`.
    pub fn get_text_at(&self, url: &str) -> Result<String, ClientError> {
        let (status, text) = read_body(url, self.agent.get(url).call(), |b| b.read_to_string())?;
        if (200..300).contains(&status) {
            Ok(text)
        } else {
            Err(ClientError::refused(status, &text))
        }
    }

    /// `POST path` with `body` as JSON.
    pub fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        self.send_json(self.agent.post(self.url(path)), body)
    }

    /// `PUT path` with `body` as JSON.
    pub fn put<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        self.send_json(self.agent.put(self.url(path)), body)
    }

    /// `PATCH path` with `body` as JSON.
    pub fn patch<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        self.send_json(self.agent.patch(self.url(path)), body)
    }

    /// `DELETE path`; its body, read as `T` (`()` for none).
    pub fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        self.finish(self.auth(self.agent.delete(self.url(path))).call())
    }

    /// `POST path` with `bytes` as an `application/wasm` body.
    pub fn upload<T: DeserializeOwned>(&self, path: &str, bytes: &[u8]) -> Result<T, ClientError> {
        let request = self
            .auth(self.agent.post(self.url(path)))
            .header("Content-Type", "application/wasm");
        self.finish(request.send(bytes))
    }

    /// `GET path`: the status and body of whatever the server answered, refusals included,
    /// for callers that check the answer itself (a refusal's status and error body, or the
    /// JSON on the wire rather than this client's reading of it).
    pub fn get_raw(&self, path: &str) -> Result<(u16, Vec<u8>), ClientError> {
        self.read_bytes(self.auth(self.agent.get(self.url(path))).call())
    }

    /// `POST path` with `body` as JSON: the status and body, as [`Client::get_raw`].
    pub fn post_raw<B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<(u16, Vec<u8>), ClientError> {
        let request = self.json_request(self.agent.post(self.url(path)));
        self.read_bytes(request.send(serde_json::to_string(body).map_err(ClientError::Encode)?))
    }

    /// `PUT path` with `body` as JSON: the status and body, as [`Client::get_raw`].
    pub fn put_raw<B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<(u16, Vec<u8>), ClientError> {
        let request = self.json_request(self.agent.put(self.url(path)));
        self.read_bytes(request.send(serde_json::to_string(body).map_err(ClientError::Encode)?))
    }

    /// `request` with the bearer token and a JSON body's content type.
    fn json_request(
        &self,
        request: ureq::RequestBuilder<ureq::typestate::WithBody>,
    ) -> ureq::RequestBuilder<ureq::typestate::WithBody> {
        self.auth(request)
            .header("Content-Type", "application/json")
    }

    fn send_json<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        request: ureq::RequestBuilder<ureq::typestate::WithBody>,
        body: &B,
    ) -> Result<T, ClientError> {
        let body = serde_json::to_string(body).map_err(ClientError::Encode)?;
        self.finish(self.json_request(request).send(body))
    }

    /// `GET path` as server-sent events, each handed to `on_event` until the stream ends
    /// (`Ok(true)`), the connection drops (`Ok(false)`), or `on_event` says to stop
    /// (returns false; `Ok(true)`). `last_event_id` asks the server to go on after that
    /// event.
    pub fn events(
        &self,
        path: &str,
        last_event_id: Option<&str>,
        mut on_event: impl FnMut(ServerEvent) -> bool,
    ) -> Result<bool, ClientError> {
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
        let mut response = request.call().map_err(|e| self.unreachable(e))?;
        let status = response.status();
        if !status.is_success() {
            let text = response
                .body_mut()
                .with_config()
                .limit(MAX_RESPONSE_BYTES)
                .read_to_string()
                .unwrap_or_default();
            return Err(ClientError::refused(status.as_u16(), &text));
        }
        let reader = std::io::BufReader::new(response.into_body().into_reader());
        let mut events = EventReader::default();
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

    /// The status and body of an answer of the server, as text.
    fn read(
        &self,
        sent: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<(u16, String), ClientError> {
        read_body(&self.base, sent, |b| b.read_to_string())
    }

    /// The status and body of an answer of the server, as bytes.
    fn read_bytes(
        &self,
        sent: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<(u16, Vec<u8>), ClientError> {
        read_body(&self.base, sent, |b| b.read_to_vec())
    }

    /// The body of a 2xx answer as `T` (an empty body reads as `null`), or the refusal.
    fn finish<T: DeserializeOwned>(
        &self,
        sent: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<T, ClientError> {
        let (status, text) = self.read(sent)?;
        if !(200..300).contains(&status) {
            return Err(ClientError::refused(status, &text));
        }
        let text = if text.trim().is_empty() {
            "null"
        } else {
            &text
        };
        serde_json::from_str(text).map_err(|source| {
            let base = self.base.clone();
            if source.is_syntax() || source.is_eof() {
                ClientError::NotJson { base, source }
            } else {
                ClientError::Shape { base, source }
            }
        })
    }

    fn unreachable(&self, e: ureq::Error) -> ClientError {
        unreachable(&self.base, e)
    }
}

/// The status and body of an answer from `base`, the body read by `read` (at most
/// `MAX_RESPONSE_BYTES`).
fn read_body<T>(
    base: &str,
    sent: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    read: impl FnOnce(ureq::BodyWithConfig<'_>) -> Result<T, ureq::Error>,
) -> Result<(u16, T), ClientError> {
    let mut response = sent.map_err(|e| unreachable(base, e))?;
    let status = response.status().as_u16();
    let body = read(response.body_mut().with_config().limit(MAX_RESPONSE_BYTES)).map_err(|e| {
        ClientError::Read {
            base: base.to_owned(),
            source: Box::new(e),
        }
    })?;
    Ok((status, body))
}

fn unreachable(base: &str, e: ureq::Error) -> ClientError {
    ClientError::Unreachable {
        base: base.to_owned(),
        source: Box::new(e),
    }
}
