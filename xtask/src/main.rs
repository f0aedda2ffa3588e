//! `cargo xtask`: build, serve, test and benchmark Dala with nothing installed but Rust
//! (and, for browser tests, Debian's chromium and chromium-driver).

mod bench;
mod bench_aggregate;
mod bench_analyse;
mod bench_design;
mod bench_engine;
mod bench_media;
mod bench_server;
mod bench_soak;
mod bench_sync;
mod bench_web;
mod bench_xlsform;
mod compat;
mod difftest;
mod difftest_forms;
mod toolchain;
mod web;

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  build                 build the web app into dist/ (release)
  serve [--addr A:P]    build, then run dala serve (app and API, SQLite in data/) on http://127.0.0.1:8080
  test                  every test: native, then the browser tests in headless Chromium
  test --native         the native tests alone (no browser, no app build): the fast loop
  test --wasm           the store and app tests in headless Chromium alone
  lint                  rustfmt (check) and clippy with warnings as errors, native and wasm
  compat                XLSForms pyxform accepts and Dala refuses (and the other way round)
  difftest [--quick]    Dala's engine against ODK's, step by step, on every form both load
  bench expr            expression throughput: native, wasm under Node.js, and Enketo's engine
  bench engine          form engine load and one-answer time against ODK Web Forms' engine
  bench xlsform         XLSForm conversion time and memory against pyxform
  bench aggregate       aggregating a million submissions against polars, pandas and xsv
  bench web             the app in headless Chromium against ODK Web Forms
  bench design          designer edits on a 1,000-question instrument, to screen updated
  bench analyse         100,000 submissions imported and tabled in the Analyse workspace
  bench media           a 12 MP photo scaled and stored; 1,000 records with photos imported
  bench sync            1,000 records drained from an enrolled tablet against a bare fetch loop
";

fn main() {
    if let Err(error) = run() {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    match args.first().map(String::as_str) {
        Some("build") => web::build(&root).map(drop),
        Some("serve") => serve(&root, &args[1..]),
        Some("test") if args.get(1).map(String::as_str) == Some("--native") => native_tests(&root),
        // The store's and the app's tests in headless Chromium alone (a fast loop on storage).
        Some("test") if args.get(1).map(String::as_str) == Some("--wasm") => wasm_tests(&root),
        Some("test") => test(&root),
        Some("lint") => lint(&root),
        Some("compat") => compat::run(&root),
        Some("difftest") => difftest::command(&root, &args[1..]),
        Some("bench") => bench::run(&root, &args[1..]),
        Some("help" | "--help" | "-h") | None => {
            print!("{USAGE}");
            Ok(())
        }
        Some(other) => bail!("unknown command `{other}`\n{USAGE}"),
    }
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn serve(root: &Path, args: &[String]) -> Result<()> {
    let addr = match args {
        [] => "127.0.0.1:8080".to_string(),
        [flag, addr] if flag == "--addr" => addr.clone(),
        _ => bail!("usage: cargo xtask serve [--addr HOST:PORT]"),
    };
    let dist = web::build(root)?;
    if !addr.starts_with("127.") && !addr.starts_with("localhost") {
        println!(
            "note: browsers register the service worker (offline use) only over HTTPS or on localhost; \
             put an HTTPS proxy in front of this address for tablets on a LAN (README: Caddy)"
        );
    }
    // The whole product: `dala serve` with the app and the API on the default SQLite file.
    let status = Command::new(cargo())
        .current_dir(root)
        .args([
            "run",
            "--quiet",
            "--package",
            "dala-cli",
            "--",
            "serve",
            "--db",
        ])
        .arg(dala_server_default_db())
        .arg("--dist")
        .arg(&dist)
        .args(["--addr", &addr])
        .status()
        .context("running dala serve")?;
    if !status.success() {
        bail!("dala serve stopped with {status}");
    }
    Ok(())
}

/// Where `cargo xtask serve` keeps its database: `dala serve`'s default, under the root.
fn dala_server_default_db() -> &'static str {
    "sqlite://data/dala.sqlite"
}

/// Every native crate's tests: what a plain `cargo test` at the root runs (the default members).
fn native_tests(root: &Path) -> Result<()> {
    let status = Command::new(cargo())
        .current_dir(root)
        .arg("test")
        .status()
        .context("running cargo test")?;
    if !status.success() {
        bail!("tests failed");
    }
    Ok(())
}

fn test(root: &Path) -> Result<()> {
    // Fail at once, in one line, when the browser is missing: browser tests are never skipped.
    if let Err(message) = dala_e2e::webdriver::find_browser() {
        bail!("{message}");
    }
    if dala_e2e::find_in_path("soffice").is_none() {
        bail!(
            "LibreOffice (soffice) is not installed: the designer's browser test opens an exported workbook with it (Debian: apt-get install -y --no-install-recommends libreoffice-calc-nogui)"
        );
    }
    let dist = web::build(root)?;
    // The designer's browser test converts an exported workbook back with `dala convert`.
    let status = Command::new(cargo())
        .current_dir(root)
        .args(["build", "--package", "dala-cli"])
        .status()
        .context("building dala")?;
    if !status.success() {
        bail!("building dala failed");
    }
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let cli = target
        .join("debug")
        .join(format!("dala{}", std::env::consts::EXE_SUFFIX));
    let status = Command::new(cargo())
        .current_dir(root)
        .args(["test", "--workspace", "--exclude", "dala-expr-wasm-bench"])
        .env("DALA_DIST", &dist)
        .env("DALA_CLI", &cli)
        .status()
        .context("running cargo test")?;
    if !status.success() {
        bail!("tests failed");
    }
    wasm_tests(root)?;
    difftest_quick(root)
}

/// The fixed part of `cargo xtask difftest` (the seed instruments and 25 generated forms):
/// any difference from ODK's engine that is not on the documented list fails the tests.
fn difftest_quick(root: &Path) -> Result<()> {
    let outcome = difftest::run(root, difftest::Scope::Quick)?;
    for d in &outcome.differences {
        eprintln!(
            "difftest: {} step {} {} {}: dala {:?}, ODK {:?}",
            d.form, d.step, d.path, d.field, d.dala, d.odk
        );
    }
    if !outcome.differences.is_empty() || !outcome.odk_refused.is_empty() {
        bail!(
            "difftest: {} difference(s) from ODK's engine, {} form(s) it does not load (cargo xtask difftest --quick)",
            outcome.differences.len(),
            outcome.odk_refused.len()
        );
    }
    println!(
        "difftest: {} forms played against ODK's engine, no difference off the documented list",
        outcome.forms
    );
    Ok(())
}

/// rustfmt and clippy, warnings as errors: the native workspace with its tests and benches, and
/// the app for wasm32 (the whole app and Collect alone), with its browser tests.
fn lint(root: &Path) -> Result<()> {
    toolchain::ensure_wasm_target(root)?;
    let clippy_wasm = |features: &'static str| -> Vec<&'static str> {
        let mut args = vec!["clippy", "--package", "dala-web", "--target"];
        args.push(toolchain::WASM_TARGET);
        args.push(features);
        args.extend(["--", "-D", "warnings"]);
        args
    };
    let runs: Vec<Vec<&str>> = vec![
        vec!["fmt", "--all", "--check"],
        vec![
            "clippy",
            "--workspace",
            "--all-targets",
            "--exclude",
            "dala-expr-wasm-bench",
            "--",
            "-D",
            "warnings",
        ],
        // The whole app with its browser tests, and Collect alone.
        clippy_wasm("--all-targets"),
        clippy_wasm("--no-default-features"),
    ];
    for args in &runs {
        let status = Command::new(cargo())
            .current_dir(root)
            .args(args)
            .status()
            .with_context(|| format!("running cargo {}", args.join(" ")))?;
        if !status.success() {
            bail!("cargo {} failed", args.join(" "));
        }
    }
    Ok(())
}

/// dala-web's tests that need a browser's IndexedDB, compiled to wasm and run in headless
/// Chromium by wasm-bindgen's test runner through chromedriver.
fn wasm_tests(root: &Path) -> Result<()> {
    let runner = toolchain::ensure_test_runner(root)?;
    let (_, chromedriver) =
        dala_e2e::webdriver::find_browser().map_err(|message| anyhow::anyhow!(message))?;
    // The runner reads Chrome's options from this file: headless, and no network chatter,
    // which would stall on a closed network.
    let capabilities = root.join("target/tools/webdriver.json");
    let args: Vec<&str> = dala_e2e::webdriver::CHROME_ARGS.to_vec();
    std::fs::write(
        &capabilities,
        serde_json::json!({ "goog:chromeOptions": { "args": args } }).to_string(),
    )?;
    let status = Command::new(cargo())
        .current_dir(root)
        .args([
            "test",
            "--package",
            "dala-web",
            "--target",
            toolchain::WASM_TARGET,
            "--tests",
        ])
        .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", &runner)
        .env("CHROMEDRIVER", &chromedriver)
        .env("WASM_BINDGEN_TEST_WEBDRIVER_JSON", &capabilities)
        .env("WASM_BINDGEN_TEST_TIMEOUT", "120")
        .status()
        .context("running the wasm tests")?;
    if !status.success() {
        bail!("wasm tests failed");
    }
    Ok(())
}

pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}
