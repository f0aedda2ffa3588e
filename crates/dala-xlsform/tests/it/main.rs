//! The one integration-test binary of dala-xlsform.

mod attachments;
mod corpus;
mod reader;
mod seeds;
