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
    let staging = root.join("target/dist-staging");
    let _ = fs::remove_dir_all(&staging);
    fs::create_dir_all(&staging)?;
    // Two apps of one crate: the whole app with the Design workspace (design.html), then
    // Collect alone (index.html: what a tablet downloads). The first is renamed before the
    // second build writes over its .wasm.
    let whole = compile_wasm_with(root, "dala-web", "web", &[])?;
    let design = whole.with_file_name("dala_design.wasm");
    fs::copy(&whole, &design)?;
    bindgen(&design, &staging)?;
    let collect = compile_wasm_with(root, "dala-web", "web", &["--no-default-features"])?;
    bindgen(&collect, &staging)?;
    let importer = compile_wasm(root, "dala-import", "web")?;
    bindgen(&importer, &staging)?;
    let dist = root.join("dist");

    // Content-hash every asset so a new release never mixes with a cached old one.
    let _ = fs::remove_dir_all(&dist);
    fs::create_dir_all(&dist)?;
    if staging.join("snippets").exists() {
        bail!("wasm-bindgen produced JS snippets; copy them into dist/ before using inline JS");
    }
    let mut renames: Vec<(String, String)> = Vec::new();
    for (source, name) in [
        (staging.join("dala_web_bg.wasm"), "dala_web_bg.wasm"),
        (staging.join("dala_web.js"), "dala_web.js"),
        (staging.join("dala_design_bg.wasm"), "dala_design_bg.wasm"),
        (staging.join("dala_design.js"), "dala_design.js"),
        (staging.join("dala_import_bg.wasm"), "dala_import_bg.wasm"),
        (staging.join("dala_import.js"), "dala_import.js"),
        (root.join("web/dala_media.js"), "dala_media.js"),
        (root.join("web/styles.css"), "styles.css"),
    ] {
        let bytes = fs::read(&source).with_context(|| format!("reading {}", source.display()))?;
        let hashed = hashed_name(name, &bytes);
        fs::write(dist.join(&hashed), &bytes)?;
        renames.push((name.to_string(), hashed));
    }
    // boot.js names the glue and the wasm, so it is rewritten first and hashed after.
    let boot = rewrite(&read_text(&root.join("web/boot.js"))?, &renames, "boot.js")?;
    let boot_name = hashed_name("boot.js", boot.as_bytes());
    fs::write(dist.join(&boot_name), &boot)?;
    renames.push(("boot.js".into(), boot_name));
    let index = rewrite(
        &read_text(&root.join("index.html"))?,
        &renames,
        "index.html",
    )?;
    fs::write(dist.join("index.html"), &index)?;
    // The same page; boot.js starts the whole app when the page is design.html.
    fs::write(dist.join("design.html"), &index)?;

    fs::copy(
        root.join("web/manifest.webmanifest"),
        dist.join("manifest.webmanifest"),
    )?;
    fs::create_dir_all(dist.join("icons"))?;
    for icon in ["icon-192.png", "icon-512.png"] {
        fs::copy(
            root.join("web/icons").join(icon),
            dist.join("icons").join(icon),
        )?;
    }
    copy_surveys(root, &dist)?;
    write_service_worker(root, &dist)?;
    Ok(dist)
}

fn read_text(path: &Path) -> Result<String> {
    fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// Replaces `./name'`, `'./name'` and `"name"` references by the hashed names; every name
/// must be referenced unless the file is the one being named (boot.js does not name itself).
fn rewrite(text: &str, renames: &[(String, String)], file: &str) -> Result<String> {
    let mut out = text.to_string();
    for (from, to) in renames {
        let quoted = format!("./{from}'");
        let plain = format!("\"{from}\"");
        let wanted = match file {
            "boot.js" => from.starts_with("dala_"),
            _ => from == "styles.css" || from == "boot.js",
        };
        if wanted && !out.contains(&quoted) && !out.contains(&plain) {
            bail!("{file} does not reference {from}");
        }
        out = out
            .replace(&quoted, &format!("./{to}'"))
            .replace(&plain, &format!("\"{to}\""));
    }
    Ok(out)
}

/// The bundled instruments: surveys/NAME/instrument.json -> dist/surveys/NAME.json, listed in
/// dist/surveys/index.json, which the app reads at start-up; their analysis plans go to
/// dist/surveys/plans/FORM_ID.toml.
fn copy_surveys(root: &Path, dist: &Path) -> Result<()> {
    let out = dist.join("surveys");
    fs::create_dir_all(&out)?;
    let mut names = Vec::new();
    let mut dirs: Vec<PathBuf> = fs::read_dir(root.join("surveys"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("instrument.json").is_file())
        .collect();
    dirs.sort();
    for dir in dirs {
        let name = format!(
            "{}.json",
            dir.file_name()
                .and_then(|n| n.to_str())
                .context("survey folder name")?
        );
        fs::copy(dir.join("instrument.json"), out.join(&name))?;
        names.push(name);
        // The analysis plan, by form id: the Analyse workspace loads it with one click.
        if dir.join("analysis.toml").is_file() {
            let instrument: serde_json::Value =
                serde_json::from_str(&fs::read_to_string(dir.join("instrument.json"))?)?;
            let form_id = instrument["settings"]["form_id"]
                .as_str()
                .context("instrument.json has no settings.form_id")?;
            fs::create_dir_all(out.join("plans"))?;
            fs::copy(
                dir.join("analysis.toml"),
                out.join("plans").join(format!("{form_id}.toml")),
            )?;
        }
    }
    fs::write(out.join("index.json"), serde_json::to_string(&names)?)?;
    Ok(())
}

/// web/sw.js with the list of every file in dist/ to precache and a version that changes
/// whenever any of them does (so a new build is a new service worker).
fn write_service_worker(root: &Path, dist: &Path) -> Result<()> {
    let mut files = Vec::new();
    collect_files(dist, dist, &mut files)?;
    files.sort();
    let mut hasher = Sha256::new();
    for file in &files {
        hasher.update(file.as_bytes());
        hasher.update(fs::read(dist.join(file))?);
    }
    let version: String = hasher
        .finalize()
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect();
    // The XLSForm importer and the whole app's wasm are cached after the install, not during
    // it (see web/sw.js): a tablet starts Collect without waiting for them.
    let (later, now): (Vec<String>, Vec<String>) = files.into_iter().partition(|f| is_on_demand(f));
    let mut assets = vec!["./".to_string()];
    assets.extend(now);
    let template = read_text(&root.join("web/sw.js"))?;
    for placeholder in ["__ASSETS__", "__LATER__", "__VERSION__"] {
        if !template.contains(placeholder) {
            bail!("web/sw.js has lost its {placeholder} placeholder");
        }
    }
    let sw = template
        .replace("__ASSETS__", &serde_json::to_string(&assets)?)
        .replace("__LATER__", &serde_json::to_string(&later)?)
        .replace("__VERSION__", &version);
    fs::write(dist.join("sw.js"), sw)?;
    Ok(())
}

/// Files the app fetches only when they are needed: the XLSForm importer, media questions'
/// helpers, and the whole app (Collect with the Design workspace), which design.html starts.
pub fn is_on_demand(file: &str) -> bool {
    file.starts_with("dala_import")
        || file.starts_with("dala_design")
        || file.starts_with("dala_media")
}

fn collect_files(dir: &Path, base: &Path, out: &mut Vec<String>) -> Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_files(&path, base, out)?;
        } else if let Ok(relative) = path.strip_prefix(base) {
            out.push(relative.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

/// wasm-bindgen's JS glue for a wasm module, written into `out`.
fn bindgen(wasm: &Path, out: &Path) -> Result<()> {
    let mut bindgen = wasm_bindgen_cli_support::Bindgen::new();
    bindgen
        .input_path(wasm)
        .web(true)?
        // Keep the default `new URL('…_bg.wasm', import.meta.url)` so the glue also works on
        // its own; boot.js passes the hashed path explicitly anyway.
        .omit_default_module_path(false)
        // Tablets download every byte: no function names or producer notes in the wasm.
        .remove_name_section(true)
        .remove_producers_section(true)
        .typescript(false);
    bindgen.generate(out).context("wasm-bindgen")
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
    compile_wasm_with(root, package, profile, &[])
}

/// [`compile_wasm`] with more cargo arguments (features).
pub fn compile_wasm_with(
    root: &Path,
    package: &str,
    profile: &str,
    extra: &[&str],
) -> Result<PathBuf> {
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
        .args(extra)
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
