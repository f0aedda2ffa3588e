//! pyxform's markdown layout for XLSForms written in tests and issues:
//!
//! ```text
//! | survey |          |       |          |
//! |        | type     | name  | label    |
//! |        | integer  | age   | Age      |
//! | choices|          |       |          |
//! |        | list_name| name  | label    |
//! ```
//! A row whose first cell is filled starts a sheet; the rows after it (first cell empty) are
//! the sheet's rows. `\|` is a literal bar inside a cell.

use crate::diagnostic::{XCode, XDiagnostic};
use crate::workbook::{Sheet, Workbook};

fn split_row(line: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut current = String::new();
    let mut chars = line.trim().chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                current.push('|');
                chars.next();
            }
            '|' => cells.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    cells.push(current);
    // The leading and trailing bars leave empty cells at both ends.
    if cells.first().is_some_and(|c| c.trim().is_empty()) {
        cells.remove(0);
    }
    if cells.last().is_some_and(|c| c.trim().is_empty()) {
        cells.pop();
    }
    cells.into_iter().map(|c| c.trim().to_string()).collect()
}

pub fn read(text: &str) -> Result<Workbook, XDiagnostic> {
    let mut workbook = Workbook::default();
    let mut current: Option<Sheet> = None;
    let mut row = 0u32;
    for (number, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if !trimmed.starts_with('|') {
            return Err(XDiagnostic::at(
                XCode::Unreadable,
                "markdown",
                number as u32,
                0,
                "every line of a markdown XLSForm starts with `|`",
            ));
        }
        let cells = split_row(trimmed);
        if cells
            .iter()
            .all(|c| c.chars().all(|ch| matches!(ch, '-' | ':' | ' ')))
        {
            continue;
        }
        match cells.first() {
            Some(first) if !first.is_empty() => {
                if let Some(sheet) = current.take() {
                    workbook.sheets.push(sheet);
                }
                current = Some(Sheet {
                    name: first.clone(),
                    ..Sheet::default()
                });
                row = 0;
            }
            _ => {
                let Some(sheet) = current.as_mut() else {
                    return Err(XDiagnostic::at(
                        XCode::Unreadable,
                        "markdown",
                        number as u32,
                        0,
                        "a row before the first sheet name",
                    ));
                };
                for (col, cell) in cells.iter().enumerate().skip(1) {
                    if !cell.is_empty() {
                        sheet.cells.insert((row, col as u32 - 1), cell.clone());
                    }
                }
                row += 1;
            }
        }
    }
    if let Some(sheet) = current {
        workbook.sheets.push(sheet);
    }
    Ok(workbook)
}
