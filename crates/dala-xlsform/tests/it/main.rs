//! The one integration-test binary of dala-xlsform.

mod corpus;
mod reader;
mod seeds;
