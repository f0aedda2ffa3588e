//! The Dala web app: Collect, the enumerator's offline interviews. It is the only crate that
//! knows leptos, the browser and IndexedDB. Plain modules (session, widget, markdown, i18n,
//! route, catalog) hold the logic and are tested natively; `views` draws them.

#[cfg(feature = "server")]
pub mod account;
#[cfg(feature = "analyse")]
pub mod analysis;
pub mod app;
pub mod browser;
pub mod catalog;
pub mod designer;
pub mod geopoints;
pub mod host;
pub mod i18n;
pub mod importer;
#[cfg(feature = "server")]
pub mod manage;
pub mod markdown;
pub mod media;
pub mod media_browser;
pub mod outbox;
pub mod perf;
pub mod problems;
pub mod pwa;
pub mod review;
pub mod route;
pub mod session;
pub mod storage;
pub mod sync;
#[cfg(feature = "server")]
pub mod team_words;
pub mod views;
pub mod widget;
pub mod workflows;

use wasm_bindgen::prelude::wasm_bindgen;

/// Entry point called by the generated JS glue once the wasm module is instantiated.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
