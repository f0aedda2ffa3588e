//! Just enough of the W3C WebDriver protocol to drive headless Chromium through
//! chromedriver: new session, navigate, run a script, resize, screenshot.

use base64::Engine;
use serde_json::{Value, json};
use std::ffi::OsStr;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The Debian packages that provide the browser and its driver.
pub const BROWSER_PACKAGES: &str = "chromium chromium-driver";

fn find_program(search_path: Option<&OsStr>, candidates: &[&str]) -> Option<PathBuf> {
    for dir in std::env::split_paths(search_path?) {
        for name in candidates {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

/// The Chromium binary and chromedriver, or one line saying which packages to install.
pub fn find_browser() -> Result<(PathBuf, PathBuf), String> {
    find_browser_in(std::env::var_os("PATH").as_deref())
}

/// [`find_browser`] over a given search path.
pub fn find_browser_in(search_path: Option<&OsStr>) -> Result<(PathBuf, PathBuf), String> {
    let chromium = find_program(
        search_path,
        &["chromium", "chromium-browser", "google-chrome"],
    );
    let driver = find_program(search_path, &["chromedriver"]);
    match (chromium, driver) {
        (Some(c), Some(d)) => Ok((c, d)),
        _ => Err(format!(
            "browser tests need Chromium and ChromeDriver: install the Debian packages `{BROWSER_PACKAGES}` (apt-get install -y {BROWSER_PACKAGES})"
        )),
    }
}

/// Headless Chromium's flags for this closed network: no sandbox (root), no GPU, and no
/// background network chatter, which would stall.
pub const CHROME_ARGS: [&str; 9] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
];

/// A running chromedriver and one browser session; both end when this is dropped.
pub struct Browser {
    driver: Child,
    port: u16,
    session: String,
    _profile: TempDir,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Browser {
    /// Starts chromedriver on a free port and opens a headless Chromium session with the
    /// flags this closed network needs, a fresh profile and the given window size.
    pub fn start(width: u32, height: u32) -> Result<Browser, String> {
        Browser::start_with(width, height, None)
    }

    /// [`Browser::start`], saving downloads into `downloads` without asking.
    pub fn start_with(
        width: u32,
        height: u32,
        downloads: Option<&Path>,
    ) -> Result<Browser, String> {
        Browser::start_with_args(width, height, downloads, &[])
    }

    /// [`Browser::start`] with a fake camera and microphone (Chromium's test pattern and
    /// tone) that pages may use without asking: media questions' tests.
    pub fn start_with_fake_media(width: u32, height: u32) -> Result<Browser, String> {
        Browser::start_with_args(
            width,
            height,
            None,
            &[
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
            ],
        )
    }

    fn start_with_args(
        width: u32,
        height: u32,
        downloads: Option<&Path>,
        extra: &[&str],
    ) -> Result<Browser, String> {
        let (chromium, chromedriver) = find_browser()?;
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start chromedriver: {e}"))?;
        // A profile of its own for every browser, never a path an earlier browser used: a
        // Chromium still closing keeps its profile locked, and a new one started on it could
        // be handed to the old process or find its database in use.
        static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let nth = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let profile = std::env::temp_dir().join(format!(
            "dala-chromium-{}-{nth}-{port}-{nanos}",
            std::process::id()
        ));
        let mut browser = Browser {
            driver,
            port,
            session: String::new(),
            _profile: TempDir(profile.clone()),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err("chromedriver did not start listening within 20 s".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut args: Vec<String> = CHROME_ARGS
            .iter()
            .map(std::string::ToString::to_string)
            .collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        args.push(format!("--window-size={width},{height}"));
        args.extend(extra.iter().map(std::string::ToString::to_string));
        let mut options = json!({ "binary": chromium, "args": args });
        if let Some(dir) = downloads {
            // A second download from one page would otherwise wait for a permission prompt.
            options["prefs"] = json!({
                "download.default_directory": dir,
                "download.prompt_for_download": false,
                "profile.default_content_setting_values.automatic_downloads": 1,
            });
        }
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": options,
        }}});
        let response = browser.request("POST", "/session", Some(&capabilities))?;
        browser.session = response["sessionId"]
            .as_str()
            .ok_or_else(|| format!("chromedriver gave no session: {response}"))?
            .to_string();
        Ok(browser)
    }

    pub fn goto(&self, url: &str) -> Result<(), String> {
        self.command("POST", "url", Some(&json!({ "url": url })))
            .map(drop)
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns its value.
    pub fn execute(&self, script: &str, args: Value) -> Result<Value, String> {
        self.command(
            "POST",
            "execute/sync",
            Some(&json!({ "script": script, "args": args })),
        )
    }

    /// Polls `script` until it returns something other than null/false, or fails after `timeout`.
    pub fn wait_for(&self, script: &str, timeout: Duration) -> Result<Value, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let value = self.execute(script, json!([]))?;
            if !(value.is_null() || value == Value::Bool(false)) {
                return Ok(value);
            }
            if Instant::now() > deadline {
                return Err(format!("timed out after {timeout:?} waiting for: {script}"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends a DevTools command to the browser (chromedriver's `goog/cdp/execute`): what
    /// WebDriver has no word for, such as a position for the page's geolocation.
    pub fn cdp(&self, command: &str, params: Value) -> Result<Value, String> {
        self.command(
            "POST",
            "goog/cdp/execute",
            Some(&json!({ "cmd": command, "params": params })),
        )
    }

    /// Runs an async `script`: it calls `arguments[arguments.length - 1]` with its result.
    pub fn execute_async(&self, script: &str, args: Value) -> Result<Value, String> {
        self.command(
            "POST",
            "execute/async",
            Some(&json!({ "script": script, "args": args })),
        )
    }

    /// Types `text` into the first element matching `css`, as real key presses.
    pub fn type_into(&self, css: &str, text: &str) -> Result<(), String> {
        let found = self.command(
            "POST",
            "element",
            Some(&json!({ "using": "css selector", "value": css })),
        )?;
        let id = found
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .ok_or_else(|| format!("no element {css}"))?
            .to_string();
        self.command(
            "POST",
            &format!("element/{id}/value"),
            Some(&json!({ "text": text })),
        )
        .map(drop)
    }

    /// Saves a PNG of the viewport.
    pub fn screenshot(&self, path: &Path) -> Result<(), String> {
        let value = self.command("GET", "screenshot", None)?;
        let encoded = value.as_str().ok_or("the screenshot is not a string")?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|e| format!("the screenshot is not base64: {e}"))?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        std::fs::write(path, png).map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    fn command(&self, method: &str, what: &str, body: Option<&Value>) -> Result<Value, String> {
        let response = self.request(method, &format!("/session/{}/{what}", self.session), body)?;
        Ok(response)
    }

    fn request(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
        let body = body.map(Value::to_string).unwrap_or_default();
        let response =
            http(self.port, method, path, &body).map_err(|e| format!("{method} {path}: {e}"))?;
        let parsed: Value = serde_json::from_str(&response)
            .map_err(|e| format!("{method} {path}: bad JSON: {e}"))?;
        let value = parsed.get("value").cloned().unwrap_or(Value::Null);
        if let Some(error) = value.get("error").and_then(Value::as_str) {
            let message = value
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_default();
            return Err(format!("{method} {path}: {error}: {message}"));
        }
        // New-session responses put the id inside `value`.
        Ok(value)
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = http(
                self.port,
                "DELETE",
                &format!("/session/{}", self.session),
                "",
            );
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// One HTTP/1.1 request to 127.0.0.1:`port`; returns the body. chromedriver keeps the
/// connection open whatever the request says, so the body is read by its length.
fn http(port: u16, method: &str, path: &str, body: &str) -> io::Result<String> {
    let stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    let mut writer = &stream;
    write!(
        writer,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut reader = BufReader::new(&stream);
    let mut content_length = None;
    let mut chunked = false;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(io::Error::other("connection closed inside the headers"));
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => content_length = value.trim().parse::<usize>().ok(),
                "transfer-encoding" => chunked = value.trim().eq_ignore_ascii_case("chunked"),
                _ => {}
            }
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let size = usize::from_str_radix(size.trim(), 16).map_err(io::Error::other)?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk)?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(length) = content_length {
        body.resize(length, 0);
        reader.read_exact(&mut body)?;
    } else {
        reader.read_to_end(&mut body)?;
    }
    String::from_utf8(body).map_err(io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_browser_is_one_line_naming_the_debian_packages() {
        let empty = std::env::temp_dir().join("dala-no-browser-here");
        let message =
            find_browser_in(Some(empty.as_os_str())).expect_err("no browser in an empty path");
        assert!(!message.contains('\n'), "{message}");
        assert!(message.contains("chromium chromium-driver"), "{message}");
        assert!(find_browser_in(None).is_err());
    }
}
