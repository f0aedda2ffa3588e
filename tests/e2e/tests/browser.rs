//! Browser end-to-end tests: the built app (dist/) in headless Chromium.
//! Run them with `cargo xtask test`, which builds dist/ and sets DALA_DIST.

use dala_e2e::server::StaticServer;
use dala_e2e::webdriver::Browser;
use serde_json::json;
use std::path::PathBuf;
use std::time::Duration;

fn dist() -> PathBuf {
    match std::env::var_os("DALA_DIST") {
        Some(dir) => PathBuf::from(dir),
        None => panic!("DALA_DIST is not set: run the browser tests with `cargo xtask test`"),
    }
}

fn screenshots() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/e2e")
}

#[test]
fn app_shell_loads_and_renders_home_on_tablet_and_phone() {
    let server = StaticServer::start(&dist(), "127.0.0.1:0").expect("static server");
    for (width, height) in [(1280, 800), (412, 915)] {
        let browser = Browser::start(width, height).unwrap_or_else(|e| panic!("{e}"));
        browser.goto(&server.url()).expect("navigate");
        // The wasm module mounted the app when the home page marks itself ready.
        browser
            .wait_for(
                "return document.querySelector('#home[data-ready=\"true\"]') !== null",
                Duration::from_secs(30),
            )
            .expect("home page rendered by the wasm app");
        let title = browser
            .execute("return document.title", json!([]))
            .expect("title");
        assert_eq!(title, "Dala");
        let heading = browser
            .execute(
                "return document.querySelector('.app-title').textContent",
                json!([]),
            )
            .expect("heading");
        assert_eq!(heading, "Dala");
        let errors = browser
            .execute("return window.__dalaErrors || []", json!([]))
            .expect("errors");
        assert_eq!(errors, json!([]), "the page reported errors");
        browser
            .screenshot(&screenshots().join(format!("shell-{width}x{height}.png")))
            .expect("screenshot");
    }
}
