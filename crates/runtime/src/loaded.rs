//! The components a runtime keeps loaded: the most recently used, up to
//! [`RuntimeConfig::max_loaded_components`](crate::RuntimeConfig::max_loaded_components). A
//! long-lived server describes every version ever deployed and a worker loads every version
//! it runs; kept without bound, their compiled code would grow with them. A component let go
//! here lives on while attempts hold it, and loading it again takes its optimized code from
//! the compile cache.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::digest::Digest;

/// Loaded things by digest, the least recently used let go beyond `max`.
pub(crate) struct Loaded<T> {
    max: usize,
    inner: Mutex<Inner<T>>,
}

struct Inner<T> {
    /// Counts uses: an entry's stamp is the count at its last use.
    clock: u64,
    entries: HashMap<Digest, (Arc<T>, u64)>,
}

impl<T> Inner<T> {
    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }
}

impl<T> Loaded<T> {
    /// Room for `max` (at least one).
    pub(crate) fn new(max: usize) -> Loaded<T> {
        Loaded {
            max: max.max(1),
            inner: Mutex::new(Inner {
                clock: 0,
                entries: HashMap::new(),
            }),
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner<T>> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The thing of `digest`, if kept; it becomes the most recently used.
    pub(crate) fn get(&self, digest: &Digest) -> Option<Arc<T>> {
        let mut inner = self.inner();
        let now = inner.tick();
        let (thing, used) = inner.entries.get_mut(digest)?;
        *used = now;
        Some(thing.clone())
    }

    /// Keep `thing` under `digest`, letting the least recently used go beyond the room. When
    /// one is kept under `digest` already (two loads at once), that one stays and is
    /// returned.
    pub(crate) fn keep(&self, digest: Digest, thing: Arc<T>) -> Arc<T> {
        let mut inner = self.inner();
        let now = inner.tick();
        if let Some((first, used)) = inner.entries.get_mut(&digest) {
            *used = now;
            return first.clone();
        }
        inner.entries.insert(digest, (thing.clone(), now));
        // One in, so at most one out.
        if inner.entries.len() > self.max
            && let Some(oldest) = inner
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(digest, _)| *digest)
        {
            inner.entries.remove(&oldest);
            tracing::debug!(digest = %oldest, "component let go: the least recently used beyond the room");
        }
        thing
    }

    /// How many are kept.
    pub(crate) fn len(&self) -> usize {
        self.inner().entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(n: u8) -> Digest {
        Digest::of(&[n])
    }

    #[test]
    fn the_least_recently_used_goes_beyond_the_room() {
        let loaded = Loaded::new(2);
        loaded.keep(digest(1), Arc::new("one"));
        loaded.keep(digest(2), Arc::new("two"));
        // Using the first makes the second the least recently used.
        assert_eq!(loaded.get(&digest(1)).as_deref(), Some(&"one"));
        loaded.keep(digest(3), Arc::new("three"));
        assert_eq!(loaded.len(), 2);
        assert!(loaded.get(&digest(2)).is_none());
        assert_eq!(loaded.get(&digest(1)).as_deref(), Some(&"one"));
        assert_eq!(loaded.get(&digest(3)).as_deref(), Some(&"three"));
    }

    #[test]
    fn the_first_kept_of_one_digest_stays() {
        let loaded = Loaded::new(4);
        let first = loaded.keep(digest(1), Arc::new(String::from("first")));
        let second = loaded.keep(digest(1), Arc::new(String::from("second")));
        assert!(Arc::ptr_eq(&first, &second));
        assert_eq!(loaded.len(), 1);
    }

    #[test]
    fn a_thing_let_go_lives_on_where_it_is_held() {
        let loaded = Loaded::new(0);
        let held = loaded.keep(digest(1), Arc::new(String::from("held")));
        loaded.keep(digest(2), Arc::new(String::from("next")));
        assert_eq!(loaded.len(), 1, "room for one at least");
        assert!(loaded.get(&digest(1)).is_none());
        assert_eq!(held.as_str(), "held");
    }
}
