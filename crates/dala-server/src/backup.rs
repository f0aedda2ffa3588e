//! `dala admin backup` and `restore`. A backup is taken while the server runs and holds
//! every record acknowledged before it started: SQLite copies itself in one read transaction
//! (`VACUUM INTO`, which a running server's writer does not wait for, nor it for the writer);
//! PostgreSQL's own `pg_dump` takes one snapshot. A restore never overwrites data: it goes
//! into a database that does not exist yet (SQLite) or holds no tables (PostgreSQL).

use crate::db::{Backend, Db, DbError, sqlite_path};
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Db(#[from] DbError),
    #[error("{0}")]
    Sql(#[from] sqlx::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0} exists already: a backup never overwrites a file")]
    Exists(PathBuf),
    #[error("{0} is not a backup of a Dala database")]
    NotABackup(PathBuf),
    #[error("the database {0} holds data already: restore into a new, empty one")]
    NotEmpty(String),
    #[error("{program} failed: {message}")]
    Program { program: String, message: String },
}

/// Copies the database at `db_url` into `file` (a new file), consistent at one moment.
pub async fn backup(db_url: &str, file: &Path) -> Result<(), BackupError> {
    if file.exists() {
        return Err(BackupError::Exists(file.to_path_buf()));
    }
    match Backend::of(db_url)? {
        Backend::Sqlite => {
            let db = Db::open(db_url).await?;
            // Written beside and renamed whole: a backup cut short is never taken for one.
            let part = with_suffix(file, ".part");
            let _ = std::fs::remove_file(&part);
            let path = part
                .to_str()
                .ok_or_else(|| std::io::Error::other(format!("{} is not UTF-8", part.display())))?;
            sqlx::query("VACUUM INTO $1")
                .bind(path)
                .execute(&db.pool)
                .await?;
            db.pool.close().await;
            std::fs::File::open(&part)?.sync_all()?;
            std::fs::rename(&part, file)?;
            Ok(())
        }
        Backend::Postgres => run(
            "pg_dump",
            &[
                "--format=custom",
                "--no-owner",
                "--file",
                path_text(file)?,
                "--dbname",
                db_url,
            ],
        ),
    }
}

/// Restores `file`, a backup, into the database at `db_url`, which must not hold data.
pub async fn restore(db_url: &str, file: &Path) -> Result<(), BackupError> {
    if !file.is_file() {
        return Err(BackupError::NotABackup(file.to_path_buf()));
    }
    match Backend::of(db_url)? {
        Backend::Sqlite => {
            let target = PathBuf::from(sqlite_path(db_url));
            if target.exists() {
                return Err(BackupError::NotEmpty(target.display().to_string()));
            }
            if !is_sqlite_backup(file).await {
                return Err(BackupError::NotABackup(file.to_path_buf()));
            }
            if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            let part = with_suffix(&target, ".restoring");
            std::fs::copy(file, &part)?;
            std::fs::File::open(&part)?.sync_all()?;
            std::fs::rename(&part, &target)?;
        }
        Backend::Postgres => {
            let db = Db::connect_only(db_url).await?;
            let tables: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'",
            )
            .fetch_one(&db.pool)
            .await?;
            db.pool.close().await;
            if tables > 0 {
                return Err(BackupError::NotEmpty(redacted(db_url)));
            }
            run(
                "pg_restore",
                &[
                    "--exit-on-error",
                    "--single-transaction",
                    "--no-owner",
                    "--dbname",
                    db_url,
                    path_text(file)?,
                ],
            )?;
        }
    }
    // A backup of an older server is brought up to this one's schema.
    Db::open(db_url).await?.pool.close().await;
    Ok(())
}

/// Whether `file` is an SQLite database with a Dala schema.
async fn is_sqlite_backup(file: &Path) -> bool {
    let Some(path) = file.to_str() else {
        return false;
    };
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{path}?mode=ro");
    let Ok(mut conn) = <sqlx::AnyConnection as sqlx::Connection>::connect(&url).await else {
        return false;
    };
    sqlx::query("SELECT version FROM schema_version")
        .fetch_all(&mut conn)
        .await
        .is_ok_and(|rows| !rows.is_empty())
}

fn with_suffix(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn path_text(file: &Path) -> Result<&str, BackupError> {
    file.to_str()
        .ok_or_else(|| std::io::Error::other(format!("{} is not UTF-8", file.display())).into())
}

/// A database URL without its password, for a message.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://…{}", &url[..scheme], &url[at..])
        }
        _ => url.to_string(),
    }
}

/// Runs one of PostgreSQL's programs: from `DALA_PG_BIN` when set, else from the PATH, else
/// the newest that Debian's packages installed.
fn run(program: &str, args: &[&str]) -> Result<(), BackupError> {
    let path = postgres_program(program);
    let output = Command::new(&path)
        .args(args)
        .output()
        .map_err(|e| BackupError::Program {
            program: program.to_string(),
            message: format!("cannot start {}: {e}", path.display()),
        })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(BackupError::Program {
            program: program.to_string(),
            message: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        })
    }
}

fn postgres_program(program: &str) -> PathBuf {
    if let Some(dir) = std::env::var_os("DALA_PG_BIN").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join(program);
    }
    let on_path = std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()));
    if on_path {
        return PathBuf::from(program);
    }
    let mut installed: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let path = e.path().join("bin").join(program);
            path.is_file().then_some((version, path))
        })
        .collect();
    installed.sort();
    installed
        .pop()
        .map_or_else(|| PathBuf::from(program), |(_, path)| path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_in_a_message_has_no_password() {
        assert_eq!(
            redacted("postgres://dala:secret@db.example:5432/dala"),
            "postgres://…@db.example:5432/dala"
        );
        assert_eq!(
            redacted("postgres://127.0.0.1/dala"),
            "postgres://127.0.0.1/dala"
        );
    }
}
