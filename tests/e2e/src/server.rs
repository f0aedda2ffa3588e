//! A static file server for the built app (dist/). GET and HEAD only, files under the root
//! only, the MIME types a PWA needs (wasm must be `application/wasm` for streaming compile).

use std::io;
use std::path::{Component, Path, PathBuf};
use std::thread::JoinHandle;
use tiny_http::{Header, Method, Response, Server};

pub struct StaticServer {
    server: std::sync::Arc<Server>,
    pub addr: std::net::SocketAddr,
    thread: Option<JoinHandle<()>>,
}

impl StaticServer {
    /// Serves `root` on `addr` (use port 0 for a free port) from a background thread until
    /// the server is dropped.
    pub fn start(root: &Path, addr: &str) -> io::Result<StaticServer> {
        let server = Server::http(addr)
            .map_err(|e| io::Error::other(format!("cannot listen on {addr}: {e}")))?;
        let addr = server
            .server_addr()
            .to_ip()
            .ok_or_else(|| io::Error::other("the server is not listening on an IP address"))?;
        let server = std::sync::Arc::new(server);
        let root = root.to_path_buf();
        let worker = server.clone();
        let thread = std::thread::spawn(move || {
            // A thread per request: a slow reader of a large file (the service worker fetching
            // the wasm) never holds up the page's own requests.
            for request in worker.incoming_requests() {
                let root = root.clone();
                std::thread::spawn(move || respond(&root, request));
            }
        });
        Ok(StaticServer {
            server,
            addr,
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
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn respond(root: &Path, request: tiny_http::Request) -> io::Result<()> {
    if !matches!(request.method(), Method::Get | Method::Head) {
        return request.respond(Response::from_string("method not allowed").with_status_code(405));
    }
    let Some(path) = resolve(root, request.url()) else {
        return request.respond(Response::from_string("not found").with_status_code(404));
    };
    let file = match std::fs::File::open(&path) {
        Ok(file) => file,
        Err(_) => return request.respond(Response::from_string("not found").with_status_code(404)),
    };
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    // Hashed assets never change; index.html and the service worker must be revalidated.
    let cache = if name == "index.html" || name == "sw.js" {
        "no-cache"
    } else {
        "public, max-age=31536000, immutable"
    };
    let response = Response::from_file(file)
        .with_header(header("Content-Type", content_type(&path)))
        .with_header(header("Cache-Control", cache))
        .with_header(header("X-Content-Type-Options", "nosniff"));
    request.respond(response)
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).unwrap_or_else(|()| {
        // Both are ASCII constants above, so this cannot happen; a bad header is dropped, not fatal.
        Header::from_bytes(&b"X-Invalid"[..], &b"1"[..]).unwrap_or_else(|()| unreachable!())
    })
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
