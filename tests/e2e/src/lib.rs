//! What the browser tests and `cargo xtask serve` share: a static file server for dist/ and a
//! WebDriver client for chromedriver. Both speak plain HTTP/1.1 on 127.0.0.1 only.

pub mod collect;
pub mod hostile;
pub mod postgres;
pub mod python;
pub mod pyxform;
pub mod served;
pub mod server;
pub mod webdriver;

/// The seed plan's share of women by district, as the browser tests' own copy for the CLI:
/// if the shipped plan and this one ever part, the tests' byte comparisons say so.
pub const WOMEN_BY_DISTRICT: &str = r#"[[table]]
id = "women_share_by_district"
kind = "frequency"
variable = "sex"
by = "district"
filter = "${consent} = 'yes'"
benchmark = 50.6
category = "f"
"#;

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

/// A designer's workbook, written from a markdown `form`, and the CSV `list` it reads, side
/// by side in `dir` as a designer keeps them: the paths of both.
pub fn workbook_with_list(
    dir: &std::path::Path,
    form_id: &str,
    form: &str,
    (list_name, list): (&str, &str),
) -> (std::path::PathBuf, std::path::PathBuf) {
    let given =
        std::collections::BTreeMap::from([(list_name.to_string(), list.as_bytes().to_vec())]);
    let workbook = write_workbook(dir, form_id, form, &given);
    let list_path = dir.join(list_name);
    std::fs::write(&list_path, list).expect("write the list");
    (workbook, list_path)
}

/// A designer's workbook written from a markdown `form` into `dir`: its path.
pub fn workbook(dir: &std::path::Path, form_id: &str, form: &str) -> std::path::PathBuf {
    write_workbook(dir, form_id, form, &std::collections::BTreeMap::new())
}

fn write_workbook(
    dir: &std::path::Path,
    form_id: &str,
    form: &str,
    files: &std::collections::BTreeMap<String, Vec<u8>>,
) -> std::path::PathBuf {
    let instrument = dala_xlsform::read_with_files(form.as_bytes(), form_id, files)
        .instrument
        .expect("the test form converts");
    let workbook = dir.join(format!("{form_id}.xlsx"));
    std::fs::write(
        &workbook,
        dala_xlsform::writer::write_xlsx(&dala_xlsform::writer::to_workbook(&instrument)),
    )
    .expect("write the workbook");
    workbook
}

/// A photo as a camera would not write it but every browser decodes: an uncompressed 24-bit
/// BMP of `width` x `height` (a colour gradient, so a JPEG of it is not trivially small).
pub fn photo_bmp(width: u32, height: u32) -> Vec<u8> {
    let row = (width * 3).div_ceil(4) * 4;
    let pixels = row * height;
    let mut out = Vec::with_capacity(54 + pixels as usize);
    out.extend_from_slice(b"BM");
    out.extend_from_slice(&(54 + pixels).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&54u32.to_le_bytes());
    out.extend_from_slice(&40u32.to_le_bytes());
    out.extend_from_slice(&(width as i32).to_le_bytes());
    out.extend_from_slice(&(height as i32).to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&24u16.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&pixels.to_le_bytes());
    out.extend_from_slice(&[0; 16]);
    for y in 0..height {
        for x in 0..width {
            out.extend_from_slice(&[
                (x * 255 / width.max(1)) as u8,
                (y * 255 / height.max(1)) as u8,
                ((x + y) % 256) as u8,
            ]);
        }
        out.resize(out.len() + (row - width * 3) as usize, 0);
    }
    out
}

/// The first `program` on the PATH.
pub fn find_in_path(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// Waits (up to 20 s) for a finished download in `dir` whose name `accept`s. Chromium writes
/// into `NAME.crdownload` and renames it when done, but a small download can show under its
/// name before its bytes are in: a file counts once it is not empty and its size has held for
/// a poll.
pub fn downloaded(dir: &std::path::Path, accept: impl Fn(&str) -> bool) -> std::path::PathBuf {
    let mut seen: Option<(std::path::PathBuf, u64)> = None;
    for _ in 0..200 {
        let found = std::fs::read_dir(dir).ok().and_then(|entries| {
            entries
                .filter_map(std::result::Result::ok)
                .map(|e| e.path())
                .find(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| !n.ends_with(".crdownload") && accept(n))
                })
        });
        if let Some(path) = found {
            let size = std::fs::metadata(&path).map_or(0, |m| m.len());
            if size > 0 && seen.as_ref() == Some(&(path.clone(), size)) {
                return path;
            }
            seen = Some((path, size));
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("nothing was downloaded into {}", dir.display())
}

/// Saves a PNG of the page as target/e2e/NAME.png, to look at what a test saw.
pub fn screenshot(browser: &webdriver::Browser, name: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/e2e")
        .join(format!("{name}.png"));
    browser.screenshot(&path).expect("screenshot");
}
