//! [`Method`]: an HTTP request method.

use std::fmt;

use crate::bindings::wasi::http::types as wasi;

/// An HTTP request method.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`
    Get,
    /// `HEAD`
    Head,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `DELETE`
    Delete,
    /// `CONNECT`
    Connect,
    /// `OPTIONS`
    Options,
    /// `TRACE`
    Trace,
    /// `PATCH`
    Patch,
    /// Any other method, as written (HTTP methods are case-sensitive).
    Other(String),
}

impl Method {
    /// The method as sent: `GET`, `POST`, ...
    pub fn as_str(&self) -> &str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Connect => "CONNECT",
            Method::Options => "OPTIONS",
            Method::Trace => "TRACE",
            Method::Patch => "PATCH",
            Method::Other(m) => m,
        }
    }

    pub(crate) fn to_wasi(&self) -> wasi::Method {
        match self {
            Method::Get => wasi::Method::Get,
            Method::Head => wasi::Method::Head,
            Method::Post => wasi::Method::Post,
            Method::Put => wasi::Method::Put,
            Method::Delete => wasi::Method::Delete,
            Method::Connect => wasi::Method::Connect,
            Method::Options => wasi::Method::Options,
            Method::Trace => wasi::Method::Trace,
            Method::Patch => wasi::Method::Patch,
            Method::Other(m) => wasi::Method::Other(m.clone()),
        }
    }
}

impl From<&str> for Method {
    /// The standard methods by their upper-case names; anything else as [`Method::Other`].
    fn from(method: &str) -> Self {
        match method {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "DELETE" => Method::Delete,
            "CONNECT" => Method::Connect,
            "OPTIONS" => Method::Options,
            "TRACE" => Method::Trace,
            "PATCH" => Method::Patch,
            other => Method::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_round_trip_through_their_names() {
        for name in [
            "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
            "PROPFIND",
        ] {
            assert_eq!(Method::from(name).as_str(), name);
        }
        assert_eq!(
            Method::from("get"),
            Method::Other("get".into()),
            "case-sensitive"
        );
        assert!(matches!(Method::Put.to_wasi(), wasi::Method::Put));
        assert!(matches!(Method::from("MKCOL").to_wasi(), wasi::Method::Other(m) if m == "MKCOL"));
    }
}
