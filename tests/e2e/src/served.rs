//! A real `dala serve` of the built app for the browser tests that need the server, and the
//! calls a manager makes to it.

use crate::env_path;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A `dala serve` stopped when dropped.
pub struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs the built `dala` with `args` (and `stdin`): its trimmed output; a failure panics.
pub fn dala(args: &[&str], stdin: Option<&str>) -> String {
    let mut child = Command::new(env_path("DALA_CLI"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("dala");
    if let Some(text) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("stdin");
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("dala ran");
    assert!(
        out.status.success(),
        "dala {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `dala serve` of the built app on `db`, at `addr`.
pub fn serve(db: &str, addr: &str, log: &Path) -> Served {
    let log = std::fs::File::create(log).expect("a log");
    let mut child = Command::new(env_path("DALA_CLI"))
        .args(["serve", "--db", db, "--addr", addr, "--dist"])
        .arg(env_path("DALA_DIST"))
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("dala serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the first line");
    assert!(line.contains("served at"), "{line}");
    Served(child)
}

/// One API call with a bearer token: the JSON answer (`{"text": ...}` when not JSON).
pub fn call(method: &str, url: &str, token: &str, body: Option<Value>) -> Value {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let auth = format!("Bearer {token}");
    let mut response = match (method, body) {
        ("GET", _) => agent.get(url).header("Authorization", &auth).call(),
        (_, body) => agent
            .post(url)
            .header("Authorization", &auth)
            .header("Content-Type", "application/json")
            .send(body.unwrap_or(Value::Null).to_string()),
    }
    .expect("the server answers");
    let text = response.body_mut().read_to_string().expect("a body");
    serde_json::from_str(&text).unwrap_or_else(|_| json!({"text": text}))
}

/// The site administrator's password in the tests.
pub const ROOT_PASSWORD: &str = "a long secret";

/// The first steps on a new database: the site administrator `root` and the project "Police"
/// (id 1).
pub fn admin_and_project(db: &str) {
    dala(
        &[
            "admin",
            "--db",
            db,
            "create-user",
            "root",
            "--role",
            "administrator",
            "--password-stdin",
        ],
        Some(&format!("{ROOT_PASSWORD}\n")),
    );
    assert_eq!(
        dala(&["admin", "--db", db, "create-project", "Police"], None),
        "1"
    );
}

/// A free address on the loopback interface.
pub fn free_addr() -> String {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .to_string()
}

/// The site administrator's bearer token from the server at `base`.
pub fn root_token(base: &str) -> String {
    call(
        "POST",
        &format!("{base}/api/v1/sessions"),
        "",
        Some(json!({"name": "root", "password": ROOT_PASSWORD})),
    )["token"]
        .as_str()
        .expect("a token")
        .to_string()
}
