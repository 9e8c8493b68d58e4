//! The secrets of one attempt: fetched once each from the [`TaskHost`] when first used,
//! masked in the attempt's log from then on, and put into outgoing requests in place of
//! `{{secret:NAME}}` so that a task can send a secret it never sees.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use http::HeaderValue;
use wasmtime_wasi_http::WasiBody;
use weft_protocol::host_call::SecretRead;

use crate::call::{HostError, TaskHost};
use crate::log::LogBuffer;

/// Why a secret could not be had.
#[derive(Debug)]
pub(crate) enum SecretError {
    NotDeclared(String),
    NotFound(String),
    Unavailable(String),
    Timeout,
}

impl std::fmt::Display for SecretError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretError::NotDeclared(name) => {
                write!(f, "secret {name:?} is not declared for this task")
            }
            SecretError::NotFound(name) => write!(f, "secret {name:?} does not exist"),
            SecretError::Unavailable(why) => write!(f, "secrets unavailable: {why}"),
            SecretError::Timeout => f.write_str("the attempt's deadline passed"),
        }
    }
}

/// The secrets a task declares, fetched on first use.
#[derive(Clone)]
pub(crate) struct SecretSource {
    host: Option<Arc<dyn TaskHost>>,
    declared: Arc<[String]>,
    fetched: Arc<Mutex<HashMap<String, String>>>,
    log: LogBuffer,
}

const OPEN: &str = "{{secret:";
const CLOSE: &str = "}}";
/// The same markers as a URL encoder writes them in a query (`{` is `%7B`, `}` is `%7D`).
const ENCODED_OPEN: &str = "%7b%7bsecret:";
const ENCODED_CLOSE: &str = "%7d%7d";

impl SecretSource {
    pub(crate) fn new(
        host: Option<Arc<dyn TaskHost>>,
        declared: Vec<String>,
        log: LogBuffer,
    ) -> SecretSource {
        SecretSource {
            host,
            declared: declared.into(),
            fetched: Arc::default(),
            log,
        }
    }

    /// The value of `name`, which the task must declare; masked in the log from now on.
    pub(crate) fn get(&self, name: &str, deadline: Instant) -> Result<String, SecretError> {
        if !self.declared.iter().any(|d| d == name) {
            return Err(SecretError::NotDeclared(name.to_owned()));
        }
        let mut fetched = self
            .fetched
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(value) = fetched.get(name) {
            return Ok(value.clone());
        }
        let host = self
            .host
            .as_ref()
            .ok_or_else(|| SecretError::Unavailable("no task host".into()))?;
        let read = SecretRead {
            name: name.to_owned(),
        };
        let value = match host.ask(read, deadline) {
            Ok(Some(secret)) => secret.value,
            Ok(None) => return Err(SecretError::NotFound(name.to_owned())),
            Err(HostError::Timeout) => return Err(SecretError::Timeout),
            Err(HostError::Unavailable(why)) => return Err(SecretError::Unavailable(why)),
        };
        self.log.mask(&value);
        fetched.insert(name.to_owned(), value.clone());
        Ok(value)
    }

    /// Puts secret values into `text` in place of each `OPEN NAME CLOSE` (markers matched
    /// without regard to ASCII case), each value passed through `encode` first.
    fn fill(
        &self,
        text: &str,
        (open, close): (&str, &str),
        deadline: Instant,
        encode: impl Fn(&str) -> String,
    ) -> Result<String, SecretError> {
        // ASCII lower-casing keeps byte offsets, so `lower` indexes `text` too.
        let lower = text.to_ascii_lowercase();
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        while let Some(start) = lower[at..].find(open).map(|i| at + i) {
            let name_at = start + open.len();
            let Some(end) = lower[name_at..].find(close).map(|i| name_at + i) else {
                break;
            };
            out.push_str(&text[at..start]);
            out.push_str(&encode(&self.get(&text[name_at..end], deadline)?));
            at = end + close.len();
        }
        out.push_str(&text[at..]);
        Ok(out)
    }

    /// Replaces `{{secret:NAME}}` in the request's header values and query.
    pub(crate) fn substitute(
        &self,
        request: &mut http::Request<WasiBody>,
        deadline: Instant,
    ) -> Result<(), String> {
        for value in request.headers_mut().values_mut() {
            let Ok(text) = value.to_str() else { continue };
            if !text.contains(OPEN) {
                continue;
            }
            let filled = self
                .fill(text, (OPEN, CLOSE), deadline, str::to_owned)
                .map_err(|e| format!("header: {e}"))?;
            let mut new = HeaderValue::from_str(&filled)
                .map_err(|_| "a secret put into a header is not a valid header value".to_owned())?;
            new.set_sensitive(true);
            *value = new;
        }
        let uri = request.uri();
        let Some(query) = uri.query() else {
            return Ok(());
        };
        let lower = query.to_ascii_lowercase();
        if lower.contains(OPEN) || lower.contains(ENCODED_OPEN) {
            let encode = |v: &str| form_urlencoded::byte_serialize(v.as_bytes()).collect();
            let filled = self
                .fill(query, (OPEN, CLOSE), deadline, encode)
                .and_then(|q| self.fill(&q, (ENCODED_OPEN, ENCODED_CLOSE), deadline, encode))
                .map_err(|e| format!("query: {e}"))?;
            let mut parts = uri.clone().into_parts();
            let path = uri.path();
            parts.path_and_query = Some(
                format!("{path}?{filled}")
                    .parse()
                    .map_err(|_| "the query with its secrets is not valid".to_owned())?,
            );
            *request.uri_mut() = http::Uri::from_parts(parts)
                .map_err(|_| "the query with its secrets is not valid".to_owned())?;
        }
        Ok(())
    }
}
