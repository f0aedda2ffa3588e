//! Bytes -> sheets of text cells. The format is recognised by content: a zip is .xlsx, an OLE
//! compound file is .xls, text starting with `|` is a markdown table in pyxform's test layout.
//!
//! Hostile files are bounded before and while they are read: the file size, the inflated size
//! of the zip entries (checked in the zip directory, before anything is inflated), and the
//! number of cells kept. Cells are read sparse, so a sheet that claims A1:XFD1048576 costs
//! what its real cells cost. Worksheets are parsed as a stream, so their inflated size is
//! bounded apart and far higher than that of the parts read whole (shared strings, styles):
//! a sheet whose formatting runs down a million empty rows is big when inflated but costs
//! only the time to pass over it.

use crate::diagnostic::{XCode, XDiagnostic};
use calamine::{Data, DataRef, Reader, Xls, Xlsx};
use std::collections::BTreeMap;
use std::io::Cursor;

/// The bounds a file is read within. The defaults are far above any real form (the largest
/// XLSForms seen in the field have a few thousand rows) and far below what hurts a tablet.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest file read, in bytes.
    pub file_bytes: usize,
    /// Largest total inflated size of an .xlsx's entries read whole (all but the worksheets).
    pub inflated_bytes: u64,
    /// Largest total inflated size of an .xlsx's worksheets, which are read as a stream.
    pub sheet_bytes: u64,
    /// Most non-empty cells kept across all sheets.
    pub cells: usize,
    /// Highest row and column read (0-based).
    pub row: u32,
    pub col: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            file_bytes: 20 << 20,
            inflated_bytes: 64 << 20,
            sheet_bytes: 512 << 20,
            cells: 1_000_000,
            row: 100_000,
            col: 1_000,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Xls,
    Markdown,
}

/// One sheet: its name as written and its non-empty cells as text, by (row, column), 0-based.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sheet {
    pub name: String,
    pub cells: BTreeMap<(u32, u32), String>,
}

impl Sheet {
    /// Rows in order, each as (row index, cells by column).
    pub fn rows(&self) -> Vec<(u32, BTreeMap<u32, &str>)> {
        let mut rows: BTreeMap<u32, BTreeMap<u32, &str>> = BTreeMap::new();
        for ((r, c), v) in &self.cells {
            rows.entry(*r).or_default().insert(*c, v.as_str());
        }
        rows.into_iter().collect()
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Workbook {
    pub sheets: Vec<Sheet>,
}

pub fn detect(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(b"PK\x03\x04") {
        Some(Format::Xlsx)
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        Some(Format::Xls)
    } else {
        let text = std::str::from_utf8(bytes).ok()?;
        text.lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .filter(|l| l.starts_with('|'))
            .map(|_| Format::Markdown)
    }
}

fn file_error(code: XCode, message: impl Into<String>) -> XDiagnostic {
    XDiagnostic::file(code, message)
}

pub fn read(bytes: &[u8]) -> Result<Workbook, XDiagnostic> {
    read_with(bytes, Limits::default())
}

pub fn read_with(bytes: &[u8], limits: Limits) -> Result<Workbook, XDiagnostic> {
    if bytes.is_empty() {
        return Err(file_error(XCode::Unreadable, "the file is empty"));
    }
    if bytes.len() > limits.file_bytes {
        return Err(file_error(
            XCode::TooLarge,
            format!(
                "the file is {} bytes; the limit is {}",
                bytes.len(),
                limits.file_bytes
            ),
        ));
    }
    match detect(bytes) {
        Some(Format::Xlsx) => read_xlsx(bytes, limits),
        Some(Format::Xls) => read_xls(bytes, limits),
        Some(Format::Markdown) => {
            crate::markdown::read(std::str::from_utf8(bytes).unwrap_or_default())
        }
        None => Err(file_error(
            XCode::Unreadable,
            "this is not an XLSForm: expected an .xlsx or .xls workbook (or a markdown table)",
        )),
    }
}

/// Refuses a zip whose entries would inflate past the limits, from its directory alone: the
/// worksheets (streamed) against one limit, every other entry (read whole) against another.
fn check_zip(bytes: &[u8], limits: Limits) -> Result<(), XDiagnostic> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| file_error(XCode::Unreadable, format!("the .xlsx file is damaged: {e}")))?;
    let (mut sheets, mut whole) = (0u64, 0u64);
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|e| {
            file_error(XCode::Unreadable, format!("the .xlsx file is damaged: {e}"))
        })?;
        // An entry that defers its size to a data descriptor is bounded by deflate's best
        // ratio (about 1032:1) over its compressed bytes.
        let size = if entry.size() == 0 && entry.compressed_size() > 0 {
            entry.compressed_size().saturating_mul(1032)
        } else {
            entry.size()
        };
        let name = entry.name().to_ascii_lowercase();
        if name.starts_with("xl/worksheets/") && name.ends_with(".xml") {
            sheets = sheets.saturating_add(size);
        } else {
            whole = whole.saturating_add(size);
        }
    }
    for (what, total, limit) in [
        ("its worksheets inflate", sheets, limits.sheet_bytes),
        ("its other parts inflate", whole, limits.inflated_bytes),
    ] {
        if total > limit {
            return Err(file_error(
                XCode::TooLarge,
                format!("the .xlsx: {what} to {total} bytes; the limit is {limit}"),
            ));
        }
    }
    Ok(())
}

fn read_xlsx(bytes: &[u8], limits: Limits) -> Result<Workbook, XDiagnostic> {
    guarded(".xlsx", || read_xlsx_unguarded(bytes, limits))
}

fn read_xlsx_unguarded(bytes: &[u8], limits: Limits) -> Result<Workbook, XDiagnostic> {
    check_zip(bytes, limits)?;
    let mut xlsx = Xlsx::new(Cursor::new(bytes)).map_err(|e| {
        file_error(
            XCode::Unreadable,
            format!("the .xlsx file cannot be read: {e}"),
        )
    })?;
    let mut workbook = Workbook::default();
    let mut kept = 0usize;
    for name in xlsx.sheet_names() {
        let mut sheet = Sheet {
            name: name.clone(),
            cells: BTreeMap::new(),
        };
        let mut reader = match xlsx.worksheet_cells_reader(&name) {
            Ok(reader) => reader,
            // Chart sheets and the like hold no cells.
            Err(calamine::XlsxError::NotAWorksheet(_)) => continue,
            Err(e) => {
                return Err(file_error(
                    XCode::Unreadable,
                    format!("sheet `{name}` cannot be read: {e}"),
                ));
            }
        };
        loop {
            let cell = match reader.next_cell() {
                Ok(Some(cell)) => cell,
                Ok(None) => break,
                Err(e) => {
                    return Err(file_error(
                        XCode::Unreadable,
                        format!("sheet `{name}` is damaged: {e}"),
                    ));
                }
            };
            let (row, col) = cell.get_position();
            let text = match cell.get_value() {
                DataRef::SharedString(s) => s.to_string(),
                other => text_of(&Data::from(other.clone())),
            };
            if text.trim().is_empty() {
                continue;
            }
            keep(&mut sheet, &mut kept, row, col, text, limits)?;
        }
        workbook.sheets.push(sheet);
    }
    Ok(workbook)
}

/// Runs a calamine reader, turning a panic inside it into an error. calamine's BIFF parser
/// indexes past the end of some damaged .xls files (found by fuzzing); a damaged upload must
/// be an error message, not a crash. (In wasm, which aborts on panic, this cannot help.)
fn guarded<T>(what: &str, read: impl FnOnce() -> Result<T, XDiagnostic>) -> Result<T, XDiagnostic> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)).unwrap_or_else(|_| {
        Err(file_error(
            XCode::Unreadable,
            format!("the {what} file is damaged: its reader failed"),
        ))
    })
}

fn read_xls(bytes: &[u8], limits: Limits) -> Result<Workbook, XDiagnostic> {
    guarded(".xls", || read_xls_unguarded(bytes, limits))
}

fn read_xls_unguarded(bytes: &[u8], limits: Limits) -> Result<Workbook, XDiagnostic> {
    // A copy of the file when a sheet's claimed size had to be brought down to its cells.
    let patched = crate::cfb_guard::check(bytes).map_err(|reason| {
        file_error(
            XCode::Unreadable,
            format!("the .xls file is damaged: {reason}"),
        )
    })?;
    let bytes = patched.as_deref().unwrap_or(bytes);
    let mut xls = Xls::new(Cursor::new(bytes)).map_err(|e| {
        file_error(
            XCode::Unreadable,
            format!("the .xls file cannot be read: {e}"),
        )
    })?;
    let mut workbook = Workbook::default();
    let mut kept = 0usize;
    for name in xls.sheet_names() {
        let range = xls.worksheet_range(&name).map_err(|e| {
            file_error(
                XCode::Unreadable,
                format!("sheet `{name}` cannot be read: {e}"),
            )
        })?;
        let mut sheet = Sheet {
            name: name.clone(),
            cells: BTreeMap::new(),
        };
        for (row, col, value) in range.used_cells() {
            let text = text_of(value);
            if text.trim().is_empty() {
                continue;
            }
            let (start_row, start_col) = range.start().unwrap_or((0, 0));
            keep(
                &mut sheet,
                &mut kept,
                start_row + row as u32,
                start_col + col as u32,
                text,
                limits,
            )?;
        }
        workbook.sheets.push(sheet);
    }
    Ok(workbook)
}

fn keep(
    sheet: &mut Sheet,
    kept: &mut usize,
    row: u32,
    col: u32,
    text: String,
    limits: Limits,
) -> Result<(), XDiagnostic> {
    if row > limits.row || col > limits.col {
        return Err(XDiagnostic::at(
            XCode::TooLarge,
            &sheet.name,
            row,
            col,
            format!(
                "a cell beyond row {} or column {}: forms are not this large",
                limits.row + 1,
                limits.col + 1
            ),
        ));
    }
    *kept += 1;
    if *kept > limits.cells {
        return Err(file_error(
            XCode::TooLarge,
            format!("more than {} cells", limits.cells),
        ));
    }
    sheet.cells.insert((row, col), text);
    Ok(())
}

/// A cell as the text a designer meant: whole numbers without `.0` (a version typed as a
/// number), dates as YYYY-MM-DD (a default typed as a date), booleans as true/false.
pub fn text_of(value: &Data) -> String {
    match value {
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => dala_expr::number_to_string(*f),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => excel_date(dt.as_f64(), dt.is_duration()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(_) | Data::Empty => String::new(),
    }
}

/// Excel's serial day (1900 system: day 25569 is 1970-01-01) to ISO text.
fn excel_date(serial: f64, duration: bool) -> String {
    if duration || !serial.is_finite() {
        return dala_expr::number_to_string(serial);
    }
    let days = serial.floor() as i64 - 25_569;
    let ms = ((serial - serial.floor()) * 86_400_000.0).round() as i64;
    if ms == 0 {
        return dala_expr::date::format_day(days);
    }
    if serial < 1.0 {
        let f = dala_expr::date::DateTime {
            epoch_ms: ms,
            offset_minutes: 0,
        }
        .local_fields();
        return format!("{:02}:{:02}:{:02}", f.hour, f.minute, f.second);
    }
    let f = dala_expr::date::DateTime {
        epoch_ms: days * 86_400_000 + ms,
        offset_minutes: 0,
    }
    .local_fields();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        f.year, f.month, f.day, f.hour, f.minute, f.second
    )
}
