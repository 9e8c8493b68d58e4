//! [`Failing`]: scopes a take passed over because their part failed, said in the log once in
//! a while rather than on every take (a worker polls; a scope whose keys are damaged, or
//! whose user is refused, fails every time).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::error::QueueError;

/// How often the same scope's failure is logged again.
const SAY_AGAIN_AFTER: Duration = Duration::from_secs(30);

/// When each failing scope's failure was last logged.
#[derive(Debug, Default)]
pub(super) struct Failing {
    said: Mutex<HashMap<Option<String>, Instant>>,
}

impl Failing {
    /// Log that `scope`'s part of a take failed with `error`, unless that was said lately.
    pub(super) fn warn(&self, scope: Option<&str>, error: &QueueError) {
        let now = Instant::now();
        let mut said = self.said.lock().unwrap_or_else(PoisonError::into_inner);
        let key = scope.map(str::to_owned);
        if said
            .get(&key)
            .is_some_and(|at| now.duration_since(*at) < SAY_AGAIN_AFTER)
        {
            return;
        }
        said.insert(key, now);
        tracing::warn!(
            scope = scope.unwrap_or("(none)"),
            %error,
            "a scope's queues could not be read; serving the other scopes (said again in 30 s if it goes on)"
        );
    }
}
