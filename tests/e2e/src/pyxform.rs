//! pyxform, the converter ODK Central, KoboToolbox and Ona run on every uploaded XLSForm, as an
//! oracle: a workbook Dala writes must convert with it, keeping its title and languages.
//! The tests install the pinned version from PyPI into target/pyxform once (an ignored
//! folder); Python 3 with pip is needed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// The version the issue tracker and the field's servers run.
pub const PYXFORM: &str = "pyxform==4.5.0";

/// What the XForm pyxform made says of the form.
#[derive(Debug, PartialEq, Eq)]
pub struct XForm {
    /// `<h:title>`.
    pub title: String,
    /// The `lang` of each `<translation>`, in order.
    pub languages: Vec<String>,
}

const CONVERT: &str = r#"
import json, os, re, sys, tempfile
sys.path.insert(0, sys.argv[1])
from pyxform.xls2xform import xls2xform_convert
out = os.path.join(tempfile.mkdtemp(), "form.xml")
try:
    warnings = xls2xform_convert(xlsform_path=sys.argv[2], xform_path=out, validate=False)
except Exception as e:
    print(json.dumps({"error": type(e).__name__ + ": " + str(e)}))
    sys.exit(0)
xml = open(out, encoding="utf-8").read()
title = re.search(r"<h:title>(.*?)</h:title>", xml, re.S)
print(json.dumps({
    "title": title.group(1) if title else "",
    "languages": re.findall(r'<translation[^>]*\slang="([^"]*)"', xml),
    "warnings": warnings,
}))
"#;

static INSTALL: Mutex<()> = Mutex::new(());

/// The folder pyxform is installed in, installing it on first use.
pub fn site() -> PathBuf {
    let _one = INSTALL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/pyxform");
    let site = root.join(PYXFORM.replace("==", "-"));
    if site.join("pyxform").exists() {
        return site;
    }
    // Installed beside and renamed into place, so a test process that stops half-way never
    // leaves a folder that looks installed.
    let partial = root.join(format!("partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&partial);
    let status = Command::new("python3")
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .arg("--target")
        .arg(&partial)
        .arg(PYXFORM)
        .status()
        .expect("python3 runs (Python 3 with pip is needed for the pyxform check)");
    assert!(status.success(), "pip install {PYXFORM} failed");
    if std::fs::rename(&partial, &site).is_err() {
        // Another test process installed it first.
        let _ = std::fs::remove_dir_all(&partial);
    }
    assert!(site.join("pyxform").exists(), "pyxform is not in {site:?}");
    site
}

/// Converts a workbook with pyxform: the XForm's title and languages, or pyxform's error.
pub fn convert(workbook: &Path) -> Result<XForm, String> {
    let out = Command::new("python3")
        .arg("-c")
        .arg(CONVERT)
        .arg(site())
        .arg(workbook)
        .output()
        .expect("python3 runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let value: serde_json::Value = serde_json::from_str(text.trim()).map_err(|e| {
        format!(
            "pyxform said nothing readable ({e}): {text}{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    if let Some(error) = value["error"].as_str() {
        return Err(error.to_string());
    }
    Ok(XForm {
        title: value["title"].as_str().unwrap_or_default().to_string(),
        languages: value["languages"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| l.as_str().map(str::to_string))
            .collect(),
    })
}
