//! A static file server for the built app (dist/). GET and HEAD only, files under the root
//! only, the MIME types a PWA needs (wasm must be `application/wasm` for streaming compile).

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// A request's head may be this long at most.
const MAX_HEAD: usize = 16 * 1024;

/// Serves files over HTTP/1.1, a thread per connection and one request per connection
/// (`Connection: close`). Keep-alive is left out on purpose: with tiny_http, a request the
/// browser sent on a reused connection now and then got no answer (a page's fetch or the
/// service worker's install stalled for good), and a static site for tests and a field
/// office's LAN needs none of it.
pub struct StaticServer {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl StaticServer {
    /// Serves `root` on `addr` (use port 0 for a free port) from a background thread until
    /// the server is dropped.
    pub fn start(root: &Path, addr: &str) -> io::Result<StaticServer> {
        let listener = TcpListener::bind(addr)
            .map_err(|e| io::Error::other(format!("cannot listen on {addr}: {e}")))?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let (root, stopped) = (root.to_path_buf(), stop.clone());
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::Acquire) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let root = root.clone();
                std::thread::spawn(move || {
                    let _ = serve(&root, stream);
                });
            }
        });
        Ok(StaticServer {
            addr,
            stop,
            thread: Some(thread),
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Blocks the calling thread while the server runs (for `cargo xtask serve`).
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // The accept loop is blocked in accept(): a connection wakes it to see the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads one request's head and answers it.
fn serve(root: &Path, stream: TcpStream) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // The headers are read and left: nothing here depends on them.
    let mut head = request_line.len();
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line)?;
        head += n;
        if n == 0 || line == "\r\n" || line == "\n" || head > MAX_HEAD {
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or("/"),
    );
    let mut out = io::BufWriter::new(stream);
    if request_line.is_empty() {
        return Ok(());
    }
    if head > MAX_HEAD {
        return respond(
            &mut out,
            "431 Request Header Fields Too Large",
            "text/plain",
            "no-cache",
            b"",
        );
    }
    if method != "GET" && method != "HEAD" {
        return respond(
            &mut out,
            "405 Method Not Allowed",
            "text/plain",
            "no-cache",
            b"method not allowed",
        );
    }
    let file = resolve(root, target).and_then(|path| Some((std::fs::read(&path).ok()?, path)));
    let Some((bytes, path)) = file else {
        return respond(
            &mut out,
            "404 Not Found",
            "text/plain",
            "no-cache",
            b"not found",
        );
    };
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    // Assets with a content hash in their name never change; everything else (the pages, the
    // service worker, the bundled instruments and plans) must be revalidated.
    let cache = if is_hashed(name) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let body: &[u8] = if method == "HEAD" { b"" } else { &bytes };
    write_head(&mut out, "200 OK", content_type(&path), cache, bytes.len())?;
    out.write_all(body)?;
    out.flush()
}

fn write_head(
    out: &mut impl Write,
    status: &str,
    content_type: &str,
    cache: &str,
    length: usize,
) -> io::Result<()> {
    write!(
        out,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {length}\r\nCache-Control: {cache}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n"
    )
}

fn respond(
    out: &mut impl Write,
    status: &str,
    content_type: &str,
    cache: &str,
    body: &[u8],
) -> io::Result<()> {
    write_head(out, status, content_type, cache, body.len())?;
    out.write_all(body)?;
    out.flush()
}

/// `styles-9425d3e3cc.css`: ten hex digits after the last `-`, before the extension.
fn is_hashed(name: &str) -> bool {
    name.rsplit_once('-')
        .and_then(|(_, rest)| rest.split_once('.'))
        .is_some_and(|(hash, _)| hash.len() == 10 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Maps a request path to a file under `root`; `None` for anything that would escape it.
fn resolve(root: &Path, url: &str) -> Option<PathBuf> {
    let path = url.split(['?', '#']).next().unwrap_or("/");
    let mut out = root.to_path_buf();
    for component in Path::new(path.trim_start_matches('/')).components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if out.is_dir() {
        out.push("index.html");
    }
    Some(out)
}

pub fn content_type(path: &Path) -> &'static str {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
    {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "toml" | "txt" | "jsonl" => "text/plain; charset=utf-8",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::is_hashed;

    #[test]
    fn only_names_with_a_content_hash_are_cached_for_good() {
        assert!(is_hashed("styles-9425d3e3cc.css"));
        assert!(is_hashed("dala_web_bg-08123910dd.wasm"));
        for name in [
            "index.html",
            "design.html",
            "sw.js",
            "police-gender-representation.json",
            "fast_family_outcomes.toml",
            "a-9425d3e3c.css",
        ] {
            assert!(!is_hashed(name), "{name}");
        }
    }
}
