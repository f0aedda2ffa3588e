//! Every file of the shared XLSForm corpus (pyxform's own test files) either converts,
//! validates and loads in the engine, or fails with the codes written for it in
//! tests/corpus.txt. A new file without an expectation fails the test.

use dala_core::Engine;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/xlsform")
}

/// A file of the shared corpus, or None (with the one-line note) where the corpus is absent.
fn corpus_file(name: &str) -> Option<Vec<u8>> {
    let bytes = std::fs::read(corpus_dir().join(name)).ok();
    if bytes.is_none() {
        println!("the shared XLSForm corpus is not beside the clone; nothing to check");
    }
    bytes
}

/// Asserts that reading `bytes` gives exactly one diagnostic, X001, whose message has `needle`.
fn assert_refused(bytes: &[u8], needle: &str) {
    let conversion = dala_xlsform::read(bytes, "t");
    assert_eq!(
        conversion.diagnostics.len(),
        1,
        "{:?}",
        conversion.diagnostics
    );
    assert_eq!(conversion.diagnostics[0].code.as_str(), "X001");
    assert!(
        conversion.diagnostics[0].message.contains(needle),
        "{}",
        conversion.diagnostics[0].message
    );
}

/// `ok` (it loads and starts in the engine), or why not (see `dala_xlsform::load`).
pub fn outcome(bytes: &[u8], stem: &str) -> String {
    match dala_xlsform::load(bytes, stem) {
        Ok(form) => {
            let engine = Engine::new(form, super::reader::host());
            let _ = engine.pages();
            "ok".into()
        }
        Err(why) => why,
    }
}

#[test]
fn every_corpus_file_converts_or_fails_as_expected() {
    let dir = corpus_dir();
    if !dir.exists() {
        println!("the shared XLSForm corpus is not beside the clone; nothing to check");
        return;
    }
    let expectations: BTreeMap<String, String> = include_str!("../corpus.txt")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            l.split_once(':').map(|(f, e)| {
                (
                    f.trim().to_string(),
                    e.split('#').next().unwrap_or("").trim().to_string(),
                )
            })
        })
        .collect();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("xls" | "xlsx")))
        .collect();
    files.sort();
    let mut failures = Vec::new();
    for path in &files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let stem = path
            .file_stem()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let got = outcome(&std::fs::read(path).expect("read"), stem);
        match expectations.get(&name) {
            None => failures.push(format!(
                "{name}: no expectation in tests/corpus.txt (got `{got}`)"
            )),
            Some(want) if *want != got => {
                failures.push(format!("{name}: expected `{want}`, got `{got}`"));
            }
            Some(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn print_outcomes_when_asked() {
    if std::env::var_os("DALA_CORPUS_PRINT").is_none() {
        return;
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("corpus")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    files.sort();
    for path in files
        .iter()
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("xls" | "xlsx")))
    {
        let stem = path
            .file_stem()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let conversion = dala_xlsform::read(&std::fs::read(path).expect("read"), stem);
        println!(
            "== {}: {}",
            path.display(),
            outcome(&std::fs::read(path).expect("read"), stem)
        );
        for d in &conversion.diagnostics {
            println!("   {}", d.render().replace('\n', "\n   "));
        }
    }
}

#[test]
fn dump_when_asked() {
    let Some(name) = std::env::var_os("DALA_CORPUS_DUMP") else {
        return;
    };
    let bytes = std::fs::read(corpus_dir().join(name)).expect("read");
    let workbook = dala_xlsform::workbook::read(&bytes).expect("workbook");
    for sheet in &workbook.sheets {
        println!("# {}", sheet.name);
        for (row, cells) in sheet.rows() {
            println!("{row}: {cells:?}");
        }
    }
}

#[test]
fn a_form_saved_as_xls_and_as_xlsx_gives_the_same_instrument() {
    let dir = corpus_dir();
    if !dir.exists() {
        println!("the shared XLSForm corpus is not beside the clone; nothing to check");
        return;
    }
    let mut pairs = 0;
    for stem in [
        "text_and_integer",
        "yes_or_no_question",
        "group",
        "specify_other",
        "case_insensitivity",
        "loop",
    ] {
        let (xls, xlsx) = (
            dir.join(format!("{stem}.xls")),
            dir.join(format!("{stem}.xlsx")),
        );
        if !(xls.exists() && xlsx.exists()) {
            continue;
        }
        let a = dala_xlsform::read(&std::fs::read(&xls).expect("xls"), stem);
        let b = dala_xlsform::read(&std::fs::read(&xlsx).expect("xlsx"), stem);
        assert_eq!(a.instrument, b.instrument, "{stem}");
        let codes = |c: &dala_xlsform::Conversion| {
            c.diagnostics
                .iter()
                .map(|d| (d.code, d.place.cell()))
                .collect::<Vec<_>>()
        };
        assert_eq!(codes(&a), codes(&b), "{stem}");
        pairs += 1;
    }
    assert!(pairs >= 4);
}

#[test]
fn a_damaged_xls_that_panics_calamine_is_an_error() {
    // Found by fuzzing: calamine indexes past the end of a BIFF record in some damaged .xls
    // files. Two bytes of a real file flipped give one such file.
    let Some(mut bytes) = corpus_file("choice_name_as_type.xls") else {
        return;
    };
    bytes[3041] ^= 0xFF;
    bytes[3042] ^= 0x7F;
    assert_refused(&bytes, "its reader failed");
}

#[test]
fn a_truncated_xls_is_refused_by_the_container_check() {
    // Also found by fuzzing: truncations whose chains run past the file or loop.
    let Some(bytes) = corpus_file("cascading_select_test_equivalent.xls") else {
        return;
    };
    assert_refused(&bytes[..21_006.min(bytes.len())], "past the end");
}

#[test]
fn an_xls_whose_cells_span_a_huge_area_is_refused() {
    // Found by fuzzing: calamine's .xls reader allocates a sheet's whole bounding box, so one
    // cell moved to row 65,000 and column 2,000 cost gigabytes. Move one cell of a real file.
    let Some(mut bytes) = corpus_file("text_and_integer.xls") else {
        return;
    };
    // The last LABELSST record (type 0x00FD, length 10): row, column, format, string index.
    let at = bytes
        .windows(4)
        .rposition(|w| w == [0xFD, 0x00, 0x0A, 0x00])
        .expect("a LABELSST record");
    bytes[at + 4..at + 6].copy_from_slice(&65_000u16.to_le_bytes());
    bytes[at + 6..at + 8].copy_from_slice(&2_000u16.to_le_bytes());
    assert_refused(&bytes, "the limit is 4000000");
}

/// Regression (issue 17): a real .xls whose sheet claims 5 million cells (pyxform's
/// `extra_columns.xls`: formatting carried far past the form) was refused as damaged, and one
/// claiming 4 billion rows (found by fuzzing: the reader reserved the claim) must not cost what
/// it claims. Both now read as the file's real cells: the claim is brought down to them.
#[test]
fn an_xls_claiming_huge_dimensions_reads_as_its_cells() {
    let Some(original) = corpus_file("text_and_integer.xls") else {
        return;
    };
    let expected = dala_xlsform::read(&original, "t").instrument;
    assert!(expected.is_some(), "the file itself loads");
    // DIMENSIONS (type 0x0200, length 14): first row u32, row after the last u32, first
    // column u16, column after the last u16.
    let at = original
        .windows(4)
        .position(|w| w == [0x00, 0x02, 0x0E, 0x00])
        .expect("a DIMENSIONS record");
    for (rows, cols) in [(65_536u32, 80u16), (0xFFFF_FFF0, 256), (1_000, 6_000)] {
        let mut bytes = original.clone();
        bytes[at + 8..at + 12].copy_from_slice(&rows.to_le_bytes());
        bytes[at + 14..at + 16].copy_from_slice(&cols.to_le_bytes());
        let conversion = dala_xlsform::read(&bytes, "t");
        assert!(
            conversion.diagnostics.iter().all(|d| d.code.is_warning()),
            "{rows} x {cols}: {:?}",
            conversion.diagnostics
        );
        assert_eq!(conversion.instrument, expected, "{rows} x {cols}");
    }
    // A claim that ends before it starts (the reader's count would wrap round) reads too.
    let mut bytes = original.clone();
    bytes[at + 4..at + 8].copy_from_slice(&9_000u32.to_le_bytes());
    bytes[at + 8..at + 12].copy_from_slice(&10u32.to_le_bytes());
    assert_eq!(dala_xlsform::read(&bytes, "t").instrument, expected);
}
