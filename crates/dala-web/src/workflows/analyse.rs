//! The analyst's workflows over the store: opening an instrument with its kept plan, reading
//! its records into a dataset, and the wide export, each a slice at a time with the page
//! given a step between slices.

use super::Pace;
use crate::analysis::ZipSlices;
use crate::catalog::versions_by_form;
use dala_aggregate::dataset::Dataset;
use dala_aggregate::export::{CsvExport, Options};
use dala_aggregate::plan::Plan;
use dala_core::Instrument;
use dala_core::store::{RecordSlices, Store, StoreError};

/// An instrument opened for analysis: its newest version, and the analyst's tables of it as
/// they were left.
#[derive(Debug)]
pub struct Opened {
    pub instrument: Instrument,
    pub plan: Plan,
}

/// Why an instrument could not be opened.
#[derive(Debug, PartialEq)]
pub enum OpenError {
    Store(StoreError),
    /// No version of this instrument is on the device.
    NotOnDevice(String),
}

/// Where the analyst's tables of an instrument are kept on the device.
pub fn plan_key(form_id: &str) -> String {
    format!("analyse-plan:{form_id}")
}

/// Opens an instrument (the first on the device when `form_id` is empty; None when there is
/// none at all) at its newest version, with its kept plan (the empty plan if none was kept or
/// it no longer reads).
pub async fn open_instrument<S: Store>(
    store: &S,
    form_id: &str,
) -> Result<Option<Opened>, OpenError> {
    let forms = versions_by_form(store.list_instruments().await.map_err(OpenError::Store)?);
    let form_id = match (form_id, forms.first()) {
        ("", Some((first, _))) => first.clone(),
        ("", None) => return Ok(None),
        (form_id, _) => form_id.to_string(),
    };
    let not_here = || OpenError::NotOnDevice(form_id.clone());
    let version = forms
        .iter()
        .find(|(f, _)| *f == form_id)
        .and_then(|(_, versions)| versions.first())
        .ok_or_else(not_here)?;
    let instrument = store
        .get_instrument(&form_id, version)
        .await
        .map_err(OpenError::Store)?
        .ok_or_else(not_here)?;
    // Answers from an attached list are labelled from its rows.
    let lists = store
        .get_lists(&form_id, version)
        .await
        .map_err(OpenError::Store)?;
    let instrument = dala_core::with_lists(&instrument, &lists);
    let plan = store
        .setting(&plan_key(&form_id))
        .await
        .ok()
        .flatten()
        .and_then(|json| serde_json::from_str::<Plan>(&json).ok())
        .unwrap_or_default();
    Ok(Some(Opened { instrument, plan }))
}

/// Keeps the analyst's tables of an instrument, so a reload finds them again.
pub async fn keep_plan<S: Store>(store: &S, form_id: &str, plan: &Plan) -> Result<(), StoreError> {
    let json = serde_json::to_string(plan).map_err(|e| StoreError::Backend(e.to_string()))?;
    store.set_setting(&plan_key(form_id), &json).await
}

/// Every stored record of an instrument as a dataset, `slice` records between two steps of
/// the page (progress 0-1 before each).
pub async fn read_dataset<S: Store>(
    store: &S,
    instrument: &Instrument,
    slice: usize,
    pace: &mut impl Pace,
) -> Result<Dataset, StoreError> {
    let mut data = Dataset::new(instrument);
    let mut records = store.all_records(&instrument.settings.form_id).await?;
    let total = records.total().max(1) as f64;
    let mut read = 0;
    loop {
        pace.between(read as f64 / total).await;
        let next = records.next_slice(slice.max(1));
        if next.is_empty() {
            return Ok(data);
        }
        read += next.len();
        for record in &next {
            data.push(record);
        }
    }
}

/// The wide export of an instrument's stored records that `keep` keeps (by instance id), as
/// the .zip `dala export` writes: the records `slice` at a time, then the deflating in steps
/// of about `task_ms` milliseconds, with a step of the page between (progress 0-0.9 for the
/// records, 0.9-1 for the deflating).
pub async fn wide_export<S: Store>(
    store: &S,
    instrument: &Instrument,
    keep: impl Fn(&str) -> bool,
    slice: usize,
    task_ms: f64,
    pace: &mut impl Pace,
) -> Result<Vec<u8>, String> {
    let mut records = store
        .all_records(&instrument.settings.form_id)
        .await
        .map_err(|e| e.to_string())?;
    let total = records.total().max(1) as f64;
    let options = Options::default();
    let mut export = CsvExport::new(instrument, &options);
    // The records' files, each at `files/<instance id>/<name>` as ODK Central's export has
    // them; a file the device has not got is counted out of AttachmentsPresent.
    let mut files = Vec::new();
    let mut read = 0;
    loop {
        pace.between(0.9 * read as f64 / total).await;
        let next = records.next_slice(slice.max(1));
        if next.is_empty() {
            break;
        }
        read += next.len();
        for record in next.iter().filter(|r| keep(&r.instance_id)) {
            let mut present = 0;
            for described in &record.files {
                if let Some(bytes) = store
                    .get_file(&record.instance_id, &described.name)
                    .await
                    .map_err(|e| e.to_string())?
                {
                    files.push((
                        dala_aggregate::export_zip::file_path(&record.instance_id, &described.name),
                        bytes,
                    ));
                    present += 1;
                }
            }
            export.add_with_files(record, present);
        }
    }
    // Deflating too, tens of megabytes for 100,000 records: steps for `task_ms`, then a frame.
    let mut tables = export.finish();
    tables.extend(files);
    let mut zip = ZipSlices::new(tables);
    let mut share = 0.0;
    loop {
        pace.between(0.9 + 0.1 * share).await;
        let start = pace.now_ms();
        loop {
            match zip.step()? {
                Some(done) => share = done,
                None => return zip.finish(),
            }
            if pace.now_ms() - start >= task_ms {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflows::block_on;
    use dala_aggregate::plan::{parse, to_toml};
    use dala_core::record::{Answer, RECORD_FORMAT};
    use dala_core::{MemoryStore, Status, Submission};
    use std::collections::BTreeMap;

    fn police() -> Instrument {
        let text = include_str!("../../../../surveys/police-gender-representation/instrument.json");
        Instrument::from_json(text).expect("police")
    }

    fn record(id: &str, status: Status, district: &str) -> Submission {
        let police = police();
        Submission {
            format: RECORD_FORMAT,
            held: Vec::new(),
            files: Vec::new(),
            instance_name: None,
            instance_id: id.into(),
            instrument_id: police.settings.form_id.clone(),
            instrument_version: police.settings.version.clone(),
            status,
            started: "2015-03-17T09:00:00.000+06:00".into(),
            updated: "2015-03-17T09:10:00.000+06:00".into(),
            finalized: (status == Status::Finalized)
                .then(|| "2015-03-17T09:10:00.000+06:00".into()),
            enumerator: "Aida".into(),
            device_id: "tab-1".into(),
            answers: BTreeMap::from([("district".into(), Answer::Value(district.into()))]),
        }
    }

    /// Counts the steps it is given.
    #[derive(Default)]
    struct Steps(Vec<f64>);

    impl Pace for Steps {
        async fn between(&mut self, progress: f64) {
            self.0.push(progress);
        }
        fn now_ms(&self) -> f64 {
            0.0
        }
    }

    async fn stored_police() -> MemoryStore {
        let store = MemoryStore::default();
        store.put_instrument(&police()).await.expect("instrument");
        for r in [
            record("uuid:1", Status::Finalized, "bishkek"),
            record("uuid:2", Status::Finalized, "osh"),
            record("uuid:3", Status::Draft, "osh"),
        ] {
            store.put_submission(&r).await.expect("record");
        }
        store
    }

    /// Answers from an attached list (issue 19) are labelled from its rows in the analyst's
    /// tables: the opened instrument holds the list under the file's name.
    #[test]
    fn an_instrument_opens_with_the_lists_of_its_attached_files() {
        block_on(async {
            let store = stored_police().await;
            let police = police();
            let lists = dala_core::Lists::from([(
                "schools.csv".to_string(),
                vec![dala_core::Choice {
                    name: "s12".into(),
                    label: dala_core::Text::one("default", "School 12"),
                    extra: BTreeMap::new(),
                }],
            )]);
            let settings = &police.settings;
            store
                .put_lists(&settings.form_id, &settings.version, &lists)
                .await
                .expect("lists");
            let opened = open_instrument(&store, "")
                .await
                .expect("opened")
                .expect("one");
            assert_eq!(
                opened
                    .instrument
                    .choice_label("schools.csv", "s12", "default"),
                "School 12"
            );
        });
    }

    #[test]
    fn an_instrument_opens_at_its_newest_version_with_the_plan_kept() {
        block_on(async {
            let empty = MemoryStore::default();
            assert_eq!(
                open_instrument(&empty, "").await.map(|o| o.is_none()),
                Ok(true)
            );
            let store = stored_police().await;
            let mut newer = police();
            newer.settings.version = "2016010101".into();
            store.put_instrument(&newer).await.expect("instrument");
            let form = police().settings.form_id;
            let opened = open_instrument(&store, "")
                .await
                .expect("opened")
                .expect("one");
            assert_eq!(opened.instrument.settings.version, "2016010101");
            assert!(opened.plan.table.is_empty(), "no plan kept yet");
            let plan = parse(
                "[[table]]\nid = \"by_district\"\nkind = \"frequency\"\nvariable = \"district\"\n",
            )
            .expect("a plan");
            keep_plan(&store, &form, &plan).await.expect("kept");
            let again = open_instrument(&store, &form)
                .await
                .expect("opened")
                .expect("one");
            assert_eq!(to_toml(&again.plan), to_toml(&plan));
            assert_eq!(again.plan.table.len(), 1);
            assert_eq!(
                open_instrument(&store, "nowhere")
                    .await
                    .map(|o| o.is_some()),
                Err(OpenError::NotOnDevice("nowhere".into()))
            );
        });
    }

    #[test]
    fn a_dataset_is_read_a_slice_at_a_time() {
        block_on(async {
            let store = stored_police().await;
            let mut steps = Steps::default();
            let data = read_dataset(&store, &police(), 2, &mut steps)
                .await
                .expect("read");
            assert_eq!(data.len(), 3, "drafts too: the data view filters them");
            assert_eq!(
                (0..3)
                    .filter_map(|r| data.instance_id(r))
                    .collect::<Vec<_>>(),
                ["uuid:1", "uuid:2", "uuid:3"]
            );
            // Before the first slice, before the second, and once all are read.
            assert_eq!(steps.0.len(), 3, "{:?}", steps.0);
            assert!(steps.0.windows(2).all(|w| w[0] <= w[1]), "{:?}", steps.0);
        });
    }

    #[test]
    fn the_wide_export_holds_the_records_kept_and_no_others() {
        block_on(async {
            let store = stored_police().await;
            let mut steps = Steps::default();
            let bytes = wide_export(&store, &police(), |id| id != "uuid:2", 1, 40.0, &mut steps)
                .await
                .expect("exported");
            let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
            let mut text = String::new();
            // The main table comes first.
            std::io::Read::read_to_string(&mut archive.by_index(0).expect("main"), &mut text)
                .expect("read");
            assert!(text.contains("uuid:1") && text.contains("uuid:3"), "{text}");
            assert!(!text.contains("uuid:2"), "{text}");
            assert!(steps.0.last().is_some_and(|p| *p >= 0.9), "{:?}", steps.0);
        });
    }

    /// A form with a photo question (issue 19): the export's .zip holds each record's photo
    /// at `files/<instance id>/<name>`, as ODK Central's does, stored as it was taken, and
    /// the main table counts the files present and expected after SubmitterName (Central's
    /// columns). A record whose photo the device has not got counts it expected, not present.
    #[test]
    fn the_wide_export_of_a_photo_form_holds_the_photos() {
        let instrument = Instrument::from_json(
            r#"{"format": 2, "settings": {"form_id": "house_photo", "version": "1"},
                "survey": [{"type": "image", "name": "house", "label": {"en": "House"}}],
                "choices": {}}"#,
        )
        .expect("instrument");
        let photo = b"\xff\xd8 a photo \xff\xd9".to_vec();
        let described = dala_core::Attachment::of("1.jpg", "image/jpeg", &photo);
        let with_photo = |id: &str| {
            let mut r = record(id, Status::Finalized, "");
            r.instrument_id = "house_photo".into();
            r.instrument_version = "1".into();
            r.answers = BTreeMap::from([("house".into(), Answer::Value("1.jpg".into()))]);
            r.files = vec![described.clone()];
            r
        };
        block_on(async {
            let store = MemoryStore::default();
            store.put_instrument(&instrument).await.expect("instrument");
            let mut draft = with_photo("uuid:1");
            draft.status = Status::Draft;
            store
                .save_draft_with_files(&draft, 0, &[(described.clone(), photo.clone())])
                .await
                .expect("draft");
            store
                .put_submission(&with_photo("uuid:1"))
                .await
                .expect("finalized");
            // Imported without its photo.
            let other = with_photo("uuid:2");
            let json = serde_json::to_string(&other).expect("json");
            store
                .import_records(&[(other, json)])
                .await
                .expect("imported");
            let bytes = wide_export(
                &store,
                &instrument,
                |_| true,
                10,
                40.0,
                &mut Steps::default(),
            )
            .await
            .expect("exported");
            let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
            let names: Vec<String> = archive.file_names().map(String::from).collect();
            assert!(
                names.contains(&"files/uuid:1/1.jpg".to_string()),
                "{names:?}"
            );
            assert!(
                !names.iter().any(|n| n.starts_with("files/uuid:2")),
                "{names:?}"
            );
            let mut file = archive.by_name("files/uuid:1/1.jpg").expect("the photo");
            assert_eq!(file.compression(), zip::CompressionMethod::Stored);
            let mut read = Vec::new();
            std::io::Read::read_to_end(&mut file, &mut read).expect("read");
            assert_eq!(read, photo);
            drop(file);
            let mut text = String::new();
            std::io::Read::read_to_string(
                &mut archive.by_name("house_photo.csv").expect("main"),
                &mut text,
            )
            .expect("read");
            let mut lines = text.lines();
            assert_eq!(
                lines.next(),
                Some(
                    "SubmissionDate,house,KEY,SubmitterID,SubmitterName,AttachmentsPresent,AttachmentsExpected,Status,DeviceID,FormVersion"
                )
            );
            let rows: Vec<&str> = lines.collect();
            assert!(
                rows[0].contains(",1.jpg,uuid:1,,Aida,1,1,finalized,"),
                "{rows:?}"
            );
            assert!(
                rows[1].contains(",1.jpg,uuid:2,,Aida,0,1,finalized,"),
                "{rows:?}"
            );
        });
    }
}
