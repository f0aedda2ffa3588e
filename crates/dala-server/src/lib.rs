//! The Dala server: one process serving the built app and the API (/api/v1) on one port, over
//! an embedded SQLite file (the default) or PostgreSQL. Projects, users with roles, enrolled
//! devices, published instruments, idempotent intake of records with receipts, review states
//! and an audit log. The only crate that knows axum, tokio and sqlx.

pub mod access;
pub mod api;
pub mod auth;
pub mod backup;
pub mod clock;
pub mod db;
pub mod enrol;
pub mod export;
pub mod form_files;
pub mod intake;
pub mod limits;
pub mod openapi;
pub mod problem;
pub mod publish;
pub mod request_log;
pub mod session;
pub mod store;
pub mod tables;
pub mod team;
pub mod tls;

pub use db::{Backend, Db, DbError};

use std::net::SocketAddr;
use std::path::PathBuf;

/// What `dala serve` is told.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    pub db: String,
    pub addr: SocketAddr,
    /// The built app (None: the API alone).
    pub dist: Option<PathBuf>,
    /// HTTPS: a PEM certificate chain and its private key (None: plain HTTP, as behind a
    /// reverse proxy that holds the certificate).
    pub tls: Option<(PathBuf, PathBuf)>,
}

/// The default database: a file beside where the server is started.
pub const DEFAULT_DB: &str = "sqlite://data/dala.sqlite";

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{0}")]
    Db(#[from] DbError),
    #[error("{0}")]
    Store(#[from] store::StoreError),
    #[error("listening on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Auth(#[from] auth::AuthError),
    #[error("{0}")]
    Tls(#[from] tls::TlsError),
}

/// Serves until SIGTERM or Ctrl-C, then finishes the requests in flight (a record being
/// received is committed or not at all: each intake is one transaction). `ready` is told the
/// address bound (port 0 picks a free one).
pub async fn serve(config: ServeConfig, ready: impl FnOnce(SocketAddr)) -> Result<(), ServeError> {
    request_log::init();
    let db = Db::open(&config.db).await?;
    db.server_id().await?;
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|source| ServeError::Listen {
            addr: config.addr,
            source,
        })?;
    let addr = listener.local_addr()?;
    if db.user_count().await? == 0 {
        eprintln!(
            "The database has no users yet. Create the first administrator with:\n  \
             dala admin --db {} create-user NAME --role administrator --password-stdin",
            config.db
        );
    }
    let tls = match &config.tls {
        Some((cert, key)) => Some(tls::config(cert, key)?),
        None => None,
    };
    let app = api::router(db, config.dist, tls.is_some());
    ready(addr);
    match tls {
        Some(tls) => {
            let listener = tls::TlsListener::new(listener, tls)?;
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<tls::Peer>(),
            )
            .with_graceful_shutdown(shutdown_signal())
            .await?;
        }
        None => {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<tls::Peer>(),
            )
            .with_graceful_shutdown(shutdown_signal())
            .await?;
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Runs a future on a runtime of its own: the command line's way in.
pub fn block_on<F: std::future::Future>(future: F) -> Result<F::Output, std::io::Error> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(future))
}

/// `dala admin create-user`: a user with a password; `site_admin` for an administrator.
pub async fn create_user(
    db_url: &str,
    name: &str,
    password: &str,
    site_admin: bool,
) -> Result<i64, ServeError> {
    let db = Db::open(db_url).await?;
    let hash = auth::hash_password(password)?;
    let id = db.create_user(name, &hash, site_admin).await?;
    db.audit("admin:cli", "user.create", None, name, "local")
        .await?;
    Ok(id)
}

/// `dala admin create-project`: the new project's id.
pub async fn create_project(db_url: &str, name: &str) -> Result<i64, ServeError> {
    let db = Db::open(db_url).await?;
    let id = db.create_project(name).await?;
    db.audit("admin:cli", "project.create", Some(id), name, "local")
        .await?;
    Ok(id)
}
