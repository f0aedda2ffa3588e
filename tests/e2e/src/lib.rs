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
