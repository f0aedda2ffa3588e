//! XLSForm import and export for the web app. Reading workbooks needs calamine and zip, which would
//! nearly double every download of the app, so this is a wasm module of its own: the build
//! puts it in dist/ (the service worker keeps it for offline use) and the app loads it only when
//! an enumerator picks an .xlsx or .xls file.

use wasm_bindgen::prelude::wasm_bindgen;

/// An XLSForm's bytes -> the instrument document (JSON), or the first error with its sheet
/// and cell. `file_name` gives the form_id when the settings sheet has none.
pub fn xlsform_json(bytes: &[u8], file_name: &str) -> Result<String, String> {
    let stem = file_name
        .rsplit_once('.')
        .map_or(file_name, |(stem, _)| stem);
    let conversion = dala_xlsform::read(bytes, stem);
    let errors: Vec<_> = conversion
        .diagnostics
        .iter()
        .filter(|d| !d.code.is_warning())
        .collect();
    match (conversion.instrument, errors.first()) {
        (Some(instrument), None) => Ok(instrument.to_json()),
        (_, Some(first)) => Err(format!("{} problem(s); the first: {first}", errors.len())),
        (None, None) => Err("no instrument in the file".into()),
    }
}

/// [`xlsform_json`] for JavaScript: an error comes back as a thrown string.
#[wasm_bindgen(js_name = xlsformJson)]
pub fn xlsform_json_js(bytes: &[u8], file_name: &str) -> Result<String, String> {
    xlsform_json(bytes, file_name)
}

/// A form picked with its attached files -> the instrument document and its lists (JSON
/// each), or the first problem. The form is an XLSForm workbook or an instrument document; the files
/// are `names[i]`, whose bytes are the next `sizes[i]` of `bytes`. The lists of the files the
/// form reads are read here, once, so the app keeps rows, not parsers.
pub fn form_with_files(
    form: &[u8],
    form_name: &str,
    names: &[String],
    sizes: &[u32],
    bytes: &[u8],
) -> Result<(String, String), String> {
    let mut files = std::collections::BTreeMap::new();
    let mut at = 0usize;
    for (name, size) in names.iter().zip(sizes) {
        let end = at + *size as usize;
        let piece = bytes
            .get(at..end)
            .ok_or("the files' bytes are shorter than their sizes")?;
        files.insert(name.clone(), piece.to_vec());
        at = end;
    }
    let (instrument, lists) = if form_name.to_ascii_lowercase().ends_with(".json") {
        let text = std::str::from_utf8(form).map_err(|e| format!("{form_name}: {e}"))?;
        let instrument = dala_core::Instrument::from_json(text).map_err(|e| e.to_string())?;
        let (lists, unreadable) = dala_xlsform::attachments::read_lists(&instrument, &files);
        if let Some((file, error)) = unreadable.first() {
            let line = error.line.map(|l| format!(" line {l}")).unwrap_or_default();
            return Err(format!(
                "X012 {file}{line}: {}",
                dala_xlsform::attachments::problem_words(&error.problem)
            ));
        }
        (instrument, lists)
    } else {
        let stem = form_name
            .rsplit_once('.')
            .map_or(form_name, |(stem, _)| stem);
        let conversion = dala_xlsform::read_with_files(form, stem, &files);
        let errors: Vec<_> = conversion
            .diagnostics
            .iter()
            .filter(|d| !d.code.is_warning())
            .collect();
        if let Some(first) = errors.first() {
            return Err(format!("{} problem(s); the first: {first}", errors.len()));
        }
        let instrument = conversion.instrument.ok_or("no instrument in the file")?;
        (instrument, conversion.lists)
    };
    let lists = serde_json::to_string(&lists).map_err(|e| e.to_string())?;
    Ok((instrument.to_json(), lists))
}

/// [`form_with_files`] for JavaScript: `[document, lists]`, or a thrown string. Two texts,
/// so the app parses each into its own type (no JSON value tree in Collect's download).
#[wasm_bindgen(js_name = formWithFiles)]
pub fn form_with_files_js(
    form: &[u8],
    form_name: &str,
    names: Vec<String>,
    sizes: Vec<u32>,
    bytes: &[u8],
) -> Result<Vec<String>, String> {
    form_with_files(form, form_name, &names, &sizes, bytes).map(|(a, b)| vec![a, b])
}

/// An instrument document (JSON) -> an XLSForm workbook (.xlsx bytes), so a designer can go
/// back to Excel; the workbook reads back to the same instrument.
pub fn instrument_xlsx(json: &str) -> Result<Vec<u8>, String> {
    let instrument = dala_core::Instrument::from_json(json).map_err(|e| e.to_string())?;
    let workbook = dala_xlsform::writer::to_workbook(&instrument);
    Ok(dala_xlsform::writer::write_xlsx(&workbook))
}

/// [`instrument_xlsx`] for JavaScript: the workbook's bytes, or a thrown string.
#[wasm_bindgen(js_name = instrumentXlsx)]
pub fn instrument_xlsx_js(json: &str) -> Result<Vec<u8>, String> {
    instrument_xlsx(json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_workbook_gives_the_seed_document() {
        let xlsx = include_bytes!("../../../surveys/fast-family-outcomes/instrument.xlsx");
        let json = include_str!("../../../surveys/fast-family-outcomes/instrument.json");
        let converted = xlsform_json(xlsx, "instrument.xlsx").expect("converts");
        // The seed .xlsx is written from the seed JSON (dala convert): the same instrument.
        let parse = |text: &str| dala_core::Instrument::from_json(text).expect("an instrument");
        assert_eq!(parse(&converted), parse(json));
    }

    #[test]
    fn an_instrument_goes_to_a_workbook_and_back_unchanged() {
        let json = include_str!("../../../surveys/police-gender-representation/instrument.json");
        let xlsx = instrument_xlsx(json).expect("writes");
        let back = xlsform_json(&xlsx, "police.xlsx").expect("reads back");
        let parse = |text: &str| dala_core::Instrument::from_json(text).expect("an instrument");
        assert_eq!(parse(&back), parse(json));
        assert!(instrument_xlsx("{").is_err());
    }

    #[test]
    fn a_workbook_comes_with_the_rows_of_its_attached_list() {
        let form = b"| survey |                                  |        |        |
                     |        | type                             | name   | label  |
                     |        | select_one_from_file schools.csv | school | School |";
        let csv = b"name,label\ns12,School 12\ns31,School 31\n";
        let names = ["notes.txt".to_string(), "schools.csv".to_string()];
        let mut bytes = b"not read".to_vec();
        bytes.extend_from_slice(csv);
        let (document, lists) =
            form_with_files(form, "visit.md", &names, &[8, csv.len() as u32], &bytes)
                .expect("imports");
        let instrument = dala_core::Instrument::from_json(&document).expect("a document");
        assert_eq!(instrument.attachments[0].name, "schools.csv");
        let lists: dala_core::Lists = serde_json::from_str(&lists).expect("lists");
        assert_eq!(lists["schools.csv"][1].name, "s31");
        let missing = form_with_files(form, "visit.md", &[], &[], &[]).expect_err("no file");
        assert!(missing.contains("X011"), "{missing}");
        let short = form_with_files(form, "visit.md", &names, &[8, 999], &bytes);
        assert!(short.is_err());
    }

    /// An instrument document picked with its list: the list is read; picked without it,
    /// the document comes back without the list and will not compile (V022, said by the app).
    #[test]
    fn a_document_comes_with_the_rows_of_its_attached_list() {
        let form = b"| survey |                                  |        |        |
                     |        | type                             | name   | label  |
                     |        | select_one_from_file schools.csv | school | School |";
        let csv = b"name,label\ns12,School 12\n";
        let names = ["schools.csv".to_string()];
        let (document, _) =
            form_with_files(form, "visit.md", &names, &[csv.len() as u32], csv).expect("imports");
        let (again, lists) = form_with_files(
            document.as_bytes(),
            "visit.json",
            &names,
            &[csv.len() as u32],
            csv,
        )
        .expect("a document");
        assert_eq!(again, document);
        let lists: dala_core::Lists = serde_json::from_str(&lists).expect("lists");
        assert_eq!(
            lists["schools.csv"][0].label.get("default", None),
            Some("School 12")
        );
        let (_, none) =
            form_with_files(document.as_bytes(), "visit.json", &[], &[], &[]).expect("a document");
        let none: dala_core::Lists = serde_json::from_str(&none).expect("lists");
        let instrument = dala_core::Instrument::from_json(&document).expect("a document");
        let refused = dala_core::Form::compile_with(&instrument, none).expect_err("no list");
        assert_eq!(refused[0].code, dala_core::VCode::MissingAttachment);
    }

    #[test]
    fn a_file_that_is_not_a_workbook_says_so() {
        let error = xlsform_json(b"PK\x03\x04 not really a zip", "x.xlsx").expect_err("refused");
        assert!(error.contains("problem"), "{error}");
    }
}
