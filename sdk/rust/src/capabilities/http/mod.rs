//! A blocking HTTP client over `wasi:http/outgoing-handler`.
//!
//! ```no_run
//! use weft_sdk::http;
//!
//! # fn run() -> Result<(), http::HttpError> {
//! let body = http::get("https://api.example.com/v1/status").send()?.error_for_status()?.text()?;
//! # let _ = body;
//! # Ok(())
//! # }
//! ```
//!
//! Every request goes through the host, which checks it against the task's egress rules
//! (`allow_egress`) and the operator's: a request outside them fails with
//! [`HttpError::Denied`]. Redirects are returned as responses unless
//! [`Request::follow_redirects`] says how many to follow; each hop is a request of its own,
//! checked in the same way. Large bodies can be streamed both ways: [`Request::body_reader`]
//! and [`Response::reader`] (a [`std::io::Read`]).
//!
//! Errors say whether a retry can help ([`HttpError::is_retryable`]); in a task, `?` makes
//! any of them a retryable [`TaskError`](crate::TaskError) and
//! [`HttpError::into_task_error`] picks the kind.
//!
//! # Layout
//! - `request`: [`Request`] and the exchange; `response`: [`Response`] and [`BodyReader`]
//! - `headers`: [`Headers`]; `method`: [`Method`]; `error`: [`HttpError`]
//! - `target`: URL parts; `redirect`: where a redirect goes; `stream`: `wasi:io` streams

mod error;
mod headers;
mod method;
mod redirect;
mod request;
mod response;
mod stream;
mod target;

pub use error::HttpError;
pub use headers::Headers;
pub use method::Method;
pub use request::Request;
pub use response::{BodyReader, Response};
pub use url::Url;

/// A `GET url` request, to send with [`Request::send`].
pub fn get(url: &str) -> Request {
    Request::new(Method::Get, url)
}

/// A `HEAD url` request.
pub fn head(url: &str) -> Request {
    Request::new(Method::Head, url)
}

/// A `POST url` request.
pub fn post(url: &str) -> Request {
    Request::new(Method::Post, url)
}

/// A `PUT url` request.
pub fn put(url: &str) -> Request {
    Request::new(Method::Put, url)
}

/// A `DELETE url` request.
pub fn delete(url: &str) -> Request {
    Request::new(Method::Delete, url)
}
