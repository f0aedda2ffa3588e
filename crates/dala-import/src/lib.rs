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
    fn a_file_that_is_not_a_workbook_says_so() {
        let error = xlsform_json(b"PK\x03\x04 not really a zip", "x.xlsx").expect_err("refused");
        assert!(error.contains("problem"), "{error}");
    }
}
