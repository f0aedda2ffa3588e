//! The server's commands: `dala serve`, `dala admin` (bootstrap on the database itself), and
//! the client commands that talk to a running server (`login`, `publish`, `push`, `review`).
//! A token from `dala login` is kept per server in the user's config directory (mode 0600);
//! `DALA_TOKEN` overrides it.

use clap::{Args, Subcommand};
use serde_json::{Value, json};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args)]
pub struct ServeArgs {
    /// The database: sqlite://PATH (created with its schema on first start) or postgres://...
    #[arg(long, default_value = dala_server::DEFAULT_DB)]
    db: String,
    /// The address to listen on (another than 127.0.0.1 only on purpose: see the README).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: std::net::SocketAddr,
    /// The built app to serve beside the API (default: ./dist when it is there).
    #[arg(long)]
    dist: Option<PathBuf>,
    /// Serve HTTPS with this PEM certificate chain (with --tls-key); without, plain HTTP,
    /// as behind a reverse proxy that holds the certificate.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

pub fn serve(args: ServeArgs) -> ExitCode {
    let dist = args
        .dist
        .or_else(|| Path::new("dist/index.html").exists().then(|| "dist".into()));
    let config = dala_server::ServeConfig {
        db: args.db,
        addr: args.addr,
        dist,
        tls: args.tls_cert.zip(args.tls_key),
    };
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let served = dala_server::block_on(dala_server::serve(config, |addr| {
        println!("Dala is served at {scheme}://{addr} (Ctrl-C to stop)");
    }));
    match served {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => fail(&e.to_string()),
        Err(e) => fail(&e.to_string()),
    }
}

#[derive(Args)]
pub struct AdminArgs {
    /// The database, as `dala serve --db` takes it.
    #[arg(long, default_value = dala_server::DEFAULT_DB)]
    db: String,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a user; the password is read from standard input.
    CreateUser {
        name: String,
        /// administrator (every project, every action) or user (the roles given per project).
        #[arg(long, default_value = "user")]
        role: String,
        /// Read the password from standard input (the only way: never on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Create a project and print its id.
    CreateProject { name: String },
    /// Copy the database into FILE while the server runs, consistent at one moment (SQLite:
    /// a copy of the file; PostgreSQL: pg_dump's custom format).
    Backup { file: PathBuf },
    /// Restore a backup into a database that does not exist yet (SQLite) or holds no tables
    /// (PostgreSQL: create it first); the server is started on it afterwards.
    Restore { file: PathBuf },
}

pub fn admin(args: AdminArgs) -> ExitCode {
    let outcome = match args.command {
        AdminCommand::CreateUser {
            name,
            role,
            password_stdin: _,
        } => {
            let site_admin = match role.as_str() {
                "administrator" => true,
                "user" => false,
                other => return fail(&format!("unknown role {other}: administrator or user")),
            };
            let password = match read_password() {
                Ok(p) => p,
                Err(e) => return fail(&e),
            };
            dala_server::block_on(dala_server::create_user(
                &args.db, &name, &password, site_admin,
            ))
            .map(|r| {
                r.map(|_| format!("created the user {name}"))
                    .map_err(|e| e.to_string())
            })
        }
        AdminCommand::CreateProject { name } => {
            dala_server::block_on(dala_server::create_project(&args.db, &name))
                .map(|r| r.map(|id| id.to_string()).map_err(|e| e.to_string()))
        }
        AdminCommand::Backup { file } => {
            dala_server::block_on(dala_server::backup::backup(&args.db, &file)).map(|r| {
                r.map(|()| format!("backed up to {}", file.display()))
                    .map_err(|e| e.to_string())
            })
        }
        AdminCommand::Restore { file } => {
            dala_server::block_on(dala_server::backup::restore(&args.db, &file)).map(|r| {
                r.map(|()| format!("restored {}", file.display()))
                    .map_err(|e| e.to_string())
            })
        }
    };
    match outcome {
        Ok(Ok(line)) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Ok(Err(e)) => fail(&e),
        Err(e) => fail(&e.to_string()),
    }
}

fn read_password() -> Result<String, String> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| format!("reading the password: {e}"))?;
    let password = text.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        return Err("the password is empty".into());
    }
    Ok(password)
}

pub(crate) fn fail(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::FAILURE
}

#[derive(Args)]
pub struct LoginArgs {
    #[arg(long)]
    server: String,
    #[arg(long)]
    user: String,
    #[arg(long, required = true)]
    password_stdin: bool,
}

#[derive(Args)]
pub struct PublishArgs {
    #[arg(long)]
    server: String,
    #[arg(long)]
    project: i64,
    /// The instrument: a .json document or an XLSForm workbook.
    file: PathBuf,
    /// Publish even when the version does not fit data already collected (a question with
    /// answers removed or retyped, a choice in use removed); without it the server lists them.
    #[arg(long)]
    accept_breaking: bool,
}

#[derive(Args)]
pub struct PushArgs {
    #[arg(long)]
    server: String,
    #[arg(long)]
    project: i64,
    /// Bundle files (.jsonl), sent as they are.
    #[arg(required = true)]
    bundles: Vec<PathBuf>,
}

#[derive(Args)]
pub struct ReviewArgs {
    #[arg(long)]
    server: String,
    #[arg(long)]
    project: i64,
    instance_id: String,
    /// received, has_issues, approved or rejected.
    state: String,
    #[arg(long)]
    comment: Option<String>,
}

/// A server's answer: the status and the JSON body (or the body's text as `message`).
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Value,
}

impl Answer {
    fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The server's code and words, as the CLI prints a refusal.
    pub(crate) fn problem(&self) -> String {
        let code = self.body["code"].as_str().unwrap_or("HTTP");
        let message = self.body["message"].as_str().unwrap_or("");
        let mut out = format!("[{code}] {message} (HTTP {})", self.status);
        for d in self.body["details"].as_array().into_iter().flatten() {
            out.push_str(&format!(
                "\n  {} {}",
                d["code"].as_str().unwrap_or(""),
                d["message"].as_str().unwrap_or("")
            ));
        }
        out
    }
}

pub(crate) struct Client {
    pub(crate) agent: ureq::Agent,
    server: String,
    pub(crate) token: Option<String>,
}

impl Client {
    fn new(server: &str, token: Option<String>) -> Client {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        Client {
            agent,
            server: server.trim_end_matches('/').to_string(),
            token,
        }
    }

    pub(crate) fn signed_in(server: &str) -> Result<Client, String> {
        let token = std::env::var("DALA_TOKEN")
            .ok()
            .filter(|t| !t.is_empty())
            .or_else(|| tokens::read(server))
            .ok_or_else(|| format!("not signed in to {server}: run dala login first"))?;
        Ok(Client::new(server, Some(token)))
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.server)
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: &[u8],
    ) -> Result<Answer, String> {
        let url = self.url(path);
        let mut request = match method {
            "PUT" => self.agent.put(&url),
            _ => self.agent.post(&url),
        }
        .header("Content-Type", content_type);
        if let Some(token) = &self.token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let response = request
            .send(body)
            .map_err(|e| format!("cannot reach {}: {e}", self.server))?;
        Self::answer(response)
    }

    /// A GET of a JSON answer.
    fn get(&self, path: &str) -> Result<Answer, String> {
        let mut request = self.agent.get(&self.url(path));
        if let Some(token) = &self.token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let response = request
            .call()
            .map_err(|e| format!("cannot reach {}: {e}", self.server))?;
        Self::answer(response)
    }

    fn answer(mut response: ureq::http::Response<ureq::Body>) -> Result<Answer, String> {
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .with_config()
            .limit(256 << 20)
            .read_to_string()
            .map_err(|e| format!("reading the answer: {e}"))?;
        let body = serde_json::from_str(&text).unwrap_or_else(|_| json!({"message": text}));
        Ok(Answer { status, body })
    }

    fn send_json(&self, method: &str, path: &str, body: &Value) -> Result<Answer, String> {
        self.send(
            method,
            path,
            "application/json",
            body.to_string().as_bytes(),
        )
    }
}

pub fn login(args: LoginArgs) -> ExitCode {
    let password = match read_password() {
        Ok(p) => p,
        Err(e) => return fail(&e),
    };
    let client = Client::new(&args.server, None);
    let answer = match client.send_json(
        "POST",
        "/sessions",
        &json!({"name": args.user, "password": password}),
    ) {
        Ok(a) => a,
        Err(e) => return fail(&e),
    };
    if !answer.ok() {
        return fail(&answer.problem());
    }
    let Some(token) = answer.body["token"].as_str() else {
        return fail("the server gave no token");
    };
    match tokens::write(&args.server, token) {
        Ok(path) => {
            println!(
                "signed in to {} as {} until {} (token kept in {})",
                args.server,
                args.user,
                answer.body["expires"].as_str().unwrap_or("?"),
                path.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

pub fn publish(args: PublishArgs) -> ExitCode {
    let client = match Client::signed_in(&args.server) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    // A form that attaches files is read here, where its files are (`FORM-media`), and
    // sent as its document; its files follow it. Any other form goes as it is: the server
    // reads a workbook itself.
    let loaded = crate::form::load(&args.file);
    let with_files = loaded
        .instrument
        .as_ref()
        .filter(|i| !i.attachments.is_empty());
    if with_files.is_some() && loaded.errors > 0 {
        for message in &loaded.messages {
            eprintln!("{message}");
        }
        return fail(&format!("{} has errors", args.file.display()));
    }
    let (bytes, content_type) = match with_files {
        Some(instrument) => (instrument.to_json().into_bytes(), "application/json"),
        None => match std::fs::read(&args.file) {
            Ok(b) => (b, "application/octet-stream"),
            Err(e) => return fail(&format!("cannot read {}: {e}", args.file.display())),
        },
    };
    let name = args
        .file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("form");
    let mut path = format!(
        "/projects/{}/instruments?name={}",
        args.project,
        query_escape(name)
    );
    if args.accept_breaking {
        path.push_str("&accept_breaking=true");
    }
    let answer = match client.send("POST", &path, content_type, &bytes) {
        Ok(a) => a,
        Err(e) => return fail(&e),
    };
    if !answer.ok() {
        if answer.body["code"] == "S023" {
            return fail(&format!(
                "{}\n(--accept-breaking publishes it all the same)",
                answer.problem()
            ));
        }
        return fail(&answer.problem());
    }
    let b = &answer.body;
    println!(
        "{} version {}: {}",
        b["form_id"].as_str().unwrap_or("?"),
        b["version"].as_str().unwrap_or("?"),
        if b["added"].as_bool() == Some(true) {
            "published"
        } else {
            "already published, unchanged"
        }
    );
    match with_files {
        Some(instrument) => match send_form_files(&client, args.project, instrument, &loaded.files)
        {
            Ok((sent, held)) => {
                println!("files: {sent} sent, {held} held already");
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        },
        None => ExitCode::SUCCESS,
    }
}

/// Sends the files a published version attaches that the server does not hold yet: how many
/// were sent, and how many it held already.
fn send_form_files(
    client: &Client,
    project: i64,
    instrument: &dala_core::Instrument,
    files: &std::collections::BTreeMap<String, Vec<u8>>,
) -> Result<(usize, usize), String> {
    let version_path = format!(
        "/projects/{project}/instruments/{}/{}/files",
        query_escape(&instrument.settings.form_id),
        query_escape(&instrument.settings.version)
    );
    let listed = client.get(&version_path)?;
    if !listed.ok() {
        return Err(listed.problem());
    }
    let held: Vec<&str> = listed
        .body
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["held"] == true)
        .filter_map(|f| f["name"].as_str())
        .collect();
    let mut sent = 0;
    for attachment in &instrument.attachments {
        if held.contains(&attachment.name.as_str()) {
            continue;
        }
        let bytes = files.get(&attachment.name).ok_or_else(|| {
            format!(
                "{}: not found beside the form, so the server does not have it yet",
                attachment.name
            )
        })?;
        let path = format!("{version_path}/{}", query_escape(&attachment.name));
        let answer = client.send("PUT", &path, "application/octet-stream", bytes)?;
        if !answer.ok() {
            return Err(format!("{}: {}", attachment.name, answer.problem()));
        }
        sent += 1;
    }
    Ok((sent, instrument.attachments.len() - sent))
}

/// Percent-encodes a query value (a file name).
pub(crate) fn query_escape(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The most a request of `push` carries (the server takes up to 64 MiB): a bundle larger
/// goes in pieces.
const PUSH_PIECE_BYTES: usize = 32 << 20;

pub fn push(args: PushArgs) -> ExitCode {
    let client = match Client::signed_in(&args.server) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    let mut failed = false;
    for file in &args.bundles {
        let name = file.display();
        let bytes = match std::fs::read(file) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{name}: cannot read: {e}");
                failed = true;
                continue;
            }
        };
        let path = format!("/projects/{}/submissions", args.project);
        // A bundle of photos can be far larger than a request the server takes: it goes in
        // pieces of whole records with their files (nothing that is not blank is dropped: a
        // file that is no bundle goes whole, for the server to say why).
        let pieces = dala_core::record::pieces(&bytes, PUSH_PIECE_BYTES).unwrap_or_else(|| {
            vec![dala_core::record::Piece {
                bytes: bytes.clone(),
                lines: Vec::new(),
            }]
        });
        let (mut added, mut duplicates, mut refused) = (0, 0, 0);
        let mut refusals = Vec::new();
        for piece in &pieces {
            let answer = match client.send("POST", &path, "application/x-ndjson", &piece.bytes) {
                Ok(a) => a,
                Err(e) => return fail(&e),
            };
            let b = &answer.body;
            if b.get("records").is_none() {
                eprintln!("{name}: {}", answer.problem());
                failed = true;
                continue;
            }
            let count = |key: &str| b[key].as_u64().unwrap_or(0);
            added += count("added");
            duplicates += count("duplicates");
            refused += count("refused");
            for r in b["records"].as_array().into_iter().flatten() {
                if r["outcome"] == "refused" {
                    let line = r["line"]
                        .as_u64()
                        .and_then(|l| piece.bundle_line(usize::try_from(l).ok()?));
                    refusals.push(format!(
                        "  line {}: {} [{}] {}",
                        line.map_or_else(|| "?".to_string(), |l| l.to_string()),
                        r["instance_id"].as_str().unwrap_or("-"),
                        r["code"].as_str().unwrap_or(""),
                        r["message"].as_str().unwrap_or("")
                    ));
                }
            }
        }
        println!("{name}: {added} added, {duplicates} duplicates, {refused} refused");
        failed |= !refusals.is_empty();
        for refusal in refusals {
            println!("{refusal}");
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

pub fn review(args: ReviewArgs) -> ExitCode {
    let client = match Client::signed_in(&args.server) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    let path = format!(
        "/projects/{}/submissions/{}/review",
        args.project,
        query_escape(&args.instance_id)
    );
    let answer = match client.send_json(
        "PUT",
        &path,
        &json!({"state": args.state, "comment": args.comment}),
    ) {
        Ok(a) => a,
        Err(e) => return fail(&e),
    };
    if !answer.ok() {
        return fail(&answer.problem());
    }
    println!("{}: {}", args.instance_id, args.state);
    ExitCode::SUCCESS
}

/// The tokens `dala login` keeps: one per server, in `dala/tokens.json` under the user's
/// config directory, readable by the user alone.
pub(crate) mod tokens {
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    fn file() -> Option<PathBuf> {
        config_file("tokens.json")
    }

    /// A file of the command line's own in the user's config directory (`dala/NAME`).
    pub(crate) fn config_file(name: &str) -> Option<PathBuf> {
        let base = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
        Some(base.join("dala").join(name))
    }

    fn key(server: &str) -> String {
        server.trim_end_matches('/').to_string()
    }

    fn all() -> BTreeMap<String, String> {
        file()
            .and_then(|f| std::fs::read_to_string(f).ok())
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default()
    }

    pub fn read(server: &str) -> Option<String> {
        all().remove(&key(server))
    }

    pub fn write(server: &str, token: &str) -> Result<PathBuf, String> {
        let path = file().ok_or("no config directory (HOME is not set)")?;
        let mut tokens = all();
        tokens.insert(key(server), token.to_string());
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let text = serde_json::to_string_pretty(&tokens).map_err(|e| e.to_string())?;
        write_private(&path, text.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(path)
    }

    #[cfg(unix)]
    pub(crate) fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
        use std::io::Write;
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)?;
        // A file made before with wider rights is narrowed too.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        file.write_all(bytes)
    }

    #[cfg(not(unix))]
    pub(crate) fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
        std::fs::write(path, bytes)
    }
}
