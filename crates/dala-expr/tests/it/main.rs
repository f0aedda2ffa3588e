//! The one integration-test binary of dala-expr.

mod conformance;
mod parser;
mod properties;
