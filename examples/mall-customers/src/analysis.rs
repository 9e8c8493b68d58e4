//! Sorting and aggregating customers. Pure: no host calls.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::customers::Customer;

/// Figures for the customers of one gender.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenderStats {
    /// The gender, as written in the CSV.
    pub gender: String,
    /// Number of customers.
    pub count: usize,
    /// Mean age, in years.
    pub mean_age: f64,
    /// Mean annual income, in thousands of dollars.
    pub mean_annual_income_k: f64,
    /// Mean spending score.
    pub mean_spending_score: f64,
    /// Lowest spending score.
    pub min_spending_score: u32,
    /// Highest spending score.
    pub max_spending_score: u32,
}

/// The customers in ascending order of spending score; ties in ascending order of id.
pub fn sort_by_spending(mut customers: Vec<Customer>) -> Vec<Customer> {
    customers.sort_by_key(|c| (c.spending_score, c.customer_id));
    customers
}

/// Figures per gender, in alphabetical order of gender. Means are rounded to two decimals.
pub fn aggregate_by_gender(customers: &[Customer]) -> Vec<GenderStats> {
    #[derive(Default)]
    struct Sums {
        count: usize,
        age: u64,
        income: u64,
        score: u64,
        min_score: Option<u32>,
        max_score: Option<u32>,
    }
    let mut by_gender: BTreeMap<&str, Sums> = BTreeMap::new();
    for c in customers {
        let sums = by_gender.entry(c.gender.as_str()).or_default();
        sums.count += 1;
        sums.age += u64::from(c.age);
        sums.income += u64::from(c.annual_income_k);
        sums.score += u64::from(c.spending_score);
        sums.min_score = Some(
            sums.min_score
                .map_or(c.spending_score, |m| m.min(c.spending_score)),
        );
        sums.max_score = Some(
            sums.max_score
                .map_or(c.spending_score, |m| m.max(c.spending_score)),
        );
    }
    by_gender
        .into_iter()
        .map(|(gender, s)| GenderStats {
            gender: gender.to_owned(),
            count: s.count,
            mean_age: mean(s.age, s.count),
            mean_annual_income_k: mean(s.income, s.count),
            mean_spending_score: mean(s.score, s.count),
            min_spending_score: s.min_score.unwrap_or_default(),
            max_spending_score: s.max_score.unwrap_or_default(),
        })
        .collect()
}

/// `sum / count`, rounded to two decimals; `count` is never 0 here.
fn mean(sum: u64, count: usize) -> f64 {
    let value = sum as f64 / count.max(1) as f64;
    (value * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer(id: u32, gender: &str, age: u32, income: u32, score: u32) -> Customer {
        Customer {
            customer_id: id,
            gender: gender.into(),
            age,
            annual_income_k: income,
            spending_score: score,
        }
    }

    #[test]
    fn sorts_by_spending_score_then_id() {
        let sorted = sort_by_spending(vec![
            customer(5, "Male", 30, 40, 50),
            customer(2, "Female", 30, 40, 10),
            customer(9, "Male", 30, 40, 50),
            customer(1, "Female", 30, 40, 50),
            customer(3, "Male", 30, 40, 99),
        ]);
        let order: Vec<_> = sorted.iter().map(|c| c.customer_id).collect();
        assert_eq!(order, [2, 1, 5, 9, 3]);
    }

    #[test]
    fn sorting_nothing_gives_nothing() {
        assert!(sort_by_spending(Vec::new()).is_empty());
    }

    #[test]
    fn aggregates_count_means_and_extremes_per_gender() {
        let stats = aggregate_by_gender(&[
            customer(1, "Male", 20, 30, 40),
            customer(2, "Female", 25, 50, 90),
            customer(3, "Male", 31, 60, 10),
            customer(4, "Male", 40, 91, 77),
        ]);
        assert_eq!(
            stats,
            [
                GenderStats {
                    gender: "Female".into(),
                    count: 1,
                    mean_age: 25.0,
                    mean_annual_income_k: 50.0,
                    mean_spending_score: 90.0,
                    min_spending_score: 90,
                    max_spending_score: 90,
                },
                GenderStats {
                    gender: "Male".into(),
                    count: 3,
                    mean_age: 30.33,
                    mean_annual_income_k: 60.33,
                    mean_spending_score: 42.33,
                    min_spending_score: 10,
                    max_spending_score: 77,
                },
            ]
        );
    }

    #[test]
    fn no_customers_means_no_groups() {
        assert!(aggregate_by_gender(&[]).is_empty());
    }
}
