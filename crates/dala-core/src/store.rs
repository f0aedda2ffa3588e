//! The storage contract: where instruments and submissions live (IndexedDB in the browser,
//! memory in tests). The rules are written once, in [`conformance`], for every store.

use crate::compile::Lists;
use crate::instrument::{Attachment, Instrument};
use crate::record::{Status, Submission};
use std::cell::RefCell;
use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum StoreError {
    /// A finalized record is read-only: it cannot be overwritten by a draft, or deleted.
    #[error("the record {0} is finalized and cannot be changed or deleted")]
    Finalized(String),
    /// The device refused to store more (a browser's QuotaExceededError): what is already
    /// stored is intact, and the caller keeps what it could not write.
    #[error("the device's storage is full: {0}")]
    Full(String),
    /// No record of that instance id (for a receipt: no finalized one).
    #[error("there is no record {0}")]
    NotFound(String),
    /// No instrument of that form and version is stored.
    #[error("there is no instrument {0}")]
    NoInstrument(String),
    /// A file given with a record that the record does not list as given (by name, size
    /// and SHA-256): nothing was written.
    #[error("the record does not list the file {0} as given")]
    FileNotListed(String),
    /// A record no server has acknowledged (a draft, or one still in the outbox) is never
    /// removed from the device by a removal of sent records: nothing was removed.
    #[error("the record {0} has not reached a server and cannot be removed")]
    NotSent(String),
    #[error("storage failed: {0}")]
    Backend(String),
}

/// A stored record with what the device keeps about it.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredRecord {
    pub submission: Submission,
    /// The page the interview was on when it was last saved.
    pub page: usize,
    /// When the record was last exported in a bundle (device clock, ISO 8601).
    pub exported: Option<String>,
    /// A server's receipt: the record has arrived there and left the outbox.
    pub receipt: Option<Receipt>,
}

/// A server's acknowledgement that it holds a record. A record counts as sent only with one.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    pub instance_id: String,
    /// The server that received it (its address).
    pub server: String,
    /// When the server received it (the server's clock, ISO 8601).
    pub received: String,
}

/// What an import of records from other devices did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Imported {
    pub added: usize,
    /// Records whose instance id was already stored: left as they are.
    pub duplicates: usize,
}

/// Every record of an instrument, read from the store in one go and handed out parsed a
/// slice at a time, so a caller that must yield to a page between slices can (parsing
/// 100,000 records at once would hold a browser tab for a second).
pub trait RecordSlices {
    /// How many records there are in all.
    fn total(&self) -> usize;
    /// The next `n` records (fewer at the end; none once all are out). A stored row that
    /// does not parse is left out: a store holds only what was parsed when it was written.
    fn next_slice(&mut self, n: usize) -> Vec<Submission>;
}

/// The records of a [`MemoryStore`], taken out as they were when read.
#[derive(Debug)]
pub struct MemorySlices {
    records: std::vec::IntoIter<Submission>,
    total: usize,
}

impl RecordSlices for MemorySlices {
    fn total(&self) -> usize {
        self.total
    }

    fn next_slice(&mut self, n: usize) -> Vec<Submission> {
        self.records.by_ref().take(n).collect()
    }
}

/// Everything the app does with records, on any device: instruments, drafts with their page,
/// finalized records (read-only), records imported from bundles, pages of records with counts,
/// export marks, the device's settings, and the outbox of finalized records no server has
/// acknowledged yet with their receipts. Futures are not `Send`: the browser's IndexedDB lives
/// on one thread.
#[allow(async_fn_in_trait)]
pub trait Store {
    /// What [`Store::all_records`] hands out.
    type Slices: RecordSlices;

    async fn put_instrument(&self, instrument: &Instrument) -> Result<(), StoreError>;
    async fn get_instrument(
        &self,
        form_id: &str,
        version: &str,
    ) -> Result<Option<Instrument>, StoreError>;
    /// `(form_id, version)` of every stored instrument, sorted.
    async fn list_instruments(&self) -> Result<Vec<(String, String)>, StoreError>;
    /// Keeps the lists of a stored instrument's attached files (read once, at import) beside
    /// it. Putting the instrument again forgets them. Refused for an instrument not stored.
    async fn put_lists(
        &self,
        form_id: &str,
        version: &str,
        lists: &Lists,
    ) -> Result<(), StoreError>;
    /// The lists kept beside an instrument; empty when it has none (or is not stored).
    async fn get_lists(&self, form_id: &str, version: &str) -> Result<Lists, StoreError>;
    /// Keeps the bytes of a stored instrument's attached files (the pictures, sounds and
    /// videos its labels show), all or none. Each must be among the instrument's
    /// `attachments` as given (by name, size and digest: [`StoreError::FileNotListed`]);
    /// refused for an instrument not stored. They are kept by digest: another version, or a
    /// designer's draft, that attaches the same file finds it without a copy.
    async fn put_form_files(
        &self,
        form_id: &str,
        version: &str,
        files: &[(Attachment, Vec<u8>)],
    ) -> Result<(), StoreError>;
    /// The bytes of an attached file as an instrument describes it; None when not kept.
    async fn get_form_file(&self, file: &Attachment) -> Result<Option<Vec<u8>>, StoreError>;
    /// Inserts or replaces by instance id, keeping the record's page, export mark and
    /// receipt. Replacing a finalized record with other data is refused.
    async fn put_submission(&self, submission: &Submission) -> Result<(), StoreError>;
    async fn get_submission(&self, instance_id: &str) -> Result<Option<Submission>, StoreError>;
    /// The submissions of one instrument (any version), optionally of one status, by instance id.
    async fn list_submissions(
        &self,
        form_id: &str,
        status: Option<Status>,
    ) -> Result<Vec<Submission>, StoreError>;
    /// Deletes a draft; true if there was one. Deleting a finalized record is refused.
    async fn delete_submission(&self, instance_id: &str) -> Result<bool, StoreError>;

    /// Autosave: the draft as it stands and the page the interview is on, at once.
    ///
    /// Every write of a record (this, [`Store::put_submission`], [`Store::save_draft_with_files`])
    /// removes, in the same transaction, the stored files of that record it no longer lists:
    /// a photo taken again or a media answer cleared leaves no orphan behind.
    async fn save_draft(&self, submission: &Submission, page: usize) -> Result<(), StoreError>;
    /// A draft with the bytes of files its answers name, in one transaction: a reload finds
    /// them all or none (the device full: [`StoreError::Full`], and what was stored before is
    /// intact). Each file must be in the draft's `files`, its bytes as described.
    async fn save_draft_with_files(
        &self,
        submission: &Submission,
        page: usize,
        files: &[(Attachment, Vec<u8>)],
    ) -> Result<(), StoreError>;
    /// The bytes of a file a stored record lists; None when it has not got them (a record
    /// imported without its files).
    async fn get_file(&self, instance_id: &str, name: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// A record with what the device keeps about it.
    async fn get_record(&self, instance_id: &str) -> Result<Option<StoredRecord>, StoreError>;
    /// Up to `limit` records of an instrument (optionally of one status) from the `from`-th
    /// on, by instance id: one page of a list.
    async fn records(
        &self,
        form_id: &str,
        status: Option<Status>,
        from: usize,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StoreError>;
    /// Every record of an instrument (any version or status), by instance id, to be taken
    /// a slice at a time: the whole dataset for an analysis or an export.
    async fn all_records(&self, form_id: &str) -> Result<Self::Slices, StoreError>;
    /// How many records of an instrument have a status (without reading them).
    async fn count(&self, form_id: &str, status: Status) -> Result<usize, StoreError>;
    /// Marks records as exported at `when`; unknown ids are passed over; nothing is deleted.
    async fn mark_exported(&self, instance_ids: &[String], when: &str) -> Result<(), StoreError>;
    /// The instance ids of an instrument's records (any version or status), sorted.
    async fn instance_ids(&self, form_id: &str) -> Result<Vec<String>, StoreError>;
    /// Records received from other devices, each with its JSON as read (kept as it came).
    /// One whose instance id is already stored is left as it is and counted a duplicate.
    async fn import_records(
        &self,
        records: &[(Submission, String)],
    ) -> Result<Imported, StoreError>;
    /// Files received with records (a bundle's), each kept with its stored record when the
    /// record lists it by that name and it is not kept already: a bundle imported again
    /// fills in a file an earlier import missed. Returns how many were kept.
    async fn import_files(
        &self,
        files: &[(String, Attachment, Vec<u8>)],
    ) -> Result<usize, StoreError>;
    /// A setting of the device (enumerator name, device id, interface language).
    async fn setting(&self, name: &str) -> Result<Option<String>, StoreError>;
    async fn set_setting(&self, name: &str, value: &str) -> Result<(), StoreError>;
    /// The finalized records no server has acknowledged, in the order they were finalized
    /// (then by instance id), without their data: what a sync sends, and the home screen's
    /// count. A store answers it without reading the records themselves.
    async fn waiting(&self) -> Result<Vec<Waiting>, StoreError>;
    /// Up to `limit` records of the outbox (see [`Store::waiting`]) with their data, in its
    /// order, from the one after `after` (None: from the first): what a sync sends next. A
    /// sync pages through it so that its first request leaves before the rest is read.
    async fn outbox_after(
        &self,
        after: Option<&Waiting>,
        limit: usize,
    ) -> Result<Vec<Submission>, StoreError>;
    /// The first `limit` records of the outbox.
    async fn outbox(&self, limit: usize) -> Result<Vec<Submission>, StoreError> {
        self.outbox_after(None, limit).await
    }
    /// Keeps servers' receipts with their records, which leave the outbox: all in one
    /// transaction (a drain acknowledges a slice of records at once). A receipt for a record
    /// not stored, or for a draft (only finalized records are sent), refuses them all.
    async fn acknowledge(&self, receipts: &[Receipt]) -> Result<(), StoreError>;
    /// Removes records a server has acknowledged (with their files), all in one
    /// transaction, to free the device: the enumerator's choice, after a confirmation. Ids not
    /// stored are passed over; one without a receipt refuses the whole removal
    /// ([`StoreError::NotSent`]). Returns how many were removed.
    async fn remove_sent(&self, instance_ids: &[String]) -> Result<usize, StoreError>;
}

/// A record in the outbox, as [`Store::waiting`] lists it. Sorted, the outbox's order: when
/// finalized (device clock), then the instance id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Waiting {
    pub finalized: Option<String>,
    pub instance_id: String,
}

/// A store in memory, for tests and the command line.
#[derive(Debug, Default)]
pub struct MemoryStore {
    instruments: RefCell<BTreeMap<(String, String), Instrument>>,
    lists: RefCell<BTreeMap<(String, String), Lists>>,
    records: RefCell<BTreeMap<String, StoredRecord>>,
    settings: RefCell<BTreeMap<String, String>>,
    /// Files by (instance id, name).
    files: RefCell<BTreeMap<(String, String), Vec<u8>>>,
    /// Instruments' attached files by SHA-256.
    form_files: RefCell<BTreeMap<String, Vec<u8>>>,
}

/// Why a store refuses to keep these files beside an instrument (`stored`: the instrument
/// as the store holds it), if it does: the instrument is not stored, or it does not list a
/// file as given.
pub fn form_files_refused(
    stored: Option<&Instrument>,
    form_id: &str,
    version: &str,
    files: &[(Attachment, Vec<u8>)],
) -> Option<StoreError> {
    let Some(instrument) = stored else {
        return Some(StoreError::NoInstrument(format!(
            "{form_id} version {version}"
        )));
    };
    unlisted_file(&instrument.attachments, files)
        .map(|file| StoreError::FileNotListed(file.name.clone()))
}

/// The first file of `files` that `listed` (a record's files, an instrument's attachments)
/// does not describe as given (by name, size and digest): a store refuses to keep bytes
/// nothing names.
pub fn unlisted_file<'a>(
    listed: &[Attachment],
    files: &'a [(Attachment, Vec<u8>)],
) -> Option<&'a Attachment> {
    files
        .iter()
        .find(|(file, bytes)| file.size != bytes.len() as u64 || !listed.iter().any(|f| f == file))
        .map(|(file, _)| file)
}

impl MemoryStore {
    /// Writes a record unless a finalized one of that id holds other data, keeping its
    /// marks; `page` replaces the stored page when given. The files it no longer lists go.
    fn put(&self, submission: &Submission, page: Option<usize>) -> Result<(), StoreError> {
        self.put_record(submission, page)?;
        self.files.borrow_mut().retain(|(id, name), _| {
            id != &submission.instance_id || submission.files.iter().any(|f| &f.name == name)
        });
        Ok(())
    }

    fn put_record(&self, submission: &Submission, page: Option<usize>) -> Result<(), StoreError> {
        let mut records = self.records.borrow_mut();
        match records.get_mut(&submission.instance_id) {
            Some(existing)
                if existing.submission.status == Status::Finalized
                    && existing.submission != *submission =>
            {
                Err(StoreError::Finalized(submission.instance_id.clone()))
            }
            Some(existing) => {
                existing.submission = submission.clone();
                existing.page = page.unwrap_or(existing.page);
                Ok(())
            }
            None => {
                records.insert(
                    submission.instance_id.clone(),
                    StoredRecord {
                        submission: submission.clone(),
                        page: page.unwrap_or(0),
                        exported: None,
                        receipt: None,
                    },
                );
                Ok(())
            }
        }
    }

    fn of(&self, form_id: &str, status: Option<Status>) -> Vec<StoredRecord> {
        self.records
            .borrow()
            .values()
            .filter(|r| {
                r.submission.instrument_id == form_id
                    && status.is_none_or(|st| r.submission.status == st)
            })
            .cloned()
            .collect()
    }
}

impl Store for MemoryStore {
    type Slices = MemorySlices;

    async fn put_instrument(&self, instrument: &Instrument) -> Result<(), StoreError> {
        let key = (
            instrument.settings.form_id.clone(),
            instrument.settings.version.clone(),
        );
        self.lists.borrow_mut().remove(&key);
        self.instruments
            .borrow_mut()
            .insert(key, instrument.clone());
        Ok(())
    }

    async fn put_lists(
        &self,
        form_id: &str,
        version: &str,
        lists: &Lists,
    ) -> Result<(), StoreError> {
        let key = (form_id.to_string(), version.to_string());
        if !self.instruments.borrow().contains_key(&key) {
            return Err(StoreError::NoInstrument(format!(
                "{form_id} version {version}"
            )));
        }
        self.lists.borrow_mut().insert(key, lists.clone());
        Ok(())
    }

    async fn get_lists(&self, form_id: &str, version: &str) -> Result<Lists, StoreError> {
        Ok(self
            .lists
            .borrow()
            .get(&(form_id.to_string(), version.to_string()))
            .cloned()
            .unwrap_or_default())
    }

    async fn get_instrument(
        &self,
        form_id: &str,
        version: &str,
    ) -> Result<Option<Instrument>, StoreError> {
        Ok(self
            .instruments
            .borrow()
            .get(&(form_id.to_string(), version.to_string()))
            .cloned())
    }

    async fn list_instruments(&self) -> Result<Vec<(String, String)>, StoreError> {
        Ok(self.instruments.borrow().keys().cloned().collect())
    }

    async fn put_form_files(
        &self,
        form_id: &str,
        version: &str,
        files: &[(Attachment, Vec<u8>)],
    ) -> Result<(), StoreError> {
        let key = (form_id.to_string(), version.to_string());
        if let Some(refused) =
            form_files_refused(self.instruments.borrow().get(&key), form_id, version, files)
        {
            return Err(refused);
        }
        let mut kept = self.form_files.borrow_mut();
        for (file, bytes) in files {
            kept.insert(file.sha256.clone(), bytes.clone());
        }
        Ok(())
    }

    async fn get_form_file(&self, file: &Attachment) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.form_files.borrow().get(&file.sha256).cloned())
    }

    async fn put_submission(&self, submission: &Submission) -> Result<(), StoreError> {
        self.put(submission, None)
    }

    async fn get_submission(&self, instance_id: &str) -> Result<Option<Submission>, StoreError> {
        Ok(self
            .records
            .borrow()
            .get(instance_id)
            .map(|r| r.submission.clone()))
    }

    async fn list_submissions(
        &self,
        form_id: &str,
        status: Option<Status>,
    ) -> Result<Vec<Submission>, StoreError> {
        Ok(self
            .of(form_id, status)
            .into_iter()
            .map(|r| r.submission)
            .collect())
    }

    async fn delete_submission(&self, instance_id: &str) -> Result<bool, StoreError> {
        let mut records = self.records.borrow_mut();
        match records.get(instance_id) {
            Some(r) if r.submission.status == Status::Finalized => {
                Err(StoreError::Finalized(instance_id.to_string()))
            }
            Some(_) => {
                self.files
                    .borrow_mut()
                    .retain(|(id, _), _| id != instance_id);
                Ok(records.remove(instance_id).is_some())
            }
            None => Ok(false),
        }
    }

    async fn save_draft(&self, submission: &Submission, page: usize) -> Result<(), StoreError> {
        self.put(submission, Some(page))
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
        self.put(submission, Some(page))?;
        for (file, bytes) in files {
            self.files.borrow_mut().insert(
                (submission.instance_id.clone(), file.name.clone()),
                bytes.clone(),
            );
        }
        Ok(())
    }

    async fn get_file(&self, instance_id: &str, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .files
            .borrow()
            .get(&(instance_id.to_string(), name.to_string()))
            .cloned())
    }

    async fn get_record(&self, instance_id: &str) -> Result<Option<StoredRecord>, StoreError> {
        Ok(self.records.borrow().get(instance_id).cloned())
    }

    async fn records(
        &self,
        form_id: &str,
        status: Option<Status>,
        from: usize,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        Ok(self
            .of(form_id, status)
            .into_iter()
            .skip(from)
            .take(limit)
            .collect())
    }

    async fn all_records(&self, form_id: &str) -> Result<MemorySlices, StoreError> {
        let records: Vec<Submission> = self
            .of(form_id, None)
            .into_iter()
            .map(|r| r.submission)
            .collect();
        Ok(MemorySlices {
            total: records.len(),
            records: records.into_iter(),
        })
    }

    async fn count(&self, form_id: &str, status: Status) -> Result<usize, StoreError> {
        Ok(self.of(form_id, Some(status)).len())
    }

    async fn mark_exported(&self, instance_ids: &[String], when: &str) -> Result<(), StoreError> {
        let mut records = self.records.borrow_mut();
        for id in instance_ids {
            if let Some(r) = records.get_mut(id) {
                r.exported = Some(when.to_string());
            }
        }
        Ok(())
    }

    async fn instance_ids(&self, form_id: &str) -> Result<Vec<String>, StoreError> {
        Ok(self
            .of(form_id, None)
            .into_iter()
            .map(|r| r.submission.instance_id)
            .collect())
    }

    async fn import_records(
        &self,
        records: &[(Submission, String)],
    ) -> Result<Imported, StoreError> {
        let mut imported = Imported::default();
        for (submission, _) in records {
            if self.records.borrow().contains_key(&submission.instance_id) {
                imported.duplicates += 1;
            } else {
                self.put(submission, None)?;
                imported.added += 1;
            }
        }
        Ok(imported)
    }

    async fn import_files(
        &self,
        files: &[(String, Attachment, Vec<u8>)],
    ) -> Result<usize, StoreError> {
        let records = self.records.borrow();
        let mut stored = self.files.borrow_mut();
        let mut kept = 0;
        for (instance_id, file, bytes) in files {
            let listed = records
                .get(instance_id)
                .is_some_and(|r| r.submission.files.iter().any(|f| f.name == file.name));
            let key = (instance_id.clone(), file.name.clone());
            if listed && !stored.contains_key(&key) {
                stored.insert(key, bytes.clone());
                kept += 1;
            }
        }
        Ok(kept)
    }

    async fn setting(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(self.settings.borrow().get(name).cloned())
    }

    async fn set_setting(&self, name: &str, value: &str) -> Result<(), StoreError> {
        self.settings
            .borrow_mut()
            .insert(name.to_string(), value.to_string());
        Ok(())
    }

    async fn waiting(&self) -> Result<Vec<Waiting>, StoreError> {
        let mut waiting: Vec<Waiting> = self
            .records
            .borrow()
            .values()
            .filter(|r| r.submission.status == Status::Finalized && r.receipt.is_none())
            .map(|r| Waiting {
                finalized: r.submission.finalized.clone(),
                instance_id: r.submission.instance_id.clone(),
            })
            .collect();
        waiting.sort();
        Ok(waiting)
    }

    async fn outbox_after(
        &self,
        after: Option<&Waiting>,
        limit: usize,
    ) -> Result<Vec<Submission>, StoreError> {
        let waiting = self.waiting().await?;
        let records = self.records.borrow();
        Ok(waiting
            .into_iter()
            .filter(|w| after.is_none_or(|after| w > after))
            .take(limit)
            .filter_map(|w| records.get(&w.instance_id).map(|r| r.submission.clone()))
            .collect())
    }

    async fn acknowledge(&self, receipts: &[Receipt]) -> Result<(), StoreError> {
        let mut records = self.records.borrow_mut();
        if let Some(unknown) = receipts.iter().find(|receipt| {
            !records
                .get(&receipt.instance_id)
                .is_some_and(|r| r.submission.status == Status::Finalized)
        }) {
            return Err(StoreError::NotFound(unknown.instance_id.clone()));
        }
        for receipt in receipts {
            if let Some(r) = records.get_mut(&receipt.instance_id) {
                r.receipt = Some(receipt.clone());
            }
        }
        Ok(())
    }

    async fn remove_sent(&self, instance_ids: &[String]) -> Result<usize, StoreError> {
        let mut records = self.records.borrow_mut();
        if let Some(unsent) = instance_ids
            .iter()
            .find(|id| records.get(*id).is_some_and(|r| r.receipt.is_none()))
        {
            return Err(StoreError::NotSent(unsent.clone()));
        }
        let mut removed = 0;
        for id in instance_ids {
            if records.remove(id).is_some() {
                removed += 1;
                self.files
                    .borrow_mut()
                    .retain(|(record, _), _| record != id);
            }
        }
        Ok(removed)
    }
}

/// The rules every [`Store`] follows, written once. A store's tests call
/// `conformance::run(|| async { MyStore::new() }).await` and assert the result is empty
/// (the maker is async because opening a browser database is).
pub mod conformance {
    use super::*;
    use crate::instrument::{FORMAT, Item, ItemType, Settings, Text};
    use crate::record::{Answer, RECORD_FORMAT};

    fn instrument(version: &str) -> Instrument {
        let mut q = Item::new(ItemType::Text, "name");
        q.label = Text::one("en", "Name");
        Instrument {
            format: FORMAT,
            settings: Settings {
                form_id: "conformance".into(),
                version: version.into(),
                title: Text::one("en", "Conformance"),
                default_language: Some("en".into()),
                instance_name: None,
                allow_choice_duplicates: false,
            },
            survey: vec![q],
            choices: BTreeMap::new(),
            attachments: Vec::new(),
        }
    }

    fn submission(id: &str, status: Status, name: &str) -> Submission {
        let mut member = BTreeMap::new();
        member.insert("age".to_string(), Answer::Value("34".into()));
        Submission {
            format: RECORD_FORMAT,
            held: Vec::new(),
            files: Vec::new(),
            instance_name: None,
            instance_id: id.into(),
            instrument_id: "conformance".into(),
            instrument_version: "1".into(),
            status,
            started: "2015-03-17T10:30:00.000+06:00".into(),
            updated: "2015-03-17T10:35:00.000+06:00".into(),
            finalized: (status == Status::Finalized)
                .then(|| "2015-03-17T10:40:00.000+06:00".into()),
            enumerator: "Aida".into(),
            device_id: "tablet-07".into(),
            answers: BTreeMap::from([
                ("name".to_string(), Answer::Value(name.into())),
                (
                    "member".to_string(),
                    Answer::Repeat(vec![member.clone(), member]),
                ),
            ]),
        }
    }

    fn check(failures: &mut Vec<String>, ok: bool, what: &str) {
        if !ok {
            failures.push(what.to_string());
        }
    }

    /// Runs every rule against fresh stores from `make`; returns what failed (empty: conformant).
    pub async fn run<S: Store, F: Future<Output = S>>(make: impl Fn() -> F) -> Vec<String> {
        let mut failures = Vec::new();

        let store = make().await;
        let v1 = instrument("1");
        let v2 = instrument("2");
        check(
            &mut failures,
            store.put_instrument(&v1).await.is_ok(),
            "put an instrument",
        );
        check(
            &mut failures,
            store.put_instrument(&v2).await.is_ok(),
            "put a second version",
        );
        check(
            &mut failures,
            store.get_instrument("conformance", "1").await == Ok(Some(v1.clone())),
            "get reads back the instrument",
        );
        check(
            &mut failures,
            store.get_instrument("conformance", "3").await == Ok(None),
            "get of an unknown version is None",
        );
        check(
            &mut failures,
            store.list_instruments().await
                == Ok(vec![
                    ("conformance".into(), "1".into()),
                    ("conformance".into(), "2".into()),
                ]),
            "both versions are listed, sorted",
        );
        let lists = Lists::from([(
            "schools.csv".to_string(),
            vec![crate::Choice {
                name: "s12".into(),
                label: Text::one("default", "School 12"),
                extra: BTreeMap::from([("region".to_string(), "fergana".to_string())]),
            }],
        )]);
        check(
            &mut failures,
            store.get_lists("conformance", "1").await == Ok(Lists::new()),
            "an instrument without lists has none",
        );
        check(
            &mut failures,
            store.put_lists("conformance", "1", &lists).await.is_ok(),
            "put the lists of an instrument",
        );
        check(
            &mut failures,
            store.get_lists("conformance", "1").await.as_ref() == Ok(&lists),
            "the lists read back, rows and columns",
        );
        check(
            &mut failures,
            store.get_lists("conformance", "2").await == Ok(Lists::new()),
            "lists belong to one version",
        );
        check(
            &mut failures,
            store.put_lists("conformance", "9", &lists).await.is_err(),
            "lists of an instrument not stored are refused",
        );
        check(
            &mut failures,
            store.put_instrument(&v1).await.is_ok()
                && store.get_lists("conformance", "1").await == Ok(Lists::new()),
            "putting the instrument again forgets its lists",
        );

        let store = make().await;
        let a = submission("a", Status::Draft, "Aida");
        check(
            &mut failures,
            store.put_submission(&a).await.is_ok(),
            "put a draft",
        );
        check(
            &mut failures,
            store.get_submission("a").await == Ok(Some(a.clone())),
            "a draft reads back equal, repeats in order",
        );
        let edited = submission("a", Status::Draft, "Aidai");
        check(
            &mut failures,
            store.put_submission(&edited).await.is_ok(),
            "a draft can be replaced",
        );
        check(
            &mut failures,
            store.get_submission("a").await == Ok(Some(edited)),
            "the replacement is what is stored",
        );
        check(
            &mut failures,
            store.get_submission("zz").await == Ok(None),
            "get of an unknown id is None",
        );

        let done = submission("b", Status::Finalized, "Bermet");
        check(
            &mut failures,
            store.put_submission(&done).await.is_ok(),
            "put a finalized record",
        );
        check(
            &mut failures,
            store.put_submission(&done).await.is_ok(),
            "putting the same finalized record again changes nothing",
        );
        let overwrite = submission("b", Status::Draft, "Someone else");
        check(
            &mut failures,
            store.put_submission(&overwrite).await == Err(StoreError::Finalized("b".into())),
            "a finalized record cannot be overwritten",
        );
        check(
            &mut failures,
            store.get_submission("b").await == Ok(Some(done.clone())),
            "a refused overwrite loses nothing",
        );
        check(
            &mut failures,
            store.delete_submission("b").await == Err(StoreError::Finalized("b".into())),
            "a finalized record cannot be deleted",
        );

        let drafts = store
            .list_submissions("conformance", Some(Status::Draft))
            .await
            .unwrap_or_default();
        check(
            &mut failures,
            drafts
                .iter()
                .map(|s| s.instance_id.as_str())
                .collect::<Vec<_>>()
                == ["a"],
            "list drafts",
        );
        let all = store
            .list_submissions("conformance", None)
            .await
            .unwrap_or_default();
        check(&mut failures, all.len() == 2, "list every status");
        check(
            &mut failures,
            store.list_submissions("other", None).await == Ok(vec![]),
            "list of another instrument is empty",
        );

        check(
            &mut failures,
            store.delete_submission("a").await == Ok(true),
            "delete a draft",
        );
        check(
            &mut failures,
            store.get_submission("a").await == Ok(None),
            "a deleted draft is gone",
        );
        check(
            &mut failures,
            store.delete_submission("a").await == Ok(false),
            "deleting again reports nothing deleted",
        );
        records(&make().await, &mut failures).await;
        outbox(&make().await, &mut failures).await;
        outbox_runs(&make().await, &mut failures).await;
        files(&make().await, &mut failures).await;
        imported_files(&make().await, &mut failures).await;
        form_files(&make().await, &mut failures).await;
        failures
    }

    /// Records acknowledged together need not be neighbours in the outbox: one refused
    /// between them stays, and so does one finalized later.
    async fn outbox_runs<S: Store>(store: &S, failures: &mut Vec<String>) {
        let at = |id: &str, minute: u32| {
            let mut r = submission(id, Status::Finalized, "Aida");
            r.finalized = Some(format!("2015-03-17T10:{minute:02}:00.000+06:00"));
            r
        };
        let records = [
            at("a", 41),
            at("b", 42),
            at("c", 43),
            at("d", 44),
            at("e", 45),
        ];
        for r in &records {
            let _ = store.put_submission(r).await;
        }
        let receipt = |id: &str| Receipt {
            instance_id: id.into(),
            server: "https://dala.example.org".into(),
            received: "2015-03-17T12:00:00.000Z".into(),
        };
        let ids = |waiting: Result<Vec<Waiting>, StoreError>| -> Vec<String> {
            waiting
                .unwrap_or_default()
                .into_iter()
                .map(|w| w.instance_id)
                .collect()
        };
        check(
            failures,
            store
                .acknowledge(&[receipt("c"), receipt("a")])
                .await
                .is_ok()
                && ids(store.waiting().await) == ["b", "d", "e"],
            "acknowledging records with one waiting between them leaves it waiting",
        );
        check(
            failures,
            store
                .acknowledge(&[receipt("d"), receipt("b")])
                .await
                .is_ok()
                && ids(store.waiting().await) == ["e"]
                && store.outbox(10).await == Ok(vec![records[4].clone()]),
            "a run of the outbox acknowledged at once leaves it, and only it",
        );
        check(
            failures,
            store.acknowledge(&[receipt("a")]).await.is_ok() && ids(store.waiting().await) == ["e"],
            "a record acknowledged again changes nothing",
        );
    }

    /// The picture a form's label shows, kept beside its instrument.
    async fn form_files<S: Store>(store: &S, failures: &mut Vec<String>) {
        let badge = b"\x89PNG a badge".to_vec();
        let described = Attachment::of("badge.png", "image/png", &badge);
        let mut v1 = instrument("1");
        v1.attachments = vec![described.clone()];
        check(
            failures,
            store
                .put_form_files("conformance", "1", &[(described.clone(), badge.clone())])
                .await
                == Err(StoreError::NoInstrument("conformance version 1".into())),
            "form files of an instrument not stored are refused",
        );
        let _ = store.put_instrument(&v1).await;
        let other_bytes = b"\x89PNG another picture".to_vec();
        let other = Attachment::of("other.png", "image/png", &other_bytes);
        check(
            failures,
            store
                .put_form_files(
                    "conformance",
                    "1",
                    &[
                        (described.clone(), badge.clone()),
                        (other.clone(), other_bytes.clone()),
                    ],
                )
                .await
                == Err(StoreError::FileNotListed("other.png".into()))
                && store.get_form_file(&described).await == Ok(None),
            "a form file the instrument does not list is refused, and nothing is kept",
        );
        check(
            failures,
            store
                .put_form_files(
                    "conformance",
                    "1",
                    &[(described.clone(), b"changed".to_vec())],
                )
                .await
                == Err(StoreError::FileNotListed("badge.png".into())),
            "bytes other than the instrument describes are refused",
        );
        check(
            failures,
            store
                .put_form_files("conformance", "1", &[(described.clone(), badge.clone())])
                .await
                .is_ok()
                && store.get_form_file(&described).await == Ok(Some(badge.clone())),
            "a form file is kept and read back",
        );
        let _ = store.put_instrument(&v1).await;
        check(
            failures,
            store.get_form_file(&described).await == Ok(Some(badge))
                && store.get_form_file(&other).await == Ok(None),
            "putting the instrument again keeps its files; a file never kept is None",
        );
    }

    /// A photo kept with its draft: written together, read back, replaced, cleared, deleted
    /// with the record, kept when it is finalized, and never kept unless the record lists it.
    async fn files<S: Store>(store: &S, failures: &mut Vec<String>) {
        let photo = b"\xff\xd8 a photo \xff\xd9".to_vec();
        let described = Attachment::of("1426585800000.jpg", "image/jpeg", &photo);
        let mut draft = submission("p", Status::Draft, "Parvina");
        draft
            .answers
            .insert("photo".into(), Answer::Value("1426585800000.jpg".into()));
        draft.files = vec![described.clone()];
        check(
            failures,
            store
                .save_draft_with_files(&draft, 2, &[(described.clone(), photo.clone())])
                .await
                .is_ok(),
            "save a draft with a photo",
        );
        check(
            failures,
            store.get_file("p", "1426585800000.jpg").await == Ok(Some(photo.clone()))
                && store
                    .get_record("p")
                    .await
                    .ok()
                    .flatten()
                    .map(|r| (r.submission, r.page))
                    == Some((draft.clone(), 2)),
            "the photo and the draft naming it read back together",
        );
        check(
            failures,
            store.get_file("p", "other.jpg").await == Ok(None)
                && store.get_file("q", "1426585800000.jpg").await == Ok(None),
            "a file belongs to its record and its name",
        );
        check(
            failures,
            store
                .save_draft_with_files(&draft, 2, &[(described.clone(), b"other bytes".to_vec())])
                .await
                == Err(StoreError::FileNotListed("1426585800000.jpg".into())),
            "bytes other than the record lists are refused",
        );
        let unlisted = submission("p", Status::Draft, "Someone else");
        check(
            failures,
            store
                .save_draft_with_files(&unlisted, 5, &[(described.clone(), photo.clone())])
                .await
                == Err(StoreError::FileNotListed("1426585800000.jpg".into()))
                && store.get_submission("p").await == Ok(Some(draft.clone())),
            "a file the record does not list is refused, and nothing is written",
        );
        // The photo taken again: the new one stored, the first gone with the draft that
        // stops naming it.
        let again = b"\xff\xd8 a better photo \xff\xd9".to_vec();
        let second = Attachment::of("1426585900000.jpg", "image/jpeg", &again);
        let mut retaken = draft.clone();
        retaken
            .answers
            .insert("photo".into(), Answer::Value("1426585900000.jpg".into()));
        retaken.files = vec![second.clone()];
        check(
            failures,
            store
                .save_draft_with_files(&retaken, 2, &[(second.clone(), again.clone())])
                .await
                .is_ok()
                && store.get_file("p", "1426585900000.jpg").await == Ok(Some(again.clone()))
                && store.get_file("p", "1426585800000.jpg").await == Ok(None),
            "a photo taken again replaces the first",
        );
        let mut done = retaken.clone();
        done.status = Status::Finalized;
        done.finalized = Some("2015-03-17T10:40:00.000+06:00".into());
        check(
            failures,
            store.put_submission(&done).await.is_ok()
                && store.get_file("p", "1426585900000.jpg").await == Ok(Some(again.clone())),
            "a finalized record keeps its files",
        );
        let mut changed = retaken.clone();
        changed.files.clear();
        check(
            failures,
            store.save_draft(&changed, 0).await == Err(StoreError::Finalized("p".into()))
                && store.get_file("p", "1426585900000.jpg").await == Ok(Some(again)),
            "a refused write of a finalized record loses none of its files",
        );

        let mut cleared = draft.clone();
        cleared.instance_id = "r".into();
        check(
            failures,
            store
                .save_draft_with_files(&cleared, 0, &[(described.clone(), photo.clone())])
                .await
                .is_ok(),
            "save a second record's photo",
        );
        cleared.answers.remove("photo");
        cleared.files.clear();
        check(
            failures,
            store.save_draft(&cleared, 0).await.is_ok()
                && store.get_file("r", "1426585800000.jpg").await == Ok(None),
            "an answer cleared takes its file with it",
        );
        check(
            failures,
            store
                .save_draft_with_files(
                    &draft_with("s", &described),
                    0,
                    &[(described.clone(), photo.clone())],
                )
                .await
                .is_ok()
                && store.delete_submission("s").await == Ok(true)
                && store.get_file("s", "1426585800000.jpg").await == Ok(None),
            "a deleted draft's files go with it",
        );
        check(
            failures,
            store
                .get_file("p", "1426585900000.jpg")
                .await
                .is_ok_and(|f| f.is_some()),
            "another record's files are untouched",
        );
        // Two photos taken before the first was stored go in one write.
        let mut both = draft_with("t", &described);
        both.answers
            .insert("photo_2".into(), Answer::Value(second.name.clone()));
        both.files.push(second.clone());
        let second_bytes = b"\xff\xd8 a better photo \xff\xd9".to_vec();
        check(
            failures,
            store
                .save_draft_with_files(
                    &both,
                    1,
                    &[
                        (described.clone(), photo.clone()),
                        (second.clone(), second_bytes.clone()),
                    ],
                )
                .await
                .is_ok()
                && store.get_file("t", &described.name).await == Ok(Some(photo.clone()))
                && store.get_file("t", &second.name).await == Ok(Some(second_bytes)),
            "several files are written with their draft at once",
        );
    }

    /// Files that came with records from another device.
    async fn imported_files<S: Store>(store: &S, failures: &mut Vec<String>) {
        let photo = b"\xff\xd8 a photo from tablet 3 \xff\xd9".to_vec();
        let described = Attachment::of("1426585800000.jpg", "image/jpeg", &photo);
        let mut record = draft_with("u", &described);
        record.status = Status::Finalized;
        record.finalized = Some("2015-03-17T10:40:00.000+06:00".into());
        let json = serde_json::to_string(&record).unwrap_or_default();
        let _ = store.import_records(&[(record, json)]).await;
        let with = |id: &str, name: &str| {
            (
                id.to_string(),
                Attachment {
                    name: name.to_string(),
                    ..described.clone()
                },
                photo.clone(),
            )
        };
        check(
            failures,
            store
                .import_files(&[
                    with("u", "1426585800000.jpg"),
                    with("u", "other.jpg"),
                    with("nobody", "1426585800000.jpg"),
                ])
                .await
                == Ok(1)
                && store.get_file("u", "1426585800000.jpg").await == Ok(Some(photo.clone()))
                && store.get_file("u", "other.jpg").await == Ok(None)
                && store.get_file("nobody", "1426585800000.jpg").await == Ok(None),
            "an imported record's file is kept; one no stored record lists is not",
        );
        check(
            failures,
            store.import_files(&[with("u", "1426585800000.jpg")]).await == Ok(0),
            "a file kept already is not written again",
        );
    }

    fn draft_with(id: &str, file: &Attachment) -> Submission {
        let mut draft = submission(id, Status::Draft, "Sabina");
        draft
            .answers
            .insert("photo".into(), Answer::Value(file.name.clone()));
        draft.files = vec![file.clone()];
        draft
    }

    /// Drafts with their page, pages of records and counts, export marks, imports and
    /// settings: what the app's workflows do with records.
    async fn records<S: Store>(store: &S, failures: &mut Vec<String>) {
        let c = submission("c", Status::Draft, "Cholpon");
        check(
            failures,
            store.save_draft(&c, 3).await.is_ok(),
            "save a draft with its page",
        );
        let got = store.get_record("c").await.ok().flatten();
        check(
            failures,
            got.as_ref()
                .map(|r| (&r.submission, r.page, &r.exported, &r.receipt))
                == Some((&c, 3, &None, &None)),
            "a saved draft reads back with its page and no marks",
        );
        let done = submission("d", Status::Finalized, "Dinara");
        check(
            failures,
            store.put_submission(&done).await.is_ok(),
            "put a finalized record",
        );
        check(
            failures,
            store
                .save_draft(&submission("d", Status::Draft, "Someone"), 1)
                .await
                == Err(StoreError::Finalized("d".into())),
            "a draft is never saved over a finalized record",
        );
        check(
            failures,
            store
                .mark_exported(
                    &["d".into(), "nobody".into()],
                    "2015-03-18T09:00:00.000+06:00",
                )
                .await
                .is_ok(),
            "mark records exported, an unknown id passed over",
        );
        let c_later = submission("c", Status::Draft, "Cholpon A.");
        check(
            failures,
            store
                .mark_exported(&["c".into()], "2015-03-18T09:00:00.000+06:00")
                .await
                .is_ok(),
            "mark a draft exported",
        );
        check(
            failures,
            store.save_draft(&c_later, 4).await.is_ok(),
            "save the draft again",
        );
        let got = store.get_record("c").await.ok().flatten();
        check(
            failures,
            got.as_ref().map(|r| (r.page, r.exported.as_deref()))
                == Some((4, Some("2015-03-18T09:00:00.000+06:00"))),
            "saving a draft keeps its export mark and takes the new page",
        );
        check(
            failures,
            store.put_submission(&c_later).await.is_ok()
                && store.get_record("c").await.ok().flatten().map(|r| r.page) == Some(4),
            "a put without a page keeps the page",
        );
        let e = submission("e", Status::Finalized, "Elmira");
        // Each with its line as a bundle holds it.
        let line = |s: &Submission| serde_json::to_string(s).unwrap_or_default();
        let other_d = submission("d", Status::Finalized, "Another Dinara");
        let imported = store
            .import_records(&[(e.clone(), line(&e)), (other_d.clone(), line(&other_d))])
            .await;
        check(
            failures,
            imported
                == Ok(Imported {
                    added: 1,
                    duplicates: 1,
                }),
            "an import adds the new record and counts the stored one a duplicate",
        );
        check(
            failures,
            store.get_submission("d").await == Ok(Some(done.clone())),
            "a duplicate in an import changes nothing stored",
        );
        check(
            failures,
            store.instance_ids("conformance").await == Ok(vec!["c".into(), "d".into(), "e".into()]),
            "the instance ids of an instrument, sorted",
        );
        check(
            failures,
            store.count("conformance", Status::Finalized).await == Ok(2)
                && store.count("conformance", Status::Draft).await == Ok(1)
                && store.count("other", Status::Draft).await == Ok(0),
            "counts by status",
        );
        let ids = |page: Result<Vec<StoredRecord>, StoreError>| -> Vec<String> {
            page.unwrap_or_default()
                .into_iter()
                .map(|r| r.submission.instance_id)
                .collect()
        };
        check(
            failures,
            ids(store.records("conformance", None, 1, 1).await) == ["d"]
                && ids(store.records("conformance", None, 2, 10).await) == ["e"]
                && ids(store
                    .records("conformance", Some(Status::Finalized), 0, 10)
                    .await)
                    == ["d", "e"]
                && ids(store.records("conformance", None, 5, 10).await).is_empty(),
            "records a page at a time, by instance id",
        );
        match store.all_records("conformance").await {
            Ok(mut all) => {
                let total = all.total();
                let first = all.next_slice(2);
                let rest = all.next_slice(2);
                let names = |slice: &[Submission]| -> Vec<String> {
                    slice.iter().map(|s| s.instance_id.clone()).collect()
                };
                check(
                    failures,
                    total == 3
                        && names(&first) == ["c", "d"]
                        && names(&rest) == ["e"]
                        && all.next_slice(2).is_empty()
                        && rest.first() == Some(&e)
                        && first.get(1) == Some(&done),
                    "every record of an instrument, by instance id, a slice at a time",
                );
            }
            Err(e) => check(failures, false, &format!("all records: {e}")),
        }
        check(
            failures,
            store
                .all_records("other")
                .await
                .is_ok_and(|mut all| all.total() == 0 && all.next_slice(10).is_empty()),
            "all records of an instrument with none",
        );
        check(
            failures,
            store.setting("enumerator").await == Ok(None),
            "an unset setting is None",
        );
        check(
            failures,
            store.set_setting("enumerator", "Aida").await.is_ok()
                && store.set_setting("enumerator", "Aidai").await.is_ok()
                && store.setting("enumerator").await == Ok(Some("Aidai".into())),
            "a setting reads back its last value",
        );
    }

    /// Finalized records wait in the outbox until a server's receipt is kept with them.
    async fn outbox<S: Store>(store: &S, failures: &mut Vec<String>) {
        let mut late = submission("f", Status::Finalized, "Farida");
        late.finalized = Some("2015-03-17T11:00:00.000+06:00".into());
        let early = submission("g", Status::Finalized, "Gulnara");
        for r in [&late, &early, &submission("h", Status::Draft, "Hadicha")] {
            check(
                failures,
                store.put_submission(r).await.is_ok(),
                "put a record for the outbox",
            );
        }
        let ids = |waiting: Result<Vec<Submission>, StoreError>| -> Vec<String> {
            waiting
                .unwrap_or_default()
                .into_iter()
                .map(|s| s.instance_id)
                .collect()
        };
        check(
            failures,
            ids(store.outbox(10).await) == ["g", "f"],
            "the outbox holds finalized records only, in the order they were finalized",
        );
        check(
            failures,
            ids(store.outbox(1).await) == ["g"],
            "the outbox a slice at a time",
        );
        let first = Waiting {
            finalized: early.finalized.clone(),
            instance_id: "g".into(),
        };
        check(
            failures,
            ids(store.outbox_after(Some(&first), 10).await) == ["f"]
                && ids(store.outbox_after(Some(&first), 0).await).is_empty(),
            "the outbox a page at a time, from the record after the last one read",
        );
        check(
            failures,
            store.waiting().await
                == Ok(vec![
                    Waiting {
                        finalized: early.finalized.clone(),
                        instance_id: "g".into(),
                    },
                    Waiting {
                        finalized: late.finalized.clone(),
                        instance_id: "f".into(),
                    },
                ]),
            "the outbox's list says when each record was finalized, in its order",
        );
        let receipt = Receipt {
            instance_id: "g".into(),
            server: "https://dala.example.org".into(),
            received: "2015-03-17T12:00:00.000Z".into(),
        };
        check(
            failures,
            store
                .acknowledge(std::slice::from_ref(&receipt))
                .await
                .is_ok(),
            "acknowledge a record",
        );
        check(
            failures,
            ids(store.outbox(10).await) == ["f"],
            "an acknowledged record leaves the outbox",
        );
        check(
            failures,
            store
                .get_record("g")
                .await
                .ok()
                .flatten()
                .and_then(|r| r.receipt)
                == Some(receipt.clone()),
            "the receipt is kept with the record",
        );
        check(
            failures,
            store.get_submission("g").await == Ok(Some(early.clone())),
            "a sent record stays on the device",
        );
        for id in ["nobody", "h"] {
            check(
                failures,
                store
                    .acknowledge(&[Receipt {
                        instance_id: id.into(),
                        ..receipt.clone()
                    }])
                    .await
                    == Err(StoreError::NotFound(id.into())),
                "a receipt for no finalized record is refused",
            );
        }
        check(
            failures,
            store
                .acknowledge(&[
                    Receipt {
                        instance_id: "f".into(),
                        ..receipt.clone()
                    },
                    Receipt {
                        instance_id: "nobody".into(),
                        ..receipt.clone()
                    },
                ])
                .await
                == Err(StoreError::NotFound("nobody".into()))
                && ids(store.outbox(10).await) == ["f"],
            "receipts are kept all together or not at all",
        );
        check(
            failures,
            store.put_submission(&early).await.is_ok()
                && store
                    .get_record("g")
                    .await
                    .ok()
                    .flatten()
                    .and_then(|r| r.receipt)
                    .is_some(),
            "putting a sent record again keeps its receipt",
        );
        // Removing sent records: never one the server has not acknowledged.
        let all = ["g".to_string(), "f".to_string()];
        check(
            failures,
            store.remove_sent(&all).await == Err(StoreError::NotSent("f".into()))
                && store.get_submission("g").await == Ok(Some(early.clone())),
            "a removal that names an unsent record removes nothing",
        );
        check(
            failures,
            store
                .remove_sent(&["g".to_string(), "nobody".to_string()])
                .await
                == Ok(1)
                && store.get_submission("g").await == Ok(None),
            "a sent record is removed on request; an unknown id is passed over",
        );
        check(
            failures,
            ids(store.outbox(10).await) == ["f"],
            "the outbox is untouched by a removal of sent records",
        );
        // Two records acknowledged together, one of them removed: the other keeps its receipt.
        let later = Submission {
            instance_id: "i".into(),
            ..early.clone()
        };
        let both = ["f", "i"].map(|id| Receipt {
            instance_id: id.into(),
            ..receipt.clone()
        });
        check(
            failures,
            store.put_submission(&later).await.is_ok()
                && store.acknowledge(&both).await.is_ok()
                && store.remove_sent(&["i".to_string()]).await == Ok(1)
                && store
                    .get_record("f")
                    .await
                    .ok()
                    .flatten()
                    .and_then(|r| r.receipt)
                    == Some(both[0].clone())
                && ids(store.outbox(10).await).is_empty(),
            "removing one of two records acknowledged together keeps the other's receipt",
        );
    }
}
