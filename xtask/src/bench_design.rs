//! `cargo xtask bench design`: edits in the designer on a 1,000-question instrument, in
//! headless Chromium, from the designer's action to the screen showing its result: the
//! problems worked out again and the preview (the real engine, Collect's widgets) updated.
//! - rename: q1, which 749 relevant expressions refer to, renamed (every reference rewritten);
//! - typing: one keystroke in the relevant expression of q2.
//!
//! The issue names no peer tool for this figure (KoboToolbox's Formbuilder needs its server;
//! ODK Build is retired); the goal is 50 ms, and the report gives the ratio to it.

use crate::bench::machine;
use anyhow::{Context, Result};
use dala_e2e::server::StaticServer;
use dala_e2e::webdriver::Browser;
use serde_json::json;
use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

const RUNS: usize = 5;
const GOAL_MS: f64 = 50.0;

/// Times from the event named arguments[0] (captured on the document) to the first frame in
/// which the editor shows a newer revision and the preview has caught up with it.
const WATCH: &str = r#"
const [event] = arguments;
const editor = document.querySelector('#editor');
const before = editor.dataset.rev;
window.__took = null;
document.addEventListener(event, () => {
  const t0 = performance.now();
  const poll = () => {
    const rev = editor.dataset.rev;
    const synced = document.querySelector('.preview-body').dataset.synced;
    if (rev !== before && synced === rev) window.__took = performance.now() - t0;
    else requestAnimationFrame(poll);
  };
  requestAnimationFrame(poll);
}, { capture: true, once: true });
"#;

fn browser_err(e: String) -> anyhow::Error {
    anyhow::anyhow!(e)
}

fn took(browser: &Browser) -> Result<f64> {
    let value = browser
        .wait_for("return window.__took", Duration::from_secs(60))
        .map_err(browser_err)?;
    value.as_f64().context("no time")
}

fn select(browser: &Browser, name: &str) -> Result<()> {
    browser
        .execute(
            "document.querySelector(`.tree-row[data-name=\"${arguments[0]}\"] button`).click()",
            json!([name]),
        )
        .map_err(browser_err)?;
    browser
        .wait_for(
            &format!("return document.querySelector('.item-panel[data-name=\"{name}\"]') !== null"),
            Duration::from_secs(30),
        )
        .map_err(browser_err)?;
    Ok(())
}

fn settle(browser: &Browser) -> Result<()> {
    browser
        .wait_for(
            "const e = document.querySelector('#editor'); return e.dataset.rev === document.querySelector('.preview-body').dataset.synced",
            Duration::from_secs(30),
        )
        .map_err(browser_err)?;
    std::thread::sleep(Duration::from_millis(300));
    Ok(())
}

pub fn run(root: &Path) -> Result<()> {
    dala_e2e::webdriver::find_browser().map_err(browser_err)?;
    let dist = crate::web::build(root)?;
    let (site, _) = crate::bench_web::site(root, &dist)?;
    let server = StaticServer::start(&site, "127.0.0.1:0")?;
    let browser = Browser::start(1280, 800).map_err(browser_err)?;
    eprintln!("bench design: the editor on flat-1000 in headless Chromium");
    browser
        .goto(&format!("{}design.html#/design/flat-1000", server.url()))
        .map_err(browser_err)?;
    browser
        .wait_for(
            "return document.querySelectorAll('.preview .question').length >= 750",
            Duration::from_secs(60),
        )
        .map_err(browser_err)?;
    settle(&browser)?;

    let mut rename = Vec::new();
    let mut name = "q1".to_string();
    for run in 0..RUNS {
        select(&browser, &name)?;
        let next = if run % 2 == 0 { "q1_renamed" } else { "q1" };
        browser
            .execute(WATCH, json!(["change"]))
            .map_err(browser_err)?;
        browser
            .execute(
                "const i = document.querySelector('.item-panel .column-name input'); i.value = arguments[0]; i.dispatchEvent(new Event('change', { bubbles: true }));",
                json!([next]),
            )
            .map_err(browser_err)?;
        rename.push(took(&browser)?);
        name = next.to_string();
        settle(&browser)?;
        eprintln!("  rename {}: {:.1} ms", run + 1, rename[run]);
    }
    // The references followed: q2's relevant names q1 as it is now called.
    select(&browser, "q2")?;
    let relevant = browser
        .execute(
            "return document.querySelector('.item-panel .column-relevant input').value",
            json!([]),
        )
        .map_err(browser_err)?;
    anyhow::ensure!(
        relevant
            .as_str()
            .is_some_and(|r| r.contains(&format!("${{{name}}}"))),
        "q2's relevant did not follow the rename: {relevant}"
    );

    let mut typing = Vec::new();
    for run in 0..RUNS {
        browser
            .execute(WATCH, json!(["keydown"]))
            .map_err(browser_err)?;
        browser
            .type_into(".item-panel .column-relevant input", " ")
            .map_err(browser_err)?;
        typing.push(took(&browser)?);
        settle(&browser)?;
        eprintln!("  keystroke {}: {:.1} ms", run + 1, typing[run]);
    }

    let rename_ms = crate::bench_web::median(rename.clone());
    let typing_ms = crate::bench_web::median(typing.clone());
    println!("{:<52} {:>9} {:>9}", "", "Dala", "goal");
    println!(
        "{:<52} {:>6.1} ms {:>6.0} ms",
        "rename q1 (749 references) to screen updated", rename_ms, GOAL_MS
    );
    println!(
        "{:<52} {:>6.1} ms {:>6.0} ms",
        "keystroke in an expression to screen updated", typing_ms, GOAL_MS
    );
    let report = json!({
        "bench": "design",
        "form": "flat-1000: q1, 749 integers relevant on q1, 250 calculates; one field-list page",
        "ours": {
            "rename_ms_median": rename_ms, "rename_ms_runs": rename,
            "keystroke_ms_median": typing_ms, "keystroke_ms_runs": typing,
        },
        "peer": { "name": "none: the issue names no peer for this figure", "goal_ms": GOAL_MS },
        "ratio": { "rename_to_goal": rename_ms / GOAL_MS, "keystroke_to_goal": typing_ms / GOAL_MS },
        "machine": machine(),
    });
    let out = root.join("target/bench");
    std::fs::create_dir_all(&out)?;
    let mut file = std::fs::File::create(out.join("design.json"))?;
    writeln!(file, "{}", serde_json::to_string_pretty(&report)?)?;
    println!("figures in {}", out.join("design.json").display());
    Ok(())
}
