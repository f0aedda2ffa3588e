//! Instrument -> XLSForm workbook -> .xlsx bytes, so a designer can go back to Excel (or
//! LibreOffice) and the seed instruments can live beside their JSON as spreadsheets. Every
//! cell is written as text; reading the file back gives the same instrument.

use crate::convert::TRANSLATED_TITLE;
use crate::workbook::{Sheet, Workbook};
use dala_core::{Capture, Column, Instrument, Item, ItemType, Text};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Write};

/// The languages used by a set of texts, in sorted order.
fn languages<'a>(texts: impl Iterator<Item = &'a Text>) -> Vec<String> {
    let set: BTreeSet<&String> = texts.flat_map(|t| t.0.keys()).collect();
    set.into_iter().cloned().collect()
}

fn type_text(item: &Item) -> String {
    let list = item.list.clone().unwrap_or_default();
    match item.capture {
        Some(Capture::Start) => return "start-geopoint".into(),
        Some(Capture::Trigger) => return "background-geopoint".into(),
        None => {}
    }
    match item.item_type {
        // A list that is an attached file: `select_one_from_file villages.csv`.
        ItemType::SelectOne | ItemType::SelectMultiple if dala_core::is_list_file(&list) => {
            format!("{}_from_file {list}", item.item_type.as_str())
        }
        ItemType::SelectOne | ItemType::SelectMultiple | ItemType::Rank => {
            format!("{} {list}", item.item_type.as_str())
        }
        ItemType::Group => "begin_group".into(),
        ItemType::Repeat => "begin_repeat".into(),
        other => other.as_str().to_string(),
    }
}

struct SheetWriter {
    sheet: Sheet,
    row: u32,
}

impl SheetWriter {
    fn new(name: &str, header: &[String]) -> SheetWriter {
        let mut w = SheetWriter {
            sheet: Sheet {
                name: name.into(),
                cells: BTreeMap::new(),
            },
            row: 0,
        };
        w.push(header.iter().map(|h| Some(h.clone())).collect());
        w
    }

    fn push(&mut self, cells: Vec<Option<String>>) {
        for (col, value) in cells.into_iter().enumerate() {
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                self.sheet.cells.insert((self.row, col as u32), v);
            }
        }
        self.row += 1;
    }
}

/// The instrument as XLSForm sheets: survey, choices and settings.
pub fn to_workbook(instrument: &Instrument) -> Workbook {
    let all: Vec<&Item> = instrument
        .walk()
        .into_iter()
        .map(|(_, item, _)| item)
        .collect();
    let mut header = vec!["type".to_string(), "name".to_string()];
    let mut text_cols: Vec<(Column, String)> = Vec::new();
    for column in Column::TEXTS {
        for language in languages(all.iter().filter_map(|i| column.text(i))) {
            header.push(format!("{}::{language}", column.as_str()));
            text_cols.push((column, language));
        }
    }
    let used_plain: Vec<Column> = Column::VALUES
        .into_iter()
        .filter(|c| all.iter().any(|i| c.value(i).is_some()))
        .collect();
    header.extend(used_plain.iter().map(|c| c.as_str().to_string()));
    let has_parameters = all.iter().any(|i| !i.parameters.is_empty());
    if has_parameters {
        header.push("parameters".into());
    }
    let attributes: BTreeSet<&String> = all.iter().flat_map(|i| i.attributes.keys()).collect();
    header.extend(attributes.iter().map(|a| (*a).clone()));

    let mut survey = SheetWriter::new("survey", &header);
    fn rows(
        items: &[Item],
        survey: &mut SheetWriter,
        write: &dyn Fn(&Item, String) -> Vec<Option<String>>,
    ) {
        for item in items {
            survey.push(write(item, type_text(item)));
            if item.item_type.is_container() {
                rows(&item.children, survey, write);
                let end = if item.item_type == ItemType::Repeat {
                    "end_repeat"
                } else {
                    "end_group"
                };
                let mut cells = vec![Some(end.to_string())];
                cells.resize(1, None);
                survey.push(cells);
            }
        }
    }
    let write = |item: &Item, kind: String| -> Vec<Option<String>> {
        let mut cells = vec![Some(kind), Some(item.name.clone())];
        for (column, language) in &text_cols {
            cells.push(column.text(item).and_then(|t| t.0.get(language).cloned()));
        }
        for column in &used_plain {
            cells.push(column.value(item).cloned());
        }
        if has_parameters {
            let joined: Vec<String> = item
                .parameters
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            cells.push(Some(joined.join(" ")));
        }
        for a in &attributes {
            cells.push(item.attributes.get(*a).cloned());
        }
        cells
    };
    // An attached list no select reads is read through instance() or pulldata(): XLSForm
    // declares it with `csv-external NAME` (or xml-external) for that.
    for attachment in &instrument.attachments {
        let selected = all
            .iter()
            .any(|i| i.item_type.is_select() && i.list.as_deref() == Some(&attachment.name));
        let external = match attachment.name.rsplit_once('.') {
            Some((stem, "csv")) => Some(("csv-external", stem)),
            Some((stem, "xml")) => Some(("xml-external", stem)),
            _ => None,
        };
        if let (false, Some((kind, stem))) = (selected, external) {
            survey.push(vec![Some(kind.to_string()), Some(stem.to_string())]);
        }
    }
    rows(&instrument.survey, &mut survey, &write);

    let choices: Vec<&dala_core::Choice> = instrument.choices.values().flatten().collect();
    let choice_languages = languages(choices.iter().map(|c| &c.label));
    let extra: BTreeSet<&String> = choices.iter().flat_map(|c| c.extra.keys()).collect();
    let mut header = vec!["list_name".to_string(), "name".to_string()];
    header.extend(choice_languages.iter().map(|l| format!("label::{l}")));
    header.extend(extra.iter().map(|e| (*e).clone()));
    let mut choice_sheet = SheetWriter::new("choices", &header);
    for (list, items) in &instrument.choices {
        for choice in items {
            let mut cells = vec![Some(list.clone()), Some(choice.name.clone())];
            cells.extend(
                choice_languages
                    .iter()
                    .map(|l| choice.label.0.get(l).cloned()),
            );
            cells.extend(extra.iter().map(|e| choice.extra.get(*e).cloned()));
            choice_sheet.push(cells);
        }
    }

    let s = &instrument.settings;
    let mut header = vec!["form_id".to_string(), "version".to_string()];
    let mut values = vec![Some(s.form_id.clone()), Some(s.version.clone())];
    // pyxform reads one title, the plain `form_title`, and fails on `form_title::LANG`: the
    // default language's title goes there, and when there are titles in several languages
    // each goes in a `dala_form_title_LANG` column too, which pyxform ignores and Dala reads
    // back in preference to the plain one.
    let default_key = s
        .default_language
        .clone()
        .unwrap_or_else(|| "default".to_string());
    let plain = s
        .title
        .0
        .get(&default_key)
        .or_else(|| s.title.0.values().next());
    if let Some(plain) = plain {
        header.push("form_title".into());
        values.push(Some(plain.clone()));
    }
    if s.title.0.len() > 1 || s.title.0.keys().any(|l| *l != default_key) {
        for (language, title) in &s.title.0 {
            header.push(format!("{TRANSLATED_TITLE}{language}"));
            values.push(Some(title.clone()));
        }
    }
    for (key, value) in [
        ("default_language", s.default_language.clone()),
        ("instance_name", s.instance_name.clone()),
        (
            "allow_choice_duplicates",
            s.allow_choice_duplicates.then(|| "yes".to_string()),
        ),
    ] {
        if value.is_some() {
            header.push(key.into());
            values.push(value);
        }
    }
    let mut settings = SheetWriter::new("settings", &header);
    settings.push(values);
    Workbook {
        sheets: vec![survey.sheet, choice_sheet.sheet, settings.sheet],
    }
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // XML 1.0 has no place for most control characters; drop them.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// The sheet's XML with inline strings; `dimension` is written as given (tests claim huge ones).
pub fn sheet_xml(sheet: &Sheet, dimension: Option<&str>) -> String {
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#,
    );
    if let Some(d) = dimension {
        xml.push_str(&format!(r#"<dimension ref="{d}"/>"#));
    }
    xml.push_str("<sheetData>");
    for (row, cells) in sheet.rows() {
        xml.push_str(&format!(r#"<row r="{}">"#, row + 1));
        for (col, value) in cells {
            let reference = format!("{}{}", crate::diagnostic::column_letters(col), row + 1);
            xml.push_str(&format!(
                r#"<c r="{reference}" t="inlineStr"><is><t xml:space="preserve">{}</t></is></c>"#,
                escape(value)
            ));
        }
        xml.push_str("</row>");
    }
    xml.push_str("</sheetData></worksheet>");
    xml
}

/// A minimal, valid .xlsx: content types, relationships, the workbook and one part a sheet.
/// Entries carry a fixed timestamp so the same workbook always gives the same bytes.
pub fn write_xlsx(workbook: &Workbook) -> Vec<u8> {
    let parts: Vec<(String, String)> = workbook
        .sheets
        .iter()
        .map(|s| (s.name.clone(), sheet_xml(s, None)))
        .collect();
    package(&parts)
}

/// Packs (sheet name, sheet XML) into an .xlsx.
pub fn package(sheets: &[(String, String)]) -> Vec<u8> {
    let mut content_types = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>"#,
    );
    let mut workbook = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>"#,
    );
    let mut rels = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
    );
    for (i, (name, _)) in sheets.iter().enumerate() {
        let n = i + 1;
        content_types.push_str(&format!(r#"<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#));
        workbook.push_str(&format!(
            r#"<sheet name="{}" sheetId="{n}" r:id="rId{n}"/>"#,
            escape(name)
        ));
        rels.push_str(&format!(r#"<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>"#));
    }
    content_types.push_str("</Types>");
    workbook.push_str("</sheets></workbook>");
    rels.push_str("</Relationships>");
    let root_rels = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;

    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    let mut entries: Vec<(String, String)> = vec![
        ("[Content_Types].xml".into(), content_types),
        ("_rels/.rels".into(), root_rels.into()),
        ("xl/workbook.xml".into(), workbook),
        ("xl/_rels/workbook.xml.rels".into(), rels),
    ];
    for (i, (_, xml)) in sheets.iter().enumerate() {
        entries.push((format!("xl/worksheets/sheet{}.xml", i + 1), xml.clone()));
    }
    for (name, body) in entries {
        // Writing to memory cannot fail; a failure here would be a bug in the zip crate.
        if zip.start_file(name, options).is_ok() {
            let _ = zip.write_all(body.as_bytes());
        }
    }
    zip.finish().map(Cursor::into_inner).unwrap_or_default()
}
