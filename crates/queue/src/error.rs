//! What can go wrong with a queue operation: [`QueueError`], with bad requests
//! ([`BadInput`], [`NameProblem`]) kept apart from backend failures, refused access apart
//! from other failures, and retriable failures apart from permanent ones.

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
    /// The backend refused the request: its credentials are wrong, or they do not allow this
    /// command on these keys (e.g. a Redis ACL user restricted to another scope's keys).
    /// Retrying will not help; the credentials or the request must change.
    #[error("queue backend refused access (check its user's permissions): {message}")]
    Denied {
        /// What was refused, e.g. "take on redis://worker-a:***@127.0.0.1:6379/".
        message: String,
        /// The client library's error, naming the permission that is missing.
        #[source]
        source: Option<BoxError>,
    },
    /// Part of a pushed batch went out and part did not: a networked backend pushes each
    /// scope's messages on their own, and one scope's part failed (its keys damaged, say).
    /// The messages at `failed` (positions in the batch, from 0) were not pushed; every
    /// other one was, so one scope's trouble holds up no other scope's messages.
    #[error("{} of the pushed messages were not pushed: {source}", failed.len())]
    PartlyPushed {
        /// Positions in the batch of the messages not pushed, ascending.
        failed: Vec<usize>,
        /// Why the first failing scope's part failed.
        #[source]
        source: Box<QueueError>,
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
        match self {
            Self::Unavailable { .. } => true,
            Self::PartlyPushed { source, .. } => source.is_retriable(),
            _ => false,
        }
    }

    /// The positions in a pushed batch of `len` messages that were not pushed, when this is
    /// the error of that push: those of [`PartlyPushed`](Self::PartlyPushed), else all.
    pub fn not_pushed(&self, len: usize) -> Vec<usize> {
        match self {
            Self::PartlyPushed { failed, .. } => failed.clone(),
            _ => (0..len).collect(),
        }
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
    /// A pushed message names a queue that cannot be (a bad scope, an empty queue after its
    /// scope, or the any-scope wildcard); nothing of the batch was pushed.
    #[error("message {index} of the pushed batch names queue {queue:?}: {problem}")]
    BadMessageQueue {
        /// The message's position in the batch, from 0.
        index: usize,
        /// The name it gave.
        queue: String,
        /// What is wrong with it.
        problem: NameProblem,
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
    /// `take` was given a queue name that cannot be (a bad scope or an empty queue after its
    /// scope).
    #[error("queue name {index} of the take ({queue:?}): {problem}")]
    BadTakeQueue {
        /// The name's position in the list, from 0.
        index: usize,
        /// The name.
        queue: String,
        /// What is wrong with it.
        problem: NameProblem,
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

/// What is wrong with a scoped queue name (`<scope>/<queue>`; see [`scope`](crate::scope)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameProblem {
    /// Nothing before the `/`.
    #[error("its scope (the text before the first '/') is empty")]
    EmptyScope,
    /// A scope longer than [`MAX_SCOPE_LEN`](crate::scope::MAX_SCOPE_LEN).
    #[error("its scope is {len} characters long; at most {max} are allowed", max = crate::scope::MAX_SCOPE_LEN)]
    ScopeTooLong {
        /// The scope's length.
        len: usize,
    },
    /// A scope with a character outside `a-z`, `0-9`, `_` and `-`.
    #[error("its scope {scope:?} has {found:?}; a scope may only hold a-z, 0-9, '_' and '-'")]
    ScopeCharacter {
        /// The scope.
        scope: String,
        /// The first character not allowed.
        found: char,
    },
    /// Nothing after the `/`.
    #[error("the queue after its scope is empty")]
    EmptyQueue,
    /// The wildcard scope `*` in a push: it only selects queues to take from.
    #[error("the scope '*' (every scope) can only be taken from; a message needs a real scope")]
    AnyScopeInPush,
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
        let denied = QueueError::Denied {
            message: "take on redis://w:***@h/".into(),
            source: None,
        };
        assert!(!denied.is_retriable());
        assert!(denied.to_string().contains("permissions"), "{denied}");
    }

    #[test]
    fn name_problems_say_what_to_fix() {
        let e = BadInput::BadMessageQueue {
            index: 2,
            queue: "Team/q".into(),
            problem: NameProblem::ScopeCharacter {
                scope: "Team".into(),
                found: 'T',
            },
        };
        assert_eq!(
            e.to_string(),
            "message 2 of the pushed batch names queue \"Team/q\": its scope \"Team\" has 'T'; \
             a scope may only hold a-z, 0-9, '_' and '-'"
        );
        let e = BadInput::BadTakeQueue {
            index: 0,
            queue: "a/".into(),
            problem: NameProblem::EmptyQueue,
        };
        assert_eq!(
            e.to_string(),
            "queue name 0 of the take (\"a/\"): the queue after its scope is empty"
        );
        let long = NameProblem::ScopeTooLong { len: 64 };
        assert!(long.to_string().contains("64") && long.to_string().contains("63"));
    }
}
