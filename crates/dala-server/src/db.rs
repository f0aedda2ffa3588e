//! The database: one pool over SQLite or PostgreSQL (sqlx's Any driver, so every query is one
//! SQL text written once, with `$1` parameters both understand), and the schema, migrated in
//! order on start. The dialects differ only in the schema's auto-numbered keys.

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor, Row};
use std::time::Duration;

/// Which database a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The schema's versions in order, written once for both databases. A new version is added at
/// the end; a released one is never edited.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("schema/1.sql")),
    (2, include_str!("schema/2.sql")),
    (3, include_str!("schema/3.sql")),
    (4, include_str!("schema/4.sql")),
    (5, include_str!("schema/5.sql")),
];

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("the database URL must start with sqlite:// or postgres://: {0}")]
    Url(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Sql(#[from] sqlx::Error),
}

#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
    /// The process's intake writer (see `store`), started on the first intake.
    pub(crate) writer:
        std::sync::Arc<std::sync::OnceLock<tokio::sync::mpsc::Sender<crate::store::IntakeJob>>>,
    /// The server's id once read (it never changes).
    pub(crate) server_id: std::sync::Arc<std::sync::OnceLock<String>>,
    /// When this process last wrote each device's last request (see `team`): most requests
    /// then write nothing, and take no write lock.
    pub(crate) seen:
        std::sync::Arc<std::sync::Mutex<std::collections::HashMap<i64, std::time::Instant>>>,
}

impl Backend {
    pub fn of(url: &str) -> Result<Backend, DbError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err(DbError::Url(url.to_string()))
        }
    }
}

/// The file a `sqlite://PATH` URL names (its query string apart).
pub(crate) fn sqlite_path(url: &str) -> &str {
    let path = url.trim_start_matches("sqlite:").trim_start_matches("//");
    path.split('?').next().unwrap_or(path)
}

impl Db {
    /// Opens the database (an SQLite file is created, with its folder, if missing) and brings
    /// its schema up to date.
    pub async fn open(url: &str) -> Result<Db, DbError> {
        let db = Db::connect_only(url).await?;
        db.migrate().await?;
        Ok(db)
    }

    /// Opens the database as it is, its schema untouched.
    pub async fn connect_only(url: &str) -> Result<Db, DbError> {
        install_default_drivers();
        let backend = Backend::of(url)?;
        let url = match backend {
            Backend::Sqlite => {
                let path = sqlite_path(url);
                if let Some(dir) = std::path::Path::new(path).parent()
                    && !dir.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(dir)?;
                }
                format!("sqlite://{path}?mode=rwc")
            }
            Backend::Postgres => url.to_string(),
        };
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                // One writer at a time in SQLite anyway; a few readers beside it.
                Backend::Sqlite => 4,
                Backend::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL: readers never wait for the writer; FULL: a commit is on disk
                        // when it returns (a receipt promises that); a writer waits for
                        // another rather than failing at once.
                        for pragma in [
                            "PRAGMA journal_mode = WAL",
                            "PRAGMA synchronous = FULL",
                            "PRAGMA busy_timeout = 10000",
                            "PRAGMA foreign_keys = ON",
                        ] {
                            conn.execute(pragma).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        let db = Db {
            pool,
            backend,
            writer: std::sync::Arc::default(),
            server_id: std::sync::Arc::default(),
            seen: std::sync::Arc::default(),
        };
        Ok(db)
    }

    /// Applies the schema versions not yet applied, each in one transaction.
    async fn migrate(&self) -> Result<(), DbError> {
        self.pool
            .execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL PRIMARY KEY, \
                 applied TEXT NOT NULL)",
            )
            .await?;
        for (version, script) in MIGRATIONS {
            let mut tx = self.pool.begin().await?;
            if self.backend == Backend::Postgres {
                // Two server processes starting at once on one database migrate one at a time.
                sqlx::query("SELECT pg_advisory_xact_lock(74616)")
                    .execute(&mut *tx)
                    .await?;
            }
            let done = sqlx::query("SELECT COUNT(*) AS n FROM schema_version WHERE version = $1")
                .bind(*version)
                .fetch_one(&mut *tx)
                .await?
                .try_get::<i64, _>("n")?;
            if done > 0 {
                continue;
            }
            // The differences of the dialects the schema needs: the auto-numbered key, bytes.
            let script = script
                .replace(
                    "{serial}",
                    match self.backend {
                        Backend::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
                        Backend::Postgres => "BIGSERIAL PRIMARY KEY",
                    },
                )
                .replace(
                    "{bytes}",
                    match self.backend {
                        Backend::Sqlite => "BLOB",
                        Backend::Postgres => "BYTEA",
                    },
                );
            for statement in script.split(';').map(str::trim).filter(|s| !s.is_empty()) {
                let statement: String = statement
                    .lines()
                    .filter(|l| !l.trim_start().starts_with("--"))
                    .collect::<Vec<_>>()
                    .join("\n");
                if !statement.trim().is_empty() {
                    tx.execute(statement.as_str()).await?;
                }
            }
            sqlx::query("INSERT INTO schema_version (version, applied) VALUES ($1, $2)")
                .bind(*version)
                .bind(crate::clock::now())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        Ok(())
    }
}
