//! [`Response`]: status, headers and a body read all at once or as a stream
//! ([`BodyReader`], a [`std::io::Read`]).

use std::io::{self, Read};

use serde::de::DeserializeOwned;

use crate::bindings::wasi::http::types::{IncomingBody, IncomingResponse};
use crate::bindings::wasi::io::streams::InputStream;

use super::error::HttpError;
use super::headers::Headers;
use super::stream::{read_chunk, stream_error};

/// Most bytes of an error response's body that [`Response::error_for_status`] keeps.
const ERROR_BODY_LIMIT: usize = 1024;

/// An HTTP response. The body has not been read yet: read it with [`bytes`](Self::bytes),
/// [`text`](Self::text), [`json`](Self::json), or as a stream with
/// [`reader`](Self::reader) / [`into_reader`](Self::into_reader).
#[derive(Debug)]
pub struct Response {
    status: u16,
    headers: Headers,
    method: String,
    url: String,
    body: BodyReader,
}

impl Response {
    pub(crate) fn from_incoming(
        response: IncomingResponse,
        method: &str,
        url: &str,
    ) -> Result<Self, HttpError> {
        let status = response.status();
        // The headers resource is a child of the response: read it and let it go.
        let headers = Headers::from_entries(response.headers().entries());
        let body = response.consume().map_err(|()| HttpError::Body {
            url: url.to_owned(),
            detail: "the response body was already taken".into(),
        })?;
        let stream = body.stream().map_err(|()| HttpError::Body {
            url: url.to_owned(),
            detail: "the response body stream was already taken".into(),
        })?;
        Ok(Self {
            status,
            headers,
            method: method.to_owned(),
            url: url.to_owned(),
            body: BodyReader {
                stream: Some(stream),
                body: Some(body),
                response: Some(response),
                method: method.to_owned(),
                url: url.to_owned(),
            },
        })
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The response's headers.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// The first value of header `name`, if it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    /// The URL this response came from (after any redirects followed).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The response itself when its status is below 400; else an [`HttpError::Status`] with
    /// the start of the body (servers explain errors there).
    pub fn error_for_status(mut self) -> Result<Self, HttpError> {
        if self.status < 400 {
            return Ok(self);
        }
        let mut start = Vec::new();
        // The body is only for the message; a failure to read it does not hide the status.
        let _ = (&mut self.body)
            .take(ERROR_BODY_LIMIT as u64)
            .read_to_end(&mut start);
        Err(HttpError::Status {
            method: self.method,
            url: self.url,
            status: self.status,
            body: String::from_utf8_lossy(&start).trim().to_owned(),
        })
    }

    /// The whole body.
    pub fn bytes(mut self) -> Result<Vec<u8>, HttpError> {
        let capacity = self
            .header("content-length")
            .and_then(|n| n.trim().parse::<usize>().ok())
            .unwrap_or(0)
            .min(64 << 20);
        let mut bytes = Vec::with_capacity(capacity);
        self.body
            .read_to_end(&mut bytes)
            .map_err(|e| into_http_error(e, &self.url))?;
        Ok(bytes)
    }

    /// The whole body as text; bytes that are not UTF-8 become U+FFFD.
    pub fn text(self) -> Result<String, HttpError> {
        let bytes = self.bytes()?;
        Ok(match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }

    /// The whole body, decoded from JSON.
    pub fn json<T: DeserializeOwned>(self) -> Result<T, HttpError> {
        let url = self.url.clone();
        let bytes = self.bytes()?;
        serde_json::from_slice(&bytes).map_err(|source| HttpError::Json { url, source })
    }

    /// The body as a stream, to read a piece at a time (a large download, say).
    pub fn reader(&mut self) -> &mut BodyReader {
        &mut self.body
    }

    /// The body as a stream, owned.
    pub fn into_reader(self) -> BodyReader {
        self.body
    }
}

/// The [`HttpError`] inside an I/O error from [`BodyReader`], or one made from it.
fn into_http_error(error: io::Error, url: &str) -> HttpError {
    match error.downcast::<HttpError>() {
        Ok(http) => http,
        Err(other) => HttpError::Body {
            url: url.to_owned(),
            detail: format!("reading the response body: {other}"),
        },
    }
}

/// A response body as a stream of bytes. Its I/O errors carry an [`HttpError`]
/// (`io::Error::downcast::<HttpError>()` gets it back). A body cut short by the server or the
/// network is an error, not an early end.
pub struct BodyReader {
    // Dropped in this order: a `wasi:http` child resource must go before its parent.
    stream: Option<InputStream>,
    body: Option<IncomingBody>,
    response: Option<IncomingResponse>,
    method: String,
    url: String,
}

impl BodyReader {
    /// After the stream ended: finish the body and check its trailers for an error the
    /// transfer ended with.
    fn finish(&mut self) -> Result<(), HttpError> {
        self.stream = None;
        let Some(body) = self.body.take() else {
            return Ok(());
        };
        let trailers = IncomingBody::finish(body);
        trailers.subscribe().block();
        let outcome = trailers.get();
        drop(trailers);
        self.response = None;
        match outcome {
            Some(Ok(Err(code))) => Err(HttpError::from_code(code, &self.method, &self.url)),
            _ => Ok(()),
        }
    }
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let Some(stream) = &self.stream else {
            return Ok(0);
        };
        match read_chunk(stream, buf.len()) {
            Ok(Some(chunk)) => {
                let n = chunk.len().min(buf.len());
                buf[..n].copy_from_slice(&chunk[..n]);
                Ok(n)
            }
            Ok(None) => self.finish().map(|()| 0).map_err(io::Error::other),
            Err(e) => {
                self.stream = None;
                Err(io::Error::other(stream_error(
                    e,
                    &self.method,
                    &self.url,
                    "reading the response body",
                )))
            }
        }
    }
}

impl std::fmt::Debug for BodyReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyReader")
            .field("url", &self.url)
            .field("open", &self.stream.is_some())
            .finish()
    }
}
