//! Databases for the tests (an SQLite file in a folder of its own; a PostgreSQL database of
//! its own) and a server started on a free port of 127.0.0.1.

use dala_e2e::postgres::TestDatabase;
use dala_server::Db;
use std::net::SocketAddr;
use std::path::PathBuf;

/// A database made for one test, on one backend; removed when dropped.
pub enum Scratch {
    Sqlite { url: String, dir: PathBuf },
    Postgres(TestDatabase),
}

impl Scratch {
    pub fn url(&self) -> &str {
        match self {
            Scratch::Sqlite { url, .. } => url,
            Scratch::Postgres(db) => &db.url,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Scratch::Sqlite { .. } => "sqlite",
            Scratch::Postgres(_) => "postgres",
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Scratch::Sqlite { dir, .. } = self {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A fresh database on each backend, for the test `test`. PostgreSQL is required: the
/// harness starts a throwaway cluster when `DALA_TEST_POSTGRES` is not set.
pub fn scratch(test: &str) -> Vec<Scratch> {
    static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("server-{}-{n}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let sqlite = Scratch::Sqlite {
        url: format!("sqlite://{}", dir.join("data/dala.sqlite").display()),
        dir,
    };
    let postgres = TestDatabase::create(test).unwrap_or_else(|e| panic!("PostgreSQL: {e}"));
    vec![sqlite, Scratch::Postgres(postgres)]
}

pub async fn open(scratch: &Scratch) -> Db {
    Db::open(scratch.url())
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", scratch.name()))
}

/// A server on a free port over `db_url`, in this test's runtime; its base URL.
pub async fn start(db_url: &str) -> String {
    let config = dala_server::ServeConfig {
        db: db_url.to_string(),
        addr: "127.0.0.1:0".parse().expect("an address"),
        dist: None,
        tls: None,
    };
    let (tx, rx) = tokio::sync::oneshot::channel::<SocketAddr>();
    tokio::spawn(async move {
        let served = dala_server::serve(config, move |addr| {
            let _ = tx.send(addr);
        })
        .await;
        if let Err(e) = served {
            eprintln!("the test server stopped: {e}");
        }
    });
    let addr = rx.await.expect("the server started");
    format!("http://{addr}")
}
