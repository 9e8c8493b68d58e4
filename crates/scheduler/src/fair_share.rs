//! Fair shares of the scheduler's `parallelism` among tenants, so that a tenant with a deep
//! backlog does not hold every slot while another tenant's tasks wait.
//!
//! Each tenant with ready tasks is due `parallelism × weight ÷ (sum of those tenants'
//! weights)` slots (at least one), less the slots it already holds; admission serves every
//! tenant up to what it is due, those furthest below their share first, and only then hands
//! the slots left over to whoever still has ready tasks, so no slot stays idle for fairness'
//! sake. A tenant alone gets every slot; a second tenant's first task takes the first slot
//! that frees.

use std::collections::BTreeMap;

/// A tenant with ready tasks: its weight and the slots it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Claim {
    /// Its share relative to the others' (at least 1).
    pub weight: u32,
    /// Slots its queued and running task instances hold.
    pub held: usize,
}

/// How many more slots each tenant of `claims` is due out of `parallelism`, and the order to
/// serve them in (furthest below its share first, then by name).
pub(crate) fn budgets(
    claims: &BTreeMap<String, Claim>,
    parallelism: usize,
) -> Vec<(String, usize)> {
    let total_weight: u64 = claims.values().map(|c| u64::from(c.weight.max(1))).sum();
    if total_weight == 0 {
        return Vec::new();
    }
    let parallelism = u64::try_from(parallelism).unwrap_or(u64::MAX);
    let mut due: Vec<(String, usize, u64, u64)> = claims
        .iter()
        .map(|(tenant, claim)| {
            let weight = u64::from(claim.weight.max(1));
            let share = (parallelism.saturating_mul(weight) / total_weight).max(1);
            let held = u64::try_from(claim.held).unwrap_or(u64::MAX);
            let budget = usize::try_from(share.saturating_sub(held)).unwrap_or(usize::MAX);
            (tenant.clone(), budget, held, weight)
        })
        .collect();
    // Furthest below its share first: the lowest held ÷ weight (compared as cross products).
    due.sort_by(|a, b| {
        (u128::from(a.2) * u128::from(b.3))
            .cmp(&(u128::from(b.2) * u128::from(a.3)))
            .then_with(|| a.0.cmp(&b.0))
    });
    due.into_iter()
        .map(|(tenant, budget, _, _)| (tenant, budget))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(list: &[(&str, u32, usize)]) -> BTreeMap<String, Claim> {
        list.iter()
            .map(|&(t, weight, held)| (t.to_owned(), Claim { weight, held }))
            .collect()
    }

    #[test]
    fn a_tenant_alone_is_due_every_slot() {
        assert_eq!(budgets(&claims(&[("a", 1, 0)]), 32), [("a".to_owned(), 32)]);
        assert_eq!(budgets(&claims(&[("a", 1, 30)]), 32), [("a".to_owned(), 2)]);
    }

    #[test]
    fn a_newcomer_is_served_first_and_the_flooder_is_due_nothing_more() {
        let due = budgets(&claims(&[("a", 1, 32), ("b", 1, 0)]), 32);
        assert_eq!(due, [("b".to_owned(), 16), ("a".to_owned(), 0)]);
    }

    #[test]
    fn weights_divide_the_slots() {
        let due = budgets(&claims(&[("a", 3, 0), ("b", 1, 0)]), 32);
        assert_eq!(due, [("a".to_owned(), 24), ("b".to_owned(), 8)]);
        // b holds 4 of its 8, a 12 of its 24: both are at half, a first by name.
        let due = budgets(&claims(&[("a", 3, 12), ("b", 1, 4)]), 32);
        assert_eq!(due, [("a".to_owned(), 12), ("b".to_owned(), 4)]);
    }

    #[test]
    fn every_tenant_is_due_a_slot_even_when_there_are_more_tenants_than_slots() {
        let many: Vec<(String, u32, usize)> = (0..5).map(|i| (format!("t{i}"), 1, 0)).collect();
        let list: Vec<(&str, u32, usize)> =
            many.iter().map(|(t, w, h)| (t.as_str(), *w, *h)).collect();
        let due = budgets(&claims(&list), 2);
        assert!(due.iter().all(|(_, budget)| *budget == 1), "{due:?}");
    }

    #[test]
    fn a_zero_weight_counts_as_one() {
        let due = budgets(&claims(&[("a", 0, 0), ("b", 1, 0)]), 10);
        assert_eq!(due, [("a".to_owned(), 5), ("b".to_owned(), 5)]);
    }
}
