//! The files instrument versions attach (a CSV of villages, a label's picture): a designer
//! sends each after publishing the version (a version's document describes them by name, size
//! and SHA-256, so only those exact bytes are taken), and tablets fetch them with the version.
//! A version whose files are not all here is still listed; a tablet leaves it aside until
//! they are.

use crate::access::Action;
use crate::api::{AppState, added_or_held, file_download, may, raw_body};
use crate::problem::ApiError;
use crate::store::StoreError;
use crate::tls::Peer;
use axum::Json;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use dala_core::{Attachment, Instrument};
use serde::Serialize;
use serde_json::json;

type Result<T> = std::result::Result<T, ApiError>;

/// One file a version attaches, and whether the server holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct FormFile {
    pub name: String,
    pub media_type: String,
    pub size: u64,
    pub sha256: String,
    pub held: bool,
}

/// The attachments a published version's document describes.
async fn attachments(
    state: &AppState,
    project: i64,
    form: &str,
    version: &str,
) -> Result<Vec<Attachment>> {
    let document = state
        .db
        .instrument(project, form, version)
        .await?
        .ok_or_else(|| ApiError::not_found("the instrument version"))?;
    // A stored version was checked when it was published; one that no longer reads is the
    // database's fault.
    let instrument = Instrument::from_json(&document)
        .map_err(|e| StoreError::Failed(format!("a stored instrument cannot be read: {e}")))?;
    Ok(instrument.attachments)
}

async fn described(
    state: &AppState,
    project: i64,
    form: &str,
    version: &str,
    name: &str,
) -> Result<Attachment> {
    attachments(state, project, form, version)
        .await?
        .into_iter()
        .find(|a| a.name == name)
        .ok_or_else(|| ApiError::not_found("a file of that name in the version"))
}

/// GET: the files a version attaches, each with whether it is held.
pub async fn list(
    State(state): State<AppState>,
    Path((project, form, version)): Path<(i64, String, String)>,
    headers: HeaderMap,
) -> Result<Json<Vec<FormFile>>> {
    may(&state.db, &headers, project, Action::ReadProject).await?;
    let wanted = attachments(&state, project, &form, &version).await?;
    let held = state.db.form_files_held(project).await?;
    Ok(Json(
        wanted
            .into_iter()
            .map(|a| FormFile {
                held: held.contains(&a.sha256),
                name: a.name,
                media_type: a.media_type,
                size: a.size,
                sha256: a.sha256,
            })
            .collect(),
    ))
}

/// GET: one file, as a download of its media type.
pub async fn get(
    State(state): State<AppState>,
    Path((project, form, version, name)): Path<(i64, String, String, String)>,
    headers: HeaderMap,
) -> Result<Response> {
    may(&state.db, &headers, project, Action::ReadProject).await?;
    let file = described(&state, project, &form, &version, &name).await?;
    let Some(bytes) = state.db.form_file(project, &file.sha256).await? else {
        return Err(ApiError::not_found("the file (not sent yet)"));
    };
    Ok(file_download(&file.media_type, bytes))
}

/// S026: the bytes sent are not the file the version describes.
fn not_as_described(file: &Attachment, size: usize, sha256: &str) -> ApiError {
    let mut e = ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "S026",
        format!(
            "{} is not the file the version describes: {size} bytes with SHA-256 {sha256}, \
             the version's is {} bytes with SHA-256 {}",
            file.name, file.size, file.sha256
        ),
    );
    e.details = vec![json!({"code": "S026", "name": file.name})];
    e
}

/// PUT: one file of a published version, exactly as its document describes it. Sending a
/// file the server holds already changes nothing (200); a new one is 201.
pub async fn put(
    State(state): State<AppState>,
    ConnectInfo(from): ConnectInfo<Peer>,
    Path((project, form, version, name)): Path<(i64, String, String, String)>,
    headers: HeaderMap,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Response> {
    let caller = may(&state.db, &headers, project, Action::Publish).await?;
    let bytes = raw_body(body)?;
    let file = described(&state, project, &form, &version, &name).await?;
    let sent = Attachment::of(&file.name, &file.media_type, &bytes);
    if sent.size != file.size || sent.sha256 != file.sha256 {
        return Err(not_as_described(&file, bytes.len(), &sent.sha256));
    }
    let added = state
        .db
        .put_form_file(project, &file.sha256, &bytes)
        .await?;
    let target = format!("{form}@{version}/{name}");
    let body = json!({"name": file.name, "sha256": file.sha256, "added": added});
    added_or_held(
        &state,
        &caller,
        &from,
        project,
        ("instrument.file", &target),
        added,
        body,
    )
    .await
}
