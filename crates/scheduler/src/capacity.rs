//! Slots: global parallelism, each DAG's max_active_tasks and each pool's slots, counted
//! over the task instances that are queued or running.

use std::collections::HashMap;

/// A DAG, by tenant and id.
pub type DagKey = (String, String);
/// A pool, by tenant and name.
pub type PoolKey = (String, String);

/// Counts of task instances in flight (queued or running).
#[derive(Debug, Default)]
pub struct Capacity {
    /// In flight across everything.
    pub total: usize,
    /// In flight per DAG.
    pub per_dag: HashMap<DagKey, usize>,
    /// In flight per pool.
    pub per_pool: HashMap<PoolKey, usize>,
    /// Slots of each known pool.
    pub pool_slots: HashMap<PoolKey, i64>,
}

/// Where a task instance would count.
pub struct Slot<'a> {
    /// Tenant.
    pub tenant: &'a str,
    /// DAG.
    pub dag_id: &'a str,
    /// Pool.
    pub pool: &'a str,
}

impl Capacity {
    /// Whether one more task instance fits under `parallelism`, the DAG's `max_active_tasks`
    /// and its pool's slots (an unknown pool has none).
    pub fn fits(&self, slot: &Slot<'_>, parallelism: usize, max_active_tasks: u32) -> bool {
        let dag = self
            .per_dag
            .get(&(slot.tenant.to_owned(), slot.dag_id.to_owned()))
            .copied()
            .unwrap_or(0);
        let pool_key = (slot.tenant.to_owned(), slot.pool.to_owned());
        let in_pool = self.per_pool.get(&pool_key).copied().unwrap_or(0) as i64;
        let pool_slots = self.pool_slots.get(&pool_key).copied().unwrap_or(0);
        self.total < parallelism && dag < max_active_tasks as usize && in_pool < pool_slots
    }

    /// Count one more in flight.
    pub fn take(&mut self, slot: &Slot<'_>) {
        self.total += 1;
        *self
            .per_dag
            .entry((slot.tenant.to_owned(), slot.dag_id.to_owned()))
            .or_default() += 1;
        *self
            .per_pool
            .entry((slot.tenant.to_owned(), slot.pool.to_owned()))
            .or_default() += 1;
    }

    /// Count one fewer in flight.
    pub fn give(&mut self, slot: &Slot<'_>) {
        self.total = self.total.saturating_sub(1);
        if let Some(n) = self
            .per_dag
            .get_mut(&(slot.tenant.to_owned(), slot.dag_id.to_owned()))
        {
            *n = n.saturating_sub(1);
        }
        if let Some(n) = self
            .per_pool
            .get_mut(&(slot.tenant.to_owned(), slot.pool.to_owned()))
        {
            *n = n.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_limit_counts() {
        let mut c = Capacity::default();
        c.pool_slots.insert(("t".into(), "p".into()), 2);
        let slot = Slot {
            tenant: "t",
            dag_id: "d",
            pool: "p",
        };
        assert!(c.fits(&slot, 10, 10));
        c.take(&slot);
        c.take(&slot);
        assert!(!c.fits(&slot, 10, 10), "pool full");
        c.give(&slot);
        assert!(c.fits(&slot, 10, 10));
        assert!(!c.fits(&slot, 1, 10), "parallelism");
        assert!(!c.fits(&slot, 10, 1), "max_active_tasks");
        assert!(
            !c.fits(
                &Slot {
                    tenant: "t",
                    dag_id: "d",
                    pool: "unknown"
                },
                10,
                10
            ),
            "no such pool"
        );
    }
}
