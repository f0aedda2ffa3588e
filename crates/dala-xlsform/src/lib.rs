//! XLSForm -> Dala instrument. Reads .xlsx and .xls (calamine) and markdown tables in
//! pyxform's test layout, recognising the format by content; converts the sheets into an
//! instrument without loss; validates it with dala-core; and reports every problem with its
//! sheet, row and column. No I/O: the caller hands over the bytes.

// A diagnostic is returned once per file, so its size does not matter.
#![allow(clippy::result_large_err)]

pub mod attachments;
mod cfb_guard;
mod convert;
pub mod diagnostic;
pub mod headers;
mod markdown;
pub mod workbook;
pub mod writer;

pub use convert::{Conversion, convert, convert_with_files};
pub use diagnostic::{Code, Place, XCode, XDiagnostic};
pub use workbook::Limits;

/// What a workbook comes to: its compiled form, or why there is none: the sorted,
/// de-duplicated error codes (warnings never block), "no instrument" or "does not compile".
/// The corpus test and `cargo xtask compat` judge forms by this.
pub fn load(bytes: &[u8], file_stem: &str) -> Result<dala_core::Form, String> {
    let conversion = read(bytes, file_stem);
    let mut codes: Vec<&str> = conversion
        .diagnostics
        .iter()
        .filter(|d| !d.code.is_warning())
        .map(|d| d.code.as_str())
        .collect();
    codes.sort_unstable();
    codes.dedup();
    if !codes.is_empty() {
        return Err(codes.join(" "));
    }
    let instrument = conversion.instrument.ok_or("no instrument")?;
    dala_core::Form::compile_with(&instrument, conversion.lists)
        .map_err(|_| "does not compile".to_string())
}

/// Reads an XLSForm from its bytes. `file_stem` (the file name without extension) is the
/// form_id when the settings sheet gives none, as pyxform does.
pub fn read(bytes: &[u8], file_stem: &str) -> Conversion {
    match workbook::read(bytes) {
        Ok(workbook) => convert::convert(&workbook, file_stem),
        Err(diagnostic) => Conversion {
            instrument: None,
            diagnostics: vec![diagnostic],
            lists: dala_core::Lists::new(),
        },
    }
}

/// [`read`] with the files given beside the workbook (its form attachments, by name): those
/// the form reads are described in the instrument and read as lists.
pub fn read_with_files(
    bytes: &[u8],
    file_stem: &str,
    files: &std::collections::BTreeMap<String, Vec<u8>>,
) -> Conversion {
    match workbook::read(bytes) {
        Ok(workbook) => convert::convert_with_files(&workbook, file_stem, files),
        Err(diagnostic) => Conversion {
            instrument: None,
            diagnostics: vec![diagnostic],
            lists: dala_core::Lists::new(),
        },
    }
}

/// [`read`] within other limits than the defaults.
pub fn read_with(bytes: &[u8], file_stem: &str, limits: Limits) -> Conversion {
    match workbook::read_with(bytes, limits) {
        Ok(workbook) => convert::convert(&workbook, file_stem),
        Err(diagnostic) => Conversion {
            instrument: None,
            diagnostics: vec![diagnostic],
            lists: dala_core::Lists::new(),
        },
    }
}
