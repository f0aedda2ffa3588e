//! The one integration-test binary of dala-core.

mod document;
mod engine;
mod records;
mod surveys;
mod validation;
