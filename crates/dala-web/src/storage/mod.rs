//! IndexedDB storage: dala-core's [`Store`] in the browser, plus what only the app needs (the
//! page a draft stopped at, when a record was exported, the device's settings).
//!
//! Rows are plain objects: the record itself as its JSON text (exactly what a bundle holds),
//! with the fields the indexes need beside it. Every write is a transaction with strict
//! durability, committed before the call returns, so an answer that was saved survives a
//! killed tab or a dead battery.

pub mod schema;

use dala_core::instrument::{Attachment, Instrument};
use dala_core::record::{Status, Submission};
use dala_core::store::{
    Imported, Receipt, Store, StoreError, StoredRecord, Waiting, form_files_refused, unlisted_file,
};
use indexed_db_futures::database::Database;
use indexed_db_futures::error::{DomException, Error as IdbError, OpenDbError};
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::{
    Transaction, TransactionDurability, TransactionMode, TransactionOptions,
};
use js_sys::{Array, Object, Reflect};
use schema::{
    BY_INSTRUMENT, BY_INSTRUMENT_STATUS, FILES, FINALIZED, FORM_FILES, INSTRUMENTS,
    LEGACY_SUBMISSIONS, META, OUTBOX, OUTBOX_FILLED, RECEIPTS, RECORDS,
};
use std::borrow::Cow;
use wasm_bindgen::JsValue;

pub struct IdbStore {
    db: Database,
}

impl std::fmt::Debug for IdbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdbStore")
            .field("name", &self.db.name())
            .finish()
    }
}

fn backend(error: impl Into<IdbError>) -> StoreError {
    match error.into() {
        IdbError::DomException(DomException::Other(e)) if e.name() == "QuotaExceededError" => {
            StoreError::Full(e.message())
        }
        other => StoreError::Backend(other.to_string()),
    }
}

fn open_error(error: OpenDbError) -> StoreError {
    StoreError::Backend(format!("opening the database: {error}"))
}

/// A record's key in `outbox`: `[when finalized, instance id]` (an empty time when it has
/// none), so that the store holds the outbox in its order and a run of records acknowledged
/// together leaves it as one range.
fn outbox_key(finalized: Option<&str>, instance_id: &str) -> JsValue {
    Array::of2(
        &JsValue::from_str(finalized.unwrap_or_default()),
        &JsValue::from_str(instance_id),
    )
    .into()
}

/// What `finalized` holds for a record: when it was finalized (the outbox's order), or null.
fn finalized_value(submission: &Submission) -> JsValue {
    submission
        .finalized
        .as_deref()
        .map_or(JsValue::NULL, JsValue::from_str)
}

/// Receipts written as one row of `receipts`, its key the store's next number; the request's
/// outcome is the transaction's.
fn add_receipts(tx: &Transaction<'_>, receipts: &[Receipt]) -> Result<(), StoreError> {
    let json = serde_json::to_string(receipts).map_err(|e| StoreError::Backend(e.to_string()))?;
    drop(
        tx.object_store(RECEIPTS)
            .map_err(backend)?
            .add(JsValue::from_str(&json))
            .build()
            .map_err(backend)?,
    );
    Ok(())
}

/// A key of `outbox` as the record it names.
fn waiting_of_key(key: &JsValue) -> Option<Waiting> {
    let key = Array::from(key);
    let time = key.get(0).as_string()?;
    Some(Waiting {
        finalized: (!time.is_empty()).then_some(time),
        instance_id: key.get(1).as_string()?,
    })
}

/// Takes records out of `outbox`, given by their places in `waiting` (its keys, in order).
/// A drain acknowledges a run of the outbox: places that follow each other go as one range
/// (one request, not one per record).
fn leave_outbox(
    outbox: &indexed_db_futures::object_store::ObjectStore<'_>,
    waiting: &[Waiting],
    mut leaving: Vec<usize>,
) -> Result<(), StoreError> {
    leaving.sort_unstable();
    leaving.dedup();
    let key = |i: usize| {
        let w = &waiting[i];
        outbox_key(w.finalized.as_deref(), &w.instance_id)
    };
    let mut runs = leaving.iter().peekable();
    while let Some(&first) = runs.next() {
        let mut last = first;
        while let Some(&&next) = runs.peek() {
            if next != last + 1 {
                break;
            }
            last = next;
            runs.next();
        }
        // The request goes out when built; its outcome is the transaction's.
        drop(
            outbox
                .delete::<JsValue, _>(indexed_db_futures::KeyRange::Bound(
                    key(first),
                    false,
                    key(last),
                    false,
                ))
                .build()
                .map_err(backend)?,
        );
    }
    Ok(())
}

fn status_name(status: Status) -> &'static str {
    match status {
        Status::Draft => "draft",
        Status::Finalized => "finalized",
    }
}

/// The records of an instrument as the database gave them (each row's JSON still in the
/// database's value), parsed a slice at a time: turning 100,000 rows' text into Rust strings
/// at once would hold up the page for a fifth of a second on top of the read itself.
pub struct IdbSlices {
    rows: std::vec::IntoIter<JsValue>,
    total: usize,
}

impl dala_core::store::RecordSlices for IdbSlices {
    fn total(&self) -> usize {
        self.total
    }

    fn next_slice(&mut self, n: usize) -> Vec<Submission> {
        self.rows
            .by_ref()
            .take(n)
            .filter_map(|row| get_string(&row, "json"))
            .filter_map(|text| serde_json::from_str::<Submission>(&text).ok())
            .collect()
    }
}

fn get_string(row: &JsValue, field: &str) -> Option<String> {
    Reflect::get(row, &JsValue::from_str(field))
        .ok()
        .and_then(|v| v.as_string())
}

fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (name, value) in fields {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&object, &JsValue::from_str(name), value);
    }
    object.into()
}

/// The rows of a `get_all`, or its first error.
fn all<I: Iterator<Item = indexed_db_futures::Result<JsValue>>>(
    rows: indexed_db_futures::Result<I>,
) -> Result<Vec<JsValue>, StoreError> {
    rows.map_err(backend)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(backend)
}

fn key(parts: &[&str]) -> JsValue {
    parts
        .iter()
        .map(|p| JsValue::from_str(p))
        .collect::<Array>()
        .into()
}

/// A record's row; `receipt` is a server's receipt as its JSON text.
fn record_row(
    s: &Submission,
    page: usize,
    exported: Option<&str>,
    receipt: Option<&str>,
) -> Result<JsValue, StoreError> {
    let json = serde_json::to_string(s).map_err(|e| StoreError::Backend(e.to_string()))?;
    let row = RowMaker::new().row(s, &json, page, exported);
    if let Some(receipt) = receipt {
        let _ = Reflect::set(
            &row,
            &JsValue::from_str("receipt"),
            &JsValue::from_str(receipt),
        );
    }
    Ok(row)
}

/// Makes stored record rows. Every JS string costs a decode, so the field names and the
/// values rows share (status, instrument) are made once and reused across a batch.
struct RowMaker {
    names: [JsValue; 6],
    statuses: [JsValue; 2],
    instrument: (String, JsValue),
}

impl RowMaker {
    fn new() -> RowMaker {
        RowMaker {
            names: [
                "instance_id",
                "instrument_id",
                "status",
                "json",
                "page",
                "exported",
            ]
            .map(JsValue::from_str),
            statuses: [Status::Draft, Status::Finalized].map(|s| JsValue::from_str(status_name(s))),
            instrument: (String::new(), JsValue::NULL),
        }
    }

    /// A row: `json` is the record's JSON text (serde's, or a bundle's line as read).
    fn row(&mut self, s: &Submission, json: &str, page: usize, exported: Option<&str>) -> JsValue {
        if self.instrument.0 != s.instrument_id || self.instrument.1.is_null() {
            self.instrument = (s.instrument_id.clone(), JsValue::from_str(&s.instrument_id));
        }
        let row = Object::new();
        let values = [
            &JsValue::from_str(&s.instance_id),
            &self.instrument.1,
            &self.statuses[usize::from(s.status == Status::Finalized)],
            &JsValue::from_str(json),
            &JsValue::from_f64(page as f64),
            &exported.map_or(JsValue::NULL, JsValue::from_str),
        ];
        for (name, value) in self.names.iter().zip(values) {
            // Setting a property on a fresh plain object cannot fail.
            let _ = Reflect::set(&row, name, value);
        }
        if !s.files.is_empty() {
            let names: Array = s.files.iter().map(|f| JsValue::from_str(&f.name)).collect();
            let _ = Reflect::set(&row, &JsValue::from_str(ROW_FILES), &names);
        }
        row.into()
    }
}

/// The field of a record's row that lists the names of its stored files.
const ROW_FILES: &str = "files";

/// The names of the files a stored row lists.
fn row_files(row: &JsValue) -> Vec<String> {
    Reflect::get(row, &JsValue::from_str(ROW_FILES))
        .ok()
        .filter(Array::is_array)
        .map(|names| {
            Array::from(&names)
                .iter()
                .filter_map(|n| n.as_string())
                .collect()
        })
        .unwrap_or_default()
}

/// A file's row: its key, its media type and its bytes as a Blob.
/// A file's bytes as a Blob of its media type.
fn blob_of(file: &Attachment, bytes: &[u8]) -> Result<web_sys::Blob, StoreError> {
    let parts = Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(&file.media_type);
    web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .map_err(|e| StoreError::Backend(format!("{e:?}")))
}

fn file_row(instance_id: &str, file: &Attachment, bytes: &[u8]) -> Result<JsValue, StoreError> {
    Ok(blob_row(instance_id, file, &blob_of(file, bytes)?))
}

fn blob_row(instance_id: &str, file: &Attachment, blob: &web_sys::Blob) -> JsValue {
    object(&[
        ("instance_id", JsValue::from_str(instance_id)),
        ("name", JsValue::from_str(&file.name)),
        ("media_type", JsValue::from_str(&file.media_type)),
        ("blob", blob.into()),
    ])
}

/// The Blob of a row of `files` or `form_files`.
fn row_blob(row: Option<JsValue>) -> Option<web_sys::Blob> {
    row.and_then(|row| Reflect::get(&row, &JsValue::from_str("blob")).ok())
        .and_then(|blob| wasm_bindgen::JsCast::dyn_into::<web_sys::Blob>(blob).ok())
}

/// A Blob's bytes.
async fn blob_bytes(blob: &web_sys::Blob) -> Result<Vec<u8>, StoreError> {
    let buffer = wasm_bindgen_futures::JsFuture::from(blob.array_buffer())
        .await
        .map_err(|e| StoreError::Backend(format!("reading a stored file: {e:?}")))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

fn parse_submission(row: &JsValue) -> Result<Submission, StoreError> {
    let json = get_string(row, "json")
        .ok_or_else(|| StoreError::Backend("a stored record has no JSON".into()))?;
    serde_json::from_str(&json)
        .map_err(|e| StoreError::Backend(format!("a stored record cannot be read: {e}")))
}

fn row_page(row: &JsValue) -> usize {
    Reflect::get(row, &JsValue::from_str("page"))
        .ok()
        .and_then(|v| v.as_f64())
        .map_or(0, |p| p as usize)
}

/// A stored record; `kept` is its receipt from the `receipts` store, if it has one there
/// (before version 5 a receipt was kept on the row).
fn parse_record(row: &JsValue, kept: Option<Receipt>) -> Result<StoredRecord, StoreError> {
    let receipt = match kept {
        Some(receipt) => Some(receipt),
        None => get_string(row, "receipt")
            .map(|json| {
                serde_json::from_str(&json).map_err(|e| {
                    StoreError::Backend(format!("a stored receipt cannot be read: {e}"))
                })
            })
            .transpose()?,
    };
    Ok(StoredRecord {
        submission: parse_submission(row)?,
        page: row_page(row),
        exported: get_string(row, "exported"),
        receipt,
    })
}

impl IdbStore {
    /// Opens (creating or upgrading) the app's database.
    pub async fn open() -> Result<IdbStore, StoreError> {
        IdbStore::open_named(schema::NAME).await
    }

    /// Opens a database of another name: tests use one each.
    pub async fn open_named(name: &str) -> Result<IdbStore, StoreError> {
        let db = Database::open(name)
            .with_version(schema::VERSION)
            .with_on_upgrade_needed(|event, db| schema::upgrade(&db, event.old_version() as u32))
            .await
            .map_err(open_error)?;
        let store = IdbStore { db };
        store.migrate_v1().await?;
        store.fill_outbox().await?;
        Ok(store)
    }

    /// Deletes a database by name (tests).
    pub async fn delete_named(name: &str) -> Result<(), StoreError> {
        Database::delete_by_name(name)
            .map_err(open_error)?
            .await
            .map_err(backend)
    }

    /// Names every finalized record in `finalized` with when it was finalized, puts those
    /// without a receipt in `outbox`, and moves the receipts kept on record rows (before
    /// version 5) into `receipts`, once: all or none,
    /// with the setting that says it is done. A database made before version 5 has nothing
    /// in `finalized`, and version 5 had no times there and no `outbox`.
    async fn fill_outbox(&self) -> Result<(), StoreError> {
        if self.setting(OUTBOX_FILLED).await?.is_some() {
            return Ok(());
        }
        let tx = self.write(&[RECORDS, FINALIZED, RECEIPTS, OUTBOX, META])?;
        let kept = Self::kept_receipts(&tx).await?;
        let records = tx.object_store(RECORDS).map_err(backend)?;
        let finalized = tx.object_store(FINALIZED).map_err(backend)?;
        let outbox = tx.object_store(OUTBOX).map_err(backend)?;
        let done = Some(status_name(Status::Finalized));
        let mut from_rows: Vec<Receipt> = Vec::new();
        for row in all(records.get_all().await)? {
            if get_string(&row, "status").as_deref() != done {
                continue;
            }
            let submission = parse_submission(&row)?;
            // The request goes out when built; its outcome is the transaction's.
            drop(
                finalized
                    .put(finalized_value(&submission))
                    .with_key(JsValue::from_str(&submission.instance_id))
                    .build()
                    .map_err(backend)?,
            );
            if kept.contains_key(&submission.instance_id) {
                continue;
            }
            match parse_record(&row, None)?.receipt {
                Some(receipt) => from_rows.push(receipt),
                None => drop(
                    outbox
                        .put(Reflect::get(&row, &"json".into()).unwrap_or_default())
                        .with_key(outbox_key(
                            submission.finalized.as_deref(),
                            &submission.instance_id,
                        ))
                        .build()
                        .map_err(backend)?,
                ),
            }
        }
        if !from_rows.is_empty() {
            add_receipts(&tx, &from_rows)?;
        }
        let meta = tx.object_store(META).map_err(backend)?;
        meta.put(JsValue::from_str("1"))
            .with_key(JsValue::from_str(OUTBOX_FILLED))
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    /// Every receipt kept in `receipts` (since version 5), by instance id, with the number of
    /// the row that holds it.
    async fn kept_receipts(
        tx: &Transaction<'_>,
    ) -> Result<std::collections::HashMap<String, (f64, Receipt)>, StoreError> {
        let store = tx.object_store(RECEIPTS).map_err(backend)?;
        let keys = all(store.get_all_keys::<JsValue>().await)?;
        let rows = all(store.get_all().await)?;
        let mut kept = std::collections::HashMap::new();
        for (key, row) in keys.into_iter().zip(rows) {
            let key = key.as_f64().unwrap_or_default();
            let receipts: Vec<Receipt> = serde_json::from_str(&row.as_string().unwrap_or_default())
                .map_err(|e| StoreError::Backend(format!("stored receipts cannot be read: {e}")))?;
            for receipt in receipts {
                kept.insert(receipt.instance_id.clone(), (key, receipt));
            }
        }
        Ok(kept)
    }

    /// Moves version-1 submissions into `records`, all or none (see [`schema`]).
    async fn migrate_v1(&self) -> Result<(), StoreError> {
        if !self
            .db
            .object_store_names()
            .any(|n| n == LEGACY_SUBMISSIONS)
        {
            return Ok(());
        }
        let tx = self.write(&[LEGACY_SUBMISSIONS, RECORDS])?;
        let legacy = tx.object_store(LEGACY_SUBMISSIONS).map_err(backend)?;
        let rows = all(legacy.get_all().await)?;
        if rows.is_empty() {
            return Ok(());
        }
        let records = tx.object_store(RECORDS).map_err(backend)?;
        for row in rows {
            let row = record_row(&parse_submission(&row)?, 0, None, None)?;
            records.put(row).await.map_err(backend)?;
        }
        legacy.clear().map_err(backend)?.await.map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    fn write<'a>(&'a self, stores: &[&str]) -> Result<Transaction<'a>, StoreError> {
        self.db
            .transaction(stores.to_vec())
            .with_mode(TransactionMode::Readwrite)
            .with_options(TransactionOptions::new().with_durability(TransactionDurability::Strict))
            .build()
            .map_err(backend)
    }

    /// A write the disk need not hold before it is reported done. Only for what can be lost
    /// to a power cut without harm: a receipt lost is a record sent again, and the server
    /// answers a record it holds with the same receipt.
    fn write_relaxed<'a>(&'a self, stores: &[&str]) -> Result<Transaction<'a>, StoreError> {
        self.db
            .transaction(stores.to_vec())
            .with_mode(TransactionMode::Readwrite)
            .with_options(TransactionOptions::new().with_durability(TransactionDurability::Relaxed))
            .build()
            .map_err(backend)
    }

    fn read<'a>(&'a self, store: &str) -> Result<Transaction<'a>, StoreError> {
        self.db.transaction(store).build().map_err(backend)
    }

    fn read_both<'a>(&'a self, first: &str, second: &str) -> Result<Transaction<'a>, StoreError> {
        self.db
            .transaction(vec![first, second])
            .build()
            .map_err(backend)
    }

    async fn get_row(&self, instance_id: &str) -> Result<Option<JsValue>, StoreError> {
        let tx = self.read(RECORDS)?;
        let store = tx.object_store(RECORDS).map_err(backend)?;
        store
            .get(JsValue::from_str(instance_id))
            .await
            .map_err(backend)
    }

    /// Writes a record unless a finalized one of that id holds different data; keeps the page
    /// and export mark unless given. The check and the write are one transaction.
    ///
    /// `record` makes the record and its page once the stored row has been read (None: write
    /// nothing). An autosave builds its draft there, not before: the read takes a round trip
    /// to the database, and the frame that shows what the answer changed is drawn meanwhile.
    async fn put_record<'s>(
        &self,
        instance_id: &str,
        record: impl FnOnce() -> Option<(Cow<'s, Submission>, Option<usize>)>,
        exported: Option<String>,
        new_files: &[(Attachment, Vec<u8>)],
    ) -> Result<(), StoreError> {
        let tx = self.write(&[RECORDS, FILES, FINALIZED, OUTBOX])?;
        let store = tx.object_store(RECORDS).map_err(backend)?;
        let existing: Option<JsValue> = store
            .get(JsValue::from_str(instance_id))
            .await
            .map_err(backend)?;
        let Some((submission, mut page)) = record() else {
            return Ok(());
        };
        // The page and export mark are kept from the stored row unless given; a receipt always.
        let mut exported = exported;
        let mut receipt = None;
        let mut stored_files = Vec::new();
        let mut was_finalized = false;
        if let Some(row) = existing {
            // The status sits beside the JSON: a draft being autosaved is not parsed back, only
            // a finalized record is (to refuse any change to it).
            was_finalized =
                get_string(&row, "status").as_deref() == Some(status_name(Status::Finalized));
            if was_finalized && parse_submission(&row)? != *submission {
                return Err(StoreError::Finalized(submission.instance_id.clone()));
            }
            page = page.or_else(|| Some(row_page(&row)));
            exported = exported.or_else(|| get_string(&row, "exported"));
            receipt = get_string(&row, "receipt");
            stored_files = row_files(&row);
        }
        let row = record_row(
            &submission,
            page.unwrap_or(0),
            exported.as_deref(),
            receipt.as_deref(),
        )?;
        // A record finalized now is named in `finalized` and waits in `outbox`, in this
        // transaction (one finalized before is in neither, or is there already).
        if submission.status == Status::Finalized && !was_finalized {
            tx.object_store(FINALIZED)
                .map_err(backend)?
                .put(finalized_value(&submission))
                .with_key(JsValue::from_str(instance_id))
                .await
                .map_err(backend)?;
            tx.object_store(OUTBOX)
                .map_err(backend)?
                .put(Reflect::get(&row, &"json".into()).unwrap_or_default())
                .with_key(outbox_key(submission.finalized.as_deref(), instance_id))
                .await
                .map_err(backend)?;
        }
        store.put(row).await.map_err(backend)?;
        let files = tx.object_store(FILES).map_err(backend)?;
        for gone in stored_files
            .iter()
            .filter(|name| !submission.files.iter().any(|f| &f.name == *name))
        {
            files
                .delete(key(&[instance_id, gone]))
                .await
                .map_err(backend)?;
        }
        for (file, bytes) in new_files {
            files
                .put(file_row(instance_id, file, bytes)?)
                .await
                .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)
    }

    /// A stored file as the Blob it is kept as (what a view shows or plays, without copying
    /// its bytes into the module's memory).
    pub async fn get_blob(
        &self,
        instance_id: &str,
        name: &str,
    ) -> Result<Option<web_sys::Blob>, StoreError> {
        let tx = self.read(FILES)?;
        let store = tx.object_store(FILES).map_err(backend)?;
        let row: Option<JsValue> = store
            .get(key(&[instance_id, name]))
            .await
            .map_err(backend)?;
        Ok(row_blob(row))
    }

    /// An instrument's attached file as stored (a Blob of its media type), for a label to
    /// show without copying its bytes.
    pub async fn get_form_blob(
        &self,
        file: &Attachment,
    ) -> Result<Option<web_sys::Blob>, StoreError> {
        let tx = self.read(FORM_FILES)?;
        let store = tx.object_store(FORM_FILES).map_err(backend)?;
        let row: Option<JsValue> = store
            .get(JsValue::from_str(&file.sha256))
            .await
            .map_err(backend)?;
        Ok(row_blob(row))
    }

    /// [`Store::import_files`] of Blobs (a slice of a picked bundle file, stored as it is).
    pub async fn import_file_blobs(
        &self,
        files: &[(String, Attachment, web_sys::Blob)],
    ) -> Result<usize, StoreError> {
        let t = crate::perf::now_ms();
        let tx = self.write(&[RECORDS, FILES])?;
        let records = tx.object_store(RECORDS).map_err(backend)?;
        let stored = tx.object_store(FILES).map_err(backend)?;
        let mut asked = Vec::with_capacity(files.len());
        for (instance_id, file, _) in files {
            asked.push((
                records
                    .get(JsValue::from_str(instance_id))
                    .build()
                    .map_err(backend)?,
                stored
                    .count()
                    .with_query(key(&[instance_id, &file.name]))
                    .build()
                    .map_err(backend)?,
            ));
        }
        let mut kept = 0;
        for ((instance_id, file, blob), (row, there)) in files.iter().zip(asked) {
            let row: Option<JsValue> = row.await.map_err(backend)?;
            let there = there.await.map_err(backend)? > 0;
            let listed = row.is_some_and(|row| row_files(&row).contains(&file.name));
            if listed && !there {
                // The request goes out when built; its outcome is the transaction's.
                drop(
                    stored
                        .put(blob_row(instance_id, file, blob))
                        .build()
                        .map_err(backend)?,
                );
                kept += 1;
            }
        }
        crate::perf::add("__dalaImportFilesSendMs", crate::perf::now_ms() - t);
        let t = crate::perf::now_ms();
        let committed = tx.commit().await.map_err(backend);
        crate::perf::add("__dalaImportFilesCommitMs", crate::perf::now_ms() - t);
        committed.map(|()| kept)
    }

    /// Autosave: [`Store::save_draft`] of the draft `draft` makes once the stored row has
    /// been read (None: the interview is gone, nothing is written).
    pub async fn autosave(
        &self,
        instance_id: &str,
        draft: impl FnOnce() -> Option<(Submission, usize)>,
    ) -> Result<(), StoreError> {
        self.put_record(
            instance_id,
            || draft().map(|(submission, page)| (Cow::Owned(submission), Some(page))),
            None,
            &[],
        )
        .await
    }

    /// The records of one instrument (any version), optionally of one status, by instance id.
    pub async fn list_records(
        &self,
        form_id: &str,
        status: Option<Status>,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        let tx = self.read_both(RECORDS, RECEIPTS)?;
        let mut receipts = Self::kept_receipts(&tx).await?;
        let store = tx.object_store(RECORDS).map_err(backend)?;
        let rows = match status {
            None => all(store
                .index(BY_INSTRUMENT)
                .map_err(backend)?
                .get_all()
                .with_query(JsValue::from_str(form_id))
                .await)?,
            Some(status) => all(store
                .index(BY_INSTRUMENT_STATUS)
                .map_err(backend)?
                .get_all()
                .with_query(key(&[form_id, status_name(status)]))
                .await)?,
        };
        rows.iter()
            .map(|row| {
                let kept = get_string(row, "instance_id")
                    .and_then(|id| receipts.remove(&id))
                    .map(|(_, receipt)| receipt);
                parse_record(row, kept)
            })
            .collect()
    }

    /// Closes the connection (tests reopen the same database after an upgrade).
    pub fn close(self) {
        self.db.close();
    }
}

impl Store for IdbStore {
    type Slices = IdbSlices;

    async fn put_instrument(&self, instrument: &Instrument) -> Result<(), StoreError> {
        let json = instrument.to_json();
        let tx = self.write(&[INSTRUMENTS])?;
        let store = tx.object_store(INSTRUMENTS).map_err(backend)?;
        let row = object(&[
            ("form_id", JsValue::from_str(&instrument.settings.form_id)),
            ("version", JsValue::from_str(&instrument.settings.version)),
            ("json", JsValue::from_str(&json)),
        ]);
        store.put(row).await.map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    async fn get_instrument(
        &self,
        form_id: &str,
        version: &str,
    ) -> Result<Option<Instrument>, StoreError> {
        let tx = self.read(INSTRUMENTS)?;
        let store = tx.object_store(INSTRUMENTS).map_err(backend)?;
        let row: Option<JsValue> = store.get(key(&[form_id, version])).await.map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let json = get_string(&row, "json")
            .ok_or_else(|| StoreError::Backend("a stored instrument has no JSON".into()))?;
        Instrument::from_json(&json)
            .map(Some)
            .map_err(|e| StoreError::Backend(format!("a stored instrument cannot be read: {e}")))
    }

    /// The lists go into the instrument's own row (a `lists` field of JSON), written in one
    /// transaction that reads the row first: no new store, and putting the instrument again
    /// (a new row) forgets them, as the contract says.
    async fn put_lists(
        &self,
        form_id: &str,
        version: &str,
        lists: &dala_core::Lists,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(lists)
            .map_err(|e| StoreError::Backend(format!("lists cannot be written: {e}")))?;
        let tx = self.write(&[INSTRUMENTS])?;
        let store = tx.object_store(INSTRUMENTS).map_err(backend)?;
        let row: Option<JsValue> = store.get(key(&[form_id, version])).await.map_err(backend)?;
        let Some(row) = row else {
            return Err(StoreError::NoInstrument(format!(
                "{form_id} version {version}"
            )));
        };
        Reflect::set(&row, &JsValue::from_str("lists"), &JsValue::from_str(&json))
            .map_err(|_| StoreError::Backend("an instrument row cannot be changed".into()))?;
        store.put(row).await.map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    async fn get_lists(
        &self,
        form_id: &str,
        version: &str,
    ) -> Result<dala_core::Lists, StoreError> {
        let tx = self.read(INSTRUMENTS)?;
        let store = tx.object_store(INSTRUMENTS).map_err(backend)?;
        let row: Option<JsValue> = store.get(key(&[form_id, version])).await.map_err(backend)?;
        let Some(json) = row.and_then(|row| get_string(&row, "lists")) else {
            return Ok(dala_core::Lists::new());
        };
        serde_json::from_str(&json)
            .map_err(|e| StoreError::Backend(format!("stored lists cannot be read: {e}")))
    }

    async fn list_instruments(&self) -> Result<Vec<(String, String)>, StoreError> {
        let tx = self.read(INSTRUMENTS)?;
        let store = tx.object_store(INSTRUMENTS).map_err(backend)?;
        let rows = all(store.get_all().await)?;
        let mut keys: Vec<(String, String)> = rows
            .iter()
            .filter_map(|row| Some((get_string(row, "form_id")?, get_string(row, "version")?)))
            .collect();
        keys.sort();
        Ok(keys)
    }

    async fn put_submission(&self, submission: &Submission) -> Result<(), StoreError> {
        self.put_record(
            &submission.instance_id,
            || Some((Cow::Borrowed(submission), None)),
            None,
            &[],
        )
        .await
    }

    async fn get_submission(&self, instance_id: &str) -> Result<Option<Submission>, StoreError> {
        self.get_row(instance_id)
            .await?
            .map(|row| parse_submission(&row))
            .transpose()
    }

    async fn list_submissions(
        &self,
        form_id: &str,
        status: Option<Status>,
    ) -> Result<Vec<Submission>, StoreError> {
        Ok(self
            .list_records(form_id, status)
            .await?
            .into_iter()
            .map(|r| r.submission)
            .collect())
    }

    async fn delete_submission(&self, instance_id: &str) -> Result<bool, StoreError> {
        let tx = self.write(&[RECORDS, FILES])?;
        let store = tx.object_store(RECORDS).map_err(backend)?;
        let row: Option<JsValue> = store
            .get(JsValue::from_str(instance_id))
            .await
            .map_err(backend)?;
        let Some(row) = row else { return Ok(false) };
        if parse_submission(&row)?.status == Status::Finalized {
            return Err(StoreError::Finalized(instance_id.to_string()));
        }
        store
            .delete(JsValue::from_str(instance_id))
            .await
            .map_err(backend)?;
        let files = tx.object_store(FILES).map_err(backend)?;
        for name in row_files(&row) {
            files
                .delete(key(&[instance_id, &name]))
                .await
                .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn save_draft(&self, submission: &Submission, page: usize) -> Result<(), StoreError> {
        self.put_record(
            &submission.instance_id,
            || Some((Cow::Borrowed(submission), Some(page))),
            None,
            &[],
        )
        .await
    }

    async fn save_draft_with_files(
        &self,
        submission: &Submission,
        page: usize,
        files: &[(Attachment, Vec<u8>)],
    ) -> Result<(), StoreError> {
        if let Some(file) = unlisted_file(&submission.files, files) {
            return Err(StoreError::FileNotListed(file.name.clone()));
        }
        self.put_record(
            &submission.instance_id,
            || Some((Cow::Borrowed(submission), Some(page))),
            None,
            files,
        )
        .await
    }

    async fn get_file(&self, instance_id: &str, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match self.get_blob(instance_id, name).await? {
            Some(blob) => blob_bytes(&blob).await.map(Some),
            None => Ok(None),
        }
    }

    async fn put_form_files(
        &self,
        form_id: &str,
        version: &str,
        files: &[(Attachment, Vec<u8>)],
    ) -> Result<(), StoreError> {
        let stored = self.get_instrument(form_id, version).await?;
        if let Some(refused) = form_files_refused(stored.as_ref(), form_id, version, files) {
            return Err(refused);
        }
        // Blobs are made before the transaction opens: it would end while they are built.
        let mut rows = Vec::with_capacity(files.len());
        for (file, bytes) in files {
            rows.push(object(&[
                ("sha256", JsValue::from_str(&file.sha256)),
                ("media_type", JsValue::from_str(&file.media_type)),
                ("blob", blob_of(file, bytes)?.into()),
            ]));
        }
        let tx = self.write(&[FORM_FILES])?;
        let store = tx.object_store(FORM_FILES).map_err(backend)?;
        for row in rows {
            store.put(row).await.map_err(backend)?;
        }
        tx.commit().await.map_err(backend)
    }

    async fn get_form_file(&self, file: &Attachment) -> Result<Option<Vec<u8>>, StoreError> {
        match self.get_form_blob(file).await? {
            Some(blob) => blob_bytes(&blob).await.map(Some),
            None => Ok(None),
        }
    }

    async fn get_record(&self, instance_id: &str) -> Result<Option<StoredRecord>, StoreError> {
        let tx = self.read_both(RECORDS, RECEIPTS)?;
        let row: Option<JsValue> = tx
            .object_store(RECORDS)
            .map_err(backend)?
            .get(JsValue::from_str(instance_id))
            .await
            .map_err(backend)?;
        let kept = Self::kept_receipts(&tx)
            .await?
            .remove(instance_id)
            .map(|(_, receipt)| receipt);
        row.map(|row| parse_record(&row, kept)).transpose()
    }

    async fn records(
        &self,
        form_id: &str,
        status: Option<Status>,
        from: usize,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        Ok(self
            .list_records(form_id, status)
            .await?
            .into_iter()
            .skip(from)
            .take(limit)
            .collect())
    }

    async fn all_records(&self, form_id: &str) -> Result<IdbSlices, StoreError> {
        let tx = self.read(RECORDS)?;
        let store = tx.object_store(RECORDS).map_err(backend)?;
        let rows = all(store
            .index(BY_INSTRUMENT)
            .map_err(backend)?
            .get_all()
            .with_query(JsValue::from_str(form_id))
            .await)?;
        Ok(IdbSlices {
            total: rows.len(),
            rows: rows.into_iter(),
        })
    }

    async fn count(&self, form_id: &str, status: Status) -> Result<usize, StoreError> {
        let tx = self.read(RECORDS)?;
        let store = tx.object_store(RECORDS).map_err(backend)?;
        let index = store.index(BY_INSTRUMENT_STATUS).map_err(backend)?;
        index
            .count()
            .with_query(key(&[form_id, status_name(status)]))
            .await
            .map(|n| n as usize)
            .map_err(backend)
    }

    async fn mark_exported(&self, instance_ids: &[String], when: &str) -> Result<(), StoreError> {
        let tx = self.write(&[RECORDS])?;
        let store = tx.object_store(RECORDS).map_err(backend)?;
        for id in instance_ids {
            let row: Option<JsValue> = store.get(JsValue::from_str(id)).await.map_err(backend)?;
            if let Some(row) = row {
                let _ = Reflect::set(
                    &row,
                    &JsValue::from_str("exported"),
                    &JsValue::from_str(when),
                );
                store.put(row).await.map_err(backend)?;
            }
        }
        tx.commit().await.map_err(backend)
    }

    /// Read from the index without the records: what an import checks its records against.
    async fn instance_ids(&self, form_id: &str) -> Result<Vec<String>, StoreError> {
        let tx = self.read(RECORDS)?;
        let store = tx.object_store(RECORDS).map_err(backend)?;
        let keys = all(store
            .index(BY_INSTRUMENT)
            .map_err(backend)?
            .get_all_keys::<JsValue>()
            .with_query(JsValue::from_str(form_id))
            .await)?;
        Ok(keys.into_iter().filter_map(|k| k.as_string()).collect())
    }

    /// In one strict transaction (all or none): a count request per record is sent at once and
    /// their answers awaited together, then a put per new record, and the commit awaited.
    /// Each record's row holds its line of the bundle as read: not written again.
    async fn import_records(
        &self,
        records: &[(Submission, String)],
    ) -> Result<Imported, StoreError> {
        let tx = self.write(&[RECORDS, FINALIZED, OUTBOX])?;
        let store = tx.object_store(RECORDS).map_err(backend)?;
        let finalized = tx.object_store(FINALIZED).map_err(backend)?;
        let outbox = tx.object_store(OUTBOX).map_err(backend)?;
        let t = crate::perf::now_ms();
        let mut asked = Vec::with_capacity(records.len());
        for (submission, _) in records {
            asked.push(
                store
                    .count()
                    .with_query(JsValue::from_str(&submission.instance_id))
                    .build()
                    .map_err(backend)?,
            );
        }
        let mut stored = Vec::with_capacity(records.len());
        for answer in asked {
            stored.push(answer.await.map_err(backend)? > 0);
        }
        let mut imported = Imported::default();
        let mut rows = RowMaker::new();
        for ((submission, json), stored) in records.iter().zip(stored) {
            if stored {
                imported.duplicates += 1;
                continue;
            }
            let row = rows.row(submission, json, 0, None);
            // The request goes out when built; its outcome is the transaction's.
            drop(store.put(row).build().map_err(backend)?);
            if submission.status == Status::Finalized {
                let id = JsValue::from_str(&submission.instance_id);
                drop(
                    finalized
                        .put(finalized_value(submission))
                        .with_key(id)
                        .build()
                        .map_err(backend)?,
                );
                let key = outbox_key(submission.finalized.as_deref(), &submission.instance_id);
                drop(
                    outbox
                        .put(JsValue::from_str(json))
                        .with_key(key)
                        .build()
                        .map_err(backend)?,
                );
            }
            imported.added += 1;
        }
        crate::perf::add("__dalaImportSendMs", crate::perf::now_ms() - t);
        let t = crate::perf::now_ms();
        let committed = tx.commit().await.map_err(backend);
        crate::perf::add("__dalaImportCommitMs", crate::perf::now_ms() - t);
        committed.map(|()| imported)
    }

    /// In one strict transaction: the record rows (for the names they list) and the files'
    /// keys (for whether they are kept already) are asked for all at once, then the files
    /// kept are put without waiting for each.
    async fn import_files(
        &self,
        files: &[(String, Attachment, Vec<u8>)],
    ) -> Result<usize, StoreError> {
        let mut blobs = Vec::with_capacity(files.len());
        for (instance_id, file, bytes) in files {
            blobs.push((instance_id.clone(), file.clone(), blob_of(file, bytes)?));
        }
        self.import_file_blobs(&blobs).await
    }

    async fn setting(&self, name: &str) -> Result<Option<String>, StoreError> {
        let tx = self.read(META)?;
        let store = tx.object_store(META).map_err(backend)?;
        let value: Option<JsValue> = store.get(JsValue::from_str(name)).await.map_err(backend)?;
        Ok(value.and_then(|v| v.as_string()))
    }

    async fn set_setting(&self, name: &str, value: &str) -> Result<(), StoreError> {
        let tx = self.write(&[META])?;
        let store = tx.object_store(META).map_err(backend)?;
        store
            .put(JsValue::from_str(value))
            .with_key(JsValue::from_str(name))
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    /// The keys of `outbox`, which are the list itself: no record is read.
    async fn waiting(&self) -> Result<Vec<Waiting>, StoreError> {
        let tx = self.read(OUTBOX)?;
        let keys = all(tx
            .object_store(OUTBOX)
            .map_err(backend)?
            .get_all_keys::<JsValue>()
            .await)?;
        Ok(keys.iter().filter_map(waiting_of_key).collect())
    }

    /// One read of `outbox`: the records waiting, never those sent, in the store's order
    /// (which is the outbox's).
    async fn outbox_after(
        &self,
        after: Option<&Waiting>,
        limit: usize,
    ) -> Result<Vec<Submission>, StoreError> {
        // A limit of 0 would mean none to IndexedDB.
        if limit == 0 {
            return Ok(Vec::new());
        }
        let t = crate::perf::now_ms();
        let tx = self.read(OUTBOX)?;
        let store = tx.object_store(OUTBOX).map_err(backend)?;
        let limit = u32::try_from(limit).unwrap_or(u32::MAX);
        let rows = match after {
            None => all(store.get_all().with_limit(limit).await)?,
            Some(after) => all(store
                .get_all()
                .with_query::<JsValue, _>(indexed_db_futures::KeyRange::LowerBound(
                    outbox_key(after.finalized.as_deref(), &after.instance_id),
                    true,
                ))
                .with_limit(limit)
                .await)?,
        };
        crate::perf::add("__dalaOutboxRowsMs", crate::perf::now_ms() - t);
        let mut waiting = Vec::with_capacity(rows.len());
        for json in rows {
            waiting.push(
                serde_json::from_str::<Submission>(&json.as_string().unwrap_or_default()).map_err(
                    |e| StoreError::Backend(format!("a stored record cannot be read: {e}")),
                )?,
            );
        }
        crate::perf::add("__dalaOutboxMs", crate::perf::now_ms() - t);
        Ok(waiting)
    }

    /// Neither reads nor writes the records: the ids are checked against `finalized` (one
    /// request), the receipts written as one row and the records taken out of `outbox`.
    async fn acknowledge(&self, receipts: &[Receipt]) -> Result<(), StoreError> {
        if receipts.is_empty() {
            return Ok(());
        }
        let t = crate::perf::now_ms();
        let tx = self.write_relaxed(&[FINALIZED, RECEIPTS, OUTBOX])?;
        let outbox = tx.object_store(OUTBOX).map_err(backend)?;
        let waiting: Vec<Waiting> = all(outbox.get_all_keys::<JsValue>().await)?
            .iter()
            .filter_map(waiting_of_key)
            .collect();
        let position: std::collections::HashMap<&str, usize> = waiting
            .iter()
            .enumerate()
            .map(|(i, w)| (w.instance_id.as_str(), i))
            .collect();
        // A receipt for a record not waiting (acknowledged before) needs it finalized; one
        // unknown record refuses them all (the transaction is never committed).
        let finalized = tx.object_store(FINALIZED).map_err(backend)?;
        let mut leaving = Vec::with_capacity(receipts.len());
        for receipt in receipts {
            match position.get(receipt.instance_id.as_str()) {
                Some(&i) => leaving.push(i),
                None => {
                    let known = finalized
                        .count()
                        .with_query(JsValue::from_str(&receipt.instance_id))
                        .await
                        .map_err(backend)?;
                    if known == 0 {
                        return Err(StoreError::NotFound(receipt.instance_id.clone()));
                    }
                }
            }
        }
        add_receipts(&tx, receipts)?;
        leave_outbox(&outbox, &waiting, leaving)?;
        let committed = tx.commit().await.map_err(backend);
        crate::perf::add("__dalaAcknowledgeMs", crate::perf::now_ms() - t);
        committed
    }

    async fn remove_sent(&self, instance_ids: &[String]) -> Result<usize, StoreError> {
        let tx = self.write(&[RECORDS, FILES, RECEIPTS, FINALIZED])?;
        let mut sent = Self::kept_receipts(&tx).await?;
        let records = tx.object_store(RECORDS).map_err(backend)?;
        let files = tx.object_store(FILES).map_err(backend)?;
        let receipts = tx.object_store(RECEIPTS).map_err(backend)?;
        let finalized = tx.object_store(FINALIZED).map_err(backend)?;
        // Every row is read and checked before anything is deleted: one unsent record
        // refuses the whole removal.
        let mut found = Vec::new();
        let mut rows_touched = Vec::new();
        for id in instance_ids {
            let row: Option<JsValue> = records.get(JsValue::from_str(id)).await.map_err(backend)?;
            let Some(row) = row else { continue };
            match sent.remove(id) {
                Some((row_key, _)) => rows_touched.push(row_key),
                None if get_string(&row, "receipt").is_some() => {}
                None => return Err(StoreError::NotSent(id.clone())),
            }
            found.push((id, row_files(&row)));
        }
        // The receipt rows that held removed records keep the others' receipts.
        for row_key in &rows_touched {
            let left: Vec<&Receipt> = sent
                .values()
                .filter(|(k, _)| k == row_key)
                .map(|(_, r)| r)
                .collect();
            if left.is_empty() {
                receipts
                    .delete(JsValue::from_f64(*row_key))
                    .await
                    .map_err(backend)?;
            } else {
                let json =
                    serde_json::to_string(&left).map_err(|e| StoreError::Backend(e.to_string()))?;
                receipts
                    .put(JsValue::from_str(&json))
                    .with_key(JsValue::from_f64(*row_key))
                    .await
                    .map_err(backend)?;
            }
        }
        for (id, names) in &found {
            records
                .delete(JsValue::from_str(id))
                .await
                .map_err(backend)?;
            finalized
                .delete(JsValue::from_str(id))
                .await
                .map_err(backend)?;
            for name in names {
                files.delete(key(&[id, name])).await.map_err(backend)?;
            }
        }
        tx.commit().await.map_err(backend)?;
        Ok(found.len())
    }
}
