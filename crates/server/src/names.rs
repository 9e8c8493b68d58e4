//! The one rule for the names users and workers choose — variable keys, connection ids,
//! secret names, worker ids, host names: 1 to [`MAX_NAME_CHARS`] characters, none of them
//! whitespace or a control character. The OpenAPI document states the same rule as a
//! pattern (`NAME_PATTERN`). And the rule for the free text they give (values, descriptions):
//! anything but NUL.

use crate::error::ApiError;

/// Longest name, in characters.
pub const MAX_NAME_CHARS: usize = 250;

/// Check free text a user gives (a value, a description, a host name): anything but NUL
/// (U+0000), which the store cannot keep; the OpenAPI document states it as the pattern
/// `^[^\x00]*$`. `what` says which text it is, for the error.
pub(crate) fn check_text(what: &str, text: &str) -> Result<(), ApiError> {
    if text.contains('\0') {
        return Err(ApiError::invalid(format!(
            "{what} contains a NUL character (U+0000), which cannot be stored"
        )));
    }
    Ok(())
}

/// Refuse a request whose URL holds an encoded NUL (`%00`) in its path or query, with the
/// 400 every operation with parameters declares: no name or filter can hold one (the
/// document's patterns of path and query parameters leave it out), and PostgreSQL cannot
/// even compare text holding it.
pub(crate) async fn refuse_nul_in_url(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let uri = request.uri();
    let part = if uri.path().contains("%00") {
        Some("path")
    } else if uri.query().is_some_and(|q| q.contains("%00")) {
        Some("query")
    } else {
        None
    };
    match part {
        Some(part) => ApiError::invalid(format!(
            "the URL's {part} holds a NUL character (%00), which no name or filter can hold"
        ))
        .into_response(),
        None => next.run(request).await,
    }
}

/// Check `name` (`what` says which name it is, for the error).
pub(crate) fn check_name(what: &str, name: &str) -> Result<(), ApiError> {
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS {
        return Err(ApiError::invalid(format!(
            "{what} must be 1 to {MAX_NAME_CHARS} characters, not {chars}"
        )));
    }
    if let Some(c) = name.chars().find(|c| c.is_control() || c.is_whitespace()) {
        return Err(ApiError::invalid(format!(
            "{what} {} contains {c:?}; whitespace and control characters are not allowed",
            weft_model::message::quoted(name)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_counted_in_characters_and_refuse_blanks() {
        assert!(check_name("key", "a").is_ok());
        assert!(check_name("key", &"é".repeat(MAX_NAME_CHARS)).is_ok());
        assert!(check_name("key", &"é".repeat(MAX_NAME_CHARS + 1)).is_err());
        assert!(check_name("key", "").is_err());
        for bad in ["a b", "a\tb", "a\u{85}b", "a\u{7f}", "a\u{2028}"] {
            assert!(check_name("key", bad).is_err(), "{bad:?}");
        }
    }
}
