//! The seed instruments also live as .xlsx beside their JSON (surveys/*/instrument.xlsx,
//! written by `writer`; regenerate with DALA_BLESS=1). Reading the .xlsx gives the JSON exactly.

use dala_core::Instrument;
use std::path::PathBuf;

#[test]
fn each_seed_xlsx_converts_to_its_json_exactly() {
    let surveys = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../surveys");
    let mut checked = 0;
    for entry in std::fs::read_dir(&surveys).expect("surveys/").flatten() {
        let dir = entry.path();
        let Ok(json) = std::fs::read_to_string(dir.join("instrument.json")) else {
            continue;
        };
        let instrument = Instrument::from_json(&json).expect("seed JSON reads");
        let xlsx_path = dir.join("instrument.xlsx");
        if std::env::var_os("DALA_BLESS").is_some() {
            let bytes =
                dala_xlsform::writer::write_xlsx(&dala_xlsform::writer::to_workbook(&instrument));
            std::fs::write(&xlsx_path, bytes).expect("write xlsx");
        }
        let bytes = std::fs::read(&xlsx_path).expect("instrument.xlsx (DALA_BLESS=1 writes it)");
        let conversion = dala_xlsform::read(&bytes, "instrument");
        assert!(
            conversion.diagnostics.is_empty(),
            "{}: {:#?}",
            dir.display(),
            conversion.diagnostics
        );
        assert_eq!(
            conversion.instrument.as_ref(),
            Some(&instrument),
            "{}",
            dir.display()
        );
        checked += 1;
    }
    assert!(checked >= 2);
}
