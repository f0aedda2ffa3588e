//! `dala pull`: a form's records from a server as the wide export's .zip, only what changed
//! since the last pull unless told otherwise. The cursor of each pull (per server, project,
//! form and filters) is kept in the user's config directory, and moved only once the whole
//! .zip is on disk: an interrupted pull is pulled again, never skipped.

use crate::server::{Client, fail, query_escape, tokens};
use clap::Args;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct PullArgs {
    #[arg(long)]
    server: String,
    #[arg(long)]
    project: i64,
    /// The form's id.
    #[arg(long)]
    instrument: String,
    /// The .zip to write.
    #[arg(short, long)]
    output: PathBuf,
    /// Only records changed after this cursor (a pull prints the next one).
    #[arg(long, conflicts_with = "all")]
    since: Option<i64>,
    /// Every record, not only what changed since the last pull.
    #[arg(long)]
    all: bool,
    /// Leave the records' files out.
    #[arg(long)]
    no_files: bool,
    /// Choice labels in this language instead of codes, and a codebook.
    #[arg(long)]
    labels: Option<String>,
    /// Only records in these review states (comma-separated).
    #[arg(long)]
    review_state: Option<String>,
    /// Only records received at or after this date or time (UTC).
    #[arg(long)]
    received_from: Option<String>,
    /// Only records received before this date or time (UTC).
    #[arg(long)]
    received_to: Option<String>,
    /// Only records of this device.
    #[arg(long)]
    device: Option<String>,
}

impl PullArgs {
    /// The export's parameters other than the cursor, as a query string.
    fn filters(&self) -> String {
        let mut query = Vec::new();
        if self.no_files {
            query.push("files=false".to_string());
        }
        for (name, value) in [
            ("labels", &self.labels),
            ("review_state", &self.review_state),
            ("received_from", &self.received_from),
            ("received_to", &self.received_to),
            ("device", &self.device),
        ] {
            if let Some(value) = value {
                query.push(format!("{name}={}", query_escape(value)));
            }
        }
        query.join("&")
    }

    /// What the kept cursor is kept under: one per server, project, form and filters.
    fn cursor_key(&self) -> String {
        format!(
            "{} {} {} {}",
            self.server.trim_end_matches('/'),
            self.project,
            self.instrument,
            self.filters()
        )
    }
}

fn cursors() -> BTreeMap<String, i64> {
    tokens::config_file("pulls.json")
        .and_then(|f| std::fs::read_to_string(f).ok())
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

fn keep_cursor(key: String, cursor: i64) -> Result<(), String> {
    let path = tokens::config_file("pulls.json").ok_or("no config directory (HOME is not set)")?;
    let mut all = cursors();
    all.insert(key, cursor);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(&all).map_err(|e| e.to_string())?;
    tokens::write_private(&path, text.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))
}

pub fn pull(args: PullArgs) -> ExitCode {
    let client = match Client::signed_in(&args.server) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    let key = args.cursor_key();
    let after = match (args.since, args.all) {
        (Some(since), _) => since,
        (None, true) => 0,
        (None, false) => cursors().get(&key).copied().unwrap_or(0),
    };
    let mut query = args.filters();
    if after > 0 {
        query.push_str(&format!(
            "{}after={after}",
            if query.is_empty() { "" } else { "&" }
        ));
    }
    let url = client.url(&format!(
        "/projects/{}/exports/{}{}{query}",
        args.project,
        query_escape(&args.instrument),
        if query.is_empty() { "" } else { "?" }
    ));
    let mut request = client.agent.get(&url);
    if let Some(token) = &client.token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    let mut response = match request.call() {
        Ok(r) => r,
        Err(e) => return fail(&format!("cannot reach {}: {e}", args.server)),
    };
    let status = response.status().as_u16();
    if !(200..300).contains(&status) {
        let text = response.body_mut().read_to_string().unwrap_or_default();
        let body =
            serde_json::from_str(&text).unwrap_or_else(|_| serde_json::json!({"message": text}));
        return fail(&crate::server::Answer { status, body }.problem());
    }
    let cursor = response
        .headers()
        .get("dala-cursor")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok());
    // Written beside the output and renamed once whole: a pull cut short leaves the last
    // good file and the cursor where they were.
    let mut part = args.output.clone().into_os_string();
    part.push(".part");
    let part = PathBuf::from(part);
    let written = std::fs::File::create(&part).and_then(|file| {
        let mut out = std::io::BufWriter::new(file);
        let bytes = std::io::copy(&mut response.body_mut().as_reader(), &mut out)?;
        out.flush()?;
        out.get_ref().sync_all()?;
        Ok(bytes)
    });
    let bytes = match written.and_then(|bytes| std::fs::rename(&part, &args.output).map(|()| bytes))
    {
        Ok(bytes) => bytes,
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            return fail(&format!("the export was cut short, nothing kept: {e}"));
        }
    };
    println!("wrote {} ({bytes} bytes)", args.output.display());
    if let Some(cursor) = cursor {
        if let Err(e) = keep_cursor(key, cursor) {
            return fail(&format!(
                "the next pull cannot start where this one ended: {e}"
            ));
        }
        println!("changes up to {cursor}: the next pull starts after it (--since {cursor})");
    }
    ExitCode::SUCCESS
}
