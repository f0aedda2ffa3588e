//! The one integration-test binary of dala-core.

mod document;
mod validation;
