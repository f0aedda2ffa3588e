//! pyxform, the converter ODK Central, KoboToolbox and Ona run on every uploaded XLSForm, as an
//! oracle: a workbook Dala writes must convert with it, keeping its title and languages.
//! The tests install the pinned version from PyPI into target/pyxform once (an ignored
//! folder, see `python`).

use std::path::{Path, PathBuf};
use std::process::Command;

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

/// The folder pyxform is installed in, installing it on first use.
pub fn site() -> PathBuf {
    crate::python::site(PYXFORM, "pyxform")
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
