//! The wasm32 target. rustup installs the targets listed in rust-toolchain.toml only when it
//! installs the toolchain itself; on a machine where the toolchain already exists, the target
//! is missing, so we add it.

use anyhow::{Context, Result, bail};
use std::path::Path;
use std::process::Command;

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

pub fn ensure_wasm_target(root: &Path) -> Result<()> {
    let installed = Command::new("rustup")
        .current_dir(root)
        .args(["target", "list", "--installed"])
        .output()
        .context("running `rustup target list --installed` (is rustup installed?)")?;
    if String::from_utf8_lossy(&installed.stdout)
        .lines()
        .any(|l| l.trim() == WASM_TARGET)
    {
        return Ok(());
    }
    eprintln!("adding the {WASM_TARGET} target with rustup");
    let status = Command::new("rustup")
        .current_dir(root)
        .args(["target", "add", WASM_TARGET])
        .status()
        .context("running `rustup target add`")?;
    if !status.success() {
        bail!("`rustup target add {WASM_TARGET}` failed");
    }
    Ok(())
}

/// The version of wasm-bindgen-cli whose test runner drives the wasm tests: it must be the
/// version of the `wasm-bindgen` crate (Cargo.toml pins both with `=`).
pub const WASM_BINDGEN_VERSION: &str = "0.2.130";

/// `wasm-bindgen-test-runner`, installed once into target/tools (ignored by git) with cargo.
pub fn ensure_test_runner(root: &Path) -> Result<std::path::PathBuf> {
    let tools = root.join(format!("target/tools/wasm-bindgen-{WASM_BINDGEN_VERSION}"));
    let runner = tools.join("bin/wasm-bindgen-test-runner");
    if runner.exists() {
        return Ok(runner);
    }
    eprintln!(
        "installing wasm-bindgen-cli {WASM_BINDGEN_VERSION} (its test runner) into {}",
        tools.display()
    );
    let build = root.join("target/tools/build");
    let status = Command::new(crate::cargo())
        .current_dir(root)
        .args(["install", "wasm-bindgen-cli", "--version"])
        .arg(format!("={WASM_BINDGEN_VERSION}"))
        .arg("--root")
        .arg(&tools)
        .arg("--target-dir")
        .arg(&build)
        .status()
        .context("running cargo install wasm-bindgen-cli")?;
    if !status.success() || !runner.exists() {
        bail!("installing wasm-bindgen-cli {WASM_BINDGEN_VERSION} failed");
    }
    // The build folder is only needed once; it is large.
    let _ = std::fs::remove_dir_all(&build);
    Ok(runner)
}
