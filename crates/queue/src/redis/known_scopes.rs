//! [`KnownScopes`]: the scope registry as a `*/<queue>` take last read it, so that a worker
//! kept busy asks Redis for its tasks in one round trip rather than two.
//!
//! The list is read again when it is older than [`FRESH_FOR`], when a take with it found
//! nothing and gives up, and after a wait that a new scope ended (the wait watches the
//! registry's signal after the entry the list was read with, so a scope made since the read
//! ends the wait at once). So a take never misses a scope for want of looking: only which
//! scope a busy worker serves next may lag a new one by up to [`FRESH_FOR`].

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// How long a read of the registry serves takes.
pub(super) const FRESH_FOR: Duration = Duration::from_secs(1);

/// A read of the scope registry.
#[derive(Debug, Clone)]
pub(super) struct Read {
    /// The id of the registry signal's last entry when read.
    pub(super) seen: String,
    /// Every scope pushed to.
    pub(super) scopes: Vec<String>,
}

/// The last read of the scope registry, and when it was made.
#[derive(Debug, Default)]
pub(super) struct KnownScopes {
    last: Mutex<Option<(Instant, Read)>>,
}

impl KnownScopes {
    /// The last read, if still fresh.
    pub(super) fn fresh(&self) -> Option<Read> {
        let last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        last.as_ref()
            .filter(|(at, _)| at.elapsed() < FRESH_FOR)
            .map(|(_, read)| read.clone())
    }

    /// Keep `read`, made now.
    pub(super) fn keep(&self, read: &Read) {
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        *last = Some((Instant::now(), read.clone()));
    }

    /// Forget the last read: a scope was registered while a take waited, or a take with it
    /// found nothing and gives up.
    pub(super) fn forget(&self) {
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        *last = None;
    }
}
