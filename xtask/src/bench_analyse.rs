//! `cargo xtask bench analyse`: the Analyse workspace with 100,000 simulated submissions of
//! the police survey, in headless Chromium.
//! - import: the bundle (one file) picked in the workspace, to the last record stored, against
//!   a bare batched IndexedDB put loop in the same page (the same records as rows of the same
//!   keys, shape and indexes, 2,000 puts per strict transaction). Goal: 0.7x its rate or better.
//! - table: a frequency table of sex with Wilson intervals, disaggregated by district, over
//!   every record: from the click that adds it to the frame showing it with its chart, median
//!   of 5. Goal: under 300 ms.
//! - reopening: the page loaded again, from navigation to every stored record in the data view
//!   (no goal; reported).

use crate::bench::machine;
use anyhow::{Context, Result, bail};
use dala_e2e::server::StaticServer;
use dala_e2e::webdriver::Browser;
use serde_json::json;
use std::io::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const SUBMISSIONS: usize = 100_000;
const RUNS: usize = 5;
const TABLE_GOAL_MS: f64 = 300.0;
const IMPORT_GOAL: f64 = 0.7;

/// The peer: the bundle's records put as rows like the app's (same keys, fields and indexes),
/// 2,000 per strict transaction; the rows are made before the clock starts.
const BARE_LOOP: &str = r#"
window.__bare = null;
(async () => {
  const text = await (await fetch('police-100k.jsonl')).text();
  // The same rows as the app's, keyed by the records' own instance ids; made before timing.
  const rows = text.split('\n').slice(1).filter(l => l.trim() !== '').map(line => {
    const r = JSON.parse(line);
    return { instance_id: r.instance_id, instrument_id: r.instrument_id, status: r.status,
      json: line, page: 0, exported: null };
  });
  await new Promise(r => { const d = indexedDB.deleteDatabase('bare-bench'); d.onsuccess = d.onerror = r; });
  const db = await new Promise((resolve, reject) => {
    const open = indexedDB.open('bare-bench', 1);
    open.onupgradeneeded = () => {
      const s = open.result.createObjectStore('records', { keyPath: 'instance_id' });
      s.createIndex('by_instrument', 'instrument_id');
      s.createIndex('by_instrument_status', ['instrument_id', 'status']);
    };
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  const t0 = performance.now();
  for (let i = 0; i < rows.length; i += 2000) {
    await new Promise((resolve, reject) => {
      const tx = db.transaction('records', 'readwrite', { durability: 'strict' });
      const store = tx.objectStore('records');
      rows.slice(i, i + 2000).forEach(row => store.put(row));
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
  }
  const ms = performance.now() - t0;
  db.close();
  await new Promise(r => { const d = indexedDB.deleteDatabase('bare-bench'); d.onsuccess = d.onerror = r; });
  window.__bare = { ms, n: rows.length };
})();
"#;

/// Clicks "add table" and times it to the first frame showing the table's card.
const ADD_TABLE: &str = r#"
window.__took = null;
const t0 = performance.now();
document.querySelector('.add-table').click();
const poll = () => {
  if (document.querySelector('.table-card[data-table="sex_by_district"] figure.chart')) {
    window.__took = performance.now() - t0;
  } else requestAnimationFrame(poll);
};
requestAnimationFrame(poll);
"#;

/// Clicks the wide CSV download with every record in the data view, watching for long tasks
/// (over 50 ms: the page does not answer a tap meanwhile) until the file is handed over.
const WIDE: &str = r#"
window.__dalaWideEnd = null;
window.__longest = 0;
window.__longTasks = 0;
new PerformanceObserver(list => {
  for (const e of list.getEntries()) {
    window.__longest = Math.max(window.__longest, e.duration);
    window.__longTasks += 1;
  }
}).observe({ type: 'longtask' });
window.__wideStart = performance.now();
document.querySelector('.download-wide').click();
"#;

/// Sets a select of the table builder as an analyst does.
const PICK: &str = r#"
const s = document.querySelector(arguments[0]);
s.value = arguments[1];
s.dispatchEvent(new Event('change', { bubbles: true }));
"#;

fn browser_err(e: String) -> anyhow::Error {
    anyhow::anyhow!(e)
}

fn wait_number(browser: &Browser, script: &str, seconds: u64) -> Result<f64> {
    browser
        .wait_for(script, Duration::from_secs(seconds))
        .map_err(browser_err)?
        .as_f64()
        .context("not a number")
}

/// The bundle of 100,000 simulated interviews, made once by the CLI and kept.
fn bundle(root: &Path, dir: &Path) -> Result<std::path::PathBuf> {
    let path = dir.join("police-100k.jsonl");
    let stamp = dir.join("police-100k.stamp");
    let form = root.join("surveys/police-gender-representation/instrument.json");
    let want = format!("{SUBMISSIONS} {}", std::fs::metadata(&form)?.len());
    if path.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(want.as_str()) {
        return Ok(path);
    }
    let dala = crate::bench::build_bench_cli(root, "analyse")?;
    eprintln!("bench analyse: simulating {SUBMISSIONS} police interviews");
    let made = Command::new(&dala)
        .arg("simulate")
        .arg(&form)
        .args(["-n", &SUBMISSIONS.to_string(), "--seed", "7", "-o"])
        .arg(&path)
        .status()?;
    if !made.success() {
        bail!("dala simulate failed");
    }
    std::fs::write(&stamp, want)?;
    Ok(path)
}

pub fn run(root: &Path) -> Result<()> {
    dala_e2e::webdriver::find_browser().map_err(browser_err)?;
    let dist = crate::web::build(root)?;
    let dir = root.join("bench-tools/analyse");
    std::fs::create_dir_all(&dir)?;
    let bundle = bundle(root, &dir)?;
    let site = dir.join("site");
    let _ = std::fs::remove_dir_all(&site);
    dala_e2e::copy_dir(&dist, &site)?;
    std::fs::copy(&bundle, site.join("police-100k.jsonl"))?;
    let bytes = std::fs::metadata(&bundle)?.len();

    let server = StaticServer::start(&site, "127.0.0.1:0")?;
    let browser = Browser::start(1280, 800).map_err(browser_err)?;
    browser
        .goto(&format!(
            "{}design.html#/analyse/police_gender_representation",
            server.url()
        ))
        .map_err(browser_err)?;
    browser
        .wait_for(
            "return document.querySelector('#analyse[data-ready=\"true\"]') !== null",
            Duration::from_secs(60),
        )
        .map_err(browser_err)?;

    eprintln!(
        "bench analyse: the bare put loop ({} MB bundle)",
        bytes / 1_000_000
    );
    browser.execute(BARE_LOOP, json!([])).map_err(browser_err)?;
    let bare = browser
        .wait_for("return window.__bare", Duration::from_secs(600))
        .map_err(browser_err)?;
    let bare_ms = bare["ms"].as_f64().context("bare time")?;
    let bare_n = bare["n"].as_f64().context("bare count")?;
    let bare_rate = bare_n / (bare_ms / 1000.0);
    eprintln!("  {bare_n} puts in {bare_ms:.0} ms: {bare_rate:.0}/s");

    eprintln!("bench analyse: importing it in the workspace");
    browser
        .type_into("#analyse input.bundles", &bundle.display().to_string())
        .map_err(browser_err)?;
    let end = wait_number(&browser, "return window.__dalaImportEnd", 900)?;
    let start = wait_number(&browser, "return window.__dalaImportStart", 5)?;
    let added = wait_number(&browser, "return window.__dalaImportAdded", 5)?;
    let import_ms = end - start;
    let parse_ms = wait_number(&browser, "return window.__dalaImportParseMs", 5)?;
    let push_ms = wait_number(&browser, "return window.__dalaImportPushMs", 5)?;
    let send_ms = wait_number(&browser, "return window.__dalaImportSendMs", 5)?;
    let commit_ms = wait_number(&browser, "return window.__dalaImportCommitMs", 5)?;
    eprintln!(
        "  of which reading records {parse_ms:.0} ms, the data view's columns {push_ms:.0} ms, \
         sending puts {send_ms:.0} ms, waiting for commits {commit_ms:.0} ms (overlaps reading)"
    );
    let rate = added / (import_ms / 1000.0);
    eprintln!("  {added} records in {import_ms:.0} ms: {rate:.0}/s");
    browser
        .wait_for(
            "return document.querySelector('#analyse[data-ready=\"true\"]') !== null",
            Duration::from_secs(120),
        )
        .map_err(browser_err)?;

    eprintln!("bench analyse: sex by district with intervals over every record");
    browser
        .execute(PICK, json!([".builder-variable", "sex"]))
        .map_err(browser_err)?;
    browser
        .execute(PICK, json!([".builder-by", "district"]))
        .map_err(browser_err)?;
    let mut table = Vec::new();
    let mut compute = Vec::new();
    for run in 0..RUNS {
        browser.execute(ADD_TABLE, json!([])).map_err(browser_err)?;
        table.push(wait_number(&browser, "return window.__took", 60)?);
        compute.push(wait_number(&browser, "return window.__dalaTablesMs", 5)?);
        eprintln!(
            "  run {}: {:.1} ms to screen ({:.1} ms computing)",
            run + 1,
            table[run],
            compute[run]
        );
        browser
            .execute(
                "document.querySelector('.table-card[data-table=\"sex_by_district\"] .remove').click()",
                json!([]),
            )
            .map_err(browser_err)?;
        browser
            .wait_for(
                "return document.querySelector('.table-card[data-table=\"sex_by_district\"]') === null",
                Duration::from_secs(30),
            )
            .map_err(browser_err)?;
        std::thread::sleep(Duration::from_millis(300));
    }
    eprintln!("bench analyse: the wide CSV (.zip) of every record");
    browser.execute(WIDE, json!([])).map_err(browser_err)?;
    let wide_end = wait_number(&browser, "return window.__dalaWideEnd", 300)?;
    let wide_ms = wide_end - wait_number(&browser, "return window.__wideStart", 5)?;
    // Long-task entries are delivered after the task: give the observer a moment.
    std::thread::sleep(Duration::from_millis(500));
    let longest_ms = wait_number(&browser, "return window.__longest", 5)?;
    let long_tasks = wait_number(&browser, "return window.__longTasks", 5)?;
    eprintln!(
        "  {wide_ms:.0} ms to the file; longest task {longest_ms:.0} ms ({long_tasks} over 50 ms)"
    );

    eprintln!("bench analyse: opening the workspace again with the records stored");
    browser
        .execute("location.reload()", json!([]))
        .map_err(browser_err)?;
    let reopen_ms = wait_number(&browser, "return window.__dalaRecordsLoaded", 300)?;
    eprintln!("  {reopen_ms:.0} ms from navigation to every record in the data view");
    let table_ms = crate::bench_web::median(table.clone());
    let compute_ms = crate::bench_web::median(compute.clone());

    println!("{:<58} {:>12} {:>12}", "", "Dala", "peer / goal");
    println!(
        "{:<58} {:>10.0}/s {:>10.0}/s",
        "import 100,000 submissions (records/s vs bare put loop)", rate, bare_rate
    );
    println!(
        "{:<58} {:>9.1} ms {:>9.0} ms",
        "frequency with CI by district, click to screen", table_ms, TABLE_GOAL_MS
    );
    println!(
        "{:<58} {:>9.0} ms {:>12}",
        "wide CSV (.zip) of every record, to the file", wide_ms, ""
    );
    println!(
        "{:<58} {:>9.0} ms {:>12}",
        "  its longest task (the page does not answer meanwhile)", longest_ms, ""
    );
    println!(
        "  import: {:.2}x the bare loop's rate (goal {IMPORT_GOAL}x or better)",
        rate / bare_rate
    );
    let report = json!({
        "bench": "analyse",
        "data": format!("{SUBMISSIONS} simulated police interviews, one bundle of {bytes} bytes"),
        "ours": {
            "import_ms": import_ms, "import_records": added, "import_records_per_s": rate,
            "import_reading_ms": parse_ms, "import_columns_ms": push_ms,
            "import_sending_puts_ms": send_ms, "import_waiting_for_commits_ms": commit_ms,
            "table_ms_median": table_ms, "table_ms_runs": table,
            "table_compute_ms_median": compute_ms, "table_compute_ms_runs": compute,
            "reopen_ms": reopen_ms,
            "wide_export_ms": wide_ms, "wide_export_longest_task_ms": longest_ms,
            "wide_export_long_tasks": long_tasks,
        },
        "peer": {
            "name": "bare batched IndexedDB put loop in the same page (2,000 puts per strict transaction)",
            "puts": bare_n, "ms": bare_ms, "puts_per_s": bare_rate,
            "table_goal_ms": TABLE_GOAL_MS,
        },
        "ratio": {
            "import_rate_to_bare": rate / bare_rate, "import_goal": IMPORT_GOAL,
            "table_to_goal": table_ms / TABLE_GOAL_MS,
        },
        "machine": machine(),
    });
    let out = root.join("target/bench");
    std::fs::create_dir_all(&out)?;
    let mut file = std::fs::File::create(out.join("analyse.json"))?;
    writeln!(file, "{}", serde_json::to_string_pretty(&report)?)?;
    println!("figures in {}", out.join("analyse.json").display());
    Ok(())
}
