//! Table estimates, and the summary's accumulator. Frequencies and crosstabs are counted by
//! `aggregation` (dense counters by code number, the one accumulation path of every table);
//! [`Frequency`] and [`Crosstab`] are their counts by code, read into percentages, intervals
//! and tests. A [`Summary`] adds and merges its own moments; its quartiles keep its values
//! (exact quartiles by sorting: memory grows with the answers to that one question).

use crate::stats::{Z_95, chi_square_p, kish_effective_n, quantile_sorted, t_975, wilson};
use std::collections::{BTreeMap, BTreeSet};

/// The answers to a select question, counted per choice code (by the aggregation).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Frequency {
    /// Weighted count of records that chose each code.
    pub counts: BTreeMap<String, f64>,
    /// Weighted number of records with an answer (respondents).
    pub respondents: f64,
    /// Σw² over respondents, for Kish's effective n.
    pub respondents_w2: f64,
    /// Weighted number of codes given (responses; more than respondents for select_multiple).
    pub responses: f64,
    /// Weighted number of records without an answer.
    pub missing: f64,
}

/// One line of a frequency table.
#[derive(Clone, Debug, PartialEq)]
pub struct FrequencyRow {
    pub code: String,
    pub count: f64,
    /// Percent of respondents (what a select_one table shows).
    pub percent: f64,
    /// Percent of responses (for select_multiple; equals `percent` for select_one).
    pub percent_of_responses: f64,
    /// Wilson 95% interval of `percent`, computed on Kish's effective n.
    pub ci_low: f64,
    pub ci_high: f64,
}

impl Frequency {
    pub fn effective_n(&self) -> f64 {
        kish_effective_n(self.respondents, self.respondents_w2)
    }

    /// Rows in the order of `codes` (the choice list), then any code not in it.
    pub fn rows(&self, codes: &[String]) -> Vec<FrequencyRow> {
        let mut order: Vec<String> = codes.to_vec();
        order.extend(self.counts.keys().filter(|c| !codes.contains(c)).cloned());
        let n_eff = self.effective_n();
        order
            .into_iter()
            .map(|code| {
                let count = self.counts.get(&code).copied().unwrap_or(0.0);
                let p = if self.respondents > 0.0 {
                    count / self.respondents
                } else {
                    f64::NAN
                };
                let (lo, hi) = wilson(p * n_eff, n_eff, Z_95).unwrap_or((f64::NAN, f64::NAN));
                FrequencyRow {
                    code,
                    count,
                    percent: 100.0 * p,
                    percent_of_responses: if self.responses > 0.0 {
                        100.0 * count / self.responses
                    } else {
                        f64::NAN
                    },
                    ci_low: 100.0 * lo,
                    ci_high: 100.0 * hi,
                }
            })
            .collect()
    }
}

/// A numeric question: n, missing, weighted mean and spread (mergeable), range and quartiles.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub n: u64,
    pub missing: u64,
    sum_w: f64,
    sum_w2: f64,
    mean: f64,
    /// Σ w (x - mean)², kept by West's weighted update so partial results merge exactly.
    m2: f64,
    pub min: f64,
    pub max: f64,
    values: Vec<f64>,
}

impl Default for Summary {
    fn default() -> Self {
        Summary {
            n: 0,
            missing: 0,
            sum_w: 0.0,
            sum_w2: 0.0,
            mean: 0.0,
            m2: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            values: Vec::new(),
        }
    }
}

/// Estimates of a summary.
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryRow {
    pub n: u64,
    pub missing: u64,
    pub mean: f64,
    pub sd: f64,
    pub min: f64,
    pub q1: f64,
    pub median: f64,
    pub q3: f64,
    pub max: f64,
    /// 95% interval of the mean (Student's t on Kish's effective n).
    pub ci_low: f64,
    pub ci_high: f64,
}

impl Summary {
    /// Adds one answer; `None` (or a non-number) counts as missing.
    pub fn add(&mut self, value: Option<f64>, weight: f64) {
        let Some(x) = value.filter(|x| x.is_finite()) else {
            self.missing += 1;
            return;
        };
        self.n += 1;
        self.sum_w2 += weight * weight;
        let new_w = self.sum_w + weight;
        let delta = x - self.mean;
        self.mean += delta * weight / new_w;
        self.m2 += weight * delta * (x - self.mean);
        self.sum_w = new_w;
        self.min = self.min.min(x);
        self.max = self.max.max(x);
        self.values.push(x);
    }

    pub fn merge(&mut self, other: &Summary) {
        if other.sum_w == 0.0 {
            self.missing += other.missing;
            return;
        }
        let total = self.sum_w + other.sum_w;
        let delta = other.mean - self.mean;
        self.m2 += other.m2 + delta * delta * self.sum_w * other.sum_w / total;
        self.mean += delta * other.sum_w / total;
        self.sum_w = total;
        self.sum_w2 += other.sum_w2;
        self.n += other.n;
        self.missing += other.missing;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.values.extend_from_slice(&other.values);
    }

    pub fn mean(&self) -> f64 {
        if self.n == 0 { f64::NAN } else { self.mean }
    }

    /// Standard deviation with reliability weights: √(M2 / (Σw − Σw²/Σw)); with all weights 1
    /// this is the sample standard deviation (n − 1 in the denominator).
    pub fn sd(&self) -> f64 {
        let denominator = self.sum_w - self.sum_w2 / self.sum_w;
        if self.n < 2 || denominator <= 0.0 {
            f64::NAN
        } else {
            (self.m2 / denominator).sqrt()
        }
    }

    pub fn row(&self) -> SummaryRow {
        let mut sorted = self.values.clone();
        sorted.sort_by(f64::total_cmp);
        let q = |p: f64| quantile_sorted(&sorted, p).unwrap_or(f64::NAN);
        let n_eff = kish_effective_n(self.sum_w, self.sum_w2);
        let margin = t_975(n_eff - 1.0).map_or(f64::NAN, |t| t * self.sd() / n_eff.sqrt());
        SummaryRow {
            n: self.n,
            missing: self.missing,
            mean: self.mean(),
            sd: self.sd(),
            min: if self.n == 0 { f64::NAN } else { self.min },
            q1: q(0.25),
            median: q(0.5),
            q3: q(0.75),
            max: if self.n == 0 { f64::NAN } else { self.max },
            ci_low: self.mean() - margin,
            ci_high: self.mean() + margin,
        }
    }
}

/// Two select_one questions against each other, counted per pair of codes (by the aggregation).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Crosstab {
    /// Weighted counts by (row code, column code).
    pub cells: BTreeMap<(String, String), f64>,
    /// Unweighted counts, for the chi-square test.
    pub counts: BTreeMap<(String, String), u64>,
}

/// Pearson's chi-square test of independence.
#[derive(Clone, Debug, PartialEq)]
pub struct ChiSquare {
    pub statistic: f64,
    pub df: f64,
    pub p: f64,
}

impl Crosstab {
    pub fn total(&self) -> f64 {
        self.cells.values().sum()
    }

    pub fn row_total(&self, row: &str) -> f64 {
        self.cells
            .iter()
            .filter(|((r, _), _)| r == row)
            .map(|(_, v)| v)
            .sum()
    }

    pub fn col_total(&self, col: &str) -> f64 {
        self.cells
            .iter()
            .filter(|((_, c), _)| c == col)
            .map(|(_, v)| v)
            .sum()
    }

    pub fn cell(&self, row: &str, col: &str) -> f64 {
        self.cells
            .get(&(row.to_string(), col.to_string()))
            .copied()
            .unwrap_or(0.0)
    }

    /// Percent of the row's total.
    pub fn row_percent(&self, row: &str, col: &str) -> f64 {
        100.0 * self.cell(row, col) / self.row_total(row)
    }

    /// Percent of the column's total.
    pub fn col_percent(&self, row: &str, col: &str) -> f64 {
        100.0 * self.cell(row, col) / self.col_total(col)
    }

    /// On the unweighted counts, over the rows and columns that have any; None for fewer
    /// than two of either.
    pub fn chi_square(&self) -> Option<ChiSquare> {
        let rows: BTreeSet<&String> = self.counts.keys().map(|(r, _)| r).collect();
        let cols: BTreeSet<&String> = self.counts.keys().map(|(_, c)| c).collect();
        if rows.len() < 2 || cols.len() < 2 {
            return None;
        }
        let n: f64 = self.counts.values().map(|v| *v as f64).sum();
        let row_n = |r: &String| {
            self.counts
                .iter()
                .filter(|((x, _), _)| x == r)
                .map(|(_, v)| *v as f64)
                .sum::<f64>()
        };
        let col_n = |c: &String| {
            self.counts
                .iter()
                .filter(|((_, x), _)| x == c)
                .map(|(_, v)| *v as f64)
                .sum::<f64>()
        };
        let mut statistic = 0.0;
        for r in &rows {
            for c in &cols {
                let expected = row_n(r) * col_n(c) / n;
                let observed = self
                    .counts
                    .get(&((*r).clone(), (*c).clone()))
                    .copied()
                    .unwrap_or(0) as f64;
                statistic += (observed - expected).powi(2) / expected;
            }
        }
        let df = ((rows.len() - 1) * (cols.len() - 1)) as f64;
        Some(ChiSquare {
            statistic,
            df,
            p: chi_square_p(statistic, df)?,
        })
    }
}

/// Paired pre/post comparison: the change of each matched id.
#[derive(Clone, Debug, PartialEq)]
pub struct PairedChange {
    pub pairs: u64,
    pub pre_only: u64,
    pub post_only: u64,
    pub mean_change: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// Cohen's d for paired data (d_z): mean change / sd of the changes.
    pub cohens_d: f64,
}

/// Matches `pre` and `post` values by id (missing values leave an id unmatched).
pub fn paired_change(pre: &BTreeMap<String, f64>, post: &BTreeMap<String, f64>) -> PairedChange {
    let mut changes = Summary::default();
    let mut pre_only = 0;
    for (id, before) in pre {
        match post.get(id) {
            Some(after) => changes.add(Some(after - before), 1.0),
            None => pre_only += 1,
        }
    }
    let post_only = post.keys().filter(|id| !pre.contains_key(*id)).count() as u64;
    let row = changes.row();
    PairedChange {
        pairs: changes.n,
        pre_only,
        post_only,
        mean_change: row.mean,
        ci_low: row.ci_low,
        ci_high: row.ci_high,
        cohens_d: row.mean / row.sd,
    }
}
