//! Aggregation for analysts: tables from submission records. Every accumulator is mergeable
//! (partial aggregates of several bundles or tablets combine into the aggregate of all), so
//! work can run per bundle, per tablet, or in slices in the browser. No I/O: records come in
//! as values, tables go out as tidy rows.
//!
//! Status: the statistics and the table accumulators exist; reading bundles into tables, the
//! wide CSV export, analysis plans and the command line are still to come (see ARCHITECTURE.md).

pub mod stats;
pub mod tables;
pub mod tidy;
