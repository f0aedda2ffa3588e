//! Choices the home and records screens make over stored data: which version of an
//! instrument new interviews use, and how finalized records become bundle files.

use dala_core::record::{
    BUNDLE_KIND, BundleHeader, RECORD_FORMAT, Status, Submission, write_bundle_with_files,
};

/// The newest of an instrument's versions: XLSForm versions are usually numbers
/// (`2015030101`), compared as numbers; otherwise as text.
pub fn latest_version(versions: &[String]) -> Option<&String> {
    versions
        .iter()
        .max_by(|a, b| match (a.parse::<u128>(), b.parse::<u128>()) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            _ => a.cmp(b),
        })
}

/// The stored (form id, version) keys as each form with its versions, newest first, forms in
/// the order they first appear.
pub fn versions_by_form(keys: Vec<(String, String)>) -> Vec<(String, Vec<String>)> {
    let mut forms: Vec<(String, Vec<String>)> = Vec::new();
    for (form, version) in keys {
        match forms.iter_mut().find(|(f, _)| *f == form) {
            Some((_, versions)) => versions.push(version),
            None => forms.push((form, vec![version])),
        }
    }
    for (_, versions) in &mut forms {
        let mut ordered = Vec::with_capacity(versions.len());
        while let Some(newest) = latest_version(versions).cloned() {
            versions.retain(|v| *v != newest);
            ordered.push(newest);
        }
        *versions = ordered;
    }
    forms
}

/// An instrument document (JSON: an imported .json, or what the importer module made of an
/// XLSForm), accepted only if it compiles; the error names the first problem and where it is.
pub fn import_json(text: &str) -> Result<dala_core::Instrument, String> {
    let instrument = dala_core::Instrument::from_json(text).map_err(|e| e.to_string())?;
    check_compiles(&instrument, &dala_core::Lists::new())?;
    Ok(instrument)
}

/// Refuses an instrument that does not compile with the lists of its attached files (a
/// list attachment missing among them is V022), with the first problem in words.
pub fn check_compiles(
    instrument: &dala_core::Instrument,
    lists: &dala_core::Lists,
) -> Result<(), String> {
    match dala_core::Form::compile_with(instrument, lists.clone()) {
        Ok(_) => Ok(()),
        Err(problems) => {
            let first = problems
                .first()
                .map(|d| format!("{} {}", d.code, dala_words::diagnostic(d)))
                .unwrap_or_default();
            Err(format!("{} problem(s); the first: {first}", problems.len()))
        }
    }
}

/// Files the importer module reads (XLSForm workbooks); anything else is read as JSON.
pub fn is_workbook(file_name: &str) -> bool {
    let lower = file_name.to_ascii_lowercase();
    lower.ends_with(".xlsx") || lower.ends_with(".xls")
}

/// The largest attached file an import reads (the command line's limit too).
pub const MAX_ATTACHMENT_BYTES: f64 = 64.0 * 1024.0 * 1024.0;

/// A picked file by its name.
pub type Named<T> = (String, T);

/// Of the files picked to import, the form (an instrument document or a workbook) and the
/// files attached to it; None unless exactly one is a form.
pub fn form_and_attachments<T>(files: Vec<Named<T>>) -> Option<(Named<T>, Vec<Named<T>>)> {
    let is_form = |name: &str| name.to_ascii_lowercase().ends_with(".json") || is_workbook(name);
    let (mut forms, attached): (Vec<_>, Vec<_>) =
        files.into_iter().partition(|(name, _)| is_form(name));
    match forms.len() {
        1 => forms.pop().map(|form| (form, attached)),
        _ => None,
    }
}

/// Of the files picked with a form, those it attaches (its lists, and the pictures, sounds
/// and videos its labels show), each with the form's description of it: what the device
/// keeps beside the instrument. A list's bytes are kept as well as its rows, so that the
/// version can be sent to a server with its files.
pub fn attached_files(
    instrument: &dala_core::Instrument,
    files: Vec<Named<Vec<u8>>>,
) -> Vec<(dala_core::Attachment, Vec<u8>)> {
    files
        .into_iter()
        .filter_map(|(name, bytes)| {
            let described = instrument.attachments.iter().find(|a| a.name == name)?;
            Some((described.clone(), bytes))
        })
        .collect()
}

/// One bundle file to hand over.
#[derive(Clone, Debug, PartialEq)]
pub struct BundleFile {
    pub name: String,
    /// The bundle as written (JSON Lines; with a record's files after it, their bytes as
    /// they are: see `write_bundle_with_files`).
    pub bytes: Vec<u8>,
    pub instance_ids: Vec<String>,
}

/// The finalized records among `records` as bundles, one per instrument and version (a
/// bundle's header names one), each record followed by the files `files` gives of it (see
/// `write_bundle_with_files`). `created` is the device clock's ISO 8601 time.
pub fn bundles(
    records: &[Submission],
    device_id: &str,
    created: &str,
    files: impl Fn(&Submission, &str) -> Option<Vec<u8>>,
) -> Vec<BundleFile> {
    let mut by_version: Vec<((String, String), Vec<Submission>)> = Vec::new();
    for record in records.iter().filter(|r| r.status == Status::Finalized) {
        let key = (
            record.instrument_id.clone(),
            record.instrument_version.clone(),
        );
        match by_version.iter_mut().find(|(k, _)| *k == key) {
            Some((_, list)) => list.push(record.clone()),
            None => by_version.push((key, vec![record.clone()])),
        }
    }
    by_version
        .into_iter()
        .map(|((form_id, version), list)| {
            let header = BundleHeader {
                format: RECORD_FORMAT,
                kind: BUNDLE_KIND.to_string(),
                instrument_id: form_id.clone(),
                instrument_version: version.clone(),
                device_id: device_id.to_string(),
                created: created.to_string(),
            };
            // File names keep to characters every file system takes.
            let stamp: String = created
                .chars()
                .take(16)
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect();
            BundleFile {
                name: format!("{form_id}-{version}-{device_id}-{stamp}.jsonl"),
                bytes: write_bundle_with_files(&header, &list, &files),
                instance_ids: list.iter().map(|r| r.instance_id.clone()).collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use dala_core::record::read_bundle;
    use std::collections::BTreeMap;

    #[test]
    fn the_files_a_form_attaches_are_kept_not_strangers() {
        let badge = b"a badge".to_vec();
        let mut instrument = crate::designer::new_instrument(&[]);
        instrument.attachments = vec![
            dala_core::Attachment::of("badge.png", "image/png", &badge),
            dala_core::Attachment::of("schools.csv", "text/csv", b"name\n"),
        ];
        let kept = attached_files(
            &instrument,
            vec![
                ("schools.csv".into(), b"name\n".to_vec()),
                ("badge.png".into(), badge.clone()),
                ("holiday.jpg".into(), b"not the form's".to_vec()),
            ],
        );
        assert_eq!(
            kept,
            vec![
                (instrument.attachments[1].clone(), b"name\n".to_vec()),
                (instrument.attachments[0].clone(), badge)
            ]
        );
    }

    #[test]
    fn one_form_is_picked_with_its_files() {
        let named = |names: &[&str]| -> Vec<Named<()>> {
            names.iter().map(|n| ((*n).to_string(), ())).collect()
        };
        let (form, files) =
            form_and_attachments(named(&["schools.csv", "Visit.XLSX", "pumps.geojson"]))
                .expect("one form");
        assert_eq!(form.0, "Visit.XLSX");
        assert_eq!(files, named(&["schools.csv", "pumps.geojson"]));
        assert!(
            form_and_attachments(named(&["a.json", "b.xlsx"])).is_none(),
            "two forms"
        );
        assert!(
            form_and_attachments(named(&["schools.csv"])).is_none(),
            "no form"
        );
    }

    fn record(id: &str, version: &str, status: Status) -> Submission {
        Submission {
            format: RECORD_FORMAT,
            held: Vec::new(),
            files: Vec::new(),
            instance_name: None,
            instance_id: id.into(),
            instrument_id: "fast".into(),
            instrument_version: version.into(),
            status,
            started: "2015-02-01T09:00:00.000+05:00".into(),
            updated: "2015-02-01T09:20:00.000+05:00".into(),
            finalized: (status == Status::Finalized)
                .then(|| "2015-02-01T09:20:00.000+05:00".into()),
            enumerator: "Dilnoza".into(),
            device_id: "web-1".into(),
            answers: BTreeMap::new(),
        }
    }

    #[test]
    fn imported_documents_must_read_and_compile() {
        let json = include_str!("../../../surveys/fast-family-outcomes/instrument.json");
        let instrument = import_json(json).expect("the seed imports");
        assert_eq!(instrument.settings.form_id, "fast_family_outcomes");
        let broken = import_json("{\"format\": 1,");
        assert!(
            broken.as_ref().is_err_and(|e| e.contains("line 1")),
            "{broken:?}"
        );
        // Reads, but a relevant names a question that does not exist: refused before storing.
        let dangling = json.replacen("${wave} = 'post'", "${no_such_question} = 'post'", 1);
        assert!(import_json(&dangling).is_err());
        assert!(is_workbook("Police.XLSX") && is_workbook("a.xls") && !is_workbook("a.json"));
    }

    #[test]
    fn numeric_versions_compare_as_numbers() {
        let v = |s: &[&str]| {
            s.iter()
                .map(std::string::ToString::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            latest_version(&v(&["9", "10"])).map(String::as_str),
            Some("10")
        );
        assert_eq!(
            latest_version(&v(&["2015020101", "2015030101"])).map(String::as_str),
            Some("2015030101")
        );
        assert_eq!(
            latest_version(&v(&["b", "a"])).map(String::as_str),
            Some("b")
        );
        assert_eq!(latest_version(&[]), None);
    }

    #[test]
    fn versions_are_grouped_by_form_newest_first() {
        let key = |f: &str, v: &str| (f.to_string(), v.to_string());
        let grouped = versions_by_form(vec![
            key("police", "9"),
            key("fast", "2015020101"),
            key("police", "10"),
            key("police", "2"),
        ]);
        assert_eq!(
            grouped,
            [
                (
                    "police".to_string(),
                    vec!["10".to_string(), "9".into(), "2".into()]
                ),
                ("fast".to_string(), vec!["2015020101".to_string()]),
            ]
        );
    }

    #[test]
    fn finalized_records_make_one_bundle_per_version_and_drafts_stay_home() {
        let records = [
            record("uuid:1", "1", Status::Finalized),
            record("uuid:2", "1", Status::Draft),
            record("uuid:3", "2", Status::Finalized),
            record("uuid:4", "1", Status::Finalized),
        ];
        let files = bundles(
            &records,
            "web-1",
            "2015-02-03T17:45:12.000+05:00",
            |_, _| None,
        );
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].name, "fast-1-web-1-2015-02-03T17-45.jsonl");
        assert_eq!(files[0].instance_ids, ["uuid:1", "uuid:4"]);
        // What the analyst's tools read back: a header, then one record a line.
        let bundle = read_bundle(&files[0].bytes).expect("a bundle");
        assert_eq!(bundle.header.instrument_version, "1");
        assert_eq!(bundle.records.len(), 2);
        assert!(bundle.bad_lines.is_empty());
        assert_eq!(files[1].instance_ids, ["uuid:3"]);
    }
}
