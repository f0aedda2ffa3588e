//! Form attachments: the files beside a workbook (a CSV of villages, an XML of facilities, a
//! GeoJSON of water points), described for the instrument document and read as lists of rows
//! for the engine ([`dala_core::Lists`]). Each problem names the file and its line.

use dala_core::{Attachment, Choice, Text};
use std::collections::BTreeMap;

/// Rows beyond this many are refused: a list is read whole into memory, and ODK's own
/// guidance for select_one_from_file stops well before it.
pub const MAX_ROWS: usize = 200_000;

/// Why an attached file could not be read as a list.
#[derive(Clone, Debug, PartialEq)]
pub struct ListError {
    /// The line (CSV, XML) or feature (GeoJSON, counted from 1) where it went wrong.
    pub line: Option<u64>,
    pub problem: ListProblem,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ListProblem {
    /// Not UTF-8, not CSV, not well-formed XML or JSON: the parser's words.
    Unreadable(String),
    /// A CSV or XML list has no `name` column (GeoJSON: a feature has no id).
    NoNameColumn,
    TooManyRows,
    /// An extension Dala does not read lists from.
    NotAList,
}

/// The document's description of a file: its name, media type (from the extension), size and
/// SHA-256.
pub fn describe(name: &str, bytes: &[u8]) -> Attachment {
    Attachment::of(name, media_type(name), bytes)
}

/// The media type a form attachment's extension names.
pub fn media_type(name: &str) -> &'static str {
    let extension = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "csv" => "text/csv",
        "xml" => "application/xml",
        "geojson" => "application/geo+json",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "webp" => "image/webp",
        "bmp" => "image/bmp",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        "ogg" => "audio/ogg",
        "m4a" => "audio/mp4",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        _ => "application/octet-stream",
    }
}

/// Reads an attached file as the rows a form selects from or looks up: each row a [`Choice`]
/// (its `name`, its `label` in each language given, every other column kept by name).
pub fn read_list(name: &str, bytes: &[u8]) -> Result<Vec<Choice>, ListError> {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".csv") {
        read_csv(bytes)
    } else if lower.ends_with(".xml") {
        read_xml(bytes)
    } else if lower.ends_with(".geojson") {
        read_geojson(bytes)
    } else {
        Err(ListError {
            line: None,
            problem: ListProblem::NotAList,
        })
    }
}

/// A row of named columns as a choice: `name`, `label` or `label::LANGUAGE`, the rest extra.
fn row_to_choice(columns: impl IntoIterator<Item = (String, String)>) -> Option<Choice> {
    let mut name = None;
    let mut label = Text::default();
    let mut extra = BTreeMap::new();
    for (column, value) in columns {
        if column == "name" {
            name = Some(value);
        } else if column == "label" {
            label.0.insert("default".into(), value);
        } else if let Some(language) = column.strip_prefix("label::") {
            label.0.insert(language.trim().to_string(), value);
        } else {
            extra.insert(column, value);
        }
    }
    Some(Choice {
        name: name?,
        label,
        extra,
    })
}

fn unreadable(line: Option<u64>, message: impl ToString) -> ListError {
    ListError {
        line,
        problem: ListProblem::Unreadable(message.to_string()),
    }
}

fn read_csv(bytes: &[u8]) -> Result<Vec<Choice>, ListError> {
    // A byte order mark, as Excel writes CSV, is not part of the first column's name.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| unreadable(Some(1), e))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if !header.iter().any(|h| h == "name") {
        return Err(ListError {
            line: Some(1),
            problem: ListProblem::NoNameColumn,
        });
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| unreadable(e.position().map(csv::Position::line), e))?;
        if rows.len() == MAX_ROWS {
            return Err(ListError {
                line: record.position().map(csv::Position::line),
                problem: ListProblem::TooManyRows,
            });
        }
        let cells = header
            .iter()
            .cloned()
            .zip(record.iter().map(str::to_string));
        if let Some(choice) = row_to_choice(cells) {
            rows.push(choice);
        }
    }
    Ok(rows)
}

/// ODK's external XML: `<root><item><name>..</name><label>..</label>..</item>..</root>`;
/// each element under the root is a row and each element inside it a column.
fn read_xml(bytes: &[u8]) -> Result<Vec<Choice>, ListError> {
    use quick_xml::events::Event;
    let text = std::str::from_utf8(bytes).map_err(|e| unreadable(None, e))?;
    let mut reader = quick_xml::Reader::from_str(text);
    let line_at = |position: u64| -> u64 {
        let end = usize::try_from(position)
            .unwrap_or(usize::MAX)
            .min(text.len());
        text.as_bytes()[..end]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64
            + 1
    };
    let mut depth = 0usize;
    let mut row: Vec<(String, String)> = Vec::new();
    let mut column: Option<String> = None;
    let mut value = String::new();
    let mut rows = Vec::new();
    loop {
        let at = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| unreadable(Some(line_at(at)), e))?;
        match event {
            Event::Start(start) => {
                depth += 1;
                if depth == 3 {
                    column = Some(String::from_utf8_lossy(start.name().as_ref()).into_owned());
                    value.clear();
                }
            }
            Event::Empty(start) if depth == 2 => {
                let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
                row.push((name, String::new()));
            }
            Event::Text(t) if depth == 3 => {
                let piece = t
                    .xml_content()
                    .map_err(|e| unreadable(Some(line_at(at)), e))?;
                value.push_str(&piece);
            }
            Event::CData(t) if depth == 3 => {
                value.push_str(&String::from_utf8_lossy(&t));
            }
            Event::GeneralRef(r) if depth == 3 => {
                let entity = String::from_utf8_lossy(&r).into_owned();
                value.push_str(match entity.as_str() {
                    "lt" => "<",
                    "gt" => ">",
                    "amp" => "&",
                    "apos" => "'",
                    "quot" => "\"",
                    _ => "",
                });
            }
            Event::End(_) => {
                if depth == 3
                    && let Some(name) = column.take()
                {
                    row.push((name, value.trim().to_string()));
                } else if depth == 2 {
                    let line = line_at(at);
                    let columns = std::mem::take(&mut row);
                    let choice = row_to_choice(columns).ok_or(ListError {
                        line: Some(line),
                        problem: ListProblem::NoNameColumn,
                    })?;
                    if rows.len() == MAX_ROWS {
                        return Err(ListError {
                            line: Some(line),
                            problem: ListProblem::TooManyRows,
                        });
                    }
                    rows.push(choice);
                }
                depth = depth.saturating_sub(1);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(rows)
}

/// A GeoJSON FeatureCollection: each feature a row, named by its `id` (or its properties'
/// `id`), labelled by its `title`, with its other properties as columns and its geometry as
/// `geometry`, in ODK's `lat lon altitude accuracy` points joined by `; `.
fn read_geojson(bytes: &[u8]) -> Result<Vec<Choice>, ListError> {
    use serde_json::Value;
    let doc: Value =
        serde_json::from_slice(bytes).map_err(|e| unreadable(Some(e.line() as u64), e))?;
    let features = doc["features"]
        .as_array()
        .ok_or_else(|| unreadable(None, "not a FeatureCollection: no `features` list"))?;
    if features.len() > MAX_ROWS {
        return Err(ListError {
            line: Some(MAX_ROWS as u64 + 1),
            problem: ListProblem::TooManyRows,
        });
    }
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let mut rows = Vec::new();
    for (i, feature) in features.iter().enumerate() {
        let properties = feature["properties"].as_object();
        let id = feature
            .get("id")
            .or_else(|| properties.and_then(|p| p.get("id")))
            .map(text)
            .filter(|id| !id.is_empty())
            .ok_or(ListError {
                line: Some(i as u64 + 1),
                problem: ListProblem::NoNameColumn,
            })?;
        let mut columns = vec![("name".to_string(), id)];
        for (key, value) in properties.into_iter().flatten() {
            match key.as_str() {
                "id" => {}
                "title" => columns.push(("label".into(), text(value))),
                _ => columns.push((key.clone(), text(value))),
            }
        }
        columns.push(("geometry".into(), geometry(&feature["geometry"])));
        rows.extend(row_to_choice(columns));
    }
    Ok(rows)
}

/// A GeoJSON geometry as ODK writes a geopoint, geotrace or geoshape (GeoJSON is longitude
/// first; ODK latitude first).
fn geometry(g: &serde_json::Value) -> String {
    let point = |p: &serde_json::Value| -> Option<String> {
        let p = p.as_array()?;
        let (lon, lat) = (p.first()?.as_f64()?, p.get(1)?.as_f64()?);
        let altitude = p.get(2).and_then(serde_json::Value::as_f64).unwrap_or(0.0);
        Some(format!("{lat} {lon} {altitude} 0"))
    };
    let points = |list: &serde_json::Value| -> String {
        list.as_array()
            .into_iter()
            .flatten()
            .filter_map(point)
            .collect::<Vec<_>>()
            .join("; ")
    };
    match g["type"].as_str() {
        Some("Point") => point(&g["coordinates"]).unwrap_or_default(),
        Some("LineString") => points(&g["coordinates"]),
        Some("Polygon") => points(&g["coordinates"][0]),
        _ => String::new(),
    }
}

/// The sentence for a list problem (English, as the rest of the reader's messages).
pub fn problem_words(problem: &ListProblem) -> String {
    match problem {
        ListProblem::Unreadable(why) => format!("this file cannot be read as a list: {why}"),
        ListProblem::NoNameColumn => {
            "this list has no `name` column (a GeoJSON feature: no id)".to_string()
        }
        ListProblem::TooManyRows => format!("this list has more than {MAX_ROWS} rows"),
        ListProblem::NotAList => "a list is read from a .csv, .xml or .geojson file".to_string(),
    }
}

/// The lists of an instrument's attached files, from the files given: each list attachment
/// the document names and the files include, read; the files that cannot be read, with why.
/// A list attachment not among the files is left for [`dala_core::Form::compile_with`] to
/// refuse (V022).
pub fn read_lists(
    instrument: &dala_core::Instrument,
    files: &BTreeMap<String, Vec<u8>>,
) -> (dala_core::Lists, Vec<(String, ListError)>) {
    let mut lists = dala_core::Lists::new();
    let mut unreadable = Vec::new();
    for attachment in &instrument.attachments {
        if !dala_core::is_list_file(&attachment.name) {
            continue;
        }
        let Some(bytes) = files.get(&attachment.name) else {
            continue;
        };
        match read_list(&attachment.name, bytes) {
            Ok(rows) => {
                lists.insert(attachment.name.clone(), rows);
            }
            Err(error) => unreadable.push((attachment.name.clone(), error)),
        }
    }
    (lists, unreadable)
}
