//! What a manager reads about a project's team: its members and their roles, its devices
//! (last contact, records sent) and the field progress (records per sender and day, or per
//! answer to one question, such as the police survey's district). The Manage workspace draws
//! these; the writes (roles, enrolment, revocation) are in `api`.

use crate::access::{Action, Role};
use crate::api::{AppState, may};
use crate::db::Db;
use crate::problem::ApiError;
use crate::store::StoreError;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use dala_core::record::{Answer, Submission};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::Row;
use std::collections::BTreeMap;

type Result<T> = std::result::Result<T, ApiError>;

/// A user holding a role in a project.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Member {
    pub user: String,
    pub role: Role,
}

/// An enrolled device as the manager sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct DeviceRow {
    pub id: i64,
    pub name: String,
    pub created: String,
    pub revoked: Option<String>,
    /// Its last request of any kind (the server's clock, to the minute).
    pub last_seen: Option<String>,
    /// Records it sent that the server keeps (deleted ones left out).
    pub records: i64,
    /// When the last of them arrived.
    pub last_record: Option<String>,
}

/// One cell of the field progress: records received on a day (the server's clock, UTC),
/// from one sender, with one answer to the question asked about (None when none is asked
/// about, or the record has no answer to it).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
pub struct ProgressRow {
    pub day: String,
    /// Who sent them, as the audit log names callers (`device:7:tablet 7`, `user:aida`).
    pub sender: String,
    pub value: Option<String>,
    pub records: i64,
}

/// The device id in a sender's label (`device:7:tablet 7`).
fn device_of(sender: &str) -> Option<i64> {
    sender
        .strip_prefix("device:")?
        .split(':')
        .next()?
        .parse()
        .ok()
}

/// A device's last request is written at most this often.
const SEEN_EVERY_MS: i64 = 60_000;

impl Db {
    pub async fn members(&self, project_id: i64) -> std::result::Result<Vec<Member>, StoreError> {
        let rows = sqlx::query(
            "SELECT u.name, r.role FROM roles r JOIN users u ON u.id = r.user_id \
             WHERE r.project_id = $1 ORDER BY u.name",
        )
        .bind(project_id)
        .fetch_all(&self.pool)
        .await?;
        let mut members = Vec::new();
        for row in &rows {
            let role: String = row.try_get("role")?;
            if let Some(role) = Role::from_name(&role) {
                members.push(Member {
                    user: row.try_get("name")?,
                    role,
                });
            }
        }
        Ok(members)
    }

    /// Notes a device's request (at most once a minute: most requests write nothing, and
    /// one this process wrote within the minute does not even ask the database).
    pub async fn device_seen(&self, device_id: i64) -> std::result::Result<(), StoreError> {
        let fresh = std::time::Instant::now();
        {
            let mut seen = self
                .seen
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let recent = seen.get(&device_id).is_some_and(|at| {
                fresh.duration_since(*at) < std::time::Duration::from_millis(SEEN_EVERY_MS as u64)
            });
            if recent {
                return Ok(());
            }
            seen.insert(device_id, fresh);
        }
        let now = crate::clock::now();
        sqlx::query(
            "UPDATE devices SET last_seen = $1 WHERE id = $2 AND (last_seen IS NULL OR last_seen < $3)",
        )
        .bind(&now)
        .bind(device_id)
        .bind(crate::clock::after_ms(-SEEN_EVERY_MS))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every device of a project, oldest first, with what it sent.
    pub async fn device_rows(
        &self,
        project_id: i64,
    ) -> std::result::Result<Vec<DeviceRow>, StoreError> {
        let sent = sqlx::query(
            "SELECT sent_by, COUNT(*) AS n, MAX(received) AS last FROM submissions \
             WHERE project_id = $1 AND deleted IS NULL GROUP BY sent_by",
        )
        .bind(project_id)
        .fetch_all(&self.pool)
        .await?;
        let mut by_device: BTreeMap<i64, (i64, Option<String>)> = BTreeMap::new();
        for row in &sent {
            let sender: String = row.try_get("sent_by")?;
            if let Some(id) = device_of(&sender) {
                // A device renamed in a label still counts as itself.
                let entry = by_device.entry(id).or_default();
                entry.0 += row.try_get::<i64, _>("n")?;
                let last: Option<String> = row.try_get("last")?;
                entry.1 = entry.1.take().max(last);
            }
        }
        let rows = sqlx::query(
            "SELECT id, name, created, revoked, last_seen FROM devices WHERE project_id = $1 \
             ORDER BY id",
        )
        .bind(project_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let id: i64 = row.try_get("id")?;
                let (records, last_record) = by_device.remove(&id).unwrap_or_default();
                Ok(DeviceRow {
                    id,
                    name: row.try_get("name")?,
                    created: row.try_get("created")?,
                    revoked: row.try_get("revoked")?,
                    last_seen: row.try_get("last_seen")?,
                    records,
                    last_record,
                })
            })
            .collect()
    }

    /// Records per day and sender (of one form, if named).
    pub async fn progress_by_sender(
        &self,
        project_id: i64,
        form_id: Option<&str>,
    ) -> std::result::Result<Vec<ProgressRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT substr(received, 1, 10) AS day, sent_by, COUNT(*) AS n FROM submissions \
             WHERE project_id = $1 AND deleted IS NULL AND ($2 = '' OR form_id = $2) \
             GROUP BY substr(received, 1, 10), sent_by ORDER BY day, sent_by",
        )
        .bind(project_id)
        .bind(form_id.unwrap_or(""))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ProgressRow {
                    day: row.try_get("day")?,
                    sender: row.try_get("sent_by")?,
                    value: None,
                    records: row.try_get("n")?,
                })
            })
            .collect()
    }

    /// Records of one form per day, sender and answer to a top-level question, read a page
    /// at a time.
    pub async fn progress_by_answer(
        &self,
        project_id: i64,
        form_id: &str,
        question: &str,
    ) -> std::result::Result<Vec<ProgressRow>, StoreError> {
        const PAGE: i64 = 2000;
        let mut counts: BTreeMap<(String, String, Option<String>), i64> = BTreeMap::new();
        let mut after = 0;
        loop {
            let rows = sqlx::query(
                "SELECT seq, substr(received, 1, 10) AS day, sent_by, record FROM submissions \
                 WHERE project_id = $1 AND form_id = $2 AND deleted IS NULL AND seq > $3 \
                 ORDER BY seq LIMIT $4",
            )
            .bind(project_id)
            .bind(form_id)
            .bind(after)
            .bind(PAGE)
            .fetch_all(&self.pool)
            .await?;
            for row in &rows {
                after = row.try_get("seq")?;
                let record: String = row.try_get("record")?;
                let record: Submission =
                    serde_json::from_str(&record).map_err(|e| StoreError::Failed(e.to_string()))?;
                let value = match record.answers.get(question) {
                    Some(Answer::Value(v)) if !v.is_empty() => Some(v.clone()),
                    _ => None,
                };
                *counts
                    .entry((row.try_get("day")?, row.try_get("sent_by")?, value))
                    .or_default() += 1;
            }
            if rows.len() < PAGE as usize {
                break;
            }
        }
        Ok(counts
            .into_iter()
            .map(|((day, sender, value), records)| ProgressRow {
                day,
                sender,
                value,
                records,
            })
            .collect())
    }
}

pub(crate) async fn list_members(
    State(state): State<AppState>,
    Path(project): Path<i64>,
    headers: HeaderMap,
) -> Result<Json<Value>> {
    may(&state.db, &headers, project, Action::ManageUsers).await?;
    Ok(Json(json!({ "members": state.db.members(project).await? })))
}

pub(crate) async fn list_devices(
    State(state): State<AppState>,
    Path(project): Path<i64>,
    headers: HeaderMap,
) -> Result<Json<Value>> {
    may(&state.db, &headers, project, Action::ManageDevices).await?;
    Ok(Json(
        json!({ "devices": state.db.device_rows(project).await? }),
    ))
}

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProgressQuery {
    /// One form's records only.
    form: Option<String>,
    /// Count by the answers to this top-level question of `form` as well.
    by: Option<String>,
}

pub(crate) async fn progress(
    State(state): State<AppState>,
    Path(project): Path<i64>,
    query: std::result::Result<Query<ProgressQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> Result<Json<Value>> {
    may(&state.db, &headers, project, Action::ReadSubmissions).await?;
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let rows = match (query.form.as_deref(), query.by.as_deref()) {
        (Some(form), Some(by)) => state.db.progress_by_answer(project, form, by).await?,
        (None, Some(_)) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "S024",
                "progress by an answer needs the form (form=)",
            ));
        }
        (form, None) => state.db.progress_by_sender(project, form).await?,
    };
    Ok(Json(json!({ "progress": rows })))
}

#[cfg(test)]
mod tests {
    use super::device_of;

    #[test]
    fn a_senders_label_names_its_device() {
        assert_eq!(device_of("device:7:tablet 7"), Some(7));
        assert_eq!(device_of("device:12:a:b"), Some(12));
        assert_eq!(device_of("user:aida"), None);
        assert_eq!(device_of("device:x:y"), None);
    }
}
