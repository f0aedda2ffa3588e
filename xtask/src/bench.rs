//! `cargo xtask bench NAME`: our engine and the peer the issue names, measured in the same
//! run, with the figures written to target/bench/NAME.json.

use crate::web::compile_wasm;
use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The peer engine (Enketo's XPath evaluator) and the DOM it needs under Node.js, pinned.
const PEER_PACKAGES: [&str; 2] = ["openrosa-xpath-evaluator@3.1.0", "jsdom@29.1.1"];
const MILLIS: &str = "3000";

pub fn run(root: &Path, args: &[String]) -> Result<()> {
    match args.first().map(String::as_str) {
        Some("expr") => expr(root),
        Some("engine") => crate::bench_engine::run(root),
        Some("xlsform") => crate::bench_xlsform::run(root),
        Some("aggregate") => crate::bench_aggregate::run(root),
        Some("web") => crate::bench_web::run(root),
        Some("design") => crate::bench_design::run(root),
        Some("analyse") => crate::bench_analyse::run(root),
        Some("media") => crate::bench_media::run(root),
        Some("server") => crate::bench_server::run(root),
        Some("soak") => crate::bench_soak::run(root),
        Some("sync") => crate::bench_sync::run(root),
        _ => bail!(
            "usage: cargo xtask bench expr|engine|xlsform|aggregate|web|design|analyse|media|server|soak|sync"
        ),
    }
}

fn expr(root: &Path) -> Result<()> {
    let corpus = root.join("xtask/bench/expr-corpus.txt");
    let script = root.join("xtask/bench/expr.js");
    let node_modules = install_npm(root, "expr", &PEER_PACKAGES)?;

    eprintln!("bench expr: native (parse + evaluate, then evaluate only)");
    let native = run_json(
        Command::new(crate::cargo())
            .current_dir(root)
            .args(["bench", "--quiet", "-p", "dala-expr", "--bench", "expr"])
            .env("DALA_BENCH_CORPUS", &corpus)
            .env("DALA_BENCH_MILLIS", MILLIS),
    )?;

    eprintln!("bench expr: wasm under Node.js (one JS-to-wasm call per evaluation)");
    crate::toolchain::ensure_wasm_target(root)?;
    let wasm = compile_wasm(root, "dala-expr-wasm-bench", "bench-wasm")?;
    let glue_dir = root.join("target/bench/expr-wasm");
    std::fs::create_dir_all(&glue_dir)?;
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&wasm)
        .nodejs(true)?
        .typescript(false)
        .generate(&glue_dir)
        .context("wasm-bindgen for Node.js")?;
    let glue = glue_dir.join("dala_expr_wasm_bench.js");
    let ours_wasm = run_json(
        Command::new("node")
            .arg(&script)
            .arg("wasm")
            .arg(&corpus)
            .arg(MILLIS)
            .arg(&glue),
    )?;

    eprintln!(
        "bench expr: peer, {} with jsdom under Node.js",
        PEER_PACKAGES[0]
    );
    let peer = run_json(
        Command::new("node")
            .arg(&script)
            .arg("peer")
            .arg(&corpus)
            .arg(MILLIS)
            .arg(&node_modules),
    )?;

    // The engines must agree, or the race means nothing.
    let mismatches: Vec<Value> = peer["results"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .filter(|(i, r)| native["results"][i] != **r || ours_wasm["results"][i] != **r)
        .map(|(i, r)| json!({"index": i, "peer": r, "native": native["results"][i], "wasm": ours_wasm["results"][i]}))
        .collect();

    let number = |v: &Value, key: &str| v[key].as_f64().unwrap_or(f64::NAN);
    let peer_rate = number(&peer, "evals_per_s");
    let wasm_rate = number(&ours_wasm, "evals_per_s");
    let native_rate = number(&native, "parse_eval_per_s");
    let native_compiled = number(&native, "eval_per_s");
    let report = json!({
        "bench": "expr",
        "what": "parse + evaluate one XLSForm expression and read its string value, per call",
        "expressions": native["expressions"],
        "ours": {
            "wasm_node_evals_per_s": wasm_rate,
            "native_evals_per_s": native_rate,
            "native_evaluate_only_per_s": native_compiled,
        },
        "peer": {"name": "openrosa-xpath-evaluator 3.1.0 (Enketo) + jsdom 29.1.1, Node.js", "evals_per_s": peer_rate},
        "ratio": {
            "wasm_vs_peer": wasm_rate / peer_rate,
            "native_vs_peer": native_rate / peer_rate,
        },
        "results_agree": mismatches.is_empty(),
        "mismatches": mismatches,
        "machine": machine(),
    });
    let out = root.join("target/bench/expr.json");
    std::fs::write(&out, serde_json::to_string_pretty(&report)?)?;
    println!(
        "expression evaluations per second ({} expressions, parse + evaluate per call):",
        report["expressions"]
    );
    println!("  peer  openrosa-xpath-evaluator, Node.js  {peer_rate:>12.0}");
    println!(
        "  dala  wasm, Node.js                      {:>12.0}  {:>6.1}x",
        wasm_rate,
        wasm_rate / peer_rate
    );
    println!(
        "  dala  native                             {:>12.0}  {:>6.1}x",
        native_rate,
        native_rate / peer_rate
    );
    println!("  dala  native, evaluate only (pre-parsed) {native_compiled:>12.0}");
    println!(
        "results agree: {}; figures in {}",
        mismatches.is_empty(),
        out.display()
    );
    if !mismatches.is_empty() {
        println!(
            "mismatches: {}",
            serde_json::to_string_pretty(&report["mismatches"])?
        );
    }
    Ok(())
}

/// Installs pinned npm packages into an ignored folder (bench-tools/NAME), once.
/// Builds the `dala` command line as the benchmarks run it (profile bench-cli: speed, not
/// size) and returns its path; `bench` names the benchmark in the progress line.
pub fn build_bench_cli(root: &Path, bench: &str) -> Result<PathBuf> {
    eprintln!("bench {bench}: building dala (profile bench-cli)");
    let built = Command::new(crate::cargo())
        .current_dir(root)
        .args([
            "build",
            "--quiet",
            "--profile",
            "bench-cli",
            "-p",
            "dala-cli",
        ])
        .status()?;
    if !built.success() {
        bail!("building dala failed");
    }
    Ok(root.join("target/bench-cli/dala"))
}

pub fn install_npm(root: &Path, name: &str, packages: &[&str]) -> Result<PathBuf> {
    let dir = root.join("bench-tools").join(name);
    let modules = dir.join("node_modules");
    let installed = packages.iter().all(|p| {
        let (package, version) = p.rsplit_once('@').unwrap_or((p, ""));
        std::fs::read_to_string(modules.join(package).join("package.json"))
            .is_ok_and(|text| text.contains(&format!("\"version\": \"{version}\"")))
    });
    if !installed {
        std::fs::create_dir_all(&dir)?;
        eprintln!("installing {} into {}", packages.join(" "), dir.display());
        let status = Command::new("npm")
            .current_dir(&dir)
            .args(["install", "--no-audit", "--no-fund", "--no-save"])
            .args(packages)
            .status()
            .context("running npm (Node.js and npm are needed for this benchmark)")?;
        if !status.success() {
            bail!("npm install of {} failed", packages.join(" "));
        }
    }
    Ok(modules)
}

pub fn run_json(command: &mut Command) -> Result<Value> {
    let output = command
        .output()
        .with_context(|| format!("running {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{') || l.starts_with('['))
        .context("no JSON line in the output")?;
    serde_json::from_str(line).context("parsing benchmark output")
}

pub fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string());
    let node = Command::new("node")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    json!({
        "cpu": cpu,
        "cores": std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        "os": std::env::consts::OS,
        "arch": std::env::consts::ARCH,
        "node": node,
    })
}
