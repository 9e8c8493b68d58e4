//! Random-enough ids (generations) without a random-number dependency: std's randomly keyed
//! hasher over the time, the process id and a counter.

use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// 32 hex digits (128 bits), different on every call, in every process.
pub(crate) fn random_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    // Each `RandomState` has its own keys, seeded from the OS once per thread.
    let state = RandomState::new();
    let high = state.hash_one((count, nanos, std::process::id(), 0u8));
    let low = state.hash_one((count, nanos, std::process::id(), 1u8));
    format!("{high:016x}{low:016x}")
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::random_id;

    #[test]
    fn ids_are_hex_and_distinct() {
        let ids: HashSet<String> = (0..1000).map(|_| random_id()).collect();
        assert_eq!(ids.len(), 1000);
        for id in &ids {
            assert_eq!(id.len(), 32, "{id}");
            assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
        }
    }
}
