//! The statistics behind the tables, as plain functions with their textbook definitions.

use statrs::distribution::{ChiSquared, ContinuousCDF, StudentsT};

/// z for a two-sided 95% interval: the 0.975 quantile of the standard normal.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// Wilson score interval for `k` successes out of `n` (weighted counts allowed), at `z`.
/// Returns `(low, high)` as proportions; `None` when `n` is 0.
pub fn wilson(k: f64, n: f64, z: f64) -> Option<(f64, f64)> {
    if n <= 0.0 {
        return None;
    }
    let p = k / n;
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let margin = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    Some(((centre - margin).max(0.0), (centre + margin).min(1.0)))
}

/// The 0.975 quantile of Student's t with `df` degrees of freedom.
pub fn t_975(df: f64) -> Option<f64> {
    if df < 1.0 {
        return None;
    }
    StudentsT::new(0.0, 1.0, df)
        .ok()
        .map(|t| t.inverse_cdf(0.975))
}

/// Upper tail probability of the chi-square distribution: the p-value of a statistic.
pub fn chi_square_p(statistic: f64, df: f64) -> Option<f64> {
    if df < 1.0 || !statistic.is_finite() {
        return None;
    }
    ChiSquared::new(df).ok().map(|c| c.sf(statistic))
}

/// Kish's effective sample size of a set of weights: (Σw)² / Σw².
pub fn kish_effective_n(sum_w: f64, sum_w2: f64) -> f64 {
    if sum_w2 > 0.0 {
        sum_w * sum_w / sum_w2
    } else {
        0.0
    }
}

/// Quantile by linear interpolation between order statistics (Hyndman and Fan type 7, the
/// default of R and of spreadsheets). `sorted` must be sorted ascending and non-empty.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() || !(0.0..=1.0).contains(&q) {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}
