//! `cargo xtask bench web`: the Collect app against ODK Web Forms, both in headless Chromium
//! on this machine, in the same run. Four figures:
//! - download size: wasm + JS + CSS gzipped (fonts apart), ours against Web Forms' bundle and
//!   the Vue runtime it needs;
//! - first question interactive: navigation start to the first question on screen, median of 5
//!   loads of a 1,000-question form (ours from the service worker);
//! - relevance: a keystroke in q1 to the 749 questions it makes relevant being on the page
//!   and the frame that shows them drawn (median of 5 fresh interviews);
//! - autosave: input event to the IndexedDB transaction committed, p95 of 40 saves, against a
//!   bare single-put strict transaction of the same record row started by the same keystroke.

use crate::bench::{install_npm, machine};
use crate::bench_engine::flat;
use anyhow::{Context, Result, bail};
use dala_e2e::collect::Collect;
use dala_e2e::server::StaticServer;
use dala_e2e::webdriver::Browser;
use serde_json::{Value, json};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

const PEER: [&str; 2] = ["@getodk/web-forms@0.22.0", "vue@3.5.29"];
const RUNS: usize = 5;
const SAVES: usize = 40;
/// flat(1000): q1, then 749 integers relevant once q1 is answered, and 250 calculates.
const QUESTIONS: usize = 1000;
const NEWLY_RELEVANT: usize = 749;

fn gzipped(bytes: &[u8]) -> Result<usize> {
    let mut child = std::process::Command::new("gzip")
        .args(["-9", "-c"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("running gzip")?;
    let mut stdin = child.stdin.take().context("gzip stdin")?;
    let input = bytes.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output()?;
    writer.join().ok();
    Ok(output.stdout.len())
}

/// CSS `url(data:font/...)` removed: fonts are measured apart.
fn without_fonts(text: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(text);
    let mut out = String::with_capacity(text.len());
    let mut rest: &str = &text;
    while let Some(at) = rest.find("url(data:") {
        let (before, after) = rest.split_at(at);
        out.push_str(before);
        let end = after.find(')').map_or(after.len(), |e| e + 1);
        let is_font = after[..end].contains("font");
        out.push_str(if is_font { "url()" } else { &after[..end] });
        rest = &after[end..];
    }
    out.push_str(rest);
    out.into_bytes()
}

fn download_size(dist: &Path, peer: &Path) -> Result<(usize, usize, Vec<Value>)> {
    let mut ours = 0;
    let mut parts = Vec::new();
    for entry in std::fs::read_dir(dist)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        // The XLSForm importer is loaded only when a workbook is imported (like the peer's map
        // chunk); it is listed, not counted.
        let on_demand = crate::web::is_on_demand(&name);
        if [".wasm", ".js", ".css"].iter().any(|e| name.ends_with(e)) && name != "sw.js" {
            let size = gzipped(&std::fs::read(&path)?)?;
            parts.push(json!({"file": name, "gzip_bytes": size, "on_demand": on_demand}));
            if !on_demand {
                ours += size;
            }
        }
    }
    let web_forms = peer.join("@getodk/web-forms/dist");
    let mut theirs = 0;
    for entry in std::fs::read_dir(&web_forms)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        // The map block is loaded only for geo questions.
        if name.ends_with(".js") && !name.starts_with("MapBlock") {
            theirs += gzipped(&without_fonts(&std::fs::read(&path)?))?;
        }
    }
    theirs += gzipped(&std::fs::read(
        peer.join("vue/dist/vue.runtime.esm-browser.prod.js"),
    )?)?;
    Ok((ours, theirs, parts))
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        f64::NAN
    } else {
        v[v.len() / 2]
    }
}

fn p95(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    let at = ((v.len() as f64) * 0.95).ceil() as usize;
    v[at.clamp(1, v.len()) - 1]
}

/// In-page: the time from the next keydown to `count` inputs on the page and the frame that
/// shows them drawn, into window.__took. The frame's style, layout and paint come after the
/// animation-frame callback that sees the inputs; a task posted there at the scheduler's
/// highest priority runs once they are done, ahead of tasks queued meanwhile that have nothing
/// to do with the screen (an autosave's database events, which a message would wait behind).
const WATCH_RELEVANCE: &str = r#"
const [want, selector] = arguments;
window.__took = null;
document.addEventListener('keydown', () => {
  const t0 = performance.now();
  const done = () => { window.__took = performance.now() - t0; };
  const poll = () => {
    if (document.querySelectorAll(selector).length >= want) {
      scheduler.postTask(done, { priority: 'user-blocking' });
    } else requestAnimationFrame(poll);
  };
  requestAnimationFrame(poll);
}, { capture: true, once: true });
"#;

/// Our inputs on screen: a page keeps the questions that are not relevant, hidden.
const SHOWN_INPUTS: &str = ".question:not([hidden]) input";

fn wait_value(browser: &Browser, script: &str) -> Result<f64> {
    let value = browser
        .wait_for(script, Duration::from_secs(60))
        .map_err(|e| anyhow::anyhow!(e))?;
    value.as_f64().context("not a number")
}

pub fn site(root: &Path, dist: &Path) -> Result<(PathBuf, String)> {
    let site = root.join("bench-tools/web/site");
    let _ = std::fs::remove_dir_all(&site);
    dala_e2e::copy_dir(dist, &site)?;
    // The generated form, all on one page (as Web Forms shows it), bundled with the app.
    let form = flat(QUESTIONS);
    let mut instrument = form.instrument.clone();
    let survey = instrument["survey"].take();
    instrument["survey"] = json!([{"type": "group", "name": "all", "appearance": "field-list",
        "label": {"en": "All questions"}, "children": survey}]);
    instrument["settings"]["title"] = json!({"en": form.name});
    std::fs::write(
        site.join("surveys/bench.json"),
        serde_json::to_string(&instrument)?,
    )?;
    let index = site.join("surveys/index.json");
    let mut files: Vec<String> = serde_json::from_str(&std::fs::read_to_string(&index)?)?;
    files.push("bench.json".into());
    std::fs::write(&index, serde_json::to_string(&files)?)?;
    Ok((site, form.xform))
}

fn peer_harness(dir: &Path, xform: &str) -> Result<()> {
    std::fs::write(dir.join("form.xml"), xform)?;
    std::fs::write(
        dir.join("index.html"),
        r#"<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<script type="importmap">{"imports": {"vue": "./node_modules/vue/dist/vue.runtime.esm-browser.prod.js"}}</script>
<script type="module" src="./harness.js"></script></head><body><div id="app"></div></body></html>"#,
    )?;
    std::fs::write(
        dir.join("harness.js"),
        r#"// Mounts ODK Web Forms with the generated form and marks when its first question is on the page.
import { createApp, h } from 'vue';
import { OdkWebForm, webFormsPlugin } from './node_modules/@getodk/web-forms/dist/index.js';
const observer = new MutationObserver(() => {
  if (!window.__peerReady && document.querySelector('input')) window.__peerReady = performance.now();
});
observer.observe(document.documentElement, { childList: true, subtree: true });
const formXml = await (await fetch('./form.xml')).text();
const app = createApp({ render: () => h(OdkWebForm, {
  formXml, fetchFormAttachment: () => Promise.reject(new Error('no attachments')) }) });
app.use(webFormsPlugin);
app.mount('#app');
"#,
    )?;
    Ok(())
}

struct Figures {
    first_ms: f64,
    relevance_ms: f64,
}

fn measure_ours(site: &Path) -> Result<(Figures, f64, f64, usize)> {
    let server = StaticServer::start(site, "127.0.0.1:0")?;
    let browser = Browser::start(1280, 800).map_err(|e| anyhow::anyhow!(e))?;
    let app = Collect::new(&browser);
    app.home(&server.url());
    app.wait("return navigator.serviceWorker.controller !== null");
    app.set_enumerator("Bench");
    let mut relevance = Vec::new();
    let mut first = Vec::new();
    let mut url = String::new();
    for run in 0..RUNS {
        app.home(&server.url());
        app.start("flat-1000");
        app.wait(&format!(
            "return document.querySelectorAll('{SHOWN_INPUTS}').length === 1"
        ));
        browser
            .execute(WATCH_RELEVANCE, json!([1 + NEWLY_RELEVANT, SHOWN_INPUTS]))
            .map_err(|e| anyhow::anyhow!(e))?;
        browser
            .type_into(".question[data-name=\"q1\"] input", "5")
            .map_err(|e| anyhow::anyhow!(e))?;
        relevance.push(wait_value(&browser, "return window.__took")?);
        app.settle();
        // The draft's address: a new interview is stored (and addressed) from its first answer.
        url = browser
            .execute("return location.href", json!([]))
            .map_err(|e| anyhow::anyhow!(e))?
            .as_str()
            .unwrap_or_default()
            .to_string();
        eprintln!("  ours run {}: relevance {:.1} ms", run + 1, relevance[run]);
    }
    // Loads: the last interview, reopened from the service worker each time.
    for run in 0..RUNS {
        browser
            .goto("about:blank")
            .map_err(|e| anyhow::anyhow!(e))?;
        browser.goto(&url).map_err(|e| anyhow::anyhow!(e))?;
        first.push(wait_value(
            &browser,
            "return window.__dalaInterviewReady || null",
        )?);
        eprintln!("  ours load {}: {:.0} ms", run + 1, first[run]);
    }
    // Autosave: one keystroke at a time into q2 (a digit, then Backspace), each saved before
    // the next. The same keystroke also starts the bare transaction: a strict put of the very
    // record row the app stored, into a database of its own, so both wait for the same frames.
    app.wait("return document.querySelector('#interview').dataset.saving === 'false'");
    let setup = browser
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
const id = decodeURIComponent(location.hash.split('/').pop());
const open = (name, version, upgrade) => new Promise((ok, no) => {
  const r = indexedDB.open(name, version); r.onupgradeneeded = () => upgrade && upgrade(r.result);
  r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
(async () => {
  const app = await open('dala');
  const row = await new Promise((ok) => { const r = app.transaction('records').objectStore('records').get(id); r.onsuccess = () => ok(r.result); });
  const db = await open('bare-put', 1, (d) => d.createObjectStore('rows', { keyPath: 'instance_id' }));
  window.__inputs = []; window.__bare = []; window.__dalaSaved = [];
  document.addEventListener('input', () => {
    const t0 = performance.now();
    window.__inputs.push(t0);
    const tx = db.transaction('rows', 'readwrite', { durability: 'strict' });
    tx.objectStore('rows').put(Object.assign({}, row, { page: window.__inputs.length }));
    tx.oncomplete = () => window.__bare.push(performance.now() - t0);
  }, { capture: true });
  done(row.json.length);
})().catch((e) => done(String(e)));"#,
            json!([]),
        )
        .map_err(|e| anyhow::anyhow!(e))?;
    let record_bytes = setup
        .as_u64()
        .with_context(|| format!("bare put setup: {setup}"))? as usize;
    for i in 0..SAVES {
        browser
            .type_into(
                ".question[data-name=\"q2\"] input",
                if i % 2 == 0 { "7" } else { "\u{E003}" },
            )
            .map_err(|e| anyhow::anyhow!(e))?;
        app.wait(&format!(
            "return (window.__dalaSaved || []).length >= {n} && window.__bare.length >= {n}",
            n = i + 1
        ));
        app.settle();
    }
    let lists = browser
        .execute(
            "return [window.__inputs, window.__dalaSaved, window.__bare]",
            json!([]),
        )
        .map_err(|e| anyhow::anyhow!(e))?;
    let list = |v: &Value| -> Vec<f64> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_f64)
            .collect()
    };
    let (inputs, saved, bare_times) = (list(&lists[0]), list(&lists[1]), list(&lists[2]));
    let autosave: Vec<f64> = inputs.iter().zip(&saved).map(|(i, s)| s - i).collect();
    if bare_times.len() != SAVES || autosave.len() != SAVES {
        bail!(
            "autosave figures incomplete: {} saves, {} bare puts",
            autosave.len(),
            bare_times.len()
        );
    }
    Ok((
        Figures {
            first_ms: median(first),
            relevance_ms: median(relevance),
        },
        p95(autosave),
        p95(bare_times),
        record_bytes,
    ))
}

fn measure_peer(dir: &Path) -> Result<Figures> {
    let server = StaticServer::start(dir, "127.0.0.1:0")?;
    let browser = Browser::start(1280, 800).map_err(|e| anyhow::anyhow!(e))?;
    let mut first = Vec::new();
    let mut relevance = Vec::new();
    for run in 0..RUNS {
        browser
            .goto("about:blank")
            .map_err(|e| anyhow::anyhow!(e))?;
        browser
            .goto(&server.url())
            .map_err(|e| anyhow::anyhow!(e))?;
        first.push(wait_value(&browser, "return window.__peerReady || null")?);
        let before = browser
            .wait_for(
                "return document.querySelectorAll('input').length || null",
                Duration::from_secs(60),
            )
            .map_err(|e| anyhow::anyhow!(e))?
            .as_u64()
            .unwrap_or(1) as usize;
        browser
            .execute(WATCH_RELEVANCE, json!([before + NEWLY_RELEVANT, "input"]))
            .map_err(|e| anyhow::anyhow!(e))?;
        browser
            .type_into("input", "5")
            .map_err(|e| anyhow::anyhow!(e))?;
        relevance.push(wait_value(&browser, "return window.__took")?);
        eprintln!(
            "  peer run {}: load {:.0} ms, relevance {:.1} ms",
            run + 1,
            first[run],
            relevance[run]
        );
    }
    Ok(Figures {
        first_ms: median(first),
        relevance_ms: median(relevance),
    })
}

pub fn run(root: &Path) -> Result<()> {
    dala_e2e::webdriver::find_browser().map_err(|e| anyhow::anyhow!(e))?;
    let dist = crate::web::build(root)?;
    let modules = install_npm(root, "web-forms", &PEER)?;
    let peer_dir = modules.parent().context("peer folder")?.to_path_buf();
    let (site, xform) = site(root, &dist)?;
    peer_harness(&peer_dir, &xform)?;

    let (ours_bytes, peer_bytes, parts) = download_size(&dist, &modules)?;
    eprintln!("bench web: ours in headless Chromium");
    let (ours, autosave_p95, bare_p95, record_bytes) = measure_ours(&site)?;
    eprintln!("bench web: ODK Web Forms 0.22.0 in headless Chromium");
    let peer = measure_peer(&peer_dir)?;

    let kb = |b: usize| b as f64 / 1000.0;
    println!(
        "{:<38} {:>12} {:>12} {:>8}",
        "", "Dala", "Web Forms", "ratio"
    );
    println!(
        "{:<38} {:>9.0} KB {:>9.0} KB {:>7.2}x",
        "download, gzipped, fonts apart",
        kb(ours_bytes),
        kb(peer_bytes),
        ours_bytes as f64 / peer_bytes as f64
    );
    println!(
        "{:<38} {:>9.0} ms {:>9.0} ms {:>7.2}x",
        "first question interactive (median)",
        ours.first_ms,
        peer.first_ms,
        ours.first_ms / peer.first_ms
    );
    println!(
        "{:<38} {:>9.1} ms {:>9.1} ms {:>7.3}x",
        "keystroke to 749 questions shown",
        ours.relevance_ms,
        peer.relevance_ms,
        ours.relevance_ms / peer.relevance_ms
    );
    println!(
        "{:<38} {:>9.2} ms {:>9.2} ms {:>7.2}x",
        "autosave p95 vs bare strict put p95",
        autosave_p95,
        bare_p95,
        autosave_p95 / bare_p95
    );
    let report = json!({
        "bench": "web",
        "form": format!("flat-{QUESTIONS}: q1, 749 integers relevant on q1, 250 calculates; one field-list page"),
        "ours": {
            "download_gzip_bytes": ours_bytes, "files": parts,
            "first_question_ms_median": ours.first_ms,
            "relevance_ms_median": ours.relevance_ms,
            "autosave_p95_ms": autosave_p95, "record_json_bytes": record_bytes,
        },
        "peer": {
            "name": "ODK Web Forms (@getodk/web-forms 0.22.0, Vue 3.5.29 runtime)",
            "download_gzip_bytes": peer_bytes,
            "first_question_ms_median": peer.first_ms,
            "relevance_ms_median": peer.relevance_ms,
        },
        "bare_put_p95_ms": bare_p95,
        "ratio": {
            "download": ours_bytes as f64 / peer_bytes as f64,
            "first_question": ours.first_ms / peer.first_ms,
            "relevance": ours.relevance_ms / peer.relevance_ms,
            "autosave_vs_bare_put": autosave_p95 / bare_p95,
        },
        "runs": RUNS, "saves": SAVES,
        "machine": machine(),
    });
    let out = root.join("target/bench/web.json");
    std::fs::create_dir_all(out.parent().context("bench dir")?)?;
    std::fs::write(&out, serde_json::to_string_pretty(&report)?)?;
    println!("figures in {}", out.display());
    Ok(())
}
