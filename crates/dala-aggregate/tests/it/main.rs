//! The one integration-test binary of dala-aggregate. Expected values are hand calculations,
//! shown in the comments.

mod dataset;
mod export;
mod hand;
mod plan;
mod properties;
