//! Aggregation for analysts: tables from submission records. Every accumulator is mergeable
//! (partial aggregates of several bundles or tablets combine into the aggregate of all), so
//! work can run per bundle, per tablet, or in slices in the browser. No I/O: records come in
//! as values, tables go out as tidy rows.
//!
//! Status: statistics, accumulators, bundle merging, the wide CSV export with repeats and a
//! codebook, simulation and the default tables exist; analysis plans (TOML), crosstabs and
//! pre/post from the command line, and the benchmark are still to come.

pub mod aggregation;
pub mod export;
pub mod merge;
pub mod plan;
pub mod report;
pub mod simulate;
pub mod stats;
pub mod tables;
pub mod tidy;
pub mod wide_csv;
