//! The Dala web app. At this stage it is the app shell: title bar and a placeholder home page.
//! It is the only crate that knows leptos and the browser.

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
            <p class="placeholder">
                "No instruments on this device yet. Survey instruments will appear here."
            </p>
        </main>
    }
}

/// Entry point called by the generated JS glue once the wasm module is instantiated.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}
