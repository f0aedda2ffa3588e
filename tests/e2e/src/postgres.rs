//! PostgreSQL for the server's tests: the server named by `DALA_TEST_POSTGRES` (a URL such as
//! `postgres://postgres@127.0.0.1:5432`) when set, else a throwaway cluster started once per
//! test process (initdb and postgres from Debian's postgresql package) in target/ on a free
//! port of 127.0.0.1, stopped and removed when the process ends. Each test takes a database
//! of its own, created for it and dropped after it; no other database is ever touched.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The server's URL without a database name, or why there is none.
fn server() -> Result<&'static str, String> {
    static SERVER: OnceLock<Result<String, String>> = OnceLock::new();
    SERVER
        .get_or_init(|| match std::env::var("DALA_TEST_POSTGRES") {
            Ok(url) if !url.is_empty() => Ok(url.trim_end_matches('/').to_string()),
            _ => start_cluster(),
        })
        .as_deref()
        .map_err(Clone::clone)
}

/// The newest PostgreSQL's programs Debian installed.
fn bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A command run as the postgres user when we are root (PostgreSQL refuses to run as root).
fn as_postgres(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

/// A new cluster in target/postgres/NAME: (the programs' folder, the cluster's folder, its data).
fn init_cluster(name: &str) -> Result<(PathBuf, PathBuf, PathBuf), String> {
    let bin = bin_dir().ok_or(
        "no PostgreSQL here: set DALA_TEST_POSTGRES or install Debian's postgresql package",
    )?;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/postgres")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if is_root() {
        let chown = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&dir)
            .status()
            .map_err(|e| e.to_string())?;
        if !chown.success() {
            return Err(format!("chown of {} failed", dir.display()));
        }
    }
    let data = dir.join("data");
    let init = as_postgres(&bin.join("initdb"))
        .arg("-D")
        .arg(&data)
        .args(["-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])
        .stdout(Stdio::null())
        .output()
        .map_err(|e| format!("initdb: {e}"))?;
    if !init.status.success() {
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&init.stderr)
        ));
    }
    Ok((bin, dir, data))
}

fn start_cluster() -> Result<String, String> {
    let (bin, dir, data) = init_cluster(&format!("cluster-{}", std::process::id()))?;
    let port = free_port()?;
    let quoted = |c: &Command| {
        std::iter::once(c.get_program())
            .chain(c.get_args())
            .map(|a| format!("'{}'", a.to_string_lossy()))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut postgres = as_postgres(&bin.join("postgres"));
    postgres
        .arg("-D")
        .arg(&data)
        .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1"])
        .arg("-k")
        .arg(&dir);
    let mut stop = as_postgres(&bin.join("pg_ctl"));
    stop.arg("-D").arg(&data).args(["stop", "-m", "fast", "-w"]);
    // The server lives as long as this test process: a watchdog stops it and removes the
    // cluster once the process is gone, however the tests end.
    let script = format!(
        "{postgres} >'{log}' 2>&1 & while kill -0 {parent} 2>/dev/null; do sleep 1; done; \
         {stop} >/dev/null 2>&1; rm -rf '{dir}'",
        postgres = quoted(&postgres),
        stop = quoted(&stop),
        log = dir.join("log").display(),
        parent = std::process::id(),
        dir = dir.display(),
    );
    Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("starting postgres: {e}"))?;
    let url = format!("postgres://postgres@127.0.0.1:{port}");
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        let ready = Command::new(bin.join("pg_isready"))
            .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-q"])
            .status()
            .is_ok_and(|s| s.success());
        if ready {
            return Ok(url);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err(format!(
        "the throwaway PostgreSQL did not start: {}",
        std::fs::read_to_string(dir.join("log")).unwrap_or_default()
    ))
}

fn psql(server: &str, sql: &str) -> Result<(), String> {
    let psql = bin_dir()
        .map(|b| b.join("psql"))
        .filter(|p| p.exists())
        .unwrap_or_else(|| "psql".into());
    let out = Command::new(psql)
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d"])
        .arg(format!("{server}/postgres"))
        .args(["-c", sql])
        .output()
        .map_err(|e| format!("psql: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// A database made for one test, dropped when it is dropped.
#[derive(Debug)]
pub struct TestDatabase {
    pub url: String,
    server: &'static str,
    name: String,
}

impl TestDatabase {
    /// A fresh database on the test server (its name says which process and test made it).
    pub fn create(test: &str) -> Result<TestDatabase, String> {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let server = server()?;
        let slug: String = test
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .take(30)
            .collect();
        let name = format!(
            "dala_test_{}_{}_{slug}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        );
        psql(server, &format!("CREATE DATABASE \"{name}\""))?;
        Ok(TestDatabase {
            url: format!("{server}/{name}"),
            server,
            name,
        })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let _ = psql(
            self.server,
            &format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name),
        );
    }
}

/// A cluster of a test's own, which the test may stop and start again (a database server
/// going away under a running Dala server). Stopped and removed when dropped.
#[derive(Debug)]
pub struct OwnCluster {
    bin: PathBuf,
    dir: PathBuf,
    data: PathBuf,
    port: u16,
}

impl OwnCluster {
    pub fn create(test: &str) -> Result<OwnCluster, String> {
        let (bin, dir, data) = init_cluster(&format!("own-{}-{test}", std::process::id()))?;
        let cluster = OwnCluster {
            bin,
            dir,
            data,
            port: free_port()?,
        };
        cluster.start()?;
        Ok(cluster)
    }

    /// The URL of its `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    pub fn start(&self) -> Result<(), String> {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {}",
            self.port,
            self.dir.display()
        );
        let out = as_postgres(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(&self.data)
            .arg("-o")
            .arg(options)
            .arg("-l")
            .arg(self.dir.join("log"))
            .args(["start", "-w", "-t", "60"])
            .output()
            .map_err(|e| format!("pg_ctl start: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "pg_ctl start: {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    /// Stops the server at once (connections cut, as when it crashes or is restarted).
    pub fn stop(&self) -> Result<(), String> {
        let out = as_postgres(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(&self.data)
            .args(["stop", "-m", "immediate", "-w"])
            .output()
            .map_err(|e| format!("pg_ctl stop: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "pg_ctl stop: {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        let _ = self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
