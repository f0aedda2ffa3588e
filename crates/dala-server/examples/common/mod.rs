//! What the server benchmarks share: `dala serve` started as a process of its own (so its
//! memory is its own to measure), signed in to, and its memory read. Each benchmark uses
//! some of it, hence no dead-code warnings here.
#![allow(dead_code)]

use serde_json::json;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A running `dala serve`: the process, its base URL and a bearer token.
pub struct Served {
    pub child: Child,
    pub base: String,
    pub token: String,
}

impl Served {
    /// Starts `dala` serving `db_url` on a free port and signs in as `user`.
    pub fn start(dala: &str, db_url: &str, user: &str, password: &str) -> Served {
        let mut child = Command::new(dala)
            .args(["serve", "--db", db_url, "--addr", "127.0.0.1:0"])
            .env("DALA_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dala serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the first line");
        let base = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .expect("the address")
            .to_string();
        let mut signed = agent()
            .post(&format!("{base}/api/v1/sessions"))
            .header("Content-Type", "application/json")
            .send(json!({"name": user, "password": password}).to_string())
            .expect("sign in");
        let session: serde_json::Value =
            serde_json::from_str(&signed.body_mut().read_to_string().expect("body")).expect("json");
        let token = session["token"].as_str().expect("a token").to_string();
        Served { child, base, token }
    }

    /// The server's resident memory now, in MiB.
    pub fn rss_mb(&self) -> f64 {
        rss_mb(self.child.id())
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client that hands back every status as an answer.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// A process's resident memory, in MiB (0 when it cannot be read).
pub fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

/// The value at percentile `p` of sorted values (nearest rank).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}
