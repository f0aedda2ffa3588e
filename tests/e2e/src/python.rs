//! Python tools the tests run as oracles or fuzzers (pyxform, schemathesis), installed from
//! PyPI with pip into a folder of their own under target/ on first use. Python 3 with pip is
//! needed; `.ci/run` installs it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

static INSTALL: Mutex<()> = Mutex::new(());

/// The folder `spec` (`name==version`) is installed in, installing it on first use; `marker`
/// is a path inside the folder that exists once it is installed.
pub fn site(spec: &str, marker: &str) -> PathBuf {
    let _one = INSTALL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let name = spec.split("==").next().unwrap_or(spec);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target")
        .join(name);
    let site = root.join(spec.replace("==", "-"));
    if site.join(marker).exists() {
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
        .arg(spec)
        .status()
        .expect("python3 runs (Python 3 with pip is needed)");
    assert!(status.success(), "pip install {spec} failed");
    if std::fs::rename(&partial, &site).is_err() {
        // Another test process installed it first.
        let _ = std::fs::remove_dir_all(&partial);
    }
    assert!(site.join(marker).exists(), "{spec} is not in {site:?}");
    site
}
