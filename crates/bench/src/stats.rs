//! Order statistics of samples: median, percentiles, mean.
//!
//! Percentiles use the nearest-rank method (`p99` of 300 samples is the 297th smallest);
//! the median of an even number of samples is the mean of the two middle ones.

use serde::{Deserialize, Serialize};

/// A summary of samples, in their unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// How many samples.
    pub count: usize,
    /// The smallest.
    pub min: f64,
    /// The median (p50).
    pub median: f64,
    /// The arithmetic mean.
    pub mean: f64,
    /// The 99th percentile (nearest rank).
    pub p99: f64,
    /// The largest.
    pub max: f64,
}

impl Summary {
    /// The summary of `samples`; `None` when there are none or one is not a number.
    pub fn of(samples: &[f64]) -> Option<Summary> {
        let sorted = sorted(samples)?;
        let count = sorted.len();
        Some(Summary {
            count,
            min: sorted[0],
            median: median_of_sorted(&sorted),
            mean: sorted.iter().sum::<f64>() / count as f64,
            p99: percentile_of_sorted(&sorted, 99.0),
            max: sorted[count - 1],
        })
    }
}

/// The median of `samples`; `None` when there are none or one is not a number.
pub fn median(samples: &[f64]) -> Option<f64> {
    sorted(samples).map(|s| median_of_sorted(&s))
}

/// The `p`th percentile (0 to 100, nearest rank) of `samples`; `None` when there are none,
/// one is not a number, or `p` is out of range.
pub fn percentile(samples: &[f64], p: f64) -> Option<f64> {
    if !(0.0..=100.0).contains(&p) {
        return None;
    }
    sorted(samples).map(|s| percentile_of_sorted(&s, p))
}

fn sorted(samples: &[f64]) -> Option<Vec<f64>> {
    if samples.is_empty() || samples.iter().any(|x| x.is_nan()) {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    Some(sorted)
}

fn median_of_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

fn percentile_of_sorted(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    let rank = ((p / 100.0) * n as f64).ceil() as usize;
    sorted[rank.clamp(1, n) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[7.0]), Some(7.0));
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let samples: Vec<f64> = (1..=300).map(f64::from).collect();
        assert_eq!(percentile(&samples, 99.0), Some(297.0));
        assert_eq!(percentile(&samples, 50.0), Some(150.0));
        assert_eq!(percentile(&samples, 100.0), Some(300.0));
        assert_eq!(percentile(&samples, 0.0), Some(1.0));
        let few = [5.0, 1.0, 9.0];
        assert_eq!(percentile(&few, 99.0), Some(9.0));
    }

    #[test]
    fn summary_holds_every_figure() {
        let s = Summary::of(&[2.0, 4.0, 6.0, 8.0]).expect("summary");
        assert_eq!(s.count, 4);
        assert_eq!(s.min, 2.0);
        assert_eq!(s.max, 8.0);
        assert_eq!(s.median, 5.0);
        assert_eq!(s.mean, 5.0);
        assert_eq!(s.p99, 8.0);
    }

    #[test]
    fn no_samples_or_bad_ones_give_nothing() {
        assert_eq!(Summary::of(&[]), None);
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[1.0, f64::NAN]), None);
        assert_eq!(percentile(&[1.0], 101.0), None);
        assert_eq!(percentile(&[1.0], -1.0), None);
    }
}
