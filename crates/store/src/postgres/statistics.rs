//! Fresh planner statistics for `task_instances` (and `dag_runs`, which batch updates join
//! too) while they grow.
//!
//! sqlx prepares each statement once per connection, and after five runs PostgreSQL plans a
//! prepared statement once for any arguments, from the table's statistics at that moment.
//! Made while `task_instances` is small (a new installation, a table just emptied), the plan
//! of a batch update joins the batch to a scan of the whole table, and keeps doing so as the
//! table grows into millions of rows, until an ANALYZE replaces the statistics and with them
//! every plan built on them. Autovacuum does that only after its next pass. The store counts
//! the task instances it creates and asks for statistics itself each time the count doubles
//! (from [`FIRST_MARK`]): a handful of ANALYZEs over a table's life, each a sample of at most
//! 30,000 rows that does not block writers.

use std::sync::atomic::{AtomicU64, Ordering};

/// What the store runs when the count passes a mark.
pub(super) const ANALYZE: &str = "ANALYZE task_instances, dag_runs";

/// The first count of created task instances at which statistics are taken.
pub(super) const FIRST_MARK: u64 = 1024;

/// Task instances this store has created, and the count at which statistics are next taken.
#[derive(Debug)]
pub(super) struct Growth {
    created: AtomicU64,
    next_mark: AtomicU64,
}

impl Default for Growth {
    fn default() -> Self {
        Growth {
            created: AtomicU64::new(0),
            next_mark: AtomicU64::new(FIRST_MARK),
        }
    }
}

impl Growth {
    /// Count `count` new task instances; true when the total has just passed the next mark,
    /// which then moves to twice the total. Of callers racing past one mark, one gets true.
    pub(super) fn count(&self, count: usize) -> bool {
        let count = u64::try_from(count).unwrap_or(u64::MAX);
        let total = self
            .created
            .fetch_add(count, Ordering::Relaxed)
            .saturating_add(count);
        let mark = self.next_mark.load(Ordering::Relaxed);
        total >= mark
            && self
                .next_mark
                .compare_exchange(
                    mark,
                    total.saturating_mul(2),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_are_asked_for_each_time_the_count_doubles() {
        let growth = Growth::default();
        let marks: Vec<u64> = (1..=10_000u64)
            .filter(|_| growth.count(1))
            .map(|_| growth.created.load(Ordering::Relaxed))
            .collect();
        assert_eq!(marks, [1024, 2048, 4096, 8192]);
        // A big run passes several marks at once and asks once; the next mark is twice it.
        assert!(growth.count(100_000));
        assert_eq!(growth.next_mark.load(Ordering::Relaxed), 2 * 110_000);
        assert!(!growth.count(0));
    }
}
