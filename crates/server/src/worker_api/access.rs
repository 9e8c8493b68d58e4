//! What the worker API hands to an attempt is scoped by the attempt: the tenant and run it
//! reads in are the attempt's own, found from the task instance and lease in the path, and
//! only while that attempt is current ([`current_attempt`]; 403 `stale_attempt` otherwise),
//! and with its key when the server checks attempt keys ([`attempt`]).

use axum::http::HeaderMap;
use weft_protocol::AttemptKey;
use weft_protocol::AttemptRef;
use weft_protocol::worker_api::ATTEMPT_KEY_HEADER;
use weft_store::AttemptInfo;
use weft_store::grants::{self, Refusal};

use crate::error::ApiError;
use crate::state::AppState;

/// The attempt from the path, with the key from the [`ATTEMPT_KEY_HEADER`]: when the server
/// checks attempt keys, a call without the attempt's own key is refused (403
/// `attempt_key`) before anything is read.
pub(crate) fn attempt(
    state: &AppState,
    headers: &HeaderMap,
    ti: &str,
    lease: &str,
) -> Result<AttemptRef, ApiError> {
    let number = |what: &str, text: &str| {
        text.parse::<i64>()
            .map_err(|_| ApiError::invalid(format!("{what} must be a whole number, not {text:?}")))
    };
    let ti = number("ti", ti)?;
    let lease = number("lease", lease)?;
    let key = match headers.get(ATTEMPT_KEY_HEADER) {
        None => None,
        Some(value) => {
            let text = value.to_str().map_err(|_| {
                ApiError::invalid(format!("header {ATTEMPT_KEY_HEADER} is not text"))
            })?;
            let key = text
                .parse::<AttemptKey>()
                .map_err(|e| ApiError::invalid(format!("header {ATTEMPT_KEY_HEADER}: {e}")))?;
            Some(key)
        }
    };
    if let Some(keys) = &state.attempt_keys
        && !key.is_some_and(|key| keys.check(ti, lease, &key))
    {
        tracing::warn!(
            ti,
            lease,
            keyed = key.is_some(),
            "attempt refused: its key is missing or wrong"
        );
        return Err(ApiError::Forbidden {
            code: "attempt_key",
            message: format!(
                "attempt {ti} (lease {lease}) needs its attempt key in header \
                 {ATTEMPT_KEY_HEADER}, as its task message carried it; the one sent is {}",
                if key.is_some() { "wrong" } else { "missing" }
            ),
        });
    }
    Ok(AttemptRef { ti, lease, key })
}

/// What the store holds of `attempt`, when it is current (queued or running, holding its
/// lease); 403 `stale_attempt` when not.
pub(crate) async fn current_attempt(
    state: &AppState,
    attempt: AttemptRef,
) -> Result<AttemptInfo, ApiError> {
    grants::current_of_any(&*state.store, attempt)
        .await?
        .map_err(|refusal| refused(attempt, refusal))
}

/// The 403 of a refused attempt, logged.
fn refused(attempt: AttemptRef, refusal: Refusal) -> ApiError {
    tracing::warn!(ti = attempt.ti, lease = attempt.lease, %refusal, "attempt refused");
    ApiError::Forbidden {
        code: refusal.code(),
        message: refusal.to_string(),
    }
}
