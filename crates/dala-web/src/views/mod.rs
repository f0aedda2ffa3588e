//! The screens. Components stay thin: what they decide is in plain modules (session, widget,
//! catalog, markdown, designer), and what they store goes through `storage`.

#[cfg(feature = "server")]
pub mod account;
#[cfg(feature = "analyse")]
pub mod analyse;
pub mod ask_first;
#[cfg(feature = "design")]
pub mod design;
pub mod home;
pub mod interview;
pub mod label;
pub mod label_media;
#[cfg(feature = "server")]
pub mod manage;
pub mod media;
pub mod question;
pub mod records;
