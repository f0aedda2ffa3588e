//! `cargo xtask compat`: which XLSForms pyxform (the converter ODK Central, KoboToolbox and Ona
//! run) accepts and Dala refuses, and the other way round. pyxform, pinned and installed into
//! target/pyxform, is the oracle; the corpus is the shared pyxform workbooks, our surveys/ and
//! the markdown forms of pyxform's own test suite. Prints the disagreements and writes
//! target/bench/compat.json.

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Dala's verdict on a form: `ok` (it converts, validates and compiles) or why not.
fn dala_verdict(path: &Path) -> String {
    let Ok(bytes) = std::fs::read(path) else {
        return "unreadable".into();
    };
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("form");
    dala_xlsform::load(&bytes, stem).map_or_else(|why| why, |_| "ok".into())
}

pub(crate) fn workbooks(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let corpus = root.join("../shared/corpus/xlsform");
    if let Ok(entries) = std::fs::read_dir(&corpus) {
        for entry in entries.flatten() {
            let path = entry.path();
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            if matches!(ext, "xlsx" | "xls" | "md") {
                files.push(path);
            }
        }
    } else {
        println!("the shared XLSForm corpus is not beside the clone; only surveys/ is read");
    }
    for seed in ["fast-family-outcomes", "police-gender-representation"] {
        files.push(root.join("surveys").join(seed).join("instrument.xlsx"));
    }
    files.sort();
    files
}

pub fn run(root: &Path) -> Result<()> {
    let site = dala_e2e::pyxform::site();
    let md_dir = root.join("target/compat/pyxform-tests");
    let _ = std::fs::remove_dir_all(&md_dir);
    let tests = root.join("../shared/corpus/pyxform-tests/tests");
    if !tests.is_dir() {
        println!("pyxform's test suite is not beside the clone; its forms are left out");
    }
    let out = Command::new("python3")
        .arg(root.join("xtask/bench/compat.py"))
        .arg(&site)
        .arg(&md_dir)
        .arg(&tests)
        .args(workbooks(root))
        .output()
        .context("running python3 (Python 3 is needed for the pyxform oracle)")?;
    if !out.status.success() {
        bail!("compat.py failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let forms: Vec<Value> = serde_json::from_slice(&out.stdout).context("compat.py's output")?;
    let mut counts: BTreeMap<(&str, bool), usize> = BTreeMap::new();
    let mut refused_by_us = Vec::new();
    let mut accepted_by_us = Vec::new();
    let mut codes: BTreeMap<String, usize> = BTreeMap::new();
    for form in &forms {
        let name = form["form"].as_str().unwrap_or_default();
        let path = PathBuf::from(form["path"].as_str().unwrap_or_default());
        let pyxform_ok = form["pyxform"] == "ok";
        let ours = dala_verdict(&path);
        let dala_ok = ours == "ok";
        *counts
            .entry((if pyxform_ok { "ok" } else { "error" }, dala_ok))
            .or_default() += 1;
        if pyxform_ok && !dala_ok {
            for code in ours.split(' ') {
                *codes.entry(code.to_string()).or_default() += 1;
            }
            refused_by_us.push(json!({"form": name, "dala": ours}));
        } else if !pyxform_ok && dala_ok {
            accepted_by_us.push(json!({"form": name, "pyxform": form["why"]}));
        }
    }
    let get = |k: (&str, bool)| counts.get(&k).copied().unwrap_or(0);
    let accepted = get(("ok", true)) + get(("ok", false));
    println!("pyxform accepts, Dala refuses ({}):", refused_by_us.len());
    for f in &refused_by_us {
        println!(
            "  {:<70} {}",
            f["form"].as_str().unwrap_or_default(),
            f["dala"].as_str().unwrap_or_default()
        );
    }
    println!("pyxform refuses, Dala accepts ({}):", accepted_by_us.len());
    for f in &accepted_by_us {
        println!(
            "  {:<70} {}",
            f["form"].as_str().unwrap_or_default(),
            f["pyxform"].as_str().unwrap_or_default()
        );
    }
    println!(
        "{} forms: pyxform accepts {accepted}, of which Dala loads {} ({:.1}%); pyxform refuses {}, of which Dala refuses {}",
        forms.len(),
        get(("ok", true)),
        100.0 * get(("ok", true)) as f64 / accepted.max(1) as f64,
        get(("error", true)) + get(("error", false)),
        get(("error", false)),
    );
    println!("Dala's codes on the forms pyxform accepts: {codes:?}");
    let report = json!({
        "bench": "compat",
        "oracle": dala_e2e::pyxform::PYXFORM,
        "forms": forms.len(),
        "pyxform_accepts": accepted,
        "both_accept": get(("ok", true)),
        "only_pyxform_accepts": get(("ok", false)),
        "only_dala_accepts": get(("error", true)),
        "both_refuse": get(("error", false)),
        "ratio_loaded": get(("ok", true)) as f64 / accepted.max(1) as f64,
        "dala_codes_on_pyxform_accepted": codes,
        "refused_by_dala": refused_by_us,
        "accepted_by_dala": accepted_by_us,
        "machine": crate::bench::machine(),
    });
    let path = root.join("target/bench/compat.json");
    std::fs::create_dir_all(root.join("target/bench"))?;
    std::fs::write(&path, serde_json::to_string_pretty(&report)?)?;
    println!("figures in {}", path.display());
    Ok(())
}
