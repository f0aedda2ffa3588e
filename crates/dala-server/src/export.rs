//! The wide export of an instrument's records as a .zip, streamed from the database as it is
//! written: the bytes `dala export` writes for the same records (one writer serves both,
//! [`dala_aggregate::export_zip`]). Memory stays bounded whatever the number of records: a
//! page of records at a time, the repeat tables waiting in temporary files, one record's
//! file at a time, and a short queue of chunks to the client (a slow client slows the
//! writer, never fills memory).

use crate::api::{AppState, REVIEW_STATES, may};
use crate::db::Db;
use crate::problem::ApiError;
use crate::store::Result as StoreResult;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use dala_aggregate::export::{Exporter, Options, codebook};
use dala_aggregate::export_zip::ZipExport;
use dala_core::{Instrument, Submission};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::io::Write;

/// What an export holds, as the query string says it.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExportQuery {
    /// The instrument version whose columns the export has (default: the one published
    /// last); records of every version are exported.
    version: Option<String>,
    /// The records' files under `files/<instance id>/` (default true).
    files: Option<bool>,
    /// Choice labels in this language instead of codes, and a codebook.
    labels: Option<String>,
    split_select_multiples: Option<bool>,
    no_group_paths: Option<bool>,
    /// Only records in these review states (comma-separated).
    review_state: Option<String>,
    /// Only records received at or after this date or time (ISO 8601, UTC).
    received_from: Option<String>,
    /// Only records received before this date or time (ISO 8601, UTC).
    received_to: Option<String>,
    /// Only records of this device (the record's DeviceID).
    device: Option<String>,
    /// Only records changed (arrived, reviewed) after this cursor: the `Dala-Cursor` an
    /// earlier export gave.
    after: Option<i64>,
}

/// The records an export keeps, besides those the database pages give.
#[derive(Clone, Debug, Default)]
pub(crate) struct Filter {
    review_states: Option<Vec<String>>,
    received_from: Option<String>,
    received_to: Option<String>,
    device: Option<String>,
}

impl Filter {
    fn of(query: &ExportQuery) -> Result<Filter, ApiError> {
        Filter::new(
            query.review_state.as_deref(),
            &query.received_from,
            &query.received_to,
            &query.device,
        )
    }

    /// The filter of the parameters `review_state`, `received_from`, `received_to` and
    /// `device`; S024 for one that cannot be used.
    pub(crate) fn new(
        review_state: Option<&str>,
        received_from: &Option<String>,
        received_to: &Option<String>,
        device: &Option<String>,
    ) -> Result<Filter, ApiError> {
        let review_states = match review_state {
            Some(list) => {
                let states: Vec<String> = list.split(',').map(|s| s.trim().to_string()).collect();
                if let Some(bad) = states.iter().find(|s| !REVIEW_STATES.contains(&s.as_str())) {
                    return Err(bad_filter(format!(
                        "review_state {bad:?} is none of {}",
                        REVIEW_STATES.join(", ")
                    )));
                }
                Some(states)
            }
            None => None,
        };
        for (name, value) in [
            ("received_from", received_from),
            ("received_to", received_to),
        ] {
            if let Some(value) = value
                && !is_iso_time(value)
            {
                return Err(bad_filter(format!(
                    "{name} {value:?} is not a date or time as 2026-03-01 or 2026-03-01T08:00:00Z"
                )));
            }
        }
        Ok(Filter {
            review_states,
            received_from: received_from.clone(),
            received_to: received_to.clone(),
            device: device.clone(),
        })
    }

    /// Whether a record received then, in that review state, is exported. Times compare as
    /// text: the server writes them all as UTC in one ISO 8601 form, and a bare date sorts
    /// before every time of its day.
    fn keeps(&self, page: &PageRow, record: &Submission) -> bool {
        self.review_states
            .as_ref()
            .is_none_or(|states| states.contains(&page.review_state))
            && self
                .received_from
                .as_ref()
                .is_none_or(|from| page.received.as_str() >= from.as_str())
            && self
                .received_to
                .as_ref()
                .is_none_or(|to| page.received.as_str() < to.as_str())
            && self
                .device
                .as_ref()
                .is_none_or(|device| record.device_id == *device)
    }
}

/// `YYYY-MM-DD`, optionally followed by a time.
fn is_iso_time(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 10
        && bytes[..10].iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        })
        && (bytes.len() == 10 || bytes[10] == b'T')
        && text.is_ascii()
}

/// S024: an export's filter that cannot be used.
fn bad_filter(message: String) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "S024", message)
}

/// Records read from the database at once.
const PAGE: i64 = 2000;

/// Bytes handed to the client at once, and chunks waiting for a slow client at most.
const CHUNK: usize = 256 << 10;
const CHUNKS_WAITING: usize = 4;

/// A record as an export reads it.
struct PageRow {
    seq: i64,
    received: String,
    review_state: String,
    /// How many of its files the server holds.
    present: usize,
    /// The record's JSON: parsed by the thread that writes it, which frees it too (memory
    /// handed between threads costs the allocator more than the parsing).
    record: String,
}

/// Where an export stands in the records when it starts: it reads no record that arrives
/// later, and the next incremental export starts after `changed`.
#[derive(Clone, Copy, Debug)]
struct Snapshot {
    seq: i64,
    changed: i64,
}

impl Db {
    async fn export_snapshot(&self, project_id: i64, form_id: &str) -> StoreResult<Snapshot> {
        let row = sqlx::query(
            "SELECT COALESCE(MAX(seq), 0) AS seq, COALESCE(MAX(changed), 0) AS changed \
             FROM submissions WHERE project_id = $1 AND form_id = $2",
        )
        .bind(project_id)
        .bind(form_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(Snapshot {
            seq: row.try_get("seq")?,
            changed: row.try_get("changed")?,
        })
    }

    /// The next page of a form's records (not deleted) in the order they arrived, after
    /// `after_seq` and up to the snapshot, changed after `changed_after`.
    async fn export_page(
        &self,
        project_id: i64,
        form_id: &str,
        after_seq: i64,
        snapshot: Snapshot,
        changed_after: i64,
        with_files_only: bool,
    ) -> StoreResult<Vec<PageRow>> {
        // Two texts, not one built: the records with files are a second pass of their own.
        let sql = if with_files_only {
            "SELECT s.seq, s.received, s.review_state, s.record, \
             (SELECT COUNT(*) FROM submission_files f WHERE f.project_id = s.project_id \
              AND f.form_id = s.form_id AND f.instance_id = s.instance_id) AS present \
             FROM submissions s WHERE s.project_id = $1 AND s.form_id = $2 AND s.seq > $3 \
             AND s.seq <= $4 AND s.changed > $5 AND s.deleted IS NULL \
             AND EXISTS (SELECT 1 FROM submission_files g WHERE g.project_id = s.project_id \
              AND g.form_id = s.form_id AND g.instance_id = s.instance_id) \
             ORDER BY s.seq LIMIT $6"
        } else {
            "SELECT s.seq, s.received, s.review_state, s.record, \
             (SELECT COUNT(*) FROM submission_files f WHERE f.project_id = s.project_id \
              AND f.form_id = s.form_id AND f.instance_id = s.instance_id) AS present \
             FROM submissions s WHERE s.project_id = $1 AND s.form_id = $2 AND s.seq > $3 \
             AND s.seq <= $4 AND s.changed > $5 AND s.deleted IS NULL ORDER BY s.seq LIMIT $6"
        };
        let rows = sqlx::query(sql)
            .bind(project_id)
            .bind(form_id)
            .bind(after_seq)
            .bind(snapshot.seq)
            .bind(changed_after)
            .bind(PAGE)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let record: String = r.try_get("record")?;
                let present: i64 = r.try_get("present")?;
                Ok(PageRow {
                    seq: r.try_get("seq")?,
                    received: r.try_get("received")?,
                    review_state: r.try_get("review_state")?,
                    present: usize::try_from(present).unwrap_or(0),
                    record,
                })
            })
            .collect()
    }

    /// The bytes of one file of a form's record.
    async fn record_file(
        &self,
        project_id: i64,
        form_id: &str,
        instance_id: &str,
        name: &str,
    ) -> StoreResult<Option<Vec<u8>>> {
        let row = sqlx::query(
            "SELECT content FROM submission_files WHERE project_id = $1 AND form_id = $2 \
             AND instance_id = $3 AND name = $4",
        )
        .bind(project_id)
        .bind(form_id)
        .bind(instance_id)
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.try_get("content")).transpose()?)
    }
}

/// The records a request reads: a form's, kept by a filter, changed after a cursor, as they
/// stood when the request started.
pub(crate) struct Selection {
    db: Db,
    project: i64,
    form: String,
    filter: Filter,
    after: i64,
    snapshot: Snapshot,
}

impl Selection {
    pub(crate) async fn new(
        db: &Db,
        project: i64,
        form: &str,
        filter: Filter,
        after: Option<i64>,
    ) -> Result<Selection, ApiError> {
        Ok(Selection {
            snapshot: db.export_snapshot(project, form).await?,
            db: db.clone(),
            project,
            form: form.to_string(),
            filter,
            after: after.unwrap_or(0).max(0),
        })
    }

    /// Calls `each` with every record kept and how many of its files the server holds, in
    /// the order they arrived, a page at a time (on a blocking thread: `handle` runs the
    /// queries). The next page is read and parsed on the runtime while this thread writes
    /// the current one: the database and the writer work at once.
    pub(crate) fn each_record(
        &self,
        handle: &tokio::runtime::Handle,
        each: impl FnMut(&Submission, usize) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        self.each_page(handle, false, each)
    }

    /// [`Selection::each_record`] of the records the server holds files of.
    pub(crate) fn each_record_with_files(
        &self,
        handle: &tokio::runtime::Handle,
        each: impl FnMut(&Submission, usize) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        self.each_page(handle, true, each)
    }

    fn each_page(
        &self,
        handle: &tokio::runtime::Handle,
        with_files_only: bool,
        mut each: impl FnMut(&Submission, usize) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let fetch = |after_seq: i64| {
            let (db, project, form) = (self.db.clone(), self.project, self.form.clone());
            let (snapshot, after) = (self.snapshot, self.after);
            handle.spawn(async move {
                db.export_page(project, &form, after_seq, snapshot, after, with_files_only)
                    .await
            })
        };
        let mut next = fetch(0);
        loop {
            let page = handle
                .block_on(next)
                .map_err(std::io::Error::other)?
                .map_err(std::io::Error::other)?;
            let Some(last) = page.last() else {
                return Ok(());
            };
            next = fetch(last.seq);
            for row in &page {
                let record: Submission = serde_json::from_str(&row.record)
                    .map_err(|e| std::io::Error::other(format!("a stored record: {e}")))?;
                if self.filter.keeps(row, &record) {
                    each(&record, row.present)?;
                }
            }
        }
    }
}

/// The document of the version asked for, or of the one published last, as an instrument;
/// the document's text too (it names the version in an ETag).
pub(crate) async fn instrument_of(
    db: &Db,
    project: i64,
    form: &str,
    version: Option<&str>,
) -> Result<(Instrument, String), ApiError> {
    let document = match version {
        Some(version) => db.instrument(project, form, version).await?,
        None => db.latest_document(project, form).await?,
    };
    let Some(document) = document else {
        return Err(ApiError::not_found("the instrument"));
    };
    let instrument = Instrument::from_json(&document)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "S031", e.to_string()))?;
    Ok((instrument, document))
}

/// What names an answer: its ETag (the document, what was asked, and the form's last change:
/// a record arrived, reviewed or deleted changes it) and the cursor of the next incremental
/// request.
pub(crate) struct Naming {
    etag: String,
    cursor: String,
}

impl Naming {
    pub(crate) fn of(document: &str, asked: &str, selection: &Selection) -> Naming {
        let mut digest = Sha256::new();
        digest.update(document.as_bytes());
        digest.update(format!(
            "\n{}\n{}\n{asked}\n{}",
            selection.project, selection.form, selection.snapshot.changed
        ));
        Naming {
            etag: format!("\"{}\"", crate::store::hex(&digest.finalize()[..16])),
            cursor: selection.snapshot.changed.to_string(),
        }
    }

    /// 304 when the request holds this answer already (`If-None-Match`).
    pub(crate) fn unchanged(&self, headers: &HeaderMap) -> Option<Response> {
        let held = headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == self.etag);
        held.then(|| {
            let mut response = StatusCode::NOT_MODIFIED.into_response();
            self.mark(&mut response);
            response
        })
    }

    /// Puts the ETag and the cursor on an answer.
    pub(crate) fn mark(&self, response: &mut Response) {
        for (name, value) in [(header::ETAG, &self.etag), (CURSOR.clone(), &self.cursor)] {
            if let Ok(value) = HeaderValue::from_str(value) {
                response.headers_mut().insert(name, value);
            }
        }
    }
}

/// Everything one export needs, decided before its first byte.
struct Plan {
    instrument: Instrument,
    options: Options,
    files: bool,
    selection: Selection,
}
/// `GET /projects/{project}/exports/{form}`: the wide export as a .zip, streamed.
pub(crate) async fn export_form(
    State(state): State<AppState>,
    Path((project, form)): Path<(i64, String)>,
    Query(query): Query<ExportQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    may(
        &state.db,
        &headers,
        project,
        crate::access::Action::ReadSubmissions,
    )
    .await?;
    let filter = Filter::of(&query)?;
    let (instrument, document) =
        instrument_of(&state.db, project, &form, query.version.as_deref()).await?;
    let selection = Selection::new(&state.db, project, &form, filter, query.after).await?;
    let naming = Naming::of(&document, &format!("{query:?}"), &selection);
    if let Some(unchanged) = naming.unchanged(&headers) {
        return Ok(unchanged);
    }
    let disposition = format!(
        "attachment; filename=\"{}.zip\"",
        form.replace(
            |c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '_',
            "_"
        )
    );
    let plan = Plan {
        options: Options {
            no_group_paths: query.no_group_paths.unwrap_or(false),
            split_select_multiples: query.split_select_multiples.unwrap_or(false),
            labels: query.labels.clone(),
        },
        instrument,
        files: query.files.unwrap_or(true),
        selection,
    };
    let (chunks, waiting) = tokio::sync::mpsc::channel(CHUNKS_WAITING);
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let mut out = ChunkWriter {
            chunks: chunks.clone(),
            buffer: Vec::with_capacity(CHUNK),
        };
        let written = write_export(&handle, &plan, &mut out).and_then(|()| out.send());
        if let Err(e) = written {
            // The client sees the transfer cut short, never a .zip that looks whole.
            let _ = chunks.blocking_send(Err(e));
        }
    });
    let mut response = Body::from_stream(Chunks(waiting)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    naming.mark(&mut response);
    Ok(response)
}

/// The header that gives the cursor of the next incremental export.
static CURSOR: header::HeaderName = header::HeaderName::from_static("dala-cursor");

/// Writes the whole export (on a blocking thread: the zip writer is plain `Write`), reading
/// the records a page at a time; a second pass reads the files, which the .zip holds last.
fn write_export(
    handle: &tokio::runtime::Handle,
    plan: &Plan,
    out: &mut ChunkWriter,
) -> std::io::Result<()> {
    let exporter = Exporter::new(&plan.instrument, &plan.options);
    let mut zip = ZipExport::new(&exporter, &mut *out, tempfile::tempfile)?;
    let selection = &plan.selection;
    let mut any_files = false;
    selection.each_record(handle, |record, present| {
        any_files |= present > 0;
        zip.add(record, present)
    })?;
    let codebook = plan
        .options
        .labels
        .as_ref()
        .map(|l| codebook(&plan.instrument, l));
    let mut files = zip.finish_tables(codebook.as_ref())?;
    if plan.files && any_files {
        selection.each_record_with_files(handle, |record, present| {
            if present == 0 {
                return Ok(());
            }
            let id = &record.instance_id;
            for file in &record.files {
                let bytes = handle
                    .block_on(selection.db.record_file(
                        selection.project,
                        &selection.form,
                        id,
                        &file.name,
                    ))
                    .map_err(std::io::Error::other)?;
                if let Some(bytes) = bytes {
                    files.add(id, &file.name, &bytes)?;
                }
            }
            Ok(())
        })?;
    }
    files.finish()?.flush()
}

/// The response's bytes, handed over a chunk at a time; a client gone away stops the
/// writer at its next chunk.
struct ChunkWriter {
    chunks: tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
    buffer: Vec<u8>,
}

impl ChunkWriter {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK));
        self.chunks
            .blocking_send(Ok(Bytes::from(chunk)))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client left"))
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The chunks as the response body's stream.
struct Chunks(tokio::sync::mpsc::Receiver<std::io::Result<Bytes>>);

impl futures_core::Stream for Chunks {
    type Item = std::io::Result<Bytes>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_times_are_dates_with_an_optional_time() {
        for good in [
            "2026-03-01",
            "2026-03-01T08:00:00Z",
            "2026-03-01T08:00:00.123Z",
        ] {
            assert!(is_iso_time(good), "{good}");
        }
        for bad in [
            "2026-3-01",
            "01/03/2026",
            "2026-03-01 08:00",
            "",
            "2026-03-0١",
        ] {
            assert!(!is_iso_time(bad), "{bad}");
        }
    }

    #[test]
    fn a_bare_date_bounds_every_time_of_its_day() {
        let from = "2026-03-01";
        let to = "2026-03-02";
        assert!("2026-03-01T00:00:00.000Z" >= from);
        assert!("2026-03-01T23:59:59.999Z" < to);
        assert!("2026-03-02T00:00:00.000Z" >= to);
    }
}
