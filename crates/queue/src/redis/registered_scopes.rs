//! [`RegisteredScopes`]: the scopes this queue's pushes registered lately, so that a push to a
//! scope does not run the `register` script each time.
//!
//! The registry only grows (no scope leaves it), so registering a scope again changes nothing
//! while the server keeps its contents. A push skips it for a scope registered within the last
//! [`KEPT_FOR`] whose contents are still those it saw then: the push script answers with the
//! scope's generation and whether it made it, and a different one, or one it made (the server
//! lost its contents, the registry with them), registers the scope again at once. A registry
//! lost on its own (deleted by hand, evicted by a server not set to `noeviction`) is mended by
//! the next push after [`KEPT_FOR`].

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// How long a registration spares later pushes to its scope from registering it again.
pub(super) const KEPT_FOR: Duration = Duration::from_secs(1);
/// Past this many scopes kept, registrations older than [`KEPT_FOR`] are dropped.
const PRUNE_PAST: usize = 1024;

/// Registrations by scope: when, and the scope's generation at the time.
#[derive(Debug, Default)]
pub(super) struct RegisteredScopes {
    by_scope: Mutex<HashMap<String, (Instant, String)>>,
}

impl RegisteredScopes {
    /// The generation `scope` had when registered, if that was within [`KEPT_FOR`] of `now`.
    pub(super) fn fresh(&self, scope: &str, now: Instant) -> Option<String> {
        let by_scope = self.by_scope.lock().unwrap_or_else(PoisonError::into_inner);
        by_scope
            .get(scope)
            .filter(|(at, _)| now.saturating_duration_since(*at) < KEPT_FOR)
            .map(|(_, generation)| generation.clone())
    }

    /// `scope` was registered at `at`, with its contents of `generation`.
    pub(super) fn keep(&self, scope: &str, generation: String, at: Instant) {
        let mut by_scope = self.by_scope.lock().unwrap_or_else(PoisonError::into_inner);
        if by_scope.len() >= PRUNE_PAST {
            by_scope.retain(|_, (kept, _)| at.saturating_duration_since(*kept) < KEPT_FOR);
        }
        by_scope.insert(scope.to_owned(), (at, generation));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registration_serves_for_its_time_only() {
        let registered = RegisteredScopes::default();
        let at = Instant::now();
        assert_eq!(registered.fresh("team-a", at), None);
        registered.keep("team-a", "g1".into(), at);
        assert_eq!(registered.fresh("team-a", at), Some("g1".into()));
        let later = at + KEPT_FOR - Duration::from_millis(1);
        assert_eq!(registered.fresh("team-a", later), Some("g1".into()));
        assert_eq!(registered.fresh("team-a", at + KEPT_FOR), None);
        assert_eq!(registered.fresh("team-b", at), None);
    }

    #[test]
    fn many_scopes_drop_their_stale_registrations() {
        let registered = RegisteredScopes::default();
        let at = Instant::now();
        for n in 0..PRUNE_PAST {
            registered.keep(&format!("old-{n}"), "g".into(), at);
        }
        let later = at + KEPT_FOR;
        registered.keep("new", "g".into(), later);
        let kept = registered
            .by_scope
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        assert_eq!(kept, 1, "only the fresh registration is left");
        assert_eq!(registered.fresh("new", later), Some("g".into()));
    }
}
