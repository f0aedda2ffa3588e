//! `cargo xtask bench sync`: 1,000 finalized records drained from one enrolled tablet to a
//! real `dala serve` (SQLite), against a bare loop of fetch POSTs of the same bodies (slices
//! of 50 records, as the drain sends them) from the same page to the same server. The bare
//! loop stores nothing on the device and reads no receipt: it is the floor. It runs one
//! request at a time (the issue's comparison) and, apart, two at once as the drain does. The records
//! reach the tablet's outbox through Analyse's import (the same origin's store), so the
//! drain is measured alone. Three rounds, each with new records; the medians in
//! target/bench/sync.json.

use anyhow::{Context, Result, bail};
use dala_e2e::served::call;
use dala_e2e::webdriver::Browser;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const RECORDS: usize = 1000;
/// Rounds, each with its own records; the figures are the medians.
const ROUNDS: usize = 3;
/// Records a request, as the app's drain sends them (`sync::SLICE`).
const SLICE: usize = 50;
const FORM: &str = "police_gender_representation";

/// The bare loop: every body POSTed, each answer read whole; `lanes` requests on their way at
/// once (1: one after the other, the issue's floor; 2: as many as the app's drain has).
const BARE_LOOP: &str = r#"
const [bodies, url, token, lanes] = arguments;
window.__bare = null;
(async () => {
  const t0 = performance.now();
  let stored = 0, next = 0;
  const lane = async () => {
    while (next < bodies.length) {
      const body = bodies[next++];
      const r = await fetch(url, {method: 'POST', body,
        headers: {'Authorization': 'Bearer ' + token, 'Content-Type': 'application/x-ndjson'}});
      // Read before it is added: `stored += await ...` would add to the value of before.
      const added = (await r.json()).added;
      stored += added;
    }
  };
  await Promise.all(Array.from({length: lanes}, lane));
  window.__bare = {ms: performance.now() - t0, stored};
})();
"#;

struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn browser_err(e: String) -> anyhow::Error {
    anyhow::anyhow!(e)
}

pub fn run(root: &Path) -> Result<()> {
    dala_e2e::webdriver::find_browser().map_err(browser_err)?;
    let dist = crate::web::build(root)?;
    crate::bench_server::build_server_benches(root, "sync", &[])?;
    let dala = root.join("target/bench-cli/dala");
    let dir = root.join("target/bench/sync");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let db = format!("sqlite://{}", dir.join("sync.sqlite").display());
    let admin = |args: &[&str], stdin: Option<&str>| -> Result<()> {
        let mut child = Command::new(&dala)
            .args(["admin", "--db", &db])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()?;
        if let Some(text) = stdin {
            child
                .stdin
                .take()
                .context("stdin")?
                .write_all(text.as_bytes())?;
        }
        drop(child.stdin.take());
        if !child.wait()?.success() {
            bail!("dala admin {args:?} failed");
        }
        Ok(())
    };
    admin(
        &[
            "create-user",
            "root",
            "--role",
            "administrator",
            "--password-stdin",
        ],
        Some("a long secret\n"),
    )?;
    // The tablet's project, and two bare loops' per round (the same records, stored apart):
    // projects 2.. for one request at a time, 2 + ROUNDS.. for two at once.
    admin(&["create-project", "Drained"], None)?;
    for _ in 0..2 * ROUNDS {
        admin(&["create-project", "Bare loop"], None)?;
    }
    let addr = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .to_string();
    let mut child = Command::new(&dala)
        .args(["serve", "--db", &db, "--addr", &addr, "--dist"])
        .arg(&dist)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(dir.join("serve.log"))?)
        .spawn()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().context("stdout")?).read_line(&mut line)?;
    let _server = Served(child);
    if !line.contains("served at") {
        bail!("dala serve: {line}");
    }
    let base = format!("http://{addr}");
    let token = call(
        "POST",
        &format!("{base}/api/v1/sessions"),
        "",
        Some(json!({"name": "root", "password": "a long secret"})),
    )["token"]
        .as_str()
        .context("a session")?
        .to_string();
    let instrument: Value = serde_json::from_str(&std::fs::read_to_string(
        dist.join("surveys/police-gender-representation.json"),
    )?)?;
    let mut devices = Vec::new();
    for project in 1..=1 + 2 * ROUNDS as i64 {
        call(
            "POST",
            &format!("{base}/api/v1/projects/{project}/instruments"),
            &token,
            Some(instrument.clone()),
        );
        devices.push(call(
            "POST",
            &format!("{base}/api/v1/projects/{project}/devices"),
            &token,
            Some(json!({"name": format!("bench tablet {project}")})),
        ));
    }

    let browser = Browser::start(1280, 800).map_err(browser_err)?;
    let wait = |script: &str, seconds: u64| {
        browser
            .wait_for(script, Duration::from_secs(seconds))
            .map_err(browser_err)
    };
    // Enrolled in project 1.
    browser
        .goto(devices[0]["link"].as_str().context("a link")?)
        .map_err(browser_err)?;
    wait("return document.querySelector('.outbox') !== null", 60)?;
    let (mut ours, mut peer, mut pairs) = (Vec::new(), Vec::new(), Vec::new());
    // How many records a project holds on the server.
    let held = |project: usize| {
        let page = call(
            "GET",
            &format!("{base}/api/v1/projects/{project}/submissions?limit=10000"),
            &token,
            None,
        );
        page["submissions"].as_array().map_or(0, Vec::len)
    };
    for round in 0..ROUNDS {
        // 1,000 finalized records simulated through the engine (a seed a round: new ids).
        let (bundle, bodies) = records(&dala, &dist, &dir, round)?;
        // Put in the device's store through Analyse's import.
        browser
            .goto(&format!("{base}/design.html#/analyse/{FORM}"))
            .map_err(browser_err)?;
        wait(
            "return document.querySelector('#analyse[data-ready=\"true\"]') !== null",
            60,
        )?;
        browser
            .type_into("#analyse input.bundles", &bundle.display().to_string())
            .map_err(browser_err)?;
        wait(
            &format!("return window.__dalaImportAdded === {RECORDS} && window.__dalaImportEnd"),
            300,
        )?;
        // Collect starts and drains the outbox at once.
        browser.goto(&format!("{base}/#/")).map_err(browser_err)?;
        wait(
            &format!("return window.__dalaDrainSent === {RECORDS} && window.__dalaDrainEnd"),
            600,
        )?;
        let drained = browser
            .execute(
                "return window.__dalaDrainEnd - window.__dalaDrainStart",
                json!([]),
            )
            .map_err(browser_err)?
            .as_f64()
            .context("the drain's time")?;
        // Where the drain's time went: reading the outbox, and storing receipts (which
        // overlaps the next slice's request).
        let parts = browser
            .execute(
                "return [window.__dalaOutboxMs || 0, window.__dalaAcknowledgeMs || 0, window.__dalaOutboxRowsMs || 0]",
                json!([]),
            )
            .map_err(browser_err)?;
        eprintln!(
            "  round {}: outbox read {:.0} ms ({:.0} ms of it the rows), receipts stored {:.0} ms",
            round + 1,
            parts[0].as_f64().unwrap_or_default(),
            parts[2].as_f64().unwrap_or_default(),
            parts[1].as_f64().unwrap_or_default()
        );
        let mut bare_ms = [0.0; 2];
        for (lanes, project) in [(1, 2 + round), (2, 2 + ROUNDS + round)] {
            browser
                .execute(
                    BARE_LOOP,
                    json!([
                        bodies,
                        format!("{base}/api/v1/projects/{project}/submissions"),
                        devices[project - 1]["token"],
                        lanes
                    ]),
                )
                .map_err(browser_err)?;
            let bare = wait("return window.__bare", 600)?;
            bare_ms[lanes - 1] = bare["ms"].as_f64().context("the loop's time")?;
            if bare["stored"].as_u64() != Some(RECORDS as u64) {
                bail!("the bare loop ({lanes} at once) stored {}", bare["stored"]);
            }
            let held = held(project);
            if held != RECORDS {
                bail!("project {project} holds {held} records, not {RECORDS}");
            }
        }
        let held = held(1);
        if held != RECORDS * (round + 1) {
            bail!("the tablet's project holds {held} records");
        }
        let [bare_ms, pair_ms] = bare_ms;
        eprintln!(
            "  round {}: the drain {drained:.0} ms; bare loops: one at a time {bare_ms:.0} ms ({:.2}x), two at once {pair_ms:.0} ms ({:.2}x)",
            round + 1,
            bare_ms / drained,
            pair_ms / drained
        );
        ours.push(drained);
        peer.push(bare_ms);
        pairs.push(pair_ms);
    }
    let (drained, bare_ms, pair_ms) = (
        crate::bench_web::median(ours.clone()),
        crate::bench_web::median(peer.clone()),
        crate::bench_web::median(pairs.clone()),
    );
    let ratio = bare_ms / drained;
    eprintln!(
        "bench sync: medians of {ROUNDS}: the drain {drained:.0} ms, the bare loop {bare_ms:.0} ms: {ratio:.2}x (goal 0.8x or better); against a bare loop with two requests at once as the drain has, {pair_ms:.0} ms: {:.2}x",
        pair_ms / drained
    );
    let report = json!({
        "records": RECORDS,
        "slice": SLICE,
        "rounds": ROUNDS,
        "ours": {"drain_ms": drained, "runs_ms": ours, "requests_at_once": 2},
        "peer": {"name": "bare fetch POST loop, one request at a time, same bodies, same page, same server", "ms": bare_ms, "runs_ms": peer},
        "peer_two_at_once": {"name": "the same bare loop with two requests at once", "ms": pair_ms, "runs_ms": pairs, "ratio": pair_ms / drained},
        "ratio": ratio,
        "goal": 0.8,
        "machine": crate::bench::machine(),
    });
    let out = root.join("target/bench/sync.json");
    std::fs::write(&out, serde_json::to_string_pretty(&report)?)?;
    eprintln!("bench sync: written to {}", out.display());
    Ok(())
}
/// A round's records: 1,000 finalized ones simulated through the engine as a bundle file
/// (for the tablet's import), and as the bodies of the bare loop (slices of 50 under the
/// same header).
fn records(
    dala: &Path,
    dist: &Path,
    dir: &Path,
    round: usize,
) -> Result<(std::path::PathBuf, Vec<String>)> {
    let simulated = dir.join(format!("simulated-{round}.jsonl"));
    let status = Command::new(dala)
        .arg("simulate")
        .arg(dist.join("surveys/police-gender-representation.json"))
        .args(["-n", &(RECORDS * 2).to_string(), "--seed"])
        .arg((22 + round).to_string())
        .arg("-o")
        .arg(&simulated)
        .stdout(Stdio::null())
        .status()?;
    if !status.success() {
        bail!("simulating the records failed");
    }
    let text = std::fs::read_to_string(&simulated)?;
    let mut lines = text.lines();
    let header = lines.next().context("a header")?.to_string();
    let records: Vec<&str> = lines
        .filter(|l| l.contains("\"status\":\"finalized\""))
        .take(RECORDS)
        .collect();
    if records.len() < RECORDS {
        bail!("only {} finalized records simulated", records.len());
    }
    let bundle = dir.join(format!("tablet-{round}.jsonl"));
    std::fs::write(&bundle, format!("{header}\n{}\n", records.join("\n")))?;
    let bodies = records
        .chunks(SLICE)
        .map(|slice| format!("{header}\n{}\n", slice.join("\n")))
        .collect();
    Ok((bundle, bodies))
}
