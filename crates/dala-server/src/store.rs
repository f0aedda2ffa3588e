//! What the server keeps, as operations over the database: users, projects and roles,
//! devices and tokens, published instruments, submissions with their change sequence, reviews
//! and the audit log. Every statement is parameterised. One implementation serves SQLite and
//! PostgreSQL (see `db`); the conformance tests run it on both.

use crate::access::Role;
use crate::db::Db;
use dala_core::record::Submission;
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached (down, restarting, out of connections): try again.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// A name that must be unique is taken.
    #[error("{0} exists already")]
    Exists(String),
    /// Text the database cannot hold (PostgreSQL refuses a NUL character in text): the
    /// request's fault, not the server's.
    #[error("the text cannot be stored: {0}")]
    BadText(String),
    #[error("the database failed: {0}")]
    Failed(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        match &e {
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Tls(_) => StoreError::Unavailable(e.to_string()),
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                StoreError::Exists(d.message().to_string())
            }
            // PostgreSQL: a NUL character (22021), or one the encoding lacks (22P05).
            sqlx::Error::Database(d) if d.code().is_some_and(|c| c == "22021" || c == "22P05") => {
                StoreError::BadText(d.message().to_string())
            }
            // PostgreSQL shutting down or restarting (class 57: operator intervention).
            sqlx::Error::Database(d) if d.code().is_some_and(|c| c.starts_with("57")) => {
                StoreError::Unavailable(e.to_string())
            }
            _ => StoreError::Failed(e.to_string()),
        }
    }
}

pub(crate) type Result<T> = std::result::Result<T, StoreError>;

/// Who is calling: a person (by name and password, then a token) or an enrolled device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    User {
        id: i64,
        name: String,
        site_admin: bool,
    },
    Device {
        id: i64,
        project_id: i64,
        name: String,
    },
}

impl Caller {
    /// How the audit log names the caller.
    pub fn label(&self) -> String {
        match self {
            Caller::User { name, .. } => format!("user:{name}"),
            Caller::Device { id, name, .. } => format!("device:{id}:{name}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Project {
    pub id: i64,
    pub name: String,
    pub created: String,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Published {
    pub form_id: String,
    pub version: String,
    pub published: String,
}

/// The server's acknowledgement of a record: sent again, the same record gets the same one.
#[derive(
    Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct ServerReceipt {
    pub instance_id: String,
    /// The server that holds it (its id, the same for every process on one database).
    pub server: String,
    /// When it was first received (the server's clock).
    pub received: String,
    /// Its place in the change sequence.
    pub seq: i64,
}

/// Why a record was not stored. Each has its code (S0xx) in the API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refused {
    /// The same instance id is stored with other content.
    Conflict,
    /// The record was deleted on the server; it is not stored again.
    Deleted,
    /// No such instrument version is published in the project.
    UnknownInstrument { form_id: String, version: String },
    /// A draft: only finalized records are received.
    NotFinalized,
    /// The instance id, instrument id or version is empty or holds a control character.
    BadIdentifier,
}

/// What became of one record sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Added(ServerReceipt),
    /// Stored before with the same content: the original receipt.
    Duplicate(ServerReceipt),
    Refused(Refused),
}

/// A stored submission as a page of them lists it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct StoredSubmission {
    /// Its number in the order of arrival.
    pub seq: i64,
    /// Its last change (arrival, review, deletion) in the change sequence: the cursor.
    pub changed: i64,
    /// When it was deleted: a deleted record is listed once more, without its record, so
    /// that a copy kept elsewhere drops it.
    pub deleted: Option<String>,
    pub form_id: String,
    pub instance_id: String,
    pub received: String,
    pub review_state: String,
    /// The record's JSON as received (canonical: as dala-core writes it).
    pub record: serde_json::Value,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub project_id: Option<i64>,
    pub target: String,
    pub address: String,
}

/// The content hash of a record: SHA-256 of its canonical JSON.
pub fn content_hash(canonical_json: &str) -> String {
    hex(&Sha256::digest(canonical_json.as_bytes()))
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

fn flag(on: bool) -> i64 {
    i64::from(on)
}

impl Db {
    /// The server's id, made once for the database (every process on it shares it).
    pub async fn server_id(&self) -> Result<String> {
        if let Some(id) = self.server_id.get() {
            return Ok(id.clone());
        }
        let id = self.load_server_id().await?;
        Ok(self.server_id.get_or_init(|| id).clone())
    }

    /// The server's id as the database holds it, made if there is none.
    async fn load_server_id(&self) -> Result<String> {
        if let Some(row) = sqlx::query("SELECT id FROM server")
            .fetch_optional(&self.pool)
            .await?
        {
            return Ok(row.try_get("id")?);
        }
        let mut id = [0u8; 16];
        getrandom::fill(&mut id).map_err(|e| StoreError::Failed(e.to_string()))?;
        // Two processes starting at once: one insert wins, both read it back.
        let _ = sqlx::query("INSERT INTO server (id, created) VALUES ($1, $2)")
            .bind(format!("dala-{}", hex(&id)))
            .bind(crate::clock::now())
            .execute(&self.pool)
            .await;
        let row = sqlx::query("SELECT id FROM server")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("id")?)
    }

    pub async fn user_count(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }

    /// A new user with an argon2id hash of the password (see `auth`). The name is unique.
    pub async fn create_user(
        &self,
        name: &str,
        password_hash: &str,
        site_admin: bool,
    ) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO users (name, password_hash, site_admin, created) VALUES ($1, $2, $3, $4) \
             RETURNING id",
        )
        .bind(name)
        .bind(password_hash)
        .bind(flag(site_admin))
        .bind(crate::clock::now())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Exists(_) => StoreError::Exists(format!("the user {name}")),
            other => other,
        })?;
        Ok(row.try_get("id")?)
    }

    /// A user and the stored password hash, by name.
    pub async fn user_by_name(&self, name: &str) -> Result<Option<(Caller, String)>> {
        let row =
            sqlx::query("SELECT id, name, site_admin, password_hash FROM users WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|row| {
            Ok((
                Caller::User {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    site_admin: row.try_get::<i64, _>("site_admin")? != 0,
                },
                row.try_get("password_hash")?,
            ))
        })
        .transpose()
    }

    pub async fn create_project(&self, name: &str) -> Result<i64> {
        let row = sqlx::query("INSERT INTO projects (name, created) VALUES ($1, $2) RETURNING id")
            .bind(name)
            .bind(crate::clock::now())
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("id")?)
    }

    pub async fn project(&self, id: i64) -> Result<Option<Project>> {
        let row = sqlx::query("SELECT id, name, created FROM projects WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| project_of(&r)).transpose()
    }

    /// The projects a caller sees: every one for a site administrator, else those with a role.
    pub async fn projects_for(&self, caller: &Caller) -> Result<Vec<Project>> {
        let rows = match caller {
            Caller::User {
                site_admin: true, ..
            } => {
                sqlx::query("SELECT id, name, created FROM projects ORDER BY id")
                    .fetch_all(&self.pool)
                    .await?
            }
            Caller::User { id, .. } => {
                sqlx::query(
                    "SELECT p.id, p.name, p.created FROM projects p JOIN roles r ON \
                     r.project_id = p.id WHERE r.user_id = $1 ORDER BY p.id",
                )
                .bind(*id)
                .fetch_all(&self.pool)
                .await?
            }
            Caller::Device { project_id, .. } => {
                sqlx::query("SELECT id, name, created FROM projects WHERE id = $1")
                    .bind(*project_id)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(project_of).collect()
    }

    /// Gives a user a role in a project (replacing the one held).
    pub async fn set_role(&self, project_id: i64, user_id: i64, role: Role) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM roles WHERE project_id = $1 AND user_id = $2")
            .bind(project_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO roles (project_id, user_id, role) VALUES ($1, $2, $3)")
            .bind(project_id)
            .bind(user_id)
            .bind(role.name())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn role_of(&self, project_id: i64, user_id: i64) -> Result<Option<Role>> {
        let row = sqlx::query("SELECT role FROM roles WHERE project_id = $1 AND user_id = $2")
            .bind(project_id)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row
            .map(|r| r.try_get::<String, _>("role"))
            .transpose()?
            .and_then(|name| Role::from_name(&name)))
    }

    pub async fn create_device(&self, project_id: i64, name: &str) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO devices (project_id, name, created) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(project_id)
        .bind(name)
        .bind(crate::clock::now())
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("id")?)
    }

    /// Revokes a device of a project and every token it holds; false if there is none.
    pub async fn revoke_device(&self, project_id: i64, device_id: i64) -> Result<bool> {
        let now = crate::clock::now();
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE devices SET revoked = $1 WHERE id = $2 AND project_id = $3 AND revoked IS NULL",
        )
        .bind(&now)
        .bind(device_id)
        .bind(project_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query("UPDATE tokens SET revoked = $1 WHERE device_id = $2 AND revoked IS NULL")
            .bind(&now)
            .bind(device_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done > 0)
    }

    /// Keeps a token (by its hash only) for a user or a device, expiring at `expires` if given.
    pub async fn add_token(
        &self,
        hash: &str,
        user_id: Option<i64>,
        device_id: Option<i64>,
        expires: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO tokens (hash, user_id, device_id, created, expires) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(hash)
        .bind(user_id)
        .bind(device_id)
        .bind(crate::clock::now())
        .bind(expires)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Who holds a token (by its hash): none if unknown, revoked or expired at `now`.
    pub async fn caller_by_token(&self, hash: &str, now: &str) -> Result<Option<Caller>> {
        let row = sqlx::query(
            "SELECT t.user_id, t.device_id, t.expires, t.revoked, u.name AS user_name, \
             u.site_admin, d.name AS device_name, d.project_id, d.revoked AS device_revoked \
             FROM tokens t LEFT JOIN users u ON u.id = t.user_id \
             LEFT JOIN devices d ON d.id = t.device_id WHERE t.hash = $1",
        )
        .bind(hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let revoked: Option<String> = row.try_get("revoked")?;
        let expires: Option<String> = row.try_get("expires")?;
        if revoked.is_some() || expires.is_some_and(|e| e.as_str() <= now) {
            return Ok(None);
        }
        if let Some(id) = row.try_get::<Option<i64>, _>("user_id")? {
            return Ok(Some(Caller::User {
                id,
                name: row.try_get("user_name")?,
                site_admin: row.try_get::<i64, _>("site_admin")? != 0,
            }));
        }
        if let Some(id) = row.try_get::<Option<i64>, _>("device_id")? {
            if row
                .try_get::<Option<String>, _>("device_revoked")?
                .is_some()
            {
                return Ok(None);
            }
            return Ok(Some(Caller::Device {
                id,
                project_id: row.try_get("project_id")?,
                name: row.try_get("device_name")?,
            }));
        }
        Ok(None)
    }

    /// Revokes one token (signing out).
    pub async fn revoke_token(&self, hash: &str) -> Result<()> {
        sqlx::query("UPDATE tokens SET revoked = $1 WHERE hash = $2")
            .bind(crate::clock::now())
            .bind(hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The document of a published instrument version.
    pub async fn instrument(
        &self,
        project_id: i64,
        form_id: &str,
        version: &str,
    ) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT document FROM instruments WHERE project_id = $1 AND form_id = $2 AND version = $3",
        )
        .bind(project_id)
        .bind(form_id)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.try_get("document")).transpose()?)
    }

    /// Whether a version is published in a project (without reading its document).
    pub async fn is_published(
        &self,
        project_id: i64,
        form_id: &str,
        version: &str,
    ) -> Result<bool> {
        let row = sqlx::query(
            "SELECT 1 AS found FROM instruments WHERE project_id = $1 AND form_id = $2 \
             AND version = $3",
        )
        .bind(project_id)
        .bind(form_id)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    /// Every published version in a project, by instrument and then in publishing order.
    pub async fn instruments(&self, project_id: i64) -> Result<Vec<Published>> {
        let rows = sqlx::query(
            "SELECT form_id, version, published FROM instruments WHERE project_id = $1 \
             ORDER BY form_id, published, version",
        )
        .bind(project_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Published {
                    form_id: r.try_get("form_id")?,
                    version: r.try_get("version")?,
                    published: r.try_get("published")?,
                })
            })
            .collect()
    }

    /// The document of the version of a form published last in a project.
    pub async fn latest_document(&self, project_id: i64, form_id: &str) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT document FROM instruments WHERE project_id = $1 AND form_id = $2 \
             ORDER BY published DESC, version DESC LIMIT 1",
        )
        .bind(project_id)
        .bind(form_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.try_get("document")).transpose()?)
    }

    /// A page of the records of one form (any version, deleted ones left out), by change
    /// sequence after `after`: each with its sequence number.
    pub async fn form_records_since(
        &self,
        project_id: i64,
        form_id: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, Submission)>> {
        let rows = sqlx::query(
            "SELECT seq, record FROM submissions WHERE project_id = $1 AND form_id = $2 \
             AND seq > $3 AND deleted IS NULL ORDER BY seq LIMIT $4",
        )
        .bind(project_id)
        .bind(form_id)
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let record: String = r.try_get("record")?;
                let record =
                    serde_json::from_str(&record).map_err(|e| StoreError::Failed(e.to_string()))?;
                Ok((r.try_get("seq")?, record))
            })
            .collect()
    }

    /// Stores a published version. Versions are immutable: publishing one again with the
    /// same document is a success that changes nothing (Ok(false)); with another, Exists.
    pub async fn publish(
        &self,
        project_id: i64,
        form_id: &str,
        version: &str,
        document: &str,
        by: i64,
    ) -> Result<bool> {
        if let Some(stored) = self.instrument(project_id, form_id, version).await? {
            return if stored == document {
                Ok(false)
            } else {
                Err(StoreError::Exists(format!("{form_id} version {version}")))
            };
        }
        sqlx::query(
            "INSERT INTO instruments (project_id, form_id, version, document, published, \
             published_by) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(project_id)
        .bind(form_id)
        .bind(version)
        .bind(document)
        .bind(crate::clock::now())
        .bind(by)
        .execute(&self.pool)
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Exists(_) => StoreError::Exists(format!("{form_id} version {version}")),
            other => other,
        })?;
        Ok(true)
    }

    /// Receives records, each by (project, instrument, instance id): new ones are stored with
    /// the next change sequence; one stored with the same content gets its original receipt;
    /// other content, a deleted record, a draft or an instrument version not published in the
    /// project are refused. The answer comes once the records are durably committed.
    ///
    /// Requests are committed together (group commit): one writer per process takes every
    /// request waiting and stores them in one transaction, so a commit's flush to disk serves
    /// many devices at once. The transaction first locks the change sequence's row, so writers
    /// in other processes on one PostgreSQL take turns, concurrent sends of one record store
    /// one row, and a cursor by change sequence never passes a record that commits later.
    /// The audit entry of a request that adds records (`sent_by`, from `address`) is written
    /// in the same transaction: no record without its entry, and no second commit per request.
    ///
    /// `files` are the files each record brought (by position; fewer than the records: the
    /// rest brought none). They are kept with a record added or already stored with the
    /// same content, each once: a record sent again fills in a file an earlier send missed.
    pub async fn intake(
        &self,
        project_id: i64,
        records: &[Submission],
        files: Vec<crate::intake::Files>,
        sent_by: &str,
        address: &str,
    ) -> Result<Vec<Outcome>> {
        let published = self.published_among(project_id, records).await?;
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = IntakeJob {
            project_id,
            records: records.to_vec(),
            files,
            published,
            sent_by: sent_by.to_string(),
            address: address.to_string(),
            reply,
        };
        self.writer()
            .send(job)
            .await
            .map_err(|_| StoreError::Unavailable("the intake writer stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Unavailable("the intake writer stopped".into()))?
    }

    /// Which instrument versions of `records` the project publishes.
    async fn published_among(
        &self,
        project_id: i64,
        records: &[Submission],
    ) -> Result<std::collections::BTreeSet<(String, String)>> {
        let mut known = std::collections::BTreeSet::new();
        let mut asked = std::collections::BTreeSet::new();
        for r in records {
            let key = (r.instrument_id.clone(), r.instrument_version.clone());
            if asked.insert(key.clone())
                && self
                    .is_published(project_id, &r.instrument_id, &r.instrument_version)
                    .await?
            {
                known.insert(key);
            }
        }
        Ok(known)
    }

    /// The process's intake writer, started on first use.
    fn writer(&self) -> &tokio::sync::mpsc::Sender<IntakeJob> {
        self.writer.get_or_init(|| {
            let (tx, rx) = tokio::sync::mpsc::channel(WRITER_QUEUE);
            tokio::spawn(write_intakes(self.clone(), rx));
            tx
        })
    }

    /// Stores the records of several requests in one transaction; each request's outcomes.
    async fn intake_batch(&self, jobs: &[IntakeJob]) -> Result<Vec<Vec<Outcome>>> {
        let server = self.server_id().await?;
        let received = crate::clock::now();
        let mut tx = self.pool.begin().await?;
        // Locks the change sequence for the transaction and reads it: the batch numbers its
        // records from here and writes the last number once, at the end.
        let start: i64 = sqlx::query(
            "UPDATE changes SET value = value WHERE name = 'submissions' RETURNING value",
        )
        .fetch_one(&mut *tx)
        .await?
        .try_get("value")?;
        let mut last = start;
        let mut all = Vec::with_capacity(jobs.len());
        for job in jobs {
            let mut outcomes = Vec::with_capacity(job.records.len());
            for (i, record) in job.records.iter().enumerate() {
                let files = job.files.get(i).map_or(&[][..], Vec::as_slice);
                let key = (
                    record.instrument_id.clone(),
                    record.instrument_version.clone(),
                );
                if !job.published.contains(&key) {
                    outcomes.push(Outcome::Refused(Refused::UnknownInstrument {
                        form_id: key.0,
                        version: key.1,
                    }));
                    continue;
                }
                if record.status != dala_core::Status::Finalized {
                    outcomes.push(Outcome::Refused(Refused::NotFinalized));
                    continue;
                }
                let bad = |id: &str| id.is_empty() || id.chars().any(char::is_control);
                if bad(&record.instance_id)
                    || bad(&record.instrument_id)
                    || bad(&record.instrument_version)
                {
                    outcomes.push(Outcome::Refused(Refused::BadIdentifier));
                    continue;
                }
                let json =
                    serde_json::to_string(record).map_err(|e| StoreError::Failed(e.to_string()))?;
                let hash = content_hash(&json);
                let existing = sqlx::query(
                    "SELECT seq, content_hash, received, deleted FROM submissions \
                     WHERE project_id = $1 AND form_id = $2 AND instance_id = $3",
                )
                .bind(job.project_id)
                .bind(&record.instrument_id)
                .bind(&record.instance_id)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(row) = existing {
                    let deleted: Option<String> = row.try_get("deleted")?;
                    let stored_hash: String = row.try_get("content_hash")?;
                    if deleted.is_none() && stored_hash == hash {
                        keep_files(&mut tx, job.project_id, record, files, &received).await?;
                    }
                    outcomes.push(if deleted.is_some() {
                        Outcome::Refused(Refused::Deleted)
                    } else if stored_hash == hash {
                        Outcome::Duplicate(ServerReceipt {
                            instance_id: record.instance_id.clone(),
                            server: server.clone(),
                            received: row.try_get("received")?,
                            seq: row.try_get("seq")?,
                        })
                    } else {
                        Outcome::Refused(Refused::Conflict)
                    });
                    continue;
                }
                last += 1;
                let seq = last;
                sqlx::query(
                    "INSERT INTO submissions (project_id, form_id, instance_id, version, seq, \
                     changed, content_hash, record, received, sent_by, review_state) \
                     VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9, 'received')",
                )
                .bind(job.project_id)
                .bind(&record.instrument_id)
                .bind(&record.instance_id)
                .bind(&record.instrument_version)
                .bind(seq)
                .bind(&hash)
                .bind(&json)
                .bind(&received)
                .bind(&job.sent_by)
                .execute(&mut *tx)
                .await?;
                keep_files(&mut tx, job.project_id, record, files, &received).await?;
                outcomes.push(Outcome::Added(ServerReceipt {
                    instance_id: record.instance_id.clone(),
                    server: server.clone(),
                    received: received.clone(),
                    seq,
                }));
            }
            let added = outcomes
                .iter()
                .filter(|o| matches!(o, Outcome::Added(_)))
                .count();
            if added > 0 {
                sqlx::query(
                    "INSERT INTO audit (at, actor, action, project_id, target, address) \
                     VALUES ($1, $2, 'submissions.add', $3, $4, $5)",
                )
                .bind(&received)
                .bind(&job.sent_by)
                .bind(job.project_id)
                .bind(format!("{added} records"))
                .bind(&job.address)
                .execute(&mut *tx)
                .await?;
            }
            all.push(outcomes);
        }
        if last != start {
            sqlx::query("UPDATE changes SET value = $1 WHERE name = 'submissions'")
                .bind(last)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(all)
    }

    /// Up to `limit` submissions of a project changed after `after` (arrived, reviewed or
    /// deleted), in change order: a deleted one without its record.
    pub async fn submissions_since(
        &self,
        project_id: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<StoredSubmission>> {
        self.submissions_in_state(project_id, None, after, limit)
            .await
    }

    /// [`Db::submissions_since`] of the records in one review state (a review queue: a
    /// deleted record is not in one).
    pub async fn submissions_in_state(
        &self,
        project_id: i64,
        review_state: Option<&str>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<StoredSubmission>> {
        let rows = sqlx::query(
            "SELECT seq, changed, form_id, instance_id, received, review_state, deleted, record \
             FROM submissions WHERE project_id = $1 AND changed > $2 \
             AND ($4 = '' OR (review_state = $4 AND deleted IS NULL)) ORDER BY changed LIMIT $3",
        )
        .bind(project_id)
        .bind(after)
        .bind(limit)
        .bind(review_state.unwrap_or(""))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let deleted: Option<String> = r.try_get("deleted")?;
                let record = match deleted {
                    Some(_) => serde_json::Value::Null,
                    None => {
                        let record: String = r.try_get("record")?;
                        serde_json::from_str(&record)
                            .map_err(|e| StoreError::Failed(e.to_string()))?
                    }
                };
                Ok(StoredSubmission {
                    seq: r.try_get("seq")?,
                    changed: r.try_get("changed")?,
                    deleted,
                    form_id: r.try_get("form_id")?,
                    instance_id: r.try_get("instance_id")?,
                    received: r.try_get("received")?,
                    review_state: r.try_get("review_state")?,
                    record,
                })
            })
            .collect()
    }

    /// A file a submission (not deleted) of the project brought: its media type and bytes.
    pub async fn submission_file(
        &self,
        project_id: i64,
        instance_id: &str,
        name: &str,
    ) -> Result<Option<(String, Vec<u8>)>> {
        let row = sqlx::query(
            "SELECT f.media_type, f.content FROM submission_files f JOIN submissions s \
             ON s.project_id = f.project_id AND s.form_id = f.form_id \
             AND s.instance_id = f.instance_id \
             WHERE f.project_id = $1 AND f.instance_id = $2 AND f.name = $3 \
             AND s.deleted IS NULL",
        )
        .bind(project_id)
        .bind(instance_id)
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((r.try_get("media_type")?, r.try_get("content")?)))
            .transpose()
    }

    /// Keeps a file an instrument version attaches, once per project by its SHA-256 (the
    /// caller checked the bytes against the version's description); false when the project
    /// held it already.
    pub async fn put_form_file(&self, project_id: i64, sha256: &str, bytes: &[u8]) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO form_files (project_id, sha256, content, received) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(project_id)
        .bind(sha256)
        .bind(bytes)
        .bind(crate::clock::now())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The digests of every form file a project holds.
    pub async fn form_files_held(
        &self,
        project_id: i64,
    ) -> Result<std::collections::BTreeSet<String>> {
        let rows = sqlx::query("SELECT sha256 FROM form_files WHERE project_id = $1")
            .bind(project_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<String, _>("sha256")?))
            .collect()
    }

    /// The bytes of a form file the project holds, by digest.
    pub async fn form_file(&self, project_id: i64, sha256: &str) -> Result<Option<Vec<u8>>> {
        let row =
            sqlx::query("SELECT content FROM form_files WHERE project_id = $1 AND sha256 = $2")
                .bind(project_id)
                .bind(sha256)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|r| r.try_get("content")).transpose()?)
    }

    /// Marks a submission deleted (its row is kept, out of every page, and the same instance id
    /// is never taken again); false if the project holds no such submission not yet deleted.
    pub async fn delete_submission(&self, project_id: i64, instance_id: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let changed = next_change(&mut tx).await?;
        let done = sqlx::query(
            "UPDATE submissions SET deleted = $1, changed = $2 WHERE project_id = $3 \
             AND instance_id = $4 AND deleted IS NULL",
        )
        .bind(crate::clock::now())
        .bind(changed)
        .bind(project_id)
        .bind(instance_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        // Nothing deleted: the number taken is given back with the rollback.
        if done > 0 {
            tx.commit().await?;
        }
        Ok(done > 0)
    }

    /// Sets a submission's review state with a comment, kept in its history; false if the
    /// project holds no such submission.
    pub async fn review(
        &self,
        project_id: i64,
        instance_id: &str,
        state: &str,
        comment: Option<&str>,
        by: i64,
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let changed = next_change(&mut tx).await?;
        let row = sqlx::query(
            "SELECT form_id FROM submissions WHERE project_id = $1 AND instance_id = $2 \
             AND deleted IS NULL",
        )
        .bind(project_id)
        .bind(instance_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Ok(false) };
        let form_id: String = row.try_get("form_id")?;
        sqlx::query(
            "UPDATE submissions SET review_state = $1, changed = $2 WHERE project_id = $3 \
             AND form_id = $4 AND instance_id = $5",
        )
        .bind(state)
        .bind(changed)
        .bind(project_id)
        .bind(&form_id)
        .bind(instance_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO reviews (project_id, form_id, instance_id, state, comment, by_user, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(project_id)
        .bind(&form_id)
        .bind(instance_id)
        .bind(state)
        .bind(comment)
        .bind(by)
        .bind(crate::clock::now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The review history of a submission: (state, comment, reviewer's name, when), oldest first.
    pub async fn reviews(
        &self,
        project_id: i64,
        instance_id: &str,
    ) -> Result<Vec<(String, Option<String>, String, String)>> {
        let rows = sqlx::query(
            "SELECT r.state, r.comment, u.name, r.at FROM reviews r JOIN users u ON u.id = r.by_user \
             WHERE r.project_id = $1 AND r.instance_id = $2 ORDER BY r.id",
        )
        .bind(project_id)
        .bind(instance_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("state")?,
                    r.try_get("comment")?,
                    r.try_get("name")?,
                    r.try_get("at")?,
                ))
            })
            .collect()
    }

    /// Notes a change in the audit log: who, what, in which project, on what, from where.
    pub async fn audit(
        &self,
        actor: &str,
        action: &str,
        project_id: Option<i64>,
        target: &str,
        address: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit (at, actor, action, project_id, target, address) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(crate::clock::now())
        .bind(actor)
        .bind(action)
        .bind(project_id)
        .bind(target)
        .bind(address)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The newest `limit` audit entries of a project (every project's: None), newest first.
    pub async fn audit_log(&self, project_id: Option<i64>, limit: i64) -> Result<Vec<AuditEntry>> {
        let rows = match project_id {
            Some(p) => {
                sqlx::query(
                    "SELECT id, at, actor, action, project_id, target, address FROM audit \
                     WHERE project_id = $1 ORDER BY id DESC LIMIT $2",
                )
                .bind(p)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(
                    "SELECT id, at, actor, action, project_id, target, address FROM audit \
                     ORDER BY id DESC LIMIT $1",
                )
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    project_id: r.try_get("project_id")?,
                    target: r.try_get("target")?,
                    address: r.try_get("address")?,
                })
            })
            .collect()
    }
}

/// Takes the next number of the change sequence, locking it until the transaction ends (the
/// intake's writer takes its numbers the same way, so no two changes share one).
async fn next_change(tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> Result<i64> {
    Ok(sqlx::query(
        "UPDATE changes SET value = value + 1 WHERE name = 'submissions' RETURNING value",
    )
    .fetch_one(&mut **tx)
    .await?
    .try_get("value")?)
}

/// Requests waiting for the writer, at most (a sender waits when it is full).
const WRITER_QUEUE: usize = 1024;

/// Records taken in one transaction, at most: a batch stays a short transaction.
const BATCH_RECORDS: usize = 5000;

/// One request's records, waiting for the writer.
#[derive(Debug)]
pub struct IntakeJob {
    project_id: i64,
    records: Vec<Submission>,
    files: Vec<crate::intake::Files>,
    published: std::collections::BTreeSet<(String, String)>,
    sent_by: String,
    address: String,
    reply: tokio::sync::oneshot::Sender<Result<Vec<Outcome>>>,
}

/// Keeps the files a stored record brought, each once (one kept already stays as it is).
/// The intake's reader handed over only files the record lists, whole and as described.
async fn keep_files(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    project_id: i64,
    record: &Submission,
    files: &[(dala_core::Attachment, Vec<u8>)],
    received: &str,
) -> Result<()> {
    for (file, bytes) in files {
        sqlx::query(
            "INSERT INTO submission_files (project_id, form_id, instance_id, name, media_type, \
             size, sha256, content, received) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT DO NOTHING",
        )
        .bind(project_id)
        .bind(&record.instrument_id)
        .bind(&record.instance_id)
        .bind(&file.name)
        .bind(&file.media_type)
        .bind(i64::try_from(file.size).unwrap_or(i64::MAX))
        .bind(&file.sha256)
        .bind(bytes.as_slice())
        .bind(received)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// The writer: takes a request, then every other one already waiting (up to
/// [`BATCH_RECORDS`]), commits them as one transaction and answers each. A failed commit is
/// each request's failure (nothing of the batch is stored; the devices send again).
async fn write_intakes(db: Db, mut jobs: tokio::sync::mpsc::Receiver<IntakeJob>) {
    while let Some(first) = jobs.recv().await {
        let mut batch = vec![first];
        let mut records = batch[0].records.len();
        while records < BATCH_RECORDS {
            match jobs.try_recv() {
                Ok(job) => {
                    records += job.records.len();
                    batch.push(job);
                }
                Err(_) => break,
            }
        }
        match db.intake_batch(&batch).await {
            Ok(outcomes) => {
                for (job, outcomes) in batch.into_iter().zip(outcomes) {
                    let _ = job.reply.send(Ok(outcomes));
                }
            }
            // One request's fault must not be the others': each again on its own.
            Err(e) if batch.len() > 1 && !matches!(e, StoreError::Unavailable(_)) => {
                for job in batch {
                    let alone = db
                        .intake_batch(std::slice::from_ref(&job))
                        .await
                        .map(|mut o| o.pop().unwrap_or_default());
                    let _ = job.reply.send(alone);
                }
            }
            Err(e) => {
                let why = e.to_string();
                for job in batch {
                    let _ = job.reply.send(Err(match &e {
                        StoreError::Unavailable(_) => StoreError::Unavailable(why.clone()),
                        StoreError::BadText(_) => StoreError::BadText(why.clone()),
                        _ => StoreError::Failed(why.clone()),
                    }));
                }
            }
        }
    }
}

fn project_of(row: &AnyRow) -> Result<Project> {
    Ok(Project {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        created: row.try_get("created")?,
    })
}
