//! The web build: cargo (wasm32) -> wasm-bindgen (as a library, no CLI to install) -> dist/
//! with content-hashed file names and index.html rewritten to them.

use crate::toolchain::{WASM_TARGET, ensure_wasm_target};
use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Builds the app and returns the dist/ directory.
pub fn build(root: &Path) -> Result<PathBuf> {
    ensure_wasm_target(root)?;
    let wasm = compile_wasm(root, "dala-web", "web")?;
    let dist = root.join("dist");
    let staging = root.join("target/dist-staging");
    let _ = fs::remove_dir_all(&staging);
    fs::create_dir_all(&staging)?;

    let mut bindgen = wasm_bindgen_cli_support::Bindgen::new();
    bindgen
        .input_path(&wasm)
        .web(true)?
        // Keep the default `new URL('…_bg.wasm', import.meta.url)` so the glue also works on
        // its own; index.html passes the hashed path explicitly anyway.
        .omit_default_module_path(false)
        .typescript(false);
    bindgen.generate(&staging).context("wasm-bindgen")?;

    // Content-hash every asset so a new release never mixes with a cached old one.
    let mut renames: Vec<(String, String)> = Vec::new();
    let _ = fs::remove_dir_all(&dist);
    fs::create_dir_all(&dist)?;
    for (source, name) in [
        (staging.join("dala_web_bg.wasm"), "dala_web_bg.wasm"),
        (staging.join("dala_web.js"), "dala_web.js"),
        (root.join("web/styles.css"), "styles.css"),
    ] {
        let bytes = fs::read(&source).with_context(|| format!("reading {}", source.display()))?;
        let hashed = hashed_name(name, &bytes);
        fs::write(dist.join(&hashed), &bytes)?;
        renames.push((name.to_string(), hashed));
    }
    if staging.join("snippets").exists() {
        bail!("wasm-bindgen produced JS snippets; copy them into dist/ before using inline JS");
    }
    let mut index = fs::read_to_string(root.join("index.html")).context("reading index.html")?;
    for (from, to) in &renames {
        let quoted = format!("./{from}'");
        let plain = format!("\"{from}\"");
        if !index.contains(&quoted) && !index.contains(&plain) {
            bail!("index.html does not reference {from}");
        }
        index = index
            .replace(&quoted, &format!("./{to}'"))
            .replace(&plain, &format!("\"{to}\""));
    }
    fs::write(dist.join("index.html"), index)?;
    Ok(dist)
}

/// `name.ext` -> `name-<first 10 hex digits of SHA-256>.ext` (wasm-bindgen's `_bg` kept).
fn hashed_name(name: &str, bytes: &[u8]) -> String {
    let digest: String = Sha256::digest(bytes)
        .iter()
        .take(5)
        .map(|b| format!("{b:02x}"))
        .collect();
    match name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}-{digest}.{ext}"),
        None => format!("{name}-{digest}"),
    }
}

/// `cargo build --target wasm32-unknown-unknown` of a cdylib; returns the .wasm path.
pub fn compile_wasm(root: &Path, package: &str, profile: &str) -> Result<PathBuf> {
    let status = Command::new(crate::cargo())
        .current_dir(root)
        .args([
            "build",
            "--package",
            package,
            "--target",
            WASM_TARGET,
            "--profile",
            profile,
        ])
        .status()
        .context("running cargo build for wasm32")?;
    if !status.success() {
        bail!("the wasm build of {package} failed");
    }
    let wasm = root
        .join("target")
        .join(WASM_TARGET)
        .join(profile)
        .join(format!("{}.wasm", package.replace('-', "_")));
    if !wasm.exists() {
        bail!("cargo did not produce {}", wasm.display());
    }
    Ok(wasm)
}
