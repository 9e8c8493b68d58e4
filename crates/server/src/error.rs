//! API errors. Each becomes a status and a body `{"error": {"code": ..., "message": ...}}`
//! whose message tells the user what they did wrong; failures of the server itself are
//! logged in full and shown only as a generic message.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use weft_model::quotas::{Quota, QuotaExceeded};
pub use weft_protocol::api::error::{ErrorBody, ErrorDetail};
use weft_runtime::{ErrorClass, LoadError};
use weft_scheduler::control::ControlError;
use weft_store::{CredentialsError, StoreError};

/// Seconds a client refused for its tenant's waiting task instances is asked to wait.
const QUOTA_RETRY_AFTER_SECS: u64 = 5;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is wrong (400); `code` names the kind of mistake.
    #[error("{message}")]
    BadRequest {
        /// A stable snake_case name.
        code: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The request matches the API's document but breaks a rule the document states in
    /// words, which no schema can (422): a backfill that ends before it starts, say. `code`
    /// names the rule.
    #[error("{message}")]
    Unprocessable {
        /// A stable snake_case name.
        code: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The request carries no token, or one this route does not accept (401); answered with
    /// `WWW-Authenticate: Bearer`.
    #[error("{0}")]
    Unauthorized(String),
    /// The request is understood and refused (403); `code` names why.
    #[error("{message}")]
    Forbidden {
        /// A stable snake_case name.
        code: &'static str,
        /// Why.
        message: String,
    },
    /// The server is not set up for the request (503, no retry soon): no secret key, say.
    #[error("{message}")]
    NotConfigured {
        /// A stable snake_case name.
        code: &'static str,
        /// What is missing and how to set it.
        message: String,
    },
    /// The thing asked for does not exist (404); the message names it.
    #[error("{0}")]
    NotFound(String),
    /// The request clashes with what exists (409).
    #[error("{0}")]
    Conflict(String),
    /// The body is of a type the route does not take (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The body is larger than allowed (413).
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The request would take the tenant past one of its quotas, and nothing of it was
    /// stored: 413 for a component's size, 409 for the number of components (waiting does
    /// not help), 429 with `Retry-After` for waiting task instances (runs going on do).
    #[error(transparent)]
    Quota(#[from] QuotaExceeded),
    /// The tenant's rate of API requests is spent (429); `Retry-After` says when to come back.
    #[error("{message}")]
    RateLimited {
        /// Which rate, and how to get more.
        message: String,
        /// Seconds until a request is let through again.
        retry_after_secs: u64,
    },
    /// The metadata store's disk is full (507): nothing of the request was stored, and the
    /// same request succeeds once the operator frees space.
    #[error("metadata store out of disk space: {0}")]
    StoreFull(String),
    /// The metadata store cannot be reached (503); retrying later may succeed.
    #[error("metadata store unavailable: {0}")]
    Unavailable(String),
    /// The scheduler cannot take the request now (503): it stopped, or none is leading. The
    /// same request may succeed later.
    #[error("the scheduler cannot take the request now: {0}")]
    SchedulerUnavailable(String),
    /// The server failed on its own account (500); the detail is logged, not shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// A 400 with code `invalid_request`.
    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            code: "invalid_request",
            message: message.into(),
        }
    }

    /// A 422 with code `unprocessable`.
    pub fn unprocessable(message: impl Into<String>) -> ApiError {
        ApiError::Unprocessable {
            code: "unprocessable",
            message: message.into(),
        }
    }

    /// The HTTP status of the error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::NotConfigured { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Quota(e) => match e.quota {
                Quota::MaxComponentBytes => StatusCode::PAYLOAD_TOO_LARGE,
                Quota::MaxComponents => StatusCode::CONFLICT,
                _ => StatusCode::TOO_MANY_REQUESTS,
            },
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) | ApiError::SchedulerUnavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::StoreFull(_) => StatusCode::INSUFFICIENT_STORAGE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code of the error.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { code, .. }
            | ApiError::Unprocessable { code, .. }
            | ApiError::Forbidden { code, .. }
            | ApiError::NotConfigured { code, .. } => code,
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::Quota(_) => "quota_exceeded",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::Unavailable(_) | ApiError::SchedulerUnavailable(_) => "unavailable",
            ApiError::StoreFull(_) => "store_full",
            ApiError::Internal(_) => "internal",
        }
    }

    /// The body shown to the user: the error's own words for their mistakes, a generic
    /// message for the server's.
    pub fn body(&self) -> ErrorBody {
        let message = match self {
            ApiError::Unavailable(_) => {
                "the metadata store is unavailable; try again later".to_owned()
            }
            ApiError::StoreFull(_) => "the metadata store's disk is full: nothing of this request \
                 was stored; it succeeds again once space is freed on the store's volume"
                .to_owned(),
            ApiError::Internal(_) => {
                "the server failed to handle the request; the details are in its log".to_owned()
            }
            // Bounded: a message may quote what the client sent (a 100,000-character id).
            other => weft_model::message::shown(other.to_string()),
        };
        ErrorBody {
            error: ErrorDetail {
                code: self.code().to_owned(),
                message,
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            ApiError::Internal(detail) => tracing::error!(%detail, "request failed"),
            ApiError::Unavailable(detail) => tracing::warn!(%detail, "metadata store unavailable"),
            ApiError::StoreFull(detail) => {
                tracing::error!(%detail, "metadata store out of disk space")
            }
            ApiError::SchedulerUnavailable(detail) => {
                tracing::warn!(%detail, "scheduler unavailable")
            }
            other => tracing::debug!(status = status.as_u16(), error = %other, "request refused"),
        }
        let mut response = (status, axum::Json(self.body())).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE
            && !matches!(self, ApiError::NotConfigured { .. })
        {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        let retry_after = match &self {
            ApiError::RateLimited {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            ApiError::Quota(_) if status == StatusCode::TOO_MANY_REQUESTS => {
                Some(QUOTA_RETRY_AFTER_SECS)
            }
            _ => None,
        };
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        if e.is_out_of_space() {
            return ApiError::StoreFull(e.to_string());
        }
        match e {
            StoreError::NotFound(what) => ApiError::NotFound(format!("not found: {what}")),
            StoreError::Conflict(what) => ApiError::Conflict(what),
            StoreError::Invalid(why) => ApiError::unprocessable(why),
            StoreError::Unavailable(why) => ApiError::Unavailable(why),
            StoreError::Database(why) => ApiError::Internal(format!("database error: {why}")),
            StoreError::Quota(e) => ApiError::Quota(e),
            e @ StoreError::Driver {
                retriable: true, ..
            } => ApiError::Unavailable(e.to_string()),
            e @ (StoreError::Driver { .. }
            | StoreError::Migrate(_)
            | StoreError::Sealing { .. }) => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<CredentialsError> for ApiError {
    /// A missing key is the operator's to fix (503, code `no_secret_key`); a key or value
    /// that does not open is the server's failure, logged in full (its message holds key
    /// ids and names, never a value).
    fn from(e: CredentialsError) -> ApiError {
        match e {
            CredentialsError::Store(e) => e.into(),
            e @ CredentialsError::NoKey { .. } => ApiError::NotConfigured {
                code: "no_secret_key",
                message: e.to_string(),
            },
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<ControlError> for ApiError {
    fn from(e: ControlError) -> ApiError {
        match e {
            ControlError::NotFound(what) => ApiError::NotFound(what),
            ControlError::Invalid(why) => ApiError::unprocessable(why),
            ControlError::Conflict(what) => ApiError::Conflict(what),
            ControlError::Unavailable(why) => ApiError::SchedulerUnavailable(why),
            ControlError::Store(e) => e.into(),
        }
    }
}

impl From<LoadError> for ApiError {
    fn from(e: LoadError) -> ApiError {
        match e.class() {
            ErrorClass::Internal => ApiError::Internal(format!("loading a component: {e}")),
            class => ApiError::BadRequest {
                code: class.as_str(),
                message: e.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use weft_model::DagSpec;
    use weft_runtime::TaskFailure;

    use super::*;

    #[test]
    fn user_mistakes_show_their_message() {
        let e = ApiError::invalid("limit must be a number");
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        assert_eq!(e.body().error.code, "invalid_request");
        assert_eq!(e.body().error.message, "limit must be a number");
    }

    #[test]
    fn server_failures_hide_their_detail() {
        for e in [
            ApiError::Internal("secret path /var/lib/weft".into()),
            ApiError::from(StoreError::Database("secret column".into())),
            ApiError::from(StoreError::Unavailable("secret host:5432".into())),
        ] {
            let body = e.body();
            assert!(!body.error.message.contains("secret"), "{body:?}");
            assert!(e.status().is_server_error());
        }
    }

    #[test]
    fn store_and_control_errors_map_to_statuses() {
        let cases: [(ApiError, StatusCode, &str); 8] = [
            (
                StoreError::NotFound("dag x".into()).into(),
                StatusCode::NOT_FOUND,
                "not_found",
            ),
            (
                StoreError::Conflict("run r".into()).into(),
                StatusCode::CONFLICT,
                "conflict",
            ),
            (
                StoreError::Invalid("bad".into()).into(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "unprocessable",
            ),
            (
                ControlError::NotFound("no dag".into()).into(),
                StatusCode::NOT_FOUND,
                "not_found",
            ),
            (
                ControlError::Invalid("future".into()).into(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "unprocessable",
            ),
            (
                ControlError::Conflict("used".into()).into(),
                StatusCode::CONFLICT,
                "conflict",
            ),
            (
                ControlError::Store(StoreError::Unavailable("down".into())).into(),
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
            ),
            (
                ControlError::Unavailable("no scheduler leads".into()).into(),
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
            ),
        ];
        for (e, status, code) in cases {
            assert_eq!((e.status(), e.code()), (status, code), "{e}");
        }
    }

    #[test]
    fn load_errors_use_their_class_as_code() {
        let bad_cron = DagSpec {
            schedule: Some("61 * * * *".into()),
            start_date: Some("2024-01-01".into()),
            ..DagSpec::new("d")
        };
        let spec_error = match bad_cron.validate() {
            Err(e) => e,
            Ok(_) => panic!("a minute of 61 was accepted"),
        };
        let e = ApiError::from(LoadError::InvalidSpec(spec_error));
        assert_eq!(
            (e.status(), e.code()),
            (StatusCode::BAD_REQUEST, "invalid_dag_spec")
        );
        assert!(
            e.body().error.message.contains("61"),
            "{}",
            e.body().error.message
        );

        let e = ApiError::from(LoadError::Describe(TaskFailure::Trap {
            message: "panicked".into(),
            backtrace: String::new(),
        }));
        assert_eq!((e.status(), e.code()), (StatusCode::BAD_REQUEST, "trap"));

        let e = ApiError::from(LoadError::Internal("pool exhausted".into()));
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
