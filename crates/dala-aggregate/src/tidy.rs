//! Tidy CSV: one row per statistic of a table cell, with every cell made inert for
//! spreadsheets (a text starting with = + - @, a tab or a carriage return is prefixed with
//! `'`), while numbers stay numbers.

use std::borrow::Cow;
use std::io::Write;

#[derive(Clone, Debug, PartialEq)]
pub struct TidyRow {
    pub table: String,
    pub variable: String,
    /// The group of a disaggregated table (`district=osh`), empty for the whole sample.
    pub group: String,
    /// The choice code, or empty for a numeric summary.
    pub category: String,
    pub statistic: String,
    pub value: f64,
}

impl TidyRow {
    /// A row of a table over `variable` unnamed (tests and hand-made rows).
    pub fn new(table: &str, group: &str, category: &str, statistic: &str, value: f64) -> TidyRow {
        TidyRow {
            table: table.into(),
            variable: String::new(),
            group: group.into(),
            category: category.into(),
            statistic: statistic.into(),
            value,
        }
    }
}

/// A cell as a spreadsheet will take it as data, never as a formula.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    let is_number = !cell.is_empty()
        && cell.parse::<f64>().is_ok_and(f64::is_finite)
        && !cell.contains(['\t', '\r', '\n']);
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') if !is_number => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

fn number(value: f64) -> String {
    if value.is_nan() {
        String::new()
    } else {
        format!("{value}")
    }
}

pub fn write_csv(rows: &[TidyRow], out: impl Write) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record([
        "table",
        "variable",
        "group",
        "category",
        "statistic",
        "value",
    ])?;
    for r in rows {
        let value = number(r.value);
        writer.write_record([
            neutralise(&r.table).as_ref(),
            neutralise(&r.variable).as_ref(),
            neutralise(&r.group).as_ref(),
            neutralise(&r.category).as_ref(),
            neutralise(&r.statistic).as_ref(),
            value.as_str(),
        ])?;
    }
    writer.flush()?;
    Ok(())
}
