//! The server's commands, run as an administrator and a field coordinator run them, against
//! `dala serve` started by the test on a free port over an SQLite file.

use super::{seed, stderr, stdout};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

/// `dala` with the test's config directory (where `dala login` keeps its token).
fn dala_in(config: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dala"))
        .args(args)
        .env("XDG_CONFIG_HOME", config)
        .env_remove("DALA_TOKEN")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run dala");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write stdin");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("dala ran")
}

struct Served {
    child: Child,
    url: String,
    /// Where its standard error goes: the request log.
    log: std::path::PathBuf,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(db: &str) -> Served {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let log = std::env::temp_dir().join(format!("dala-cli-serve-{port}.log"));
    let _ = std::fs::remove_file(&log);
    Served {
        child: serve_on(db, port, &log),
        url: format!("http://127.0.0.1:{port}"),
        log,
    }
}

#[test]
fn an_administrator_sets_up_a_server_and_a_coordinator_sends_records_to_it() {
    let dir = std::env::temp_dir().join(format!("dala-cli-server-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let config = dir.join("config");
    let db = format!("sqlite://{}", dir.join("data/dala.sqlite").display());

    let out = dala_in(
        &config,
        &[
            "admin",
            "--db",
            &db,
            "create-user",
            "root",
            "--role",
            "administrator",
            "--password-stdin",
        ],
        Some("a long secret\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = dala_in(
        &config,
        &["admin", "--db", &db, "create-project", "Police survey"],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let project = stdout(&out).trim().to_string();
    assert_eq!(project, "1");
    // The same name twice is refused, the first kept.
    let out = dala_in(
        &config,
        &[
            "admin",
            "--db",
            &db,
            "create-user",
            "root",
            "--password-stdin",
        ],
        Some("another\n"),
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("exists"), "{}", stderr(&out));

    let server = serve(&db);
    let url = server.url.as_str();
    let out = login(&config, url, "wrong");
    assert!(!out.status.success());
    assert!(stderr(&out).contains("[S003]"), "{}", stderr(&out));
    let out = login(&config, url, "a long secret");
    assert!(out.status.success(), "{}", stderr(&out));
    let tokens = config.join("dala/tokens.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&tokens)
            .expect("token file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the token file is the user's alone");
    }

    let workbook = seed("police-gender-representation/instrument.xlsx");
    let out = dala_in(
        &config,
        &[
            "publish",
            "--server",
            url,
            "--project",
            &project,
            workbook.to_str().expect("p"),
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("published"), "{}", stdout(&out));

    let form = seed("police-gender-representation/instrument.json");
    let bundle = dir.join("tablet-1.jsonl");
    let out = dala_in(
        &config,
        &[
            "simulate",
            form.to_str().expect("p"),
            "-n",
            "5",
            "--seed",
            "3",
            "-o",
            bundle.to_str().expect("p"),
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let push = |config: &Path| {
        dala_in(
            config,
            &[
                "push",
                "--server",
                url,
                "--project",
                &project,
                bundle.to_str().expect("p"),
            ],
            None,
        )
    };
    let out = push(&config);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("5 added, 0 duplicates, 0 refused"),
        "{}",
        stdout(&out)
    );
    let out = push(&config);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("0 added, 5 duplicates, 0 refused"),
        "{}",
        stdout(&out)
    );
    // Four records with 20 MB photos each: over what one request takes (64 MiB), so the
    // push sends them in pieces, each record with its photo.
    let text = std::fs::read_to_string(&bundle).expect("bundle");
    let header: dala_core::BundleHeader =
        serde_json::from_str(text.lines().next().expect("a header")).expect("header");
    let first: dala_core::Submission =
        serde_json::from_str(text.lines().nth(1).expect("a record")).expect("record");
    let photo = |i: u8| -> Vec<u8> { (0..20_000_000u32).map(|n| (n % 251) as u8 ^ i).collect() };
    let records: Vec<dala_core::Submission> = (1..=4u8)
        .map(|i| {
            let mut r = first.clone();
            r.instance_id = format!("uuid:photo-{i}");
            r.files = vec![dala_core::Attachment::of("1.jpg", "image/jpeg", &photo(i))];
            r
        })
        .collect();
    let photos = dir.join("photos.jsonl");
    std::fs::write(
        &photos,
        dala_core::record::write_bundle_with_files(&header, &records, |r, _| {
            let i = r.instance_id.strip_prefix("uuid:photo-")?.parse().ok()?;
            Some(photo(i))
        }),
    )
    .expect("write");
    assert!(std::fs::metadata(&photos).expect("size").len() > 64 << 20);
    let out = dala_in(
        &config,
        &[
            "push",
            "--server",
            url,
            "--project",
            &project,
            photos.to_str().expect("p"),
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("4 added, 0 duplicates, 0 refused"),
        "{}",
        stdout(&out)
    );

    // Without a token, nothing is sent.
    let out = push(&dir.join("nobody"));
    assert!(!out.status.success());
    assert!(stderr(&out).contains("dala login"), "{}", stderr(&out));

    let text = std::fs::read_to_string(&bundle).expect("bundle");
    let second: serde_json::Value =
        serde_json::from_str(text.lines().nth(1).expect("a record")).expect("json");
    let instance = second["instance_id"].as_str().expect("id");
    let out = dala_in(
        &config,
        &[
            "review",
            "--server",
            url,
            "--project",
            &project,
            instance,
            "approved",
            "--comment",
            "checked",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = dala_in(
        &config,
        &[
            "review",
            "--server",
            url,
            "--project",
            &project,
            instance,
            "excellent",
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("[S022]"), "{}", stderr(&out));
    // SIGTERM: the server stops accepting, finishes what is in flight and exits cleanly.
    let mut server = server;
    let term = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(term.success());
    let status = server.child.wait().expect("the server exits");
    assert!(status.success(), "{status:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Sends one bundle until the server answers it: a refused connection, a dropped one or a 503
/// is tried again (what a tablet's outbox does). The record's outcome (added or duplicate).
fn send_until_answered(agent: &ureq::Agent, url: &str, token: &str, body: &[u8]) -> String {
    send_until_reported(agent, url, token, body)["records"][0]["outcome"]
        .as_str()
        .unwrap_or("?")
        .to_string()
}

/// [`send_until_answered`], with the server's whole report.
fn send_until_reported(
    agent: &ureq::Agent,
    url: &str,
    token: &str,
    body: &[u8],
) -> serde_json::Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        assert!(
            std::time::Instant::now() < deadline,
            "no answer for two minutes"
        );
        let answer = agent
            .post(url)
            .header("Authorization", format!("Bearer {token}"))
            .header("Content-Type", "application/x-ndjson")
            .send(body);
        if let Ok(mut response) = answer
            && response.status().as_u16() == 200
            && let Ok(text) = response.body_mut().read_to_string()
            && let Ok(report) = serde_json::from_str::<serde_json::Value>(&text)
        {
            return report;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

fn serve_on(db: &str, port: u16, log: &Path) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("a log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_dala"))
        .args(["serve", "--db", db, "--addr", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("dala serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the first line");
    assert!(
        line.starts_with("Dala is served at http://127.0.0.1:"),
        "{line}"
    );
    child
}

#[test]
fn records_pushed_while_the_server_is_killed_are_stored_exactly_once() {
    let postgres = dala_e2e::postgres::TestDatabase::create("sigkill")
        .unwrap_or_else(|e| panic!("PostgreSQL: {e}"));
    let dir = std::env::temp_dir().join(format!("dala-cli-kill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let sqlite = format!("sqlite://{}", dir.join("data/dala.sqlite").display());
    // Records of a simulated field day, each sent as a bundle of its own.
    let form = seed("police-gender-representation/instrument.json");
    let bodies = finalized_bodies(&dir, &form, 2000, 11);
    let total = bodies.len();
    assert!(total > 1000, "{total} finalized records");

    for db in [sqlite.as_str(), postgres.url.as_str()] {
        let config = dir.join(format!("config-{}", db.len()));
        let project = bootstrap(&config, db);
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let url = format!("http://127.0.0.1:{port}");
        let log = dir.join(format!("serve-{}.log", db.len()));
        let mut server = serve_on(db, port, &log);
        let token = sign_in_and_publish(&config, &url, &project, &form);
        let endpoint = format!("{url}/api/v1/projects/{project}/submissions");

        // Five devices send a fifth each while the server is killed twice.
        let acknowledged = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let clients: Vec<_> = bodies
            .chunks(total.div_ceil(5))
            .map(|chunk| {
                let chunk = chunk.to_vec();
                let (endpoint, token, acknowledged) =
                    (endpoint.clone(), token.clone(), acknowledged.clone());
                std::thread::spawn(move || {
                    let agent: ureq::Agent = ureq::Agent::config_builder()
                        .http_status_as_error(false)
                        .timeout_global(Some(std::time::Duration::from_secs(10)))
                        .build()
                        .into();
                    chunk
                        .iter()
                        .map(|body| {
                            let outcome = send_until_answered(&agent, &endpoint, &token, body);
                            acknowledged.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            outcome
                        })
                        .collect::<Vec<String>>()
                })
            })
            .collect();
        for at in [total / 4, total * 3 / 5] {
            while acknowledged.load(std::sync::atomic::Ordering::Relaxed) < at {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            server.kill().expect("SIGKILL");
            let _ = server.wait();
            std::thread::sleep(std::time::Duration::from_millis(300));
            server = serve_on(db, port, &log);
        }
        let outcomes: Vec<String> = clients
            .into_iter()
            .flat_map(|c| c.join().expect("a device"))
            .collect();
        assert!(
            outcomes.iter().all(|o| o == "added" || o == "duplicate"),
            "{db}: {:?}",
            outcomes
                .iter()
                .filter(|o| *o != "added" && *o != "duplicate")
                .collect::<Vec<_>>()
        );
        // Every record stored, and once: page through by change sequence.
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let (mut after, mut ids) = (0i64, std::collections::BTreeSet::new());
        let mut rows = 0;
        loop {
            let mut r = agent
                .get(&format!("{endpoint}?after={after}&limit=1000"))
                .header("Authorization", format!("Bearer {token}"))
                .call()
                .expect("a page");
            let page: serde_json::Value =
                serde_json::from_str(&r.body_mut().read_to_string().expect("body")).expect("json");
            let subs = page["submissions"].as_array().expect("submissions").clone();
            if subs.is_empty() {
                break;
            }
            rows += subs.len();
            ids.extend(
                subs.iter()
                    .filter_map(|s| s["instance_id"].as_str().map(String::from)),
            );
            after = page["next"].as_i64().expect("next");
        }
        assert_eq!((rows, ids.len()), (total, total), "{db}: every record once");
        let _ = server.kill();
        let _ = server.wait();
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The first administrator and a project on `db`, as `dala admin` makes them: the project id.
fn bootstrap(config: &Path, db: &str) -> String {
    let out = dala_in(
        config,
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
        Some("a long secret\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&dala_in(
        config,
        &["admin", "--db", db, "create-project", "P"],
        None,
    ))
    .trim()
    .to_string()
}

/// Signs `config` in to `url` as root and publishes `form`: the token `dala login` kept.
fn sign_in_and_publish(config: &Path, url: &str, project: &str, form: &Path) -> String {
    let out = login(config, url, "a long secret");
    assert!(out.status.success(), "{}", stderr(&out));
    let out = dala_in(
        config,
        &[
            "publish",
            "--server",
            url,
            "--project",
            project,
            form.to_str().expect("p"),
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let tokens: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(config.join("dala/tokens.json")).expect("tokens"),
    )
    .expect("json");
    tokens[url].as_str().expect("a token").to_string()
}

/// Two `dala serve` processes on one database (PostgreSQL, and an SQLite file), 50 sends of one
/// record started together and spread over both: one row, one "added", 49 duplicates, and
/// every caller holding the same receipt. Nothing in either process's memory serialises them.
#[test]
fn fifty_sends_of_one_record_over_two_server_processes_store_one_row() {
    let postgres = dala_e2e::postgres::TestDatabase::create("race2")
        .unwrap_or_else(|e| panic!("PostgreSQL: {e}"));
    let dir = std::env::temp_dir().join(format!("dala-cli-race-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let sqlite = format!("sqlite://{}", dir.join("data/dala.sqlite").display());
    let form = seed("police-gender-representation/instrument.json");
    let bodies = finalized_bodies(&dir, &form, 20, 5);
    let body = bodies[0].clone();

    for db in [postgres.url.as_str(), sqlite.as_str()] {
        let config = dir.join(format!("config-{}", db.len()));
        let project = bootstrap(&config, db);
        let servers: Vec<Served> = (0..2).map(|_| serve(db)).collect();
        let token = sign_in_and_publish(&config, &servers[0].url, &project, &form);
        let gate = std::sync::Arc::new(std::sync::Barrier::new(50));
        let sends: Vec<_> = (0..50)
            .map(|i| {
                let url = format!(
                    "{}/api/v1/projects/{project}/submissions",
                    servers[i % 2].url
                );
                let (token, body, gate) = (token.clone(), body.clone(), gate.clone());
                std::thread::spawn(move || {
                    let agent: ureq::Agent = ureq::Agent::config_builder()
                        .http_status_as_error(false)
                        .timeout_global(Some(std::time::Duration::from_secs(30)))
                        .build()
                        .into();
                    gate.wait();
                    send_until_reported(&agent, &url, &token, &body)["records"][0].clone()
                })
            })
            .collect();
        let outcomes: Vec<serde_json::Value> = sends
            .into_iter()
            .map(|s| s.join().expect("a send"))
            .collect();
        let added = outcomes.iter().filter(|o| o["outcome"] == "added").count();
        let duplicates = outcomes
            .iter()
            .filter(|o| o["outcome"] == "duplicate")
            .count();
        assert_eq!((added, duplicates), (1, 49), "{db}: {outcomes:?}");
        let receipt = &outcomes[0]["receipt"];
        assert!(!receipt.is_null(), "{db}: {outcomes:?}");
        assert!(
            outcomes.iter().all(|o| &o["receipt"] == receipt),
            "{db}: one receipt for all: {outcomes:?}"
        );
        // One row, seen from the other process.
        let mut page = ureq::get(&format!(
            "{}/api/v1/projects/{project}/submissions",
            servers[1].url
        ))
        .header("Authorization", format!("Bearer {token}"))
        .call()
        .expect("a page");
        let page: serde_json::Value =
            serde_json::from_str(&page.body_mut().read_to_string().expect("body")).expect("json");
        assert_eq!(
            page["submissions"].as_array().map(Vec::len),
            Some(1),
            "{db}: {page}"
        );
        // The other records, each sent twice, once to each process; then the export from
        // either process is the same .zip, and an ETag one gave holds on the other.
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        for (i, body) in bodies.iter().enumerate().skip(1) {
            for server in [&servers[i % 2], &servers[(i + 1) % 2]] {
                let url = format!("{}/api/v1/projects/{project}/submissions", server.url);
                send_until_reported(&agent, &url, &token, body);
            }
        }
        let export = |server: &Served, etag: Option<&str>| {
            let mut request = agent
                .get(&format!(
                    "{}/api/v1/projects/{project}/exports/police_gender_representation",
                    server.url
                ))
                .header("Authorization", format!("Bearer {token}"));
            if let Some(etag) = etag {
                request = request.header("If-None-Match", etag);
            }
            let mut response = request.call().expect("an export");
            let etag = response.headers()["etag"]
                .to_str()
                .expect("etag")
                .to_string();
            let status = response.status().as_u16();
            let bytes = response
                .body_mut()
                .with_config()
                .limit(1 << 30)
                .read_to_vec();
            (status, etag, bytes.expect("the .zip"))
        };
        let (first, etag, zip) = export(&servers[0], None);
        let (second, _, other) = export(&servers[1], None);
        assert_eq!((first, second), (200, 200));
        assert_eq!(zip, other, "{db}: one export from either process");
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).expect("a .zip");
        let mut table = String::new();
        std::io::Read::read_to_string(
            &mut archive
                .by_name("police_gender_representation.csv")
                .expect("the main table"),
            &mut table,
        )
        .expect("CSV");
        assert_eq!(
            csv::Reader::from_reader(table.as_bytes()).records().count(),
            bodies.len(),
            "{db}: each record once"
        );
        let (status, _, _) = export(&servers[1], Some(&etag));
        assert_eq!(
            status, 304,
            "{db}: the ETag of one process holds on the other"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `n` records of `form` simulated by `dala simulate` (with `seed`), each finalized one as a
/// bundle of its own (header and record), as a tablet's outbox sends them: the server refuses
/// drafts.
fn finalized_bodies(dir: &Path, form: &Path, n: usize, seed: u64) -> Vec<Vec<u8>> {
    let bundle = dir.join(format!("simulated-{n}-{seed}.jsonl"));
    let out = dala_in(
        dir,
        &[
            "simulate",
            form.to_str().expect("p"),
            "-n",
            &n.to_string(),
            "--seed",
            &seed.to_string(),
            "-o",
            bundle.to_str().expect("p"),
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&bundle).expect("bundle");
    let mut lines = text.lines();
    let header = lines.next().expect("a header").to_string();
    lines
        .filter(|l| l.contains("\"status\":\"finalized\""))
        .map(|l| format!("{header}\n{l}\n").into_bytes())
        .collect()
}

/// `dala login` as root on `url` with `password` typed on standard input.
fn login(config: &Path, url: &str, password: &str) -> Output {
    dala_in(
        config,
        &[
            "login",
            "--server",
            url,
            "--user",
            "root",
            "--password-stdin",
        ],
        Some(&format!("{password}\n")),
    )
}

/// Issue 21: `dala pull` gets a form's records from the server as the wide export's .zip,
/// byte for byte what `dala export` writes from a bundle of the same records (the FAST form:
/// a repeat table besides the main one; codes, and labels with a codebook). A kept cursor
/// makes the next pull fetch only what changed: new records, then a reviewed one, then none.
#[test]
fn a_pull_is_what_dala_export_writes_and_the_next_pull_fetches_only_what_changed() {
    let dir = std::env::temp_dir().join(format!("dala-cli-pull-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let config = dir.join("config");
    let db = format!("sqlite://{}", dir.join("dala.sqlite").display());
    let project = bootstrap(&config, &db);
    let server = serve(&db);
    let url = server.url.as_str();
    let form = seed("fast-family-outcomes/instrument.json");
    let token = sign_in_and_publish(&config, url, &project, &form);

    // Finalized records of the form (the server takes no drafts), in two bundles.
    let bodies = finalized_bodies(&dir, &form, 60, 21);
    assert!(bodies.len() > 20, "{} finalized", bodies.len());
    let header = String::from_utf8_lossy(&bodies[0])
        .lines()
        .next()
        .expect("a header")
        .to_string();
    let bundle_of = |name: &str, bodies: &[Vec<u8>]| {
        let mut text = format!("{header}\n");
        for body in bodies {
            let body = String::from_utf8_lossy(body);
            text.push_str(body.lines().nth(1).expect("a record"));
            text.push('\n');
        }
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        path
    };
    let first = bundle_of("first.jsonl", &bodies[..15]);
    let second = bundle_of("second.jsonl", &bodies[15..]);
    let none = bundle_of("none.jsonl", &[]);
    let path = |p: &Path| p.to_str().expect("p").to_string();
    let push = |bundle: &Path| {
        let out = dala_in(
            &config,
            &[
                "push",
                "--server",
                url,
                "--project",
                &project,
                &path(bundle),
            ],
            None,
        );
        assert!(out.status.success(), "{}", stderr(&out));
    };
    let pull = |name: &str, more: &[&str]| {
        let zip = dir.join(name);
        let mut args = vec![
            "pull".to_string(),
            "--server".into(),
            url.into(),
            "--project".into(),
            project.clone(),
            "--instrument".into(),
            "fast_family_outcomes".into(),
            "-o".into(),
            path(&zip),
        ];
        args.extend(more.iter().map(|a| (*a).to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = dala_in(&config, &args, None);
        assert!(out.status.success(), "{}", stderr(&out));
        std::fs::read(zip).expect("the pulled .zip")
    };
    let export = |bundle: &Path, name: &str, more: &[&str]| {
        let zip = dir.join(name);
        let mut args = vec!["export".to_string(), path(&form), path(bundle), "-o".into()];
        args.push(path(&zip));
        args.extend(more.iter().map(|a| (*a).to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = dala_in(&config, &args, None);
        assert!(out.status.success(), "{}", stderr(&out));
        std::fs::read(zip).expect("the exported .zip")
    };
    let rows = |zip: &[u8], table: &str| -> usize {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).expect("a .zip");
        let mut text = String::new();
        std::io::Read::read_to_string(&mut archive.by_name(table).expect(table), &mut text)
            .expect("CSV");
        csv::Reader::from_reader(text.as_bytes()).records().count()
    };

    push(&first);
    let pulled = pull("pull-1.zip", &[]);
    assert_eq!(
        pulled,
        export(&first, "export-1.zip", &[]),
        "the same bytes"
    );
    assert_eq!(rows(&pulled, "fast_family_outcomes.csv"), 15);
    assert!(
        rows(&pulled, "fast_family_outcomes-member.csv") > 0,
        "the repeat's table holds rows"
    );
    let labelled = pull("pull-labels.zip", &["--all", "--labels", "ru"]);
    assert_eq!(
        labelled,
        export(&first, "export-labels.zip", &["--labels", "ru"]),
        "labels and the codebook: the same bytes"
    );

    // The tables of the form's own plan, and of the plan sent, are dala aggregate's bytes.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let tables_url = format!("{url}/api/v1/projects/{project}/tables/fast_family_outcomes");
    let aggregate = |name: &str, more: &[&str]| {
        let csv = dir.join(name);
        let mut args = vec![
            "aggregate".to_string(),
            path(&form),
            path(&first),
            "-o".into(),
        ];
        args.push(path(&csv));
        args.extend(more.iter().map(|a| (*a).to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = dala_in(&config, &args, None);
        assert!(out.status.success(), "{}", stderr(&out));
        std::fs::read_to_string(csv).expect("the tables")
    };
    let answer = |mut response: ureq::http::Response<ureq::Body>| {
        assert_eq!(response.status().as_u16(), 200);
        response.body_mut().read_to_string().expect("CSV")
    };
    let own = answer(
        agent
            .get(&tables_url)
            .header("Authorization", format!("Bearer {token}"))
            .call()
            .expect("the tables"),
    );
    assert_eq!(own, aggregate("own.csv", &[]), "the form's own plan");
    // Each request is one JSON line of the server's log, under the id a proxy gave it (or
    // one of the server's), which the answer carries back.
    let response = agent
        .get(&tables_url)
        .header("Authorization", format!("Bearer {token}"))
        .header("X-Request-Id", "proxy-42.a")
        .call()
        .expect("the tables");
    assert_eq!(response.headers()["x-request-id"], "proxy-42.a");
    let logged = std::fs::read_to_string(&server.log).expect("the log");
    let line: serde_json::Value = logged
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|l| l["fields"]["request_id"] == "proxy-42.a")
        .unwrap_or_else(|| panic!("no line for the request in {logged}"));
    assert_eq!(line["fields"]["method"], "GET");
    assert_eq!(
        line["fields"]["path"],
        format!("/api/v1/projects/{project}/tables/fast_family_outcomes")
    );
    assert_eq!(line["fields"]["status"], 200);
    assert_eq!(line["level"], "INFO");
    assert!(!logged.contains(&token), "no token in the log");
    assert!(own.lines().count() > 10, "{own}");
    let by = answer(
        agent
            .get(&format!("{tables_url}?by=school"))
            .header("Authorization", format!("Bearer {token}"))
            .call()
            .expect("the tables"),
    );
    assert_eq!(
        by,
        aggregate("by.csv", &["--by", "school"]),
        "by a question"
    );
    let plan = seed("fast-family-outcomes/analysis.toml");
    let sent = answer(
        agent
            .post(&tables_url)
            .header("Authorization", format!("Bearer {token}"))
            .header("Content-Type", "application/toml")
            .send(std::fs::read(&plan).expect("the plan"))
            .expect("the tables"),
    );
    assert_eq!(
        sent,
        aggregate("plan.csv", &["--plan", &path(&plan)]),
        "a plan sent"
    );
    let mut refused = agent
        .post(&tables_url)
        .header("Authorization", format!("Bearer {token}"))
        .send("[[table]]\nid = \"t\"\nkind = \"frequency\"\nvariable = \"no_such\"\n")
        .expect("an answer");
    let body: serde_json::Value =
        serde_json::from_str(&refused.body_mut().read_to_string().expect("JSON")).expect("JSON");
    assert_eq!(
        (
            refused.status().as_u16(),
            body["code"].as_str(),
            body["details"][0]["code"].as_str()
        ),
        (422, Some("S025"), Some("P003")),
        "{body}"
    );

    // Only what arrived since the last pull.
    push(&second);
    let pulled = pull("pull-2.zip", &[]);
    assert_eq!(pulled, export(&second, "export-2.zip", &[]));
    assert_eq!(rows(&pulled, "fast_family_outcomes.csv"), bodies.len() - 15);
    // Nothing new: the tables' headers alone.
    let pulled = pull("pull-3.zip", &[]);
    assert_eq!(pulled, export(&none, "export-3.zip", &[]));
    // A reviewed record is a change.
    let reviewed: serde_json::Value = serde_json::from_str(
        String::from_utf8_lossy(&bodies[3])
            .lines()
            .nth(1)
            .expect("a record"),
    )
    .expect("json");
    let out = dala_in(
        &config,
        &[
            "review",
            "--server",
            url,
            "--project",
            &project,
            reviewed["instance_id"].as_str().expect("id"),
            "has_issues",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let pulled = pull("pull-4.zip", &[]);
    assert_eq!(
        pulled,
        export(
            &bundle_of("fourth.jsonl", &bodies[3..4]),
            "export-4.zip",
            &[]
        )
    );
    // --all and --since 0 start again from the first record.
    let pulled = pull("pull-5.zip", &["--since", "0"]);
    assert_eq!(rows(&pulled, "fast_family_outcomes.csv"), bodies.len());
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 21: `dala admin backup` taken while records are pushed holds every record the
/// server acknowledged before the backup started; `restore` puts it into a new database
/// (never over one that holds data), and a server on it has those records. SQLite and
/// PostgreSQL.
#[test]
fn a_backup_taken_during_a_push_restores_every_record_acknowledged_before_it() {
    let postgres = dala_e2e::postgres::TestDatabase::create("backup")
        .unwrap_or_else(|e| panic!("PostgreSQL: {e}"));
    let restored_pg = dala_e2e::postgres::TestDatabase::create("restored")
        .unwrap_or_else(|e| panic!("PostgreSQL: {e}"));
    let dir = std::env::temp_dir().join(format!("dala-cli-backup-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let form = seed("police-gender-representation/instrument.json");
    let bodies = finalized_bodies(&dir, &form, 300, 5);
    let sqlite = format!("sqlite://{}", dir.join("live.sqlite").display());
    let sqlite_restored = format!("sqlite://{}", dir.join("restored/dala.sqlite").display());
    for (i, (db, restored)) in [
        (sqlite.as_str(), sqlite_restored.as_str()),
        (postgres.url.as_str(), restored_pg.url.as_str()),
    ]
    .into_iter()
    .enumerate()
    {
        let config = dir.join(format!("config-{i}"));
        let project = bootstrap(&config, db);
        let server = serve(db);
        let token = sign_in_and_publish(&config, &server.url, &project, &form);
        let endpoint = format!("{}/api/v1/projects/{project}/submissions", server.url);
        let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let pusher = {
            let (bodies, acknowledged) = (bodies.clone(), acknowledged.clone());
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .build()
                    .into();
                for body in &bodies {
                    let outcome = send_until_answered(&agent, &endpoint, &token, body);
                    assert_eq!(outcome, "added");
                    let line = String::from_utf8_lossy(body);
                    let record: serde_json::Value =
                        serde_json::from_str(line.lines().nth(1).expect("a record")).expect("json");
                    acknowledged
                        .lock()
                        .expect("lock")
                        .push(record["instance_id"].as_str().expect("id").to_string());
                }
            })
        };
        while acknowledged.lock().expect("lock").len() < 30 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let before: Vec<String> = acknowledged.lock().expect("lock").clone();
        let file = dir.join(format!("backup-{i}"));
        // `dala admin --db DB backup|restore FILE`.
        let admin = |db: &str, command: &str, file: &Path| {
            dala_in(
                &config,
                &["admin", "--db", db, command, file.to_str().expect("p")],
                None,
            )
        };
        let out = admin(db, "backup", &file);
        assert!(out.status.success(), "{}", stderr(&out));
        let during = acknowledged.lock().expect("lock").len();
        pusher.join().expect("the pusher");
        assert!(
            during < bodies.len(),
            "the backup ran while records were still arriving ({during})"
        );
        // A second backup to the same file is refused; the first is kept.
        let out = admin(db, "backup", &file);
        assert!(!out.status.success());
        assert!(stderr(&out).contains("exists already"), "{}", stderr(&out));

        let out = admin(restored, "restore", &file);
        assert!(out.status.success(), "{}", stderr(&out));
        let stored: Vec<String> = dala_server::block_on(async {
            let db = dala_server::Db::open(restored)
                .await
                .expect("the restored database");
            db.submissions_since(1, 0, 10_000).await.expect("a page")
        })
        .expect("a runtime")
        .into_iter()
        .map(|s| s.instance_id)
        .collect();
        let missing: Vec<&String> = before.iter().filter(|id| !stored.contains(id)).collect();
        assert!(
            missing.is_empty(),
            "acknowledged before the backup, not in it: {missing:?}"
        );
        assert!(stored.len() >= before.len() && stored.len() <= bodies.len());
        // The same restore again would overwrite data: refused.
        let out = admin(restored, "restore", &file);
        assert!(!out.status.success());
        assert!(
            stderr(&out).contains("holds data already"),
            "{}",
            stderr(&out)
        );
        // A file that is no backup is refused by name, and nothing is made.
        let other = format!(
            "sqlite://{}",
            dir.join(format!("other-{i}.sqlite")).display()
        );
        let out = admin(&other, "restore", &form);
        assert!(!out.status.success());
        assert!(stderr(&out).contains("is not a backup"), "{}", stderr(&out));
        assert!(!dir.join(format!("other-{i}.sqlite")).exists());
        drop(server);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A form that attaches a list: `publish` sends its document and then the list, which the
/// server then hands to tablets; publishing again sends nothing twice. A form whose list is
/// missing is refused here, before anything reaches the server.
#[test]
fn publish_sends_a_forms_attached_files_once() {
    let dir = std::env::temp_dir().join(format!("dala-cli-publish-files-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let config = dir.join("config");
    let db = format!("sqlite://{}", dir.join("dala.sqlite").display());
    let project = bootstrap(&config, &db);
    let server = serve(&db);
    let url = server.url.as_str();
    let out = login(&config, url, "a long secret");
    assert!(out.status.success(), "{}", stderr(&out));
    let form = dir.join("visit.md");
    std::fs::write(
        &form,
        "| survey   |                                  |        |        |
         |          | type                             | name   | label  |
         |          | select_one_from_file schools.csv | school | School |
         | settings |                                  |        |        |
         |          | form_id                          | version|        |
         |          | fast_visit                       | 1      |        |",
    )
    .expect("form");
    let publish = || {
        dala_in(
            &config,
            &[
                "publish",
                "--server",
                url,
                "--project",
                &project,
                form.to_str().expect("p"),
            ],
            None,
        )
    };
    let out = publish();
    assert!(!out.status.success(), "no list beside it: {}", stdout(&out));
    assert!(stderr(&out).contains("schools.csv"), "{}", stderr(&out));

    let list = b"name,label\ns12,School 12\ns31,School 31\n";
    std::fs::write(dir.join("schools.csv"), list).expect("list");
    let out = publish();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("published")
            && stdout(&out).contains("files: 1 sent, 0 held already"),
        "{}",
        stdout(&out)
    );
    let out = publish();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("already published")
            && stdout(&out).contains("files: 0 sent, 1 held already"),
        "{}",
        stdout(&out)
    );

    // What a tablet fetches is the list as it was beside the form.
    let tokens: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(config.join("dala/tokens.json")).expect("tokens"),
    )
    .expect("json");
    let token = tokens[url].as_str().expect("a token");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent
        .get(format!(
            "{url}/api/v1/projects/{project}/instruments/fast_visit/1/files/schools.csv"
        ))
        .header("Authorization", format!("Bearer {token}"))
        .call()
        .expect("the server answers");
    assert_eq!(response.status().as_u16(), 200);
    let bytes = response.body_mut().read_to_vec().expect("bytes");
    assert_eq!(bytes, list);
    let _ = std::fs::remove_dir_all(&dir);
}
