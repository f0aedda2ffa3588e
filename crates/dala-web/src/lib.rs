//! The Dala web app: Collect, the enumerator's offline interviews. It is the only crate that
//! knows leptos, the browser and IndexedDB.

pub mod i18n;
pub mod markdown;
pub mod session;
pub mod storage;
pub mod widget;

use leptos::prelude::*;
use wasm_bindgen::prelude::wasm_bindgen;

/// The app shell: a header with the product name and the home page below it.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <header class="app-bar">
            <h1 class="app-title">"Dala"</h1>
            <span class="app-tagline">"Offline-first surveys"</span>
        </header>
        <main id="home" class="home" data-ready="true">
            <h2>"Instruments"</h2>
        </main>
    }
}

/// Entry point called by the generated JS glue once the wasm module is instantiated.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}
