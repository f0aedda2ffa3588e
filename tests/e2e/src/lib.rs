//! What the browser tests and `cargo xtask serve` share: a static file server for dist/ and a
//! WebDriver client for chromedriver. Both speak plain HTTP/1.1 on 127.0.0.1 only.

pub mod collect;
pub mod server;
pub mod webdriver;

/// Copies a folder (a built dist/) into another, for a site the tests or benches change.
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let path = entry?.path();
        let Some(name) = path.file_name() else {
            continue;
        };
        if path.is_dir() {
            copy_dir(&path, &to.join(name))?;
        } else {
            std::fs::copy(&path, to.join(name))?;
        }
    }
    Ok(())
}

/// A path the test command passes in the environment (`DALA_DIST`: the built app; `DALA_CLI`:
/// the `dala` binary), or a panic saying how to run the tests.
pub fn env_path(name: &str) -> std::path::PathBuf {
    match std::env::var_os(name) {
        Some(path) => std::path::PathBuf::from(path),
        None => panic!("{name} is not set: run the browser tests with `cargo xtask test`"),
    }
}

/// An empty folder under target/e2e for one test's files, as a plain absolute path (what
/// Chromium wants for its download folder).
pub fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/e2e")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir.canonicalize().expect("scratch dir path")
}

/// The first `program` on the PATH.
pub fn find_in_path(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}
