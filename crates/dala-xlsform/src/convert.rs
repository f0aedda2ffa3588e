//! Sheets -> instrument, remembering which row and column each part came from so that every
//! diagnostic, including dala-core's validation, points into the spreadsheet.

use crate::diagnostic::{Code, Place, XCode, XDiagnostic};
use crate::headers::{self, Column, Header};
use crate::workbook::{Sheet, Workbook};
use dala_core::{Capture, Choice, Instrument, Item, ItemType, Settings, Text};
use std::collections::{BTreeMap, HashMap};

/// What the conversion produced: the instrument (when the sheets could be read as one) and
/// every diagnostic, spreadsheet problems and validation problems alike.
#[derive(Debug, Default)]
pub struct Conversion {
    pub instrument: Option<Instrument>,
    pub diagnostics: Vec<XDiagnostic>,
    /// The attached files the form reads as lists, read (see [`crate::attachments`]).
    pub lists: dala_core::Lists,
}

impl Conversion {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| !d.code.is_warning())
    }
}

/// The language key of a column written without one (pyxform's convention).
const DEFAULT_LANGUAGE: &str = "default";

/// The settings column prefix of a title in one language (`dala_form_title_ru`): Dala's own,
/// beside the plain `form_title` that pyxform reads (pyxform fails on `form_title::ru`).
pub const TRANSLATED_TITLE: &str = "dala_form_title_";

struct Table<'a> {
    sheet: &'a Sheet,
    /// Column index -> parsed header.
    headers: BTreeMap<u32, Header>,
    /// Raw header text by column index.
    raw: BTreeMap<u32, String>,
    header_row: u32,
}

impl<'a> Table<'a> {
    fn new(sheet: &'a Sheet) -> Option<Table<'a>> {
        let rows = sheet.rows();
        let (header_row, cells) = rows.into_iter().next()?;
        let headers = cells.iter().map(|(c, v)| (*c, headers::parse(v))).collect();
        let raw = cells.iter().map(|(c, v)| (*c, v.to_string())).collect();
        Some(Table {
            sheet,
            headers,
            raw,
            header_row,
        })
    }

    fn column_of(&self, column: Column, language: Option<&str>) -> Option<u32> {
        self.headers
            .iter()
            .find(|(_, h)| matches!(h, Header::Known(c, l) if *c == column && (language.is_none() || l.as_deref() == language)))
            .map(|(i, _)| *i)
    }

    fn data_rows(&self) -> Vec<(u32, BTreeMap<u32, &'a str>)> {
        self.sheet
            .rows()
            .into_iter()
            .filter(|(r, _)| *r > self.header_row)
            .collect()
    }
}

/// Reads one row into known columns (with languages) and extras.
#[derive(Default)]
struct Row {
    known: BTreeMap<Column, String>,
    texts: BTreeMap<Column, Text>,
    extras: BTreeMap<String, String>,
}

/// Typographic quotes as plain ones, as pyxform reads every cell: a spreadsheet's
/// autocorrect turns `'yes'` into `‘yes’`, which no expression parser takes.
fn plain_quotes(value: &str) -> std::borrow::Cow<'_, str> {
    if value.contains(['\u{2018}', '\u{2019}', '\u{201c}', '\u{201d}']) {
        std::borrow::Cow::Owned(
            value
                .replace(['\u{2018}', '\u{2019}'], "'")
                .replace(['\u{201c}', '\u{201d}'], "\""),
        )
    } else {
        std::borrow::Cow::Borrowed(value)
    }
}

/// `clean`: runs of spaces collapsed to one, as pyxform cleans the survey sheet's values
/// unless the settings say `clean_text_values: no` (`'abc  def'` in a calculation is
/// `'abc def'`).
fn read_row(
    table: &Table<'_>,
    cells: &BTreeMap<u32, &str>,
    languages: &mut Vec<String>,
    clean: bool,
) -> Row {
    let mut row = Row::default();
    for (col, value) in cells {
        let value = plain_quotes(value.trim());
        let value = if clean && value.contains("  ") {
            let parts: Vec<&str> = value.split(' ').filter(|p| !p.is_empty()).collect();
            std::borrow::Cow::Owned(parts.join(" "))
        } else {
            value
        };
        let value = value.as_ref();
        if value.is_empty() {
            continue;
        }
        match table.headers.get(col) {
            Some(Header::Known(column, language)) if column.translatable() => {
                let language = language
                    .clone()
                    .unwrap_or_else(|| DEFAULT_LANGUAGE.to_string());
                if *column == Column::Label && !languages.contains(&language) {
                    languages.push(language.clone());
                }
                row.texts
                    .entry(*column)
                    .or_default()
                    .0
                    .insert(language, value.to_string());
            }
            Some(Header::Known(column, _)) => {
                row.known.insert(*column, value.to_string());
            }
            Some(Header::Extra(name)) => {
                row.extras.insert(name.clone(), value.to_string());
            }
            Some(Header::Comment) | None => {}
        }
    }
    row
}

/// A question type as written: `select_one list`, `select one list or_other`, `begin group`.
enum Kind {
    Item(ItemType, Option<String>, bool),
    Begin(ItemType),
    End(ItemType),
    /// `begin loop over LIST`: a group, repeated for each choice of the list.
    BeginLoop(String),
    EndLoop,
    /// start, end, today: kept as calculates of the clock.
    Clock(&'static str),
    /// start-geopoint, background-geopoint: a geopoint the device fills.
    Captured(Capture),
    /// csv-external, xml-external: an attached file (NAME.csv, NAME.xml) the form reads
    /// through `instance()` or `pulldata()`; the extension.
    External(&'static str),
    Metadata,
    Unsupported,
    Unknown,
}

fn kind(type_text: &str) -> Kind {
    // The type keyword is compared loosely (case, `_` or space); a list name is kept as written.
    let words: Vec<&str> = type_text.split_whitespace().collect();
    let keyword = |w: &str| w.to_lowercase().replace('_', " ");
    let joined: Vec<String> = words.iter().map(|w| keyword(w)).collect();
    let head = joined.join(" ");
    let list_after = |prefix_words: usize| -> (Option<String>, bool) {
        let rest: Vec<&str> = words.clone();
        // `select_one` is one word, `select one` two: count the words the keyword used.
        let list = rest.get(prefix_words).map(std::string::ToString::to_string);
        let or_other = rest
            .get(prefix_words + 1)
            .is_some_and(|w| w.eq_ignore_ascii_case("or_other"));
        (list, or_other)
    };
    let first = joined.first().map(String::as_str).unwrap_or_default();
    let second = joined.get(1).map(String::as_str).unwrap_or_default();
    let select = |item_type: ItemType, used: usize| {
        let (list, or_other) = list_after(used);
        if list.is_none() {
            Kind::Unknown
        } else {
            Kind::Item(item_type, list, or_other)
        }
    };
    // `select_one_from_file villages.csv`: the file is the list. `select_one_external LIST`:
    // the list is on the external_choices sheet.
    match first {
        "select one from file" | "select one external" => {
            return select(ItemType::SelectOne, 1);
        }
        "select multiple from file" | "select multiple external" => {
            return select(ItemType::SelectMultiple, 1);
        }
        "osm" => return Kind::Unsupported,
        // The instance is named in the name column: `csv-external | villages`.
        "csv-external" => return Kind::External("csv"),
        "xml-external" => return Kind::External("xml"),
        _ => {}
    }
    // The old spellings pyxform still reads: `select one from LIST [or specify other]`,
    // `select all that apply from LIST`.
    for (prefix, item_type) in [
        ("select one from ", ItemType::SelectOne),
        ("select multiple from ", ItemType::SelectMultiple),
        ("select all that apply from ", ItemType::SelectMultiple),
    ] {
        if head.starts_with(prefix) {
            let used = prefix.split_whitespace().count();
            let list = words.get(used).map(std::string::ToString::to_string);
            let or_other = head.ends_with(" or specify other");
            return match list {
                Some(list) => Kind::Item(item_type, Some(list), or_other),
                None => Kind::Unknown,
            };
        }
    }
    if head.starts_with("begin loop") {
        // `begin loop over LIST` (pyxform also reads `begin_loop over LIST`).
        // The list name is kept as written: the words after `over`, which must be one.
        let over = words.iter().position(|w| w.eq_ignore_ascii_case("over"));
        return match over.map(|at| &words[at + 1..]) {
            Some([list]) => Kind::BeginLoop((*list).to_string()),
            _ => Kind::Unknown,
        };
    }
    if head == "end loop" {
        return Kind::EndLoop;
    }
    if head == "include" || head.starts_with("include ") {
        return Kind::Unsupported;
    }
    match (first, second) {
        ("select one", _) => return select(ItemType::SelectOne, 1),
        ("select multiple", _) => return select(ItemType::SelectMultiple, 1),
        ("select", "one") => return select(ItemType::SelectOne, 2),
        ("select", "multiple") => return select(ItemType::SelectMultiple, 2),
        ("rank", _) if words.len() == 2 => return select(ItemType::Rank, 1),
        (
            "select one from file"
            | "select multiple from file"
            | "select one external"
            | "select multiple external"
            | "osm",
            _,
        ) => {
            return Kind::Unsupported;
        }
        _ => {}
    }
    let bare = head.strip_prefix("uri:").unwrap_or(&head);
    match bare {
        "begin group" => Kind::Begin(ItemType::Group),
        "end group" => Kind::End(ItemType::Group),
        "begin repeat" => Kind::Begin(ItemType::Repeat),
        "end repeat" => Kind::End(ItemType::Repeat),
        "text" | "string" => Kind::Item(ItemType::Text, None, false),
        "integer" | "int" => Kind::Item(ItemType::Integer, None, false),
        "decimal" => Kind::Item(ItemType::Decimal, None, false),
        "date" => Kind::Item(ItemType::Date, None, false),
        "time" => Kind::Item(ItemType::Time, None, false),
        "datetime" => Kind::Item(ItemType::DateTime, None, false),
        "note" => Kind::Item(ItemType::Note, None, false),
        "calculate" => Kind::Item(ItemType::Calculate, None, false),
        "acknowledge" | "trigger" => Kind::Item(ItemType::Acknowledge, None, false),
        "range" => Kind::Item(ItemType::Range, None, false),
        "geopoint" | "gps" | "location" => Kind::Item(ItemType::Geopoint, None, false),
        "geotrace" => Kind::Item(ItemType::Geotrace, None, false),
        "geoshape" => Kind::Item(ItemType::Geoshape, None, false),
        "start" => Kind::Clock("once(now())"),
        "end" => Kind::Clock("now()"),
        "today" => Kind::Clock("once(today())"),
        "start-geopoint" | "start geopoint" => Kind::Captured(Capture::Start),
        "background-geopoint" => Kind::Captured(Capture::Trigger),
        "phone number" => Kind::Item(ItemType::Text, None, false),
        "get start time" => Kind::Clock("once(now())"),
        "get end time" => Kind::Clock("now()"),
        "get today" => Kind::Clock("once(today())"),
        "deviceid" | "subscriberid" | "simserial" | "phonenumber" | "username" | "email"
        | "audit" | "imei" | "get device id" | "get subscriber id" | "get sim id"
        | "get phone number" | "set form title" | "set form id" => Kind::Metadata,
        "image" | "photo" => Kind::Item(ItemType::Image, None, false),
        "audio" => Kind::Item(ItemType::Audio, None, false),
        "video" => Kind::Item(ItemType::Video, None, false),
        "file" => Kind::Item(ItemType::File, None, false),
        "barcode" => Kind::Item(ItemType::Barcode, None, false),
        "background audio" | "xml external" | "csv external" | "hidden" => Kind::Unsupported,
        _ => Kind::Unknown,
    }
}

/// Where each item came from: JSON pointer -> (sheet, row).
type SourceMap = HashMap<String, (String, u32)>;

struct Builder<'a> {
    diagnostics: Vec<XDiagnostic>,
    survey: Option<Table<'a>>,
    /// Languages of the label columns, in the order met.
    languages: Vec<String>,
    sources: SourceMap,
    /// The settings' `clean_text_values` (yes unless they say no): see [`read_row`].
    clean_text: bool,
    /// Attached files the form reads, each with the row that first names it.
    needs: Vec<Need>,
}

/// An attached file a row of the form reads.
struct Need {
    file: String,
    sheet: String,
    row: u32,
    col: Option<u32>,
}

impl Builder<'_> {
    fn push(
        &mut self,
        code: XCode,
        sheet: &str,
        row: u32,
        col: Option<u32>,
        header: Option<String>,
        message: String,
    ) {
        self.diagnostics.push(XDiagnostic {
            code: Code::Sheet(code),
            place: Place {
                sheet: sheet.to_string(),
                row: Some(row),
                col,
                header,
            },
            message,
            expression: None,
        });
    }
}

fn find_sheet<'a>(workbook: &'a Workbook, name: &str) -> Option<&'a Sheet> {
    workbook
        .sheets
        .iter()
        .find(|s| s.name.trim().eq_ignore_ascii_case(name))
}

/// Converts sheets into an instrument, then validates it.
pub fn convert(workbook: &Workbook, file_stem: &str) -> Conversion {
    convert_with_files(workbook, file_stem, &BTreeMap::new())
}

/// [`convert`] with the files given beside the workbook (its form attachments, by name).
pub fn convert_with_files(
    workbook: &Workbook,
    file_stem: &str,
    files: &BTreeMap<String, Vec<u8>>,
) -> Conversion {
    let mut b = Builder {
        diagnostics: Vec::new(),
        survey: None,
        languages: Vec::new(),
        sources: HashMap::new(),
        clean_text: true,
        needs: Vec::new(),
    };
    // A workbook of one sheet, whatever its name, is read as the survey, as pyxform reads it.
    let survey_sheet = find_sheet(workbook, "survey").or(match workbook.sheets.as_slice() {
        [only] => Some(only),
        _ => None,
    });
    for sheet in &workbook.sheets {
        let lower = sheet.name.trim().to_lowercase();
        let is_survey = survey_sheet.is_some_and(|s| std::ptr::eq(s, sheet));
        if !is_survey
            && !matches!(
                lower.as_str(),
                "survey" | "choices" | "settings" | "external_choices"
            )
        {
            b.diagnostics.push(XDiagnostic {
                code: Code::Sheet(XCode::IgnoredSheet),
                place: Place {
                    sheet: sheet.name.clone(),
                    ..Place::default()
                },
                message: format!(
                    "the sheet `{}` is not survey, choices or settings, so it is ignored",
                    sheet.name
                ),
                expression: None,
            });
        }
    }
    let Some(survey_sheet) = survey_sheet else {
        let names: Vec<&str> = workbook.sheets.iter().map(|s| s.name.as_str()).collect();
        b.diagnostics.push(XDiagnostic::file(
            XCode::NoSurvey,
            format!(
                "the workbook has no `survey` sheet (its sheets: {})",
                names.join(", ")
            ),
        ));
        return Conversion {
            instrument: None,
            diagnostics: b.diagnostics,
            lists: dala_core::Lists::new(),
        };
    };
    let Some(survey) = Table::new(survey_sheet) else {
        b.diagnostics.push(XDiagnostic::file(
            XCode::NoSurvey,
            "the `survey` sheet is empty",
        ));
        return Conversion {
            instrument: None,
            diagnostics: b.diagnostics,
            lists: dala_core::Lists::new(),
        };
    };
    if survey.column_of(Column::Type, None).is_none()
        || survey.column_of(Column::Name, None).is_none()
    {
        let row = survey.header_row;
        b.push(
            XCode::NoSurvey,
            &survey_sheet.name,
            row,
            None,
            None,
            "the `survey` sheet needs `type` and `name` columns in its first row".into(),
        );
        return Conversion {
            instrument: None,
            diagnostics: b.diagnostics,
            lists: dala_core::Lists::new(),
        };
    }

    let mut choices = read_choices(&mut b, find_sheet(workbook, "choices"));
    // `select_one_external LIST` reads LIST from the external_choices sheet (pyxform writes
    // it out as itemsets.csv for ODK; here it is one more set of lists).
    // Its lists are cascades, where one name comes under several parents, and pyxform does
    // not check them for duplicates: a form that has such a list allows duplicates.
    let mut external_duplicates = false;
    // FIXME: a list of the same name on both sheets is merged here; pyxform keeps them apart
    // (select_one reads the choices sheet's, select_one_external the other).
    for (list, rows) in read_choices(&mut b, find_sheet(workbook, "external_choices")) {
        let merged = choices.entry(list).or_default();
        merged.extend(rows);
        let mut seen = std::collections::BTreeSet::new();
        external_duplicates |= !merged.iter().all(|row| seen.insert(row.name.clone()));
    }
    let settings = read_settings(&mut b, find_sheet(workbook, "settings"), file_stem);
    let (survey_items, extra_choices) = read_survey(&mut b, &survey, &choices);
    for (list, choice) in extra_choices {
        let entry = choices.entry(list).or_default();
        if !entry.iter().any(|c| c.name == choice.name) {
            entry.push(choice);
        }
    }
    b.survey = Some(survey);
    let mut settings = settings;
    if settings.default_language.is_none() {
        settings.default_language = if b.languages.iter().any(|l| l == DEFAULT_LANGUAGE) {
            Some(DEFAULT_LANGUAGE.to_string())
        } else {
            b.languages.first().cloned()
        };
    }
    settings.allow_choice_duplicates |= external_duplicates;
    let mut instrument = Instrument {
        format: dala_core::FORMAT,
        settings,
        survey: survey_items,
        choices,
        attachments: Vec::new(),
    };
    let lists = attach(&mut b, &mut instrument, files);
    for d in dala_core::validate(&instrument) {
        // A select on a file that was not given is said once, by X011.
        if let dala_core::Finding::UnknownChoiceList { list } = &d.finding
            && dala_core::is_list_file(list)
            && !files.contains_key(list)
        {
            continue;
        }
        let located = locate(&b, &instrument, d);
        b.diagnostics.push(located);
    }
    Conversion {
        instrument: Some(instrument),
        diagnostics: b.diagnostics,
        lists,
    }
}

/// The files the form reads, from those given: each described in the document and read as a
/// list. A file the form needs and was not given is an error at the row that needs it
/// (X011); one that cannot be read, an error at its own line (X012).
fn attach(
    b: &mut Builder<'_>,
    instrument: &mut Instrument,
    files: &BTreeMap<String, Vec<u8>>,
) -> dala_core::Lists {
    // `pulldata('villages', ...)` and `instance('villages')` in expressions name a file by its
    // stem; a choice list of the same name is the form's own.
    for (pointer, item, _) in instrument.walk() {
        for column in dala_core::Column::EXPRESSIONS {
            let Some(source) = column.value(item) else {
                continue;
            };
            for name in read_by_name(source) {
                if instrument.choices.contains_key(&name) {
                    continue;
                }
                let file = files
                    .keys()
                    .find(|f| {
                        dala_core::is_list_file(f)
                            && f.rsplit_once('.').is_some_and(|(stem, _)| stem == name)
                    })
                    .cloned()
                    .unwrap_or_else(|| format!("{name}.csv"));
                let (sheet, row) = b.sources.get(&pointer).cloned().unwrap_or_default();
                b.needs.push(Need {
                    file,
                    sheet,
                    row,
                    col: None,
                });
            }
        }
    }
    let mut lists = dala_core::Lists::new();
    let needs = std::mem::take(&mut b.needs);
    // Each file once, at the first row that needs it.
    let mut seen = std::collections::BTreeSet::new();
    for need in needs {
        if !seen.insert(need.file.clone()) {
            continue;
        }
        let Some(bytes) = files.get(&need.file) else {
            b.push(
                XCode::MissingAttachment,
                &need.sheet,
                need.row,
                need.col,
                None,
                format!(
                    "this row reads the attached file `{}`, which was not given with the form",
                    need.file
                ),
            );
            continue;
        };
        instrument
            .attachments
            .push(crate::attachments::describe(&need.file, bytes));
        match crate::attachments::read_list(&need.file, bytes) {
            Ok(rows) => {
                lists.insert(need.file, rows);
            }
            Err(error) => b.diagnostics.push(XDiagnostic {
                code: Code::Sheet(XCode::BadAttachment),
                place: Place {
                    sheet: need.file.clone(),
                    row: error
                        .line
                        .and_then(|l| u32::try_from(l.saturating_sub(1)).ok()),
                    ..Place::default()
                },
                message: crate::attachments::problem_words(&error.problem),
                expression: None,
            }),
        }
    }
    attach_label_media(b, instrument, files);
    lists
}

/// The pictures, sounds and videos labels show, from the files given: each described in the
/// document; one not given is a warning at the first row that names it (X013), as ODK lets a
/// form go out before its media.
fn attach_label_media(
    b: &mut Builder<'_>,
    instrument: &mut Instrument,
    files: &BTreeMap<String, Vec<u8>>,
) {
    for used in instrument.label_media_files() {
        if instrument.attachments.iter().any(|a| a.name == used.file) {
            continue;
        }
        match files.get(&used.file) {
            Some(bytes) => instrument
                .attachments
                .push(crate::attachments::describe(&used.file, bytes)),
            None => {
                let (sheet, row) = b.sources.get(&used.pointer).cloned().unwrap_or_default();
                // The survey sheet's column of that header (the choices sheet's table is
                // not kept: its row alone is named).
                let col = b
                    .survey
                    .as_ref()
                    .filter(|table| table.sheet.name == sheet)
                    .and_then(|table| {
                        table.headers.iter().find_map(|(col, header)| {
                            matches!(header, Header::Extra(name) if *name == used.column)
                                .then_some(*col)
                        })
                    });
                b.push(
                    XCode::LabelMediaNotGiven,
                    &sheet,
                    row,
                    col,
                    Some(used.column.clone()),
                    format!(
                        "this row's label shows the file `{}`, which was not given with the \
                         form; the label shows its text without it",
                        used.file
                    ),
                );
            }
        }
    }
}

/// The lists an expression reads by name: the first argument of `pulldata('NAME', ...)` and
/// of `instance('NAME')`.
fn read_by_name(source: &str) -> Vec<String> {
    use dala_expr::ast::ExprKind;
    // Most expressions name neither: they are not parsed a second time for this.
    if !source.contains("pulldata") && !source.contains("instance") {
        return Vec::new();
    }
    let parsed = dala_expr::parse(source);
    let mut names = Vec::new();
    dala_expr::walk(&parsed.expr, &mut |e| {
        if let ExprKind::Call(dala_expr::Function::Pulldata | dala_expr::Function::Instance, args) =
            &e.kind
            && let Some(ExprKind::String(name)) = args.first().map(|a| &a.kind)
        {
            names.push(name.to_string());
        }
    });
    names
}

fn read_survey(
    b: &mut Builder<'_>,
    table: &Table<'_>,
    choices: &BTreeMap<String, Vec<Choice>>,
) -> (Vec<Item>, Vec<(String, Choice)>) {
    let sheet = table.sheet.name.clone();
    let type_col = table.column_of(Column::Type, None);
    let name_col = table.column_of(Column::Name, None);
    let mut stack: Vec<Open> = Vec::new();
    let mut top: Vec<Item> = Vec::new();
    let mut other_choices: Vec<(String, Choice)> = Vec::new();
    let mut languages = std::mem::take(&mut b.languages);
    // Each item's row is recorded under the JSON pointer it will have once placed
    // (`place_pointer`), so validation diagnostics can be traced back to their row.
    for (row_index, cells) in table.data_rows() {
        let row = read_row(table, &cells, &mut languages, b.clean_text);
        let type_text = row.known.get(&Column::Type).cloned().unwrap_or_default();
        let name = row.known.get(&Column::Name).cloned().unwrap_or_default();
        if type_text.is_empty() && name.is_empty() && row.texts.is_empty() {
            continue;
        }
        if type_text.starts_with('#') {
            continue;
        }
        let kind = kind(&type_text);
        // A note without a name gets pyxform's: `generated_note_name_` and its row.
        let name = match kind {
            Kind::Item(ItemType::Note, ..) if name.is_empty() => {
                format!("generated_note_name_{}", row_index + 1)
            }
            _ => name,
        };
        let make = |item_type: ItemType, list: Option<String>| -> Item {
            let mut item = Item::new(item_type, &name);
            item.list = list;
            for column in Column::TEXTS {
                if let (Some(text), Some(slot)) =
                    (row.texts.get(&column), column.text_mut(&mut item))
                {
                    *slot = text.clone();
                }
            }
            for column in Column::EXPRESSIONS.into_iter().chain([Column::Appearance]) {
                if let Some(slot) = column.value_mut(&mut item) {
                    *slot = row.known.get(&column).cloned();
                }
            }
            if let Some(p) = row.known.get(&Column::Parameters) {
                for pair in p.split([' ', ';', ',']).filter(|s| !s.is_empty()) {
                    // Keys in any case, as pyxform reads them (`Start=2 eNd=9`).
                    if let Some((k, v)) = pair.split_once('=') {
                        item.parameters
                            .insert(k.trim().to_lowercase(), v.trim().to_string());
                    }
                }
            }
            item.attributes = row.extras.clone();
            item
        };
        let place = |item: Item, stack: &mut Vec<Open>, top: &mut Vec<Item>| match stack.last_mut()
        {
            Some(open) => open.item.children.push(item),
            None => top.push(item),
        };
        // A group, a repeat or a loop opens (a loop is a group until its end, when it is
        // expanded).
        let opens = match &kind {
            Kind::Begin(item_type) => Some((*item_type, None)),
            Kind::BeginLoop(list) => Some((ItemType::Group, Some(list.clone()))),
            _ => None,
        };
        if let Some((item_type, over)) = opens {
            if name.is_empty() {
                b.push(
                    XCode::MissingTypeOrName,
                    &sheet,
                    row_index,
                    name_col,
                    Some("name".into()),
                    format!("`{type_text}` needs a name"),
                );
            }
            stack.push(Open {
                item: make(item_type, None),
                kind: item_type,
                row: row_index,
                over,
            });
            continue;
        }
        match kind {
            Kind::Begin(_) | Kind::BeginLoop(_) => {}
            Kind::End(_) | Kind::EndLoop => match stack.pop() {
                Some(Open {
                    mut item,
                    kind: open_type,
                    row: open_row,
                    over,
                }) => {
                    let closes = match kind {
                        Kind::End(item_type) => over.is_none() && open_type == item_type,
                        _ => over.is_some(),
                    };
                    if !closes {
                        let open_kind = if over.is_some() {
                            "loop".to_string()
                        } else {
                            format!("{open_type:?}")
                        };
                        b.push(
                            XCode::UnmatchedGroup,
                            &sheet,
                            row_index,
                            type_col,
                            Some("type".into()),
                            format!(
                                "`{type_text}` closes the {open_kind} `{}` begun on row {}",
                                item.name,
                                open_row + 1
                            ),
                        );
                    }
                    let at = place_pointer(&stack, &top);
                    // The list as it stands here: an `or_other` above adds its choice.
                    let list_here = |list: &String| {
                        choices.get(list).map(|listed| {
                            let mut all = listed.clone();
                            for (other_list, choice) in &other_choices {
                                if other_list == list && !all.iter().any(|c| c.name == choice.name)
                                {
                                    all.push(choice.clone());
                                }
                            }
                            all
                        })
                    };
                    match over.map(|list| (list_here(&list), list)) {
                        Some((Some(choices), _)) => {
                            expand_loop(&mut item, &choices);
                            move_loop_sources(b, &at, choices.len(), &sheet, open_row);
                        }
                        Some((None, list)) => b.push(
                            XCode::UnknownLoopList,
                            &sheet,
                            open_row,
                            type_col,
                            Some("type".into()),
                            format!(
                                "the loop `{}` is over `{list}`, which is not a list of the \
                                 choices sheet",
                                item.name
                            ),
                        ),
                        None => {}
                    }
                    b.sources.insert(at, (sheet.clone(), open_row));
                    place(item, &mut stack, &mut top);
                }
                None => b.push(
                    XCode::UnmatchedGroup,
                    &sheet,
                    row_index,
                    type_col,
                    Some("type".into()),
                    format!("`{type_text}` has no matching begin"),
                ),
            },
            Kind::Item(item_type, list, or_other) => {
                if name.is_empty() || type_text.is_empty() {
                    let (col, what) = if name.is_empty() {
                        (name_col, "name")
                    } else {
                        (type_col, "type")
                    };
                    b.push(
                        XCode::MissingTypeOrName,
                        &sheet,
                        row_index,
                        col,
                        Some(what.into()),
                        format!("this row has no {what}"),
                    );
                    continue;
                }
                if let Some(file) = list.as_deref().filter(|l| dala_core::is_list_file(l)) {
                    b.needs.push(Need {
                        file: file.to_string(),
                        sheet: sheet.clone(),
                        row: row_index,
                        col: type_col,
                    });
                }
                let mut item = make(item_type, list.clone());
                // pyxform's `phone number` is a text of digits: a constraint of its own.
                if item.constraint.is_none()
                    && type_text.to_lowercase().replace('_', " ").trim() == "phone number"
                {
                    item.constraint = Some(r"regex(., '^\d*$')".to_string());
                }
                record_source(b, &stack, &top, &sheet, row_index);
                place(item, &mut stack, &mut top);
                if or_other {
                    // XLSForm's `or_other`: an `other` choice and a question for what it is.
                    if let Some(list) = list {
                        other_choices.push((
                            list,
                            Choice {
                                name: "other".into(),
                                label: Text::one(DEFAULT_LANGUAGE, "Other"),
                                extra: BTreeMap::new(),
                            },
                        ));
                    }
                    let mut specify = Item::new(ItemType::Text, &format!("{name}_other"));
                    specify.label = Text::one(DEFAULT_LANGUAGE, "Specify other.");
                    specify.relevant = Some(format!("selected(${{{name}}}, 'other')"));
                    record_source(b, &stack, &top, &sheet, row_index);
                    place(specify, &mut stack, &mut top);
                }
            }
            Kind::Clock(expression) => {
                let mut item = Item::new(ItemType::Calculate, &name);
                item.calculation = Some(expression.to_string());
                record_source(b, &stack, &top, &sheet, row_index);
                place(item, &mut stack, &mut top);
            }
            Kind::Captured(capture) => {
                // pyxform gives it no control: a label it may have is not shown.
                let mut item = make(ItemType::Geopoint, None);
                item.capture = Some(capture);
                record_source(b, &stack, &top, &sheet, row_index);
                place(item, &mut stack, &mut top);
            }
            Kind::External(extension) => b.needs.push(Need {
                file: format!("{name}.{extension}"),
                sheet: sheet.clone(),
                row: row_index,
                col: type_col,
            }),
            Kind::Metadata => {}
            Kind::Unsupported => b.push(
                XCode::Unsupported,
                &sheet,
                row_index,
                type_col,
                Some("type".into()),
                format!("the question type `{type_text}` is not supported by Dala yet"),
            ),
            Kind::Unknown => b.push(
                XCode::UnknownType,
                &sheet,
                row_index,
                type_col,
                Some("type".into()),
                format!("`{type_text}` is not an XLSForm question type"),
            ),
        }
    }
    while let Some(Open {
        item,
        kind: open_type,
        row: open_row,
        over,
    }) = stack.pop()
    {
        let open_kind = if over.is_some() {
            "loop".to_string()
        } else {
            format!("{open_type:?}")
        };
        b.push(
            XCode::UnmatchedGroup,
            &sheet,
            open_row,
            type_col,
            Some("type".into()),
            format!("the {open_kind} `{}` is never ended", item.name),
        );
        record_source(b, &stack, &top, &sheet, open_row);
        match stack.last_mut() {
            Some(parent) => parent.item.children.push(item),
            None => top.push(item),
        }
    }
    b.languages = languages;
    (top, other_choices)
}

/// A group, repeat or loop begun and not yet ended.
struct Open {
    item: Item,
    kind: ItemType,
    /// The row it began on.
    row: u32,
    /// A loop's choice list.
    over: Option<String>,
}

/// Turns a loop's group, whose children are the questions as written once, into pyxform's
/// expansion: a group per choice of the list (named and labelled as the choice), each holding
/// a copy of the questions, with `%(name)s` and `%(label)s` in their texts and expressions
/// replaced by the choice's name and label. As in pyxform, only the loop's own questions are
/// rewritten, not those of a group inside it.
fn expand_loop(group: &mut Item, choices: &[Choice]) {
    let template = std::mem::take(&mut group.children);
    for choice in choices {
        let mut inner = Item::new(ItemType::Group, &choice.name);
        inner.label = choice.label.clone();
        inner.children = template
            .iter()
            .map(|question| {
                let mut question = question.clone();
                substitute_loop_choice(&mut question, choice);
                question
            })
            .collect();
        group.children.push(inner);
    }
}

fn substitute_loop_choice(item: &mut Item, choice: &Choice) {
    let label_in = |language: &str| -> String {
        choice
            .label
            .get(language, Some(DEFAULT_LANGUAGE))
            .unwrap_or(&choice.name)
            .to_string()
    };
    let fill = |text: &str, label: &str| {
        text.replace("%(name)s", &choice.name)
            .replace("%(label)s", label)
    };
    for text in [
        &mut item.label,
        &mut item.hint,
        &mut item.required_message,
        &mut item.constraint_message,
    ] {
        for (language, value) in &mut text.0 {
            *value = fill(value, &label_in(language));
        }
    }
    let plain = label_in(DEFAULT_LANGUAGE);
    for expression in [
        &mut item.relevant,
        &mut item.required,
        &mut item.constraint,
        &mut item.calculation,
        &mut item.default,
        &mut item.read_only,
        &mut item.choice_filter,
        &mut item.appearance,
    ]
    .into_iter()
    .flatten()
    {
        *expression = fill(expression, &plain);
    }
}

/// The rows of a loop's questions were recorded under the pointers they had as written once
/// (`AT/children/J...`); after the expansion each is in every choice's group
/// (`AT/children/K/children/J...`), and each choice's group comes from the loop's row.
fn move_loop_sources(b: &mut Builder<'_>, at: &str, copies: usize, sheet: &str, row: u32) {
    let prefix = format!("{at}/children/");
    let template: Vec<(String, (String, u32))> = b
        .sources
        .iter()
        .filter(|(pointer, _)| pointer.starts_with(&prefix))
        .map(|(pointer, source)| (pointer[prefix.len()..].to_string(), source.clone()))
        .collect();
    b.sources.retain(|pointer, _| !pointer.starts_with(&prefix));
    for k in 0..copies {
        b.sources
            .insert(format!("{prefix}{k}"), (sheet.to_string(), row));
        for (rest, source) in &template {
            b.sources
                .insert(format!("{prefix}{k}/children/{rest}"), source.clone());
        }
    }
}

/// Remembers the row of the item about to be placed at the current position.
fn record_source(b: &mut Builder<'_>, stack: &[Open], top: &[Item], sheet: &str, row: u32) {
    b.sources
        .insert(place_pointer(stack, top), (sheet.to_string(), row));
}

/// The JSON pointer the next item will have once every open group is placed: each open group
/// goes where nothing else can be placed before it closes.
fn place_pointer(stack: &[Open], top: &[Item]) -> String {
    let mut pointer = format!("/survey/{}", top.len());
    for open in stack {
        pointer.push_str(&format!("/children/{}", open.item.children.len()));
    }
    pointer
}

fn read_choices(b: &mut Builder<'_>, sheet: Option<&Sheet>) -> BTreeMap<String, Vec<Choice>> {
    let mut lists: BTreeMap<String, Vec<Choice>> = BTreeMap::new();
    let Some(sheet) = sheet else { return lists };
    let Some(table) = Table::new(sheet) else {
        return lists;
    };
    let list_col = table.column_of(Column::ListName, None);
    let name_col = table.column_of(Column::Name, None);
    let mut languages = std::mem::take(&mut b.languages);
    for (row_index, cells) in table.data_rows() {
        let row = read_row(&table, &cells, &mut languages, false);
        let list = row
            .known
            .get(&Column::ListName)
            .cloned()
            .unwrap_or_default();
        let name = row.known.get(&Column::Name).cloned().unwrap_or_default();
        if list.is_empty() && name.is_empty() && row.texts.is_empty() {
            continue;
        }
        if list.is_empty() || name.is_empty() {
            let (col, what) = if list.is_empty() {
                (list_col, "list_name")
            } else {
                (name_col, "name")
            };
            b.push(
                XCode::BadChoiceRow,
                &sheet.name,
                row_index,
                col,
                Some(what.into()),
                format!("this choice has no {what}"),
            );
            continue;
        }
        let mut extra = row.extras.clone();
        // Any known survey column on the choices sheet is just another choice column.
        for (column, value) in &row.known {
            if !matches!(column, Column::ListName | Column::Name) {
                extra.insert(column.as_str().to_string(), value.clone());
            }
        }
        let entry = lists.entry(list.clone()).or_default();
        b.sources.insert(
            format!("/choices/{list}/{}", entry.len()),
            (sheet.name.clone(), row_index),
        );
        entry.push(Choice {
            name,
            label: row.texts.get(&Column::Label).cloned().unwrap_or_default(),
            extra,
        });
    }
    b.languages = languages;
    lists
}

fn read_settings(b: &mut Builder<'_>, sheet: Option<&Sheet>, file_stem: &str) -> Settings {
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    if let Some(sheet) = sheet {
        let rows = sheet.rows();
        if let (Some((_, header)), Some((value_row, data))) = (rows.first(), rows.get(1)) {
            for (col, key) in header {
                if let Some(value) = data.get(col) {
                    // `form_title::Русский (ru)` and `dala_form_title_Русский (ru)` keep their
                    // language as written.
                    let key = key.trim();
                    let key = match key.split_once("::") {
                        Some((base, language)) => format!("{}::{}", base.to_lowercase(), language),
                        None => match key.strip_prefix(TRANSLATED_TITLE) {
                            Some(language) => format!("{TRANSLATED_TITLE}{language}"),
                            None => key.to_lowercase().replace(' ', "_"),
                        },
                    };
                    values.insert(key.clone(), plain_quotes(value.trim()).into_owned());
                    b.sources
                        .insert(format!("/settings/{key}"), (sheet.name.clone(), *value_row));
                }
            }
        }
    }
    let get = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| values.get(*k).cloned())
            .filter(|v| !v.is_empty())
    };
    b.clean_text = !get(&["clean_text_values"])
        .is_some_and(|v| matches!(v.to_lowercase().as_str(), "no" | "false" | "0"));
    let form_id = get(&["form_id", "id_string"]).unwrap_or_else(|| file_stem.to_string());
    let default_language = get(&["default_language"]);
    // The title per language: Dala's `dala_form_title_ru` columns, else the `form_title::ru`
    // columns earlier versions of Dala wrote; a plain `form_title` is in the default language
    // and only counts without them.
    let mut title = Text::default();
    for prefix in [TRANSLATED_TITLE, "form_title::"] {
        for (key, value) in &values {
            if let Some(language) = key.strip_prefix(prefix)
                && !value.is_empty()
            {
                title.0.insert(language.to_string(), value.clone());
            }
        }
        if !title.is_empty() {
            break;
        }
    }
    if title.is_empty()
        && let Some(plain) = get(&["form_title", "title"])
    {
        let language = default_language
            .clone()
            .unwrap_or_else(|| DEFAULT_LANGUAGE.to_string());
        title.0.insert(language, plain);
    }
    if title.is_empty() {
        title = Text::one(DEFAULT_LANGUAGE, &form_id);
    }
    Settings {
        title,
        form_id,
        // pyxform leaves the version empty when the sheet has none; ODK servers then use
        // their own. An instrument always has one, so a missing version is "1".
        version: get(&["version"]).unwrap_or_else(|| "1".to_string()),
        default_language,
        instance_name: get(&["instance_name"]),
        allow_choice_duplicates: get(&["allow_choice_duplicates"])
            .is_some_and(|v| matches!(v.to_lowercase().as_str(), "yes" | "true" | "1")),
    }
}

/// Maps a dala-core diagnostic (JSON pointer, column) to the spreadsheet cell it came from.
fn locate(b: &Builder<'_>, instrument: &Instrument, d: dala_core::Diagnostic) -> XDiagnostic {
    let pointer = &d.location.pointer;
    // The longest prefix of the pointer that names a row we read.
    let mut prefix = pointer.as_str();
    let mut source = None;
    loop {
        if let Some(s) = b.sources.get(prefix) {
            source = Some(s.clone());
            break;
        }
        match prefix.rsplit_once('/') {
            Some((head, _)) if !head.is_empty() => prefix = head,
            _ => break,
        }
    }
    let (col, header) = match (&b.survey, d.location.column) {
        (Some(table), Some(column)) if pointer.starts_with("/survey") => {
            // A select's list is written in its type.
            let column = Some(if column == Column::List {
                Column::Type
            } else {
                column
            });
            let col = column.and_then(|c| {
                table.column_of(c, None).or_else(|| {
                    // A translatable column is found in any language.
                    table
                        .headers
                        .iter()
                        .find(|(_, h)| matches!(h, Header::Known(k, _) if *k == c))
                        .map(|(i, _)| *i)
                })
            });
            (col, col.and_then(|c| table.raw.get(&c).cloned()))
        }
        _ => (None, None),
    };
    let expression = d.location.span.and_then(|span| {
        let item = find_item(instrument, pointer)?;
        let source = d.location.column?.value(item)?.clone();
        Some((source, span))
    });
    let (sheet, row) = source.map_or((String::new(), None), |(s, r)| (s, Some(r)));
    XDiagnostic {
        code: Code::Instrument(d.code),
        place: Place {
            sheet,
            row,
            col,
            header,
        },
        message: dala_words::diagnostic(&d),
        expression,
    }
}

fn find_item<'a>(instrument: &'a Instrument, pointer: &str) -> Option<&'a Item> {
    let mut parts = pointer.trim_start_matches('/').split('/');
    if parts.next()? != "survey" {
        return None;
    }
    let mut items = &instrument.survey;
    let mut found = None;
    while let Some(index) = parts.next() {
        let Ok(i) = index.parse::<usize>() else { break };
        let item = items.get(i)?;
        found = Some(item);
        match parts.next() {
            Some("children") => items = &item.children,
            _ => break,
        }
    }
    found
}
