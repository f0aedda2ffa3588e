//! Aggregation for analysts: tables from submission records. Every accumulator is mergeable
//! (partial aggregates of several bundles or tablets combine into the aggregate of all), so
//! work can run per bundle, per tablet, or in slices in the browser. No I/O of its own: records
//! come in from `Read`ers and values, tables go out as tidy rows to `Write`rs.
//!
//! Sources are streamed: bundles line by line ([`merge::Merger`]), wide CSV exports in batches
//! of rows ([`wide_csv`]), both into one [`aggregation::Aggregation`] per plan.

pub mod aggregation;
pub mod chart;
pub mod dataset;
pub mod export;
pub mod export_zip;
pub mod grouped;
pub mod merge;
pub mod plan;
pub mod report;
pub mod simulate;
pub mod stats;
pub mod tables;
pub mod tidy;
pub mod trace;
pub mod wide_csv;
