//! `{{secret:NAME}}` in a request's header values and query, replaced by the secret's value
//! on the way out, so that a task can send a secret it never sees.

use std::time::Instant;

use http::HeaderValue;

/// Why a secret could not be had: said in the refusal of the request that named it.
pub type SecretError = Box<dyn std::error::Error + Send + Sync>;

/// The secrets of one attempt, as the runtime holds them: only those the task declares,
/// fetched when first used and masked in the attempt's log from then on.
pub trait Secrets: Send + Sync {
    /// The value of `name`, by `deadline`.
    fn get(&self, name: &str, deadline: Instant) -> Result<String, SecretError>;
}

const OPEN: &str = "{{secret:";
const CLOSE: &str = "}}";
/// The same markers as a URL encoder writes them in a query (`{` is `%7B`, `}` is `%7D`).
const ENCODED_OPEN: &str = "%7b%7bsecret:";
const ENCODED_CLOSE: &str = "%7d%7d";

/// Puts secret values into `text` in place of each `OPEN NAME CLOSE` (markers matched
/// without regard to ASCII case), each value passed through `encode` first.
fn fill(
    secrets: &dyn Secrets,
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
        out.push_str(&encode(&secrets.get(&text[name_at..end], deadline)?));
        at = end + close.len();
    }
    out.push_str(&text[at..]);
    Ok(out)
}

/// Replaces `{{secret:NAME}}` in the request's header values and query.
pub(crate) fn substitute<B>(
    secrets: &dyn Secrets,
    request: &mut http::Request<B>,
    deadline: Instant,
) -> Result<(), String> {
    for value in request.headers_mut().values_mut() {
        let Ok(text) = value.to_str() else { continue };
        if !text.contains(OPEN) {
            continue;
        }
        let filled = fill(secrets, text, (OPEN, CLOSE), deadline, str::to_owned)
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
        let filled = fill(secrets, query, (OPEN, CLOSE), deadline, encode)
            .and_then(|q| fill(secrets, &q, (ENCODED_OPEN, ENCODED_CLOSE), deadline, encode))
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
