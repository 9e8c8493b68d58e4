//! What can go wrong with a queue operation: [`QueueError`], with bad requests
//! ([`BadInput`]) kept apart from backend failures, and retriable failures apart from
//! permanent ones.

/// A boxed error from a backend's client library.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A queue operation that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueueError {
    /// The request itself is wrong; repeating it will not help.
    #[error("bad queue request: {0}")]
    BadInput(#[from] BadInput),
    /// The backend cannot be reached or is overloaded; the same request may succeed later.
    #[error("queue backend unavailable (retriable): {message}")]
    Unavailable {
        /// What failed, e.g. "connecting to redis://127.0.0.1:6379".
        message: String,
        /// The client library's error, if any.
        #[source]
        source: Option<BoxError>,
    },
    /// The backend failed in a way that retrying will not fix (e.g. a protocol or data error).
    #[error("queue backend failed: {message}")]
    Backend {
        /// What failed.
        message: String,
        /// The client library's error, if any.
        #[source]
        source: Option<BoxError>,
    },
}

impl QueueError {
    /// Whether the same request may succeed if tried again later.
    pub fn is_retriable(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }
}

/// What is wrong with a request; every backend reports the same [`BadInput`] for the same
/// request (see [`validate`](crate::validate)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BadInput {
    /// A pushed message has an empty queue name; nothing of the batch was pushed.
    #[error("message {index} of the pushed batch has an empty queue name")]
    EmptyMessageQueue {
        /// The message's position in the batch, from 0.
        index: usize,
    },
    /// `take` was given no queue names.
    #[error("take was given no queue names")]
    NoQueues,
    /// `take` was given an empty queue name.
    #[error("queue name {index} of the take is empty")]
    EmptyTakeQueue {
        /// The name's position in the list, from 0.
        index: usize,
    },
    /// `take` was asked for at most zero deliveries.
    #[error("take max is 0; it must ask for at least 1 delivery")]
    ZeroMax,
    /// A lease of zero length was asked for.
    #[error("{operation} lease is zero; it must be longer than 0")]
    ZeroLease {
        /// `take` or `extend`.
        operation: &'static str,
    },
    /// A lease longer than [`MAX_LEASE`](crate::validate::MAX_LEASE) was asked for.
    #[error("{operation} lease of {lease:?} is longer than the maximum of {max:?}")]
    LeaseTooLong {
        /// `take` or `extend`.
        operation: &'static str,
        /// The lease asked for.
        lease: std::time::Duration,
        /// The longest lease allowed.
        max: std::time::Duration,
    },
    /// A backend's URL cannot be used (its password, if any, is left out of `url`).
    #[error("queue backend URL {url:?} is invalid: {reason}")]
    BadUrl {
        /// The URL, with any password replaced by `***`.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A backend was given an empty namespace.
    #[error("queue namespace is empty; it must name the deployment (e.g. \"weft\")")]
    EmptyNamespace,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_what_is_wrong() {
        let e = QueueError::from(BadInput::EmptyMessageQueue { index: 3 });
        assert_eq!(
            e.to_string(),
            "bad queue request: message 3 of the pushed batch has an empty queue name"
        );
        assert!(!e.is_retriable());
        assert!(BadInput::ZeroMax.to_string().contains("max is 0"));
        let lease = BadInput::ZeroLease {
            operation: "extend",
        };
        assert_eq!(
            lease.to_string(),
            "extend lease is zero; it must be longer than 0"
        );
    }

    #[test]
    fn only_unavailable_is_retriable() {
        let down = QueueError::Unavailable {
            message: "connecting to redis://127.0.0.1:1".into(),
            source: None,
        };
        assert!(down.is_retriable());
        assert!(down.to_string().contains("redis://127.0.0.1:1"));
        let broken = QueueError::Backend {
            message: "unexpected reply".into(),
            source: None,
        };
        assert!(!broken.is_retriable());
    }
}
