//! The instrument model and its validation. No I/O: documents come in as text and go out as
//! data; time, randomness and the device come in through [`Host`].

pub mod compile;
pub mod design;
pub mod engine;
mod host;
pub mod instrument;
pub mod record;
pub mod store;
mod validate;

pub use compile::Form;
pub use design::{Design, Edit, EditError, Field};
pub use engine::{
    AnswerError, Change, ChangeSet, Engine, NodeRef, Page, Problem, ProblemKind, Refusal, What,
};
pub use host::Host;
pub use instrument::{Choice, FORMAT, Instrument, Item, ItemType, LoadError, Settings, Text};
pub use record::{Answer, Bundle, BundleHeader, Status, Submission};
pub use store::{MemoryStore, Store, StoreError};
pub use validate::{Column, Diagnostic, Finding, Location, VCode, validate};
