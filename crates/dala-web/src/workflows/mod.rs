//! What the app does with records, as plain async functions over dala-core's [`Store`]: the
//! views call these and draw what they return. Tested natively with `MemoryStore`; nothing
//! here knows the browser (a step that must yield to the page, or save a file, is passed in).

#[cfg(feature = "analyse")]
use crate::analysis::{BundleReader, BundleReport, FilePlace, Refusal};
#[cfg(feature = "analyse")]
pub mod analyse;
#[cfg(feature = "design")]
pub mod designs;
#[cfg(feature = "server")]
pub mod server_records;

use crate::catalog::{BundleFile, bundles};
use dala_core::Status;
#[cfg(feature = "analyse")]
use dala_core::Submission;
#[cfg(feature = "analyse")]
use dala_core::store::Imported;
use dala_core::store::{Store, StoreError};

/// Why a hand-over stopped.
#[derive(Debug, PartialEq)]
pub enum HandOverError {
    Store(StoreError),
    /// Saving a file failed (the browser's words); it and the files after it are not marked.
    Save {
        file: String,
        why: String,
    },
}

/// The hand-over of one instrument's records: the finalized ones not yet exported (every one,
/// `again`) as bundle files, one per version, each given to `save` and marked exported at
/// `now` once saved. Nothing is deleted. Returns the names of the files saved (none: nothing
/// to hand over).
pub async fn hand_over<S: Store>(
    store: &S,
    form_id: &str,
    device_id: &str,
    now: &str,
    again: bool,
    mut save: impl FnMut(&BundleFile) -> Result<(), String>,
) -> Result<Vec<String>, HandOverError> {
    let waiting: Vec<_> = store
        .records(form_id, Some(Status::Finalized), 0, usize::MAX)
        .await
        .map_err(HandOverError::Store)?
        .into_iter()
        .filter(|r| again || r.exported.is_none())
        .map(|r| r.submission)
        .collect();
    // The files the records list, read before the bundles are written (a record whose file
    // the device has not got goes without it; the reader says so).
    let mut stored = std::collections::HashMap::new();
    for record in &waiting {
        for described in &record.files {
            if let Some(bytes) = store
                .get_file(&record.instance_id, &described.name)
                .await
                .map_err(HandOverError::Store)?
            {
                stored.insert((record.instance_id.clone(), described.name.clone()), bytes);
            }
        }
    }
    let files = |record: &dala_core::Submission, name: &str| {
        stored
            .get(&(record.instance_id.clone(), name.to_string()))
            .cloned()
    };
    let mut saved = Vec::new();
    for file in bundles(&waiting, device_id, now, files) {
        save(&file).map_err(|why| HandOverError::Save {
            file: file.name.clone(),
            why,
        })?;
        // Marked only once the file has been handed over.
        store
            .mark_exported(&file.instance_ids, now)
            .await
            .map_err(HandOverError::Store)?;
        saved.push(file.name);
    }
    Ok(saved)
}

/// What a long job needs from the page: a step between slices (draw a frame, show how far
/// the job is, 0-1), and a clock to time its work.
#[allow(async_fn_in_trait)]
pub trait Pace {
    async fn between(&mut self, progress: f64);
    /// Milliseconds on a monotonic clock (0 where there is none).
    fn now_ms(&self) -> f64;
}

#[cfg(feature = "analyse")]
/// What an import of one bundle needs from the page besides its steps: each stored slice, to
/// show.
pub trait ImportPage: Pace {
    fn stored(&mut self, form_id: &str, records: &[(Submission, String)]);
}

#[cfg(feature = "analyse")]
/// A bundle file as an import reads it: its size, a range of its bytes at a time, and a way
/// to keep the files it carries as they are (format 3) with their records.
#[allow(async_fn_in_trait)]
pub trait BundleSource {
    fn size(&self) -> u64;
    async fn read(&self, offset: u64, len: usize) -> Result<Vec<u8>, String>;
    /// Keeps the files at these places of the bundle with their stored records, each only
    /// when its bytes are those its record describes; for each place, whether they were.
    /// This one reads the bytes and gives them to the store; a browser's keeps slices of
    /// the picked file as they are.
    async fn keep_files<S: Store>(
        &self,
        store: &S,
        places: &[FilePlace],
    ) -> Result<Vec<bool>, StoreError> {
        let mut files = Vec::new();
        let mut as_described = Vec::new();
        for (_, instance_id, described, at) in places {
            // A read may give less than asked: read on to the file's last byte.
            let mut bytes = Vec::new();
            while (bytes.len() as u64) < at.len {
                let left = usize::try_from(at.len - bytes.len() as u64).unwrap_or(usize::MAX);
                let part = self
                    .read(at.offset + bytes.len() as u64, left)
                    .await
                    .map_err(StoreError::Backend)?;
                if part.is_empty() {
                    break;
                }
                bytes.extend_from_slice(&part);
            }
            let same = dala_core::Attachment::of(&described.name, &described.media_type, &bytes)
                == *described;
            as_described.push(same);
            if same {
                files.push((instance_id.clone(), described.clone(), bytes));
            }
        }
        if !files.is_empty() {
            store.import_files(&files).await?;
        }
        Ok(as_described)
    }
}

#[cfg(feature = "analyse")]
/// A bundle held in memory.
impl BundleSource for Vec<u8> {
    fn size(&self) -> u64 {
        self.len() as u64
    }

    async fn read(&self, offset: u64, len: usize) -> Result<Vec<u8>, String> {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.len());
        Ok(self[start..start.saturating_add(len).min(self.len())].to_vec())
    }
}

#[cfg(feature = "analyse")]
/// Gives the reader the bytes it wants until it holds a line or the file's end.
async fn fill(reader: &mut BundleReader, source: &impl BundleSource) -> Result<(), String> {
    while let Some((offset, len)) = reader.wants() {
        let bytes = source.read(offset, len).await?;
        if bytes.is_empty() {
            return Err("the file ended before its size".into());
        }
        reader.feed(&bytes);
    }
    Ok(())
}

#[cfg(feature = "analyse")]
/// One slice as read: its records, its files put together (format 2), its files' places
/// (format 3).
type Slice = (
    Vec<(Submission, String)>,
    Vec<(String, dala_core::Attachment, Vec<u8>)>,
    Vec<FilePlace>,
);

#[cfg(feature = "analyse")]
/// Imports one bundle into the store a slice of `slice` lines at a time, read from its file a
/// slice of bytes at a time; every slice is one strict transaction, so what was stored stays
/// stored whatever happens to the next, and its files are kept once its records are. The
/// store writes one slice while the next is read. `known` are the instruments on the device:
/// a bundle of another is refused. Returns the report and the milliseconds spent parsing.
pub async fn import_bundle<S: Store>(
    store: &S,
    name: &str,
    source: &impl BundleSource,
    known: &[String],
    slice: usize,
    page: &mut impl ImportPage,
) -> (BundleReport, f64) {
    let mut parse_ms = 0.0;
    let mut reader = BundleReader::new(name, source.size());
    if let Err(e) = fill(&mut reader, source).await {
        reader.report.refused = Some(Refusal::Failed(e));
        return (reader.report, parse_ms);
    }
    if let Err(report) = reader.start(true) {
        return (*report, parse_ms);
    }
    let form_id = reader.report.form_id.clone();
    if !known.contains(&form_id) {
        reader.report.refused = Some(Refusal::NotOnDevice);
        return (reader.report, parse_ms);
    }
    match store.instance_ids(&form_id).await {
        Ok(ids) => reader.remember(ids),
        Err(e) => {
            reader.report.refused = Some(Refusal::Failed(e.to_string()));
            return (reader.report, parse_ms);
        }
    }
    let read_slice = |reader: &mut BundleReader| -> Slice {
        let records = reader.next_slice(slice);
        (records, reader.take_files(), reader.take_places())
    };
    let mut current = read_slice(&mut reader);
    loop {
        let (records, files, places) = &current;
        if records.is_empty() && files.is_empty() && places.is_empty() && reader.progress() >= 1.0 {
            break;
        }
        let progress = reader.progress();
        // A slice's files after its records: a file is kept only with a record stored.
        let stored = async {
            let imported = if records.is_empty() {
                Imported::default()
            } else {
                store.import_records(records).await?
            };
            if !files.is_empty() {
                store.import_files(files).await?;
            }
            let kept = if places.is_empty() {
                Vec::new()
            } else {
                source.keep_files(store, places).await?
            };
            Ok::<_, StoreError>((imported, kept))
        };
        let prepare = async {
            page.between(progress).await;
            fill(&mut reader, source).await?;
            let t = page.now_ms();
            let next = read_slice(&mut reader);
            parse_ms += page.now_ms() - t;
            Ok::<_, String>(next)
        };
        let (result, next) = futures::future::join(stored, prepare).await;
        let next = match (result, next) {
            (Ok((imported, kept)), Ok(next)) => {
                reader.found_stored(imported.duplicates);
                for ((line, _, described, _), same) in places.iter().zip(kept) {
                    if same {
                        reader.file_stored();
                    } else {
                        reader.file_refused(*line, &described.name);
                    }
                }
                next
            }
            (Err(e), next) => {
                // This slice is not stored (earlier ones are); the next was read for nothing.
                let read = next.map_or(0, |(records, _, _)| records.len());
                reader.report.added -= records.len() + read;
                reader.report.refused = Some(Refusal::Failed(e.to_string()));
                break;
            }
            (Ok(_), Err(e)) => {
                reader.report.refused = Some(Refusal::Failed(e));
                page.stored(&form_id, records);
                break;
            }
        };
        page.stored(&form_id, records);
        current = next;
    }
    (reader.report, parse_ms)
}

/// Drives a future that never waits on anything outside itself (the memory store's), for the
/// workflows' native tests.
/// Removes from the device every record of an instrument a server has acknowledged (with
/// their files), to free a tablet's storage: the server keeps them, and a record still in
/// the outbox or a draft is never touched. Returns how many were removed.
pub async fn remove_sent<S: Store>(store: &S, form_id: &str) -> Result<usize, StoreError> {
    let finalized = store.count(form_id, Status::Finalized).await?;
    let sent: Vec<String> = store
        .records(form_id, Some(Status::Finalized), 0, finalized)
        .await?
        .into_iter()
        .filter(|r| r.receipt.is_some())
        .map(|r| r.submission.instance_id)
        .collect();
    if sent.is_empty() {
        return Ok(0);
    }
    store.remove_sent(&sent).await
}

/// The record of an instrument this device saved last (a draft or a finalized one, any
/// version), which a new interview's `${last-saved#name}` reads; records handed in from other
/// devices do not count. Read only for a form that asks for it.
pub async fn last_saved<S: Store>(
    store: &S,
    form_id: &str,
    device_id: &str,
) -> Result<Option<dala_core::Submission>, StoreError> {
    let records = store.records(form_id, None, 0, usize::MAX).await?;
    Ok(records
        .into_iter()
        .map(|r| r.submission)
        .filter(|s| s.device_id == device_id)
        .max_by(|a, b| saved_at(a).total_cmp(&saved_at(b))))
}

/// When a record was saved last, in milliseconds since 1970 (a time that does not read as
/// one counts as the earliest).
fn saved_at(record: &dala_core::Submission) -> f64 {
    dala_expr::date::parse_date_time(&record.updated, 0)
        .map_or(f64::NEG_INFINITY, |d| d.epoch_ms as f64)
}

#[cfg(test)]
pub(crate) fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return value;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dala_core::record::{Answer, BUNDLE_KIND, BundleHeader, RECORD_FORMAT, write_bundle};
    use dala_core::{MemoryStore, Submission};
    use std::collections::BTreeMap;

    fn record(id: &str, status: Status, version: &str) -> Submission {
        Submission {
            format: RECORD_FORMAT,
            held: Vec::new(),
            files: Vec::new(),
            instance_name: None,
            instance_id: id.into(),
            instrument_id: "p".into(),
            instrument_version: version.into(),
            status,
            started: "2015-03-17T09:00:00.000+06:00".into(),
            updated: "2015-03-17T09:10:00.000+06:00".into(),
            finalized: (status == Status::Finalized)
                .then(|| "2015-03-17T09:10:00.000+06:00".into()),
            enumerator: "Aida".into(),
            device_id: "tab-1".into(),
            answers: BTreeMap::from([("sex".into(), Answer::Value("f".into()))]),
        }
    }

    /// The record a new interview's `${last-saved#...}` reads: this device's latest by the
    /// time it was saved (offsets taken into account), a draft as well as a finalized one.
    #[test]
    fn the_last_saved_record_is_this_devices_latest() {
        let store = MemoryStore::default();
        block_on(async {
            assert_eq!(last_saved(&store, "p", "tab-1").await.expect("read"), None);
            let mut early = record("uuid:1", Status::Finalized, "1");
            early.updated = "2015-03-17T09:10:00.000+06:00".into();
            // Later by the clock, though it reads earlier: 05:00 UTC is after 03:10 UTC.
            let mut late = record("uuid:2", Status::Draft, "2");
            late.updated = "2015-03-17T08:00:00.000+03:00".into();
            let mut other_device = record("uuid:3", Status::Finalized, "2");
            other_device.updated = "2015-03-18T09:00:00.000+06:00".into();
            other_device.device_id = "tab-9".into();
            for r in [&early, &late, &other_device] {
                store.put_submission(r).await.expect("put");
            }
            let found = last_saved(&store, "p", "tab-1").await.expect("read");
            assert_eq!(found.map(|r| r.instance_id), Some("uuid:2".to_string()));
        });
    }

    #[test]
    fn only_records_a_server_holds_are_removed_from_the_tablet() {
        let store = MemoryStore::default();
        block_on(async {
            for r in [
                record("uuid:1", Status::Finalized, "1"),
                record("uuid:2", Status::Finalized, "1"),
                record("uuid:3", Status::Draft, "1"),
            ] {
                store.put_submission(&r).await.expect("put");
            }
            assert_eq!(remove_sent(&store, "p").await, Ok(0), "nothing sent yet");
            store
                .acknowledge(&[dala_core::store::Receipt {
                    instance_id: "uuid:1".into(),
                    server: "http://127.0.0.1:8080".into(),
                    received: "2015-03-17T04:00:00.000Z".into(),
                }])
                .await
                .expect("a receipt");
            assert_eq!(remove_sent(&store, "p").await, Ok(1));
            assert_eq!(
                store.instance_ids("p").await.expect("ids"),
                ["uuid:2", "uuid:3"],
                "the unsent record and the draft stay"
            );
            assert_eq!(store.outbox(10).await.expect("outbox").len(), 1);
        });
    }

    #[test]
    fn a_hand_over_bundles_what_is_not_yet_exported_and_marks_it() {
        let store = MemoryStore::default();
        block_on(async {
            for r in [
                record("uuid:1", Status::Finalized, "1"),
                record("uuid:2", Status::Finalized, "2"),
                record("uuid:3", Status::Draft, "1"),
            ] {
                store.put_submission(&r).await.expect("put");
            }
            let mut saved = Vec::new();
            let names = hand_over(
                &store,
                "p",
                "tab-1",
                "2015-03-18T10:00:00.000+06:00",
                false,
                |f| {
                    saved.push((f.name.clone(), f.instance_ids.clone()));
                    Ok(())
                },
            )
            .await
            .expect("hand-over");
            assert_eq!(names.len(), 2, "a bundle per version");
            assert_eq!(
                saved.iter().map(|(_, ids)| ids.clone()).collect::<Vec<_>>(),
                [vec!["uuid:1".to_string()], vec!["uuid:2".to_string()]],
                "finalized records only"
            );
            let mark = store
                .get_record("uuid:1")
                .await
                .expect("get")
                .and_then(|r| r.exported);
            assert_eq!(mark.as_deref(), Some("2015-03-18T10:00:00.000+06:00"));
            // Nothing left to hand over, unless every one is asked for again.
            let none = hand_over(&store, "p", "tab-1", "later", false, |_| Ok(()))
                .await
                .expect("hand-over");
            assert!(none.is_empty());
            let again = hand_over(&store, "p", "tab-1", "later", true, |_| Ok(()))
                .await
                .expect("hand-over");
            assert_eq!(again.len(), 2);
            // A file that cannot be saved is not marked; nothing is deleted.
            store
                .put_submission(&record("uuid:4", Status::Finalized, "1"))
                .await
                .expect("put");
            let failed = hand_over(&store, "p", "tab-1", "later still", false, |_| {
                Err("disk full".into())
            })
            .await;
            assert!(matches!(failed, Err(HandOverError::Save { .. })));
            let mark = store
                .get_record("uuid:4")
                .await
                .expect("get")
                .and_then(|r| r.exported);
            assert_eq!(mark, None);
            assert_eq!(store.count("p", Status::Finalized).await, Ok(3));
        });
    }

    #[cfg(feature = "analyse")]
    struct Page {
        steps: usize,
        shown: Vec<String>,
    }

    #[cfg(feature = "analyse")]
    #[cfg(feature = "analyse")]
    impl Pace for Page {
        async fn between(&mut self, _progress: f64) {
            self.steps += 1;
        }
        fn now_ms(&self) -> f64 {
            0.0
        }
    }

    #[cfg(feature = "analyse")]
    impl ImportPage for Page {
        fn stored(&mut self, _form_id: &str, records: &[(Submission, String)]) {
            self.shown
                .extend(records.iter().map(|(r, _)| r.instance_id.clone()));
        }
    }

    #[cfg(feature = "analyse")]
    #[test]
    fn a_bundle_is_imported_a_slice_at_a_time_with_duplicates_counted() {
        let header = BundleHeader {
            format: RECORD_FORMAT,
            kind: BUNDLE_KIND.into(),
            instrument_id: "p".into(),
            instrument_version: "1".into(),
            device_id: "tab-2".into(),
            created: "2015-03-18T10:00:00.000+06:00".into(),
        };
        let records: Vec<Submission> = (1..=5)
            .map(|i| record(&format!("uuid:{i}"), Status::Finalized, "1"))
            .chain([record("uuid:d", Status::Draft, "1")])
            .collect();
        let mut bytes = write_bundle(&header, &records).into_bytes();
        bytes.extend(b"{broken\n");
        let store = MemoryStore::default();
        block_on(async {
            store.put_submission(&records[0]).await.expect("put");
            let mut page = Page {
                steps: 0,
                shown: Vec::new(),
            };
            let (report, _) =
                import_bundle(&store, "tab-2.jsonl", &bytes, &["p".into()], 2, &mut page).await;
            assert_eq!((report.added, report.duplicates, report.drafts), (4, 1, 1));
            assert_eq!(
                report
                    .bad_lines
                    .iter()
                    .map(|(l, p)| (*l, p.code()))
                    .collect::<Vec<_>>(),
                [(8, "B001")]
            );
            assert!(page.steps >= 3, "a step between slices: {}", page.steps);
            assert_eq!(page.shown, ["uuid:2", "uuid:3", "uuid:4", "uuid:5"]);
            assert_eq!(store.count("p", Status::Finalized).await, Ok(5));
            // The same file again: every record a duplicate, nothing added.
            let (again, _) =
                import_bundle(&store, "tab-2.jsonl", &bytes, &["p".into()], 2, &mut page).await;
            assert_eq!((again.added, again.duplicates), (0, 5));
            // A bundle of an instrument not on the device is refused whole.
            let (other, _) = import_bundle(
                &store,
                "x.jsonl",
                &write_bundle(&header, &records).into_bytes(),
                &["q".into()],
                2,
                &mut page,
            )
            .await;
            assert_eq!(other.refused, Some(Refusal::NotOnDevice));
        });
    }

    /// A bundle file that gives at most `step` bytes a read, as a slow disk or a small
    /// buffer may: lines and files' bytes cut anywhere.
    #[cfg(feature = "analyse")]
    struct Trickle {
        bytes: Vec<u8>,
        step: usize,
    }

    #[cfg(feature = "analyse")]
    impl BundleSource for Trickle {
        fn size(&self) -> u64 {
            self.bytes.len() as u64
        }

        async fn read(&self, offset: u64, len: usize) -> Result<Vec<u8>, String> {
            self.bytes.read(offset, len.min(self.step)).await
        }
    }

    /// A format-3 bundle read a few bytes at a time: every record and every photo arrive
    /// whatever the cuts, a photo whose bytes are not those its record describes is left out
    /// and reported at its line (B008), the record kept; the photos' bytes are passed over by
    /// the reader and read only to be stored.
    #[cfg(feature = "analyse")]
    #[test]
    fn a_bundle_read_a_few_bytes_at_a_time_brings_every_record_and_photo() {
        use dala_core::record::{
            BUNDLE_KIND, BundleHeader, RECORD_FORMAT, write_bundle_with_files,
        };
        let header = BundleHeader {
            format: RECORD_FORMAT,
            kind: BUNDLE_KIND.into(),
            instrument_id: "p".into(),
            instrument_version: "1".into(),
            device_id: "tab-3".into(),
            created: "2015-03-18T10:00:00.000+06:00".into(),
        };
        // Photos with line endings inside: a reader that looked for lines in them would break.
        let photo = |i: u8| -> Vec<u8> {
            (0..40u8)
                .map(|n| if n % 9 == 0 { b'\n' } else { n ^ i })
                .collect()
        };
        let records: Vec<Submission> = (1..=4u8)
            .map(|i| {
                let mut r = record(&format!("uuid:{i}"), Status::Finalized, "1");
                r.files = vec![dala_core::Attachment::of("1.jpg", "image/jpeg", &photo(i))];
                r
            })
            .collect();
        let bundle = write_bundle_with_files(&header, &records, |r, _| {
            let i: u8 = r.instance_id.strip_prefix("uuid:")?.parse().ok()?;
            // The third record's photo is another's bytes of the same length.
            Some(photo(if i == 3 { 1 } else { i }))
        });
        for step in [1, 7, 64, bundle.len()] {
            let store = MemoryStore::default();
            let mut page = Page {
                steps: 0,
                shown: Vec::new(),
            };
            let source = Trickle {
                bytes: bundle.clone(),
                step,
            };
            let (report, _) = block_on(import_bundle(
                &store,
                "tab-3.jsonl",
                &source,
                &["p".into()],
                2,
                &mut page,
            ));
            assert_eq!((report.added, report.files), (4, 3), "step {step}");
            // Lines: 1 header, 2 record 1, 3 its photo's line, 4 record 2, 5, 6 record 3,
            // 7 its photo's line.
            assert_eq!(
                report
                    .bad_lines
                    .iter()
                    .map(|(l, p)| (*l, p.code()))
                    .collect::<Vec<_>>(),
                [(7, "B008")],
                "step {step}"
            );
            block_on(async {
                for i in [1u8, 2, 4] {
                    assert_eq!(
                        store.get_file(&format!("uuid:{i}"), "1.jpg").await,
                        Ok(Some(photo(i))),
                        "step {step}"
                    );
                }
                assert_eq!(store.get_file("uuid:3", "1.jpg").await, Ok(None));
            });
        }
    }

    /// Records with photos handed over on one tablet and imported on another (issue 19): the
    /// bundle carries each photo after its record, the import keeps them with their records,
    /// and a second import of the same bundle fills in nothing twice.
    #[cfg(feature = "analyse")]
    #[test]
    fn records_handed_over_with_their_photos_arrive_with_them() {
        let tablet = MemoryStore::default();
        let office = MemoryStore::default();
        let photo = |i: u8| vec![0xff, 0xd8, i, 0xff, 0xd9];
        block_on(async {
            for i in 1..=3u8 {
                let mut r = record(&format!("uuid:{i}"), Status::Finalized, "1");
                let file = dala_core::Attachment::of("1.jpg", "image/jpeg", &photo(i));
                r.answers
                    .insert("house".into(), Answer::Value("1.jpg".into()));
                r.files = vec![file.clone()];
                let mut draft = r.clone();
                draft.status = Status::Draft;
                draft.finalized = None;
                tablet
                    .save_draft_with_files(&draft, 0, &[(file, photo(i))])
                    .await
                    .expect("draft with its photo");
                tablet.put_submission(&r).await.expect("finalized");
            }
            let mut saved = Vec::new();
            hand_over(
                &tablet,
                "p",
                "tab-1",
                "2015-03-18T10:00:00.000+06:00",
                false,
                |f| {
                    saved.push(f.bytes.clone());
                    Ok(())
                },
            )
            .await
            .expect("handed over");
            assert_eq!(saved.len(), 1);
            let mut page = Page {
                steps: 0,
                shown: Vec::new(),
            };
            let (report, _) = import_bundle(
                &office,
                "tab-1.jsonl",
                &saved[0],
                &["p".into()],
                2,
                &mut page,
            )
            .await;
            assert_eq!((report.added, report.files), (3, 3));
            assert!(report.bad_lines.is_empty(), "{:?}", report.bad_lines);
            for i in 1..=3u8 {
                assert_eq!(
                    office.get_file(&format!("uuid:{i}"), "1.jpg").await,
                    Ok(Some(photo(i)))
                );
            }
            let (again, _) = import_bundle(
                &office,
                "tab-1.jsonl",
                &saved[0],
                &["p".into()],
                2,
                &mut page,
            )
            .await;
            assert_eq!((again.added, again.duplicates), (0, 3));
        });
    }
}
