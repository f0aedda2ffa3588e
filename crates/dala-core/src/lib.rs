//! The instrument document and its validation, the compiled form and its engine, submission
//! records and bundles, the designer's edits, and the record store contract. No I/O: documents
//! and bundles come in as text or bytes and go out as data; time, randomness and the device
//! come in through [`Host`]; problems are data, worded by dala-words and the app.

pub mod column;
pub mod compile;
pub mod design;
pub mod engine;
mod host;
pub mod index;
pub mod instrument;
pub mod label_media;
pub mod record;
pub mod store;
mod validate;

pub use compile::{Form, Lists, is_list_file, with_lists};
pub use design::{Design, Edit, EditError, Field};
pub use engine::{
    AnswerError, Change, ChangeSet, Engine, NodeRef, Page, Problem, ProblemKind, Refusal, What,
};
pub use host::Host;
pub use index::{Index, ScopeKeys};
pub use instrument::{
    Attachment, Capture, Choice, FORMAT, Instrument, Item, ItemType, LoadError, Settings, Text,
};
pub use label_media::{LabelMedia, MediaKind, MediaUse, label_media};
pub use record::{Answer, Bundle, BundleHeader, Status, Submission};
pub use store::{MemoryStore, Store, StoreError};
pub use validate::{
    AUDIO_QUALITIES, Column, Diagnostic, Finding, Location, VCode, max_pixels, validate,
};
