//! The one integration-test binary of dala-core.

mod bundle_files;
mod design;
mod document;
mod engine;
mod location;
mod media;
mod properties;
mod records;
mod schema_check;
mod surveys;
mod validation;
