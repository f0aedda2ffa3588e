//! The one integration-test binary of dala-expr.

mod conformance;
mod limits;
mod parser;
mod properties;
