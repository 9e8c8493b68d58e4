//! Slots: global parallelism, each DAG's max_active_tasks, each pool's slots and each task's
//! max_active_tis, counted over the task instances that are queued or running.

use std::collections::HashMap;

/// Counts by tenant, then by name (a DAG or a pool): looked up by `&str` without allocating.
pub type Counts<T> = HashMap<String, HashMap<String, T>>;

/// Slots taken, and pool sizes.
#[derive(Debug, Default)]
pub struct Capacity {
    /// Task instances queued or running, over all DAGs: held against `parallelism`.
    total: usize,
    /// Task instances queued or running by tenant and DAG: held against each DAG's
    /// `max_active_tasks`.
    per_dag: Counts<usize>,
    /// Task instances queued or running by tenant and pool: held against the pool's slots.
    per_pool: Counts<usize>,
    /// Each pool's slots, by tenant and pool (a pool not listed has none).
    pool_slots: Counts<i64>,
    /// Task instances queued or running by tenant, DAG and task: held against each task's
    /// `max_active_tis`.
    per_task: HashMap<String, Counts<usize>>,
    /// Slots held per tenant, for fair shares.
    per_tenant: HashMap<String, usize>,
}

/// The slots a task instance occupies: one of the global count, one of its DAG's and one of
/// its pool's.
pub struct Slot<'a> {
    /// The tenant the DAG and pool belong to (the same names may exist in other tenants).
    pub tenant: &'a str,
    /// The DAG whose `max_active_tasks` the task instance counts against.
    pub dag_id: &'a str,
    /// The pool whose slots the task instance counts against.
    pub pool: &'a str,
    /// The task it is an instance of.
    pub task_id: &'a str,
}

/// The count of `name` under `tenant`; zero when never counted.
fn get<T: Copy + Default>(counts: &Counts<T>, tenant: &str, name: &str) -> T {
    counts
        .get(tenant)
        .and_then(|names| names.get(name))
        .copied()
        .unwrap_or_default()
}

/// The count of `name` under `tenant`, to change; made at zero when new. Keys are copied
/// only when new: counting a slot taken allocates nothing once its names are known.
fn entry<'a, T: Default>(counts: &'a mut Counts<T>, tenant: &str, name: &str) -> &'a mut T {
    if !counts.contains_key(tenant) {
        counts.insert(tenant.to_owned(), HashMap::new());
    }
    let names = counts
        .get_mut(tenant)
        .expect("the tenant's counts were just made");
    if !names.contains_key(name) {
        names.insert(name.to_owned(), T::default());
    }
    names.get_mut(name).expect("the count was just made")
}

impl Capacity {
    /// Task instances queued or running, over all DAGs.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Whether a task instance in `slot` may be queued under these limits.
    pub fn fits(&self, slot: &Slot<'_>, parallelism: usize, max_active_tasks: u32) -> bool {
        let dag = get(&self.per_dag, slot.tenant, slot.dag_id);
        let in_pool = get(&self.per_pool, slot.tenant, slot.pool) as i64;
        let pool_slots = get(&self.pool_slots, slot.tenant, slot.pool);
        self.total < parallelism && dag < max_active_tasks as usize && in_pool < pool_slots
    }

    /// Slots held by `tenant`'s task instances.
    pub fn tenant_count(&self, tenant: &str) -> usize {
        self.per_tenant.get(tenant).copied().unwrap_or_default()
    }

    /// How many instances of the slot's task (across the DAG's runs) are queued or running.
    pub fn task_count(&self, slot: &Slot<'_>) -> usize {
        self.per_task
            .get(slot.tenant)
            .map_or(0, |dags| get(dags, slot.dag_id, slot.task_id))
    }

    /// Count a task instance in `slot` as taking its slots.
    pub fn take(&mut self, slot: &Slot<'_>) {
        if !self.per_task.contains_key(slot.tenant) {
            self.per_task.insert(slot.tenant.to_owned(), Counts::new());
        }
        if let Some(dags) = self.per_task.get_mut(slot.tenant) {
            *entry(dags, slot.dag_id, slot.task_id) += 1;
        }
        self.total += 1;
        if let Some(n) = self.per_tenant.get_mut(slot.tenant) {
            *n += 1;
        } else {
            self.per_tenant.insert(slot.tenant.to_owned(), 1);
        }
        *entry(&mut self.per_dag, slot.tenant, slot.dag_id) += 1;
        *entry(&mut self.per_pool, slot.tenant, slot.pool) += 1;
    }

    /// Give a task instance's slots back.
    pub fn give(&mut self, slot: &Slot<'_>) {
        if let Some(n) = self
            .per_task
            .get_mut(slot.tenant)
            .and_then(|dags| dags.get_mut(slot.dag_id))
            .and_then(|tasks| tasks.get_mut(slot.task_id))
        {
            *n = n.saturating_sub(1);
        }
        self.total = self.total.saturating_sub(1);
        if let Some(n) = self.per_tenant.get_mut(slot.tenant) {
            *n = n.saturating_sub(1);
        }
        if let Some(n) = self
            .per_dag
            .get_mut(slot.tenant)
            .and_then(|dags| dags.get_mut(slot.dag_id))
        {
            *n = n.saturating_sub(1);
        }
        if let Some(n) = self
            .per_pool
            .get_mut(slot.tenant)
            .and_then(|pools| pools.get_mut(slot.pool))
        {
            *n = n.saturating_sub(1);
        }
    }

    /// Set every pool of `tenant` with its size, as the store holds them: a pool not among
    /// them (deleted) has no slots.
    pub fn set_pools<'a>(&mut self, tenant: &str, pools: impl IntoIterator<Item = (&'a str, i64)>) {
        let sizes = pools
            .into_iter()
            .map(|(pool, slots)| (pool.to_owned(), slots))
            .collect();
        self.pool_slots.insert(tenant.to_owned(), sizes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_limit_counts() {
        let mut c = Capacity::default();
        c.set_pools("t", [("p", 2)]);
        let slot = Slot {
            tenant: "t",
            dag_id: "d",
            pool: "p",
            task_id: "a",
        };
        assert!(c.fits(&slot, 10, 10));
        assert_eq!(c.task_count(&slot), 0);
        c.take(&slot);
        c.take(&slot);
        assert!(!c.fits(&slot, 10, 10), "pool full");
        assert_eq!(c.task_count(&slot), 2);
        c.give(&slot);
        assert_eq!(c.task_count(&slot), 1);
        assert!(c.fits(&slot, 10, 10));
        assert!(!c.fits(&slot, 1, 10), "parallelism");
        assert!(!c.fits(&slot, 10, 1), "max_active_tasks");
        assert!(
            !c.fits(
                &Slot {
                    tenant: "t",
                    dag_id: "d",
                    pool: "unknown",
                    task_id: "a",
                },
                10,
                10
            ),
            "no such pool"
        );
        // Pools set as a whole: one left out is gone.
        c.set_pools("t", [("q", 1)]);
        assert!(!c.fits(&slot, 10, 10), "pool p deleted");
        c.set_pools("t", [("p", 3), ("q", 1)]);
        assert!(c.fits(&slot, 10, 10), "pool p made again, with room");
    }
}
