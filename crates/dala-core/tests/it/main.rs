//! The one integration-test binary of dala-core.

mod document;
mod records;
mod validation;
