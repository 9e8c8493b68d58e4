//! Fair shares of the scheduler's `parallelism` among tenants, so that a tenant with a deep
//! backlog does not hold every slot while another tenant's tasks wait.
//!
//! Each tenant with ready tasks is due `parallelism × weight ÷ (sum of those tenants'
//! weights)` slots (at least one), less the slots it already holds; admission serves every
//! tenant up to what it is due, those furthest below their share first, and only then hands
//! the slots left over to whoever still has ready tasks, so no slot stays idle for fairness'
//! sake. Ties — and the turns when there are more tenants than slots — go to the tenant
//! served least lately for its weight: each admitted task advances its tenant's *pass* by
//! [`STRIDE`] ÷ weight (stride scheduling), and the lowest pass goes first.
//!
//! There is no preemption: a slot a tenant took while no one else waited stays its own until
//! its task ends.

/// What one admitted task adds to its tenant's pass, divided by the tenant's weight.
pub(crate) const STRIDE: u64 = 1_000_000;

/// A tenant with ready tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Claim {
    /// Its share relative to the others' (at least 1).
    pub weight: u32,
    /// Slots its queued and running task instances hold.
    pub held: usize,
    /// How much it has been served, in strides (see the [module](self)).
    pub pass: u64,
}

impl Claim {
    /// What admitting `admitted` tasks adds to the pass.
    pub(crate) fn advance(weight: u32, admitted: usize) -> u64 {
        let admitted = u64::try_from(admitted).unwrap_or(u64::MAX);
        admitted.saturating_mul(STRIDE / u64::from(weight.max(1)))
    }
}

/// How many more slots each tenant of `claims` is due out of `parallelism`, as (index in
/// `claims`, slots), in the order to serve them: furthest below its share first, then the
/// lowest pass, then the lowest index.
pub(crate) fn budgets(claims: &[Claim], parallelism: usize) -> Vec<(usize, usize)> {
    let total_weight: u64 = claims.iter().map(|c| u64::from(c.weight.max(1))).sum();
    let parallelism = u64::try_from(parallelism).unwrap_or(u64::MAX);
    let mut due: Vec<(usize, usize)> = claims
        .iter()
        .enumerate()
        .map(|(i, claim)| {
            let weight = u64::from(claim.weight.max(1));
            let share = (parallelism.saturating_mul(weight) / total_weight.max(1)).max(1);
            let held = u64::try_from(claim.held).unwrap_or(u64::MAX);
            (
                i,
                usize::try_from(share.saturating_sub(held)).unwrap_or(usize::MAX),
            )
        })
        .collect();
    // Furthest below its share first: the lowest held ÷ weight (compared as cross products).
    due.sort_by(|&(a, _), &(b, _)| {
        let (x, y) = (&claims[a], &claims[b]);
        let held = |c: &Claim| u128::try_from(c.held).unwrap_or(u128::MAX);
        (held(x) * u128::from(y.weight.max(1)))
            .cmp(&(held(y) * u128::from(x.weight.max(1))))
            .then(x.pass.cmp(&y.pass))
            .then(a.cmp(&b))
    });
    due
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(weight: u32, held: usize) -> Claim {
        Claim {
            weight,
            held,
            pass: 0,
        }
    }

    #[test]
    fn a_tenant_alone_is_due_every_slot() {
        assert_eq!(budgets(&[claim(1, 0)], 32), [(0, 32)]);
        assert_eq!(budgets(&[claim(1, 30)], 32), [(0, 2)]);
    }

    #[test]
    fn a_newcomer_is_served_first_and_the_flooder_is_due_nothing_more() {
        assert_eq!(budgets(&[claim(1, 32), claim(1, 0)], 32), [(1, 16), (0, 0)]);
    }

    #[test]
    fn weights_divide_the_slots() {
        assert_eq!(budgets(&[claim(3, 0), claim(1, 0)], 32), [(0, 24), (1, 8)]);
        // Both at half their share: the first index goes first.
        assert_eq!(budgets(&[claim(3, 12), claim(1, 4)], 32), [(0, 12), (1, 4)]);
    }

    #[test]
    fn with_more_tenants_than_slots_the_least_served_goes_first() {
        let mut claims: Vec<Claim> = (0..5).map(|_| claim(1, 0)).collect();
        let due = budgets(&claims, 2);
        assert!(due.iter().all(|&(_, budget)| budget == 1), "{due:?}");
        assert_eq!(due[0].0, 0);
        claims[0].pass = Claim::advance(1, 1);
        claims[1].pass = Claim::advance(1, 1);
        let due = budgets(&claims, 2);
        assert_eq!(
            due.iter().map(|&(i, _)| i).collect::<Vec<_>>(),
            [2, 3, 4, 0, 1]
        );
    }

    #[test]
    fn a_heavier_tenant_advances_more_slowly() {
        assert_eq!(Claim::advance(1, 2), 2 * STRIDE);
        assert_eq!(Claim::advance(1000, 2), 2 * (STRIDE / 1000));
        assert_eq!(Claim::advance(0, 1), STRIDE, "a zero weight counts as one");
        let heavy = Claim {
            weight: 1000,
            held: 0,
            pass: Claim::advance(1000, 1),
        };
        let light = Claim {
            weight: 1,
            held: 0,
            pass: Claim::advance(1, 1),
        };
        assert_eq!(budgets(&[light, heavy], 1)[0].0, 1);
    }

    #[test]
    fn a_zero_weight_counts_as_one() {
        assert_eq!(budgets(&[claim(0, 0), claim(1, 0)], 10), [(0, 5), (1, 5)]);
    }
}
