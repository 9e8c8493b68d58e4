//! Extractors whose failures are [`ApiError`]s, so a malformed body or query string gets the
//! same JSON error shape as everything else.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON request body. An empty body (no bytes at all) reads as `null`, so a route whose
/// body is optional takes an `Option` and is called without one, and a route that needs one
/// says so; a body of only white space is not JSON and is refused like any other. A
/// `Content-Type` other than JSON is refused.
#[derive(Debug, Clone)]
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        if let Some(kind) = content_type(request.headers())
            && !is_json(&kind)
        {
            return Err(ApiError::UnsupportedMediaType(format!(
                "expected a JSON body (Content-Type: application/json), got {kind}"
            )));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(body_error)?;
        let empty = bytes.is_empty();
        let text: &[u8] = if empty { b"null" } else { &bytes };
        // Every body is an object: serde would also read a struct from an array of its
        // fields in order, which no client means.
        let first = text.iter().find(|b| !b.is_ascii_whitespace());
        if first != Some(&b'{') && text.trim_ascii() != b"null" {
            return Err(ApiError::BadRequest {
                code: "invalid_json",
                message: "the request body must be a JSON object".to_owned(),
            });
        }
        serde_json::from_slice(text)
            .map(JsonBody)
            .map_err(|e| ApiError::BadRequest {
                code: "invalid_json",
                message: if empty {
                    "this route needs a JSON body".to_owned()
                } else {
                    format!("request body: {e}")
                },
            })
    }
}

/// A field whose value must be a JSON object, read as a `T` (use with
/// `#[serde(deserialize_with)]`): a struct field would otherwise also take an array.
pub(crate) fn object<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: DeserializeOwned,
{
    use serde::Deserialize as _;
    let map = serde_json::Map::<String, serde_json::Value>::deserialize(deserializer)?;
    T::deserialize(serde_json::Value::Object(map)).map_err(serde::de::Error::custom)
}

/// Query-string parameters.
#[derive(Debug, Clone)]
pub struct QueryParams<T>(pub T);

impl<S, T> FromRequestParts<S> for QueryParams<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| QueryParams(value))
            .map_err(|e| ApiError::invalid(e.body_text()))
    }
}

/// The request's `Content-Type` without parameters, lowercased, if it has one.
pub(crate) fn content_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?;
    let text = value.to_str().unwrap_or("(not text)");
    let essence = text.split(';').next().unwrap_or_default().trim();
    Some(essence.to_ascii_lowercase())
}

fn is_json(essence: &str) -> bool {
    essence == "application/json" || essence.ends_with("+json")
}

/// A failure to read a body: too large, or cut off.
pub(crate) fn body_error(e: BytesRejection) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge(format!("request body is too large: {}", e.body_text()))
    } else {
        ApiError::invalid(format!("cannot read the request body: {}", e.body_text()))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn content_type_drops_parameters_and_case() {
        let mut headers = HeaderMap::new();
        assert_eq!(content_type(&headers), None);
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("Application/JSON; charset=utf-8"),
        );
        assert_eq!(content_type(&headers).as_deref(), Some("application/json"));
        assert!(is_json("application/json"));
        assert!(is_json("application/problem+json"));
        assert!(!is_json("text/plain"));
    }
}
