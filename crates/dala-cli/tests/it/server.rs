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
    let mut child = Command::new(env!("CARGO_BIN_EXE_dala"))
        .args(["serve", "--db", db, "--addr", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
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
    Served {
        child,
        url: format!("http://127.0.0.1:{port}"),
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
    let out = dala_in(
        &config,
        &[
            "login",
            "--server",
            url,
            "--user",
            "root",
            "--password-stdin",
        ],
        Some("wrong\n"),
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("[S003]"), "{}", stderr(&out));
    let out = dala_in(
        &config,
        &[
            "login",
            "--server",
            url,
            "--user",
            "root",
            "--password-stdin",
        ],
        Some("a long secret\n"),
    );
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
