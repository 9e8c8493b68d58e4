//! Sorting and aggregating customers. Pure: no host calls.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::customers::{Customer, Customers};

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

/// A table of customers in the order of [`sort_by_spending`]. Ids are unique, so ties on
/// the key cannot happen and an unstable sort (in place, no extra memory) is exact.
pub fn sort_table_by_spending(customers: &mut Customers) {
    customers.sort_unstable_by_key(|row| (row.spending_score, row.customer_id));
}

/// Figures per gender, in alphabetical order of gender. Means are rounded to two decimals.
pub fn aggregate_by_gender(customers: &[Customer]) -> Vec<GenderStats> {
    let mut tally = GenderTally::default();
    for c in customers {
        tally.add(&c.gender, c.age, c.annual_income_k, c.spending_score);
    }
    tally.finish()
}

/// Sums per gender, fed one customer at a time: rows streamed from a file need not be kept.
#[derive(Debug, Default)]
pub struct GenderTally {
    by_gender: BTreeMap<String, Sums>,
}

/// Running sums of one gender.
#[derive(Debug)]
struct Sums {
    count: usize,
    age: u64,
    income: u64,
    score: u64,
    min_score: u32,
    max_score: u32,
}

impl Sums {
    /// No customer yet.
    const NONE: Sums = Sums {
        count: 0,
        age: 0,
        income: 0,
        score: 0,
        min_score: u32::MAX,
        max_score: 0,
    };

    fn add(&mut self, age: u32, annual_income_k: u32, spending_score: u32) {
        self.count += 1;
        self.age += u64::from(age);
        self.income += u64::from(annual_income_k);
        self.score += u64::from(spending_score);
        self.min_score = self.min_score.min(spending_score);
        self.max_score = self.max_score.max(spending_score);
    }
}

impl GenderTally {
    /// Count one customer.
    pub fn add(&mut self, gender: &str, age: u32, annual_income_k: u32, spending_score: u32) {
        // Look up by `&str` first: a new `String` only for a gender not seen yet.
        if let Some(sums) = self.by_gender.get_mut(gender) {
            sums.add(age, annual_income_k, spending_score);
            return;
        }
        let mut sums = Sums::NONE;
        sums.add(age, annual_income_k, spending_score);
        self.by_gender.insert(gender.to_owned(), sums);
    }

    /// Figures per gender, in alphabetical order of gender. Means are rounded to two decimals.
    pub fn finish(self) -> Vec<GenderStats> {
        self.by_gender
            .into_iter()
            .map(|(gender, s)| GenderStats {
                gender,
                count: s.count,
                mean_age: mean(s.age, s.count),
                mean_annual_income_k: mean(s.income, s.count),
                mean_spending_score: mean(s.score, s.count),
                min_spending_score: s.min_score,
                max_spending_score: s.max_score,
            })
            .collect()
    }
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
    fn a_table_sorts_in_the_same_order() {
        let rows = crate::customers::parse_csv(crate::sample::SAMPLE_CSV).expect("valid");
        let mut table = Customers::read(crate::sample::SAMPLE_CSV.as_bytes(), 0).expect("valid");
        sort_table_by_spending(&mut table);
        assert_eq!(table.to_vec(), sort_by_spending(rows));
    }

    #[test]
    fn the_tally_fed_row_by_row_gives_the_same_figures() {
        let rows = crate::customers::parse_csv(crate::sample::SAMPLE_CSV).expect("valid");
        let mut tally = GenderTally::default();
        for c in rows.iter().rev() {
            tally.add(&c.gender, c.age, c.annual_income_k, c.spending_score);
        }
        assert_eq!(tally.finish(), aggregate_by_gender(&rows));
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
