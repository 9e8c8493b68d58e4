//! [`Request`]: a request builder and the blocking exchange over
//! `wasi:http/outgoing-handler`, following redirects when asked.

use std::fmt;
use std::io::Read;
use std::time::Duration;

use serde::Serialize;
use url::Url;

use crate::bindings::wasi::http::outgoing_handler;
use crate::bindings::wasi::http::types::{
    Fields, FutureIncomingResponse, HeaderError, IncomingResponse, OutgoingBody, OutgoingRequest,
    RequestOptions, Scheme,
};
use crate::bindings::wasi::io::streams::StreamError;

use super::error::HttpError;
use super::headers::Headers;
use super::method::Method;
use super::redirect::{hop_headers, is_redirect, next_hop};
use super::response::Response;
use super::stream::{CHUNK, flush, stream_error, write_all};
use super::target::{Target, parse_url};

/// What a request sends.
enum Body {
    /// Nothing.
    Empty,
    /// These bytes (sent again on a redirect that keeps the body).
    Bytes(Vec<u8>),
    /// Whatever the reader yields, streamed in chunks; sent once, so a redirect that would
    /// send it again is not followed.
    Reader {
        reader: Box<dyn Read>,
        length: Option<u64>,
    },
}

impl Body {
    /// The length to declare in `content-length`, if known.
    fn length(&self, method: &Method) -> Option<u64> {
        match self {
            // Servers expect a length on an empty PUT or POST (S3 does).
            Body::Empty => {
                matches!(method, Method::Post | Method::Put | Method::Patch).then_some(0)
            }
            Body::Bytes(bytes) => Some(bytes.len() as u64),
            Body::Reader { length, .. } => *length,
        }
    }
}

/// Timeouts of one exchange, handed to the host as `request-options`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Timeouts {
    connect: Option<Duration>,
    first_byte: Option<Duration>,
    between_bytes: Option<Duration>,
}

/// An HTTP request, built step by step and sent with [`send`](Self::send).
///
/// Builder methods never fail: a bad URL, header or body is reported by `send`.
/// Redirects are not followed unless [`follow_redirects`](Self::follow_redirects) says so;
/// the host checks every request, each redirect hop included, against the egress policy.
///
/// ```no_run
/// use std::time::Duration;
/// use weft_sdk::http;
///
/// # fn run() -> Result<(), http::HttpError> {
/// let response = http::post("https://api.example.com/v1/items")
///     .header("authorization", "Bearer {{secret:api_token}}")
///     .json(&serde_json::json!({"name": "ada"}))
///     .connect_timeout(Duration::from_secs(5))
///     .send()?
///     .error_for_status()?;
/// let created: serde_json::Value = response.json()?;
/// # let _ = created;
/// # Ok(())
/// # }
/// ```
pub struct Request {
    method: Method,
    url: Result<Url, HttpError>,
    headers: Headers,
    body: Body,
    timeouts: Timeouts,
    redirects: u32,
    /// The first error a builder method met, reported by `send`.
    error: Option<HttpError>,
}

impl Request {
    /// A request `method url`, with no headers and no body.
    pub fn new(method: impl Into<Method>, url: &str) -> Self {
        Self {
            method: method.into(),
            url: parse_url(url),
            headers: Headers::new(),
            body: Body::Empty,
            timeouts: Timeouts::default(),
            redirects: 0,
            error: None,
        }
    }

    /// The request's method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The request's URL, when it parsed.
    pub fn url(&self) -> Option<&Url> {
        self.url.as_ref().ok()
    }

    /// The request's headers so far.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// Set header `name` to `value`, replacing any earlier value.
    pub fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// Add a value of header `name`, keeping earlier ones.
    pub fn append_header(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.headers.append(name, value);
        self
    }

    /// Add `key=value` to the URL's query, percent-encoded.
    pub fn query(mut self, key: &str, value: &str) -> Self {
        if let Ok(url) = &mut self.url {
            url.query_pairs_mut().append_pair(key, value);
        }
        self
    }

    /// Send these bytes as the body, with their length.
    pub fn body(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.body = Body::Bytes(bytes.into());
        self
    }

    /// Stream the body from `reader`, in chunks, without holding it all in memory. Give its
    /// `length` when known (some servers, S3 among them, require it); without one the body
    /// is sent chunked. A streamed body is sent once: a redirect that would send it again is
    /// returned instead of followed.
    pub fn body_reader(mut self, reader: impl Read + 'static, length: Option<u64>) -> Self {
        self.body = Body::Reader {
            reader: Box::new(reader),
            length,
        };
        self
    }

    /// Send `value` as a JSON body, with `content-type: application/json`.
    pub fn json<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(bytes) => {
                self.headers.insert("content-type", "application/json");
                self.body = Body::Bytes(bytes);
            }
            Err(source) => {
                self.error.get_or_insert(HttpError::Json {
                    url: self.url_text(),
                    source,
                });
            }
        }
        self
    }

    /// Longest wait for the connection to be made.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.connect = Some(timeout);
        self
    }

    /// Longest wait from sending the request to the first byte of the response.
    pub fn first_byte_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.first_byte = Some(timeout);
        self
    }

    /// Longest wait between two pieces of the response body.
    pub fn between_bytes_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.between_bytes = Some(timeout);
        self
    }

    /// Follow up to `hops` redirects (301, 302, 303, 307, 308), each a new request that the
    /// host checks on its own; more is an [`HttpError::TooManyRedirects`]. 0 (the default)
    /// returns redirects as responses.
    pub fn follow_redirects(mut self, hops: u32) -> Self {
        self.redirects = hops;
        self
    }

    fn url_text(&self) -> String {
        match &self.url {
            Ok(url) => url.to_string(),
            Err(HttpError::InvalidUrl { url, .. }) => url.clone(),
            Err(_) => String::new(),
        }
    }

    /// Send the request and wait for the response's status and headers (the body is read
    /// from the [`Response`]).
    pub fn send(self) -> Result<Response, HttpError> {
        let Request {
            mut method,
            url,
            mut headers,
            mut body,
            timeouts,
            redirects,
            error,
        } = self;
        if let Some(error) = error {
            return Err(error);
        }
        let mut url = url?;
        let mut hops = 0;
        loop {
            let response = exchange(&method, &url, &headers, &mut body, timeouts)?;
            if redirects == 0 || !is_redirect(response.status()) {
                return Ok(response);
            }
            if hops == redirects {
                return Err(HttpError::TooManyRedirects {
                    url: url.to_string(),
                    limit: redirects,
                });
            }
            let hop = next_hop(
                response.status(),
                &method,
                response.header("location"),
                &url,
            )
            .map_err(|reason| HttpError::BadRedirect {
                url: url.to_string(),
                status: response.status(),
                reason,
            })?;
            if hop.keep_body && matches!(body, Body::Reader { .. }) {
                // A streamed body is gone: hand the redirect to the caller.
                return Ok(response);
            }
            drop(response);
            headers = hop_headers(&headers, &url, &hop);
            if !hop.keep_body {
                body = Body::Empty;
            }
            method = hop.method;
            url = hop.url;
            hops += 1;
        }
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &self.url_text())
            .field(
                "headers",
                &self.headers.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("timeouts", &self.timeouts)
            .field("redirects", &self.redirects)
            .finish_non_exhaustive()
    }
}

/// The header list to send: the request's headers and, when known and not set, the body's
/// length.
fn header_entries(headers: &Headers, length: Option<u64>) -> Vec<(String, Vec<u8>)> {
    let mut headers = headers.clone();
    if let Some(length) = length
        && !headers.contains("content-length")
    {
        headers.insert("content-length", length.to_string());
    }
    headers.into_entries()
}

/// One request and its response: no redirects followed.
fn exchange(
    method: &Method,
    url: &Url,
    headers: &Headers,
    body: &mut Body,
    timeouts: Timeouts,
) -> Result<Response, HttpError> {
    let text = url.to_string();
    let target = Target::of(url)?;
    let invalid = |reason: String| HttpError::InvalidRequest {
        url: text.clone(),
        reason,
    };
    let fields = Fields::from_list(&header_entries(headers, body.length(method)))
        .map_err(|e| invalid(header_error(e)))?;
    let request = OutgoingRequest::new(fields);
    request
        .set_method(&method.to_wasi())
        .map_err(|()| invalid(format!("method `{method}` is not valid")))?;
    let scheme = if target.https {
        Scheme::Https
    } else {
        Scheme::Http
    };
    request
        .set_scheme(Some(&scheme))
        .map_err(|()| invalid("the host refused the scheme".into()))?;
    request
        .set_authority(Some(&target.authority))
        .map_err(|()| invalid(format!("authority `{}` is not valid", target.authority)))?;
    request
        .set_path_with_query(Some(&target.path_with_query))
        .map_err(|()| invalid(format!("path `{}` is not valid", target.path_with_query)))?;
    let outgoing = request
        .body()
        .map_err(|()| invalid("the request body was already taken".into()))?;
    let options = request_options(timeouts).map_err(invalid)?;

    let future = outgoing_handler::handle(request, options)
        .map_err(|code| HttpError::from_code(code, method.as_str(), &text))?;
    if let Err(body_error) = send_body(outgoing, body, method, &text) {
        // The host may have refused or failed the request itself, or the server may have
        // answered before reading the whole body (a refusal, say): either says more.
        return match wait(&future, method, &text) {
            Err(request_error) => Err(request_error),
            Ok(answer) => {
                let answer = Response::from_incoming(answer, method.as_str(), &text)?;
                if answer.is_success() {
                    Err(body_error)
                } else {
                    Ok(answer)
                }
            }
        };
    }
    let response = wait(&future, method, &text)?;
    Response::from_incoming(response, method.as_str(), &text)
}

/// Write the body to the request's output stream and finish it.
fn send_body(
    outgoing: OutgoingBody,
    body: &mut Body,
    method: &Method,
    url: &str,
) -> Result<(), HttpError> {
    let failed = |e| stream_error(e, method.as_str(), url, "sending the request body");
    {
        let stream = outgoing.write().map_err(|()| HttpError::Body {
            url: url.to_owned(),
            detail: "the request body stream was already taken".into(),
        })?;
        match body {
            Body::Empty => {}
            Body::Bytes(bytes) => write_all(&stream, bytes).map_err(failed)?,
            Body::Reader { reader, .. } => {
                let mut buf = vec![0; CHUNK];
                loop {
                    let n = reader.read(&mut buf).map_err(|e| HttpError::Body {
                        url: url.to_owned(),
                        detail: format!("reading the request body: {e}"),
                    })?;
                    if n == 0 {
                        break;
                    }
                    write_all(&stream, &buf[..n]).map_err(failed)?;
                }
            }
        }
        match flush(&stream) {
            // With a `content-length`, the host stops taking the body once it has that many
            // bytes and closes the stream: everything was written. Had the request failed
            // instead, the response says so.
            Ok(()) | Err(StreamError::Closed) => {}
            Err(e) => return Err(failed(e)),
        }
        // The stream is a child of the body: it goes before the body is finished.
    }
    OutgoingBody::finish(outgoing, None)
        .map_err(|code| HttpError::from_code(code, method.as_str(), url))
}

/// Wait for the response's status and headers.
fn wait(
    future: &FutureIncomingResponse,
    method: &Method,
    url: &str,
) -> Result<IncomingResponse, HttpError> {
    future.subscribe().block();
    match future.get() {
        Some(Ok(Ok(response))) => Ok(response),
        Some(Ok(Err(code))) => Err(HttpError::from_code(code, method.as_str(), url)),
        Some(Err(())) => Err(HttpError::Other {
            url: url.to_owned(),
            detail: "the response was already taken".into(),
        }),
        None => Err(HttpError::Other {
            url: url.to_owned(),
            detail: "the host reported the response ready, but it is not".into(),
        }),
    }
}

/// The host's `request-options` for `timeouts`; none when none is set.
fn request_options(timeouts: Timeouts) -> Result<Option<RequestOptions>, String> {
    if timeouts == Timeouts::default() {
        return Ok(None);
    }
    let nanos = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
    let options = RequestOptions::new();
    if let Some(t) = timeouts.connect {
        options
            .set_connect_timeout(Some(nanos(t)))
            .map_err(|()| "the host does not support a connect timeout".to_owned())?;
    }
    if let Some(t) = timeouts.first_byte {
        options
            .set_first_byte_timeout(Some(nanos(t)))
            .map_err(|()| "the host does not support a first-byte timeout".to_owned())?;
    }
    if let Some(t) = timeouts.between_bytes {
        options
            .set_between_bytes_timeout(Some(nanos(t)))
            .map_err(|()| "the host does not support a between-bytes timeout".to_owned())?;
    }
    Ok(Some(options))
}

fn header_error(error: HeaderError) -> String {
    match error {
        HeaderError::InvalidSyntax => "a header name or value is not valid".into(),
        HeaderError::Forbidden => "a header is one the host sets itself (such as `host`)".into(),
        HeaderError::Immutable => "the headers cannot be changed".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_methods_collect_the_request_without_sending() {
        let request = Request::new("PUT", "http://127.0.0.1:9000/bucket/key")
            .header("X-Amz-Meta-Run", "r1")
            .append_header("accept", "a")
            .append_header("Accept", "b")
            .query("part", "a b")
            .body(b"hello".to_vec());
        assert_eq!(request.method(), &Method::Put);
        assert_eq!(
            request.url().map(Url::as_str),
            Some("http://127.0.0.1:9000/bucket/key?part=a+b")
        );
        assert_eq!(request.headers().get("x-amz-meta-run"), Some("r1"));
        assert_eq!(request.headers().get_all("accept").count(), 2);
        assert!(matches!(request.body, Body::Bytes(ref b) if b == b"hello"));
    }

    #[test]
    fn json_sets_the_body_and_content_type() {
        let request = Request::new("POST", "https://h/").json(&serde_json::json!({"a": 1}));
        assert_eq!(
            request.headers().get("content-type"),
            Some("application/json")
        );
        assert!(matches!(request.body, Body::Bytes(ref b) if b == br#"{"a":1}"#));
    }

    #[test]
    fn builder_errors_wait_for_send() {
        let err = Request::new("GET", "not a url")
            .send()
            .expect_err("bad url");
        assert!(
            matches!(err, HttpError::InvalidUrl { ref url, .. } if url == "not a url"),
            "{err:?}"
        );

        let unencodable = std::collections::BTreeMap::from([((1, 2), 3)]);
        let err = Request::new("POST", "https://h/")
            .json(&unencodable)
            .send()
            .expect_err("not JSON");
        assert!(matches!(err, HttpError::Json { .. }), "{err:?}");
    }

    #[test]
    fn the_body_length_is_declared_unless_set_or_unknown() {
        let length = |body: Body, method| body.length(&method);
        assert_eq!(length(Body::Empty, Method::Get), None);
        assert_eq!(length(Body::Empty, Method::Put), Some(0));
        assert_eq!(length(Body::Bytes(vec![1, 2, 3]), Method::Post), Some(3));
        let reader = || Box::new(std::io::empty()) as Box<dyn Read>;
        assert_eq!(
            length(
                Body::Reader {
                    reader: reader(),
                    length: None
                },
                Method::Put
            ),
            None
        );
        assert_eq!(
            length(
                Body::Reader {
                    reader: reader(),
                    length: Some(9)
                },
                Method::Put
            ),
            Some(9)
        );

        let mut headers = Headers::new();
        headers.insert("Accept", "*/*");
        let entries = header_entries(&headers, Some(3));
        assert_eq!(
            entries,
            [
                ("accept".to_owned(), b"*/*".to_vec()),
                ("content-length".to_owned(), b"3".to_vec())
            ]
        );
        headers.insert("Content-Length", "5");
        assert_eq!(header_entries(&headers, Some(3))[1].1, b"5");
    }
}
