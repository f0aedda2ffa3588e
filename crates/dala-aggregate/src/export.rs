//! The wide CSV export in the layout ODK Central and Briefcase users already load into R,
//! Stata and Excel: SubmissionDate, the fields in form order (group paths joined with `-`),
//! metadata last; one CSV per repeat with PARENT_KEY and KEY.

use crate::tidy::neutralise;
use dala_core::{Answer, Index, Instrument, Item, ItemType, ScopeKeys, Submission};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Bare question names instead of `group-question`.
    pub no_group_paths: bool,
    /// One 0/1 column per choice of a select_multiple, after its own column.
    pub split_select_multiples: bool,
    /// Choice labels in this language instead of codes.
    pub labels: Option<String>,
}

/// One output file: its name and its rows (the first is the header).
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub name: String,
    pub rows: Vec<Vec<String>>,
}

/// A column of a table, or a repeat nested in it; `key` is the answer's key in the record.
enum Field<'a> {
    Column {
        header: String,
        key: String,
        item: &'a Item,
    },
    Repeat {
        key: String,
        item: &'a Item,
    },
}

/// The fields of one record scope (the survey, or a repeat's children), through its groups.
fn fields<'a>(items: &'a [Item], prefix: &str, options: &Options, out: &mut Vec<Field<'a>>) {
    scope_fields(items, prefix, &ScopeKeys::of(items), &[], options, out);
}

fn scope_fields<'a>(
    items: &'a [Item],
    prefix: &str,
    keys: &ScopeKeys,
    groups: &[&str],
    options: &Options,
    out: &mut Vec<Field<'a>>,
) {
    for item in items {
        let key = keys.key(groups, &item.name);
        let path = if options.no_group_paths {
            // Bare names, but two questions that share one keep their group path.
            key.clone()
        } else if prefix.is_empty() {
            item.name.clone()
        } else {
            format!("{prefix}-{}", item.name)
        };
        match item.item_type {
            ItemType::Group => {
                let mut inner = groups.to_vec();
                inner.push(&item.name);
                scope_fields(&item.children, &path, keys, &inner, options, out);
            }
            ItemType::Repeat => out.push(Field::Repeat { key, item }),
            ItemType::Note => {}
            _ => out.push(Field::Column {
                header: path,
                key,
                item,
            }),
        }
    }
}

fn headers(fields: &[Field<'_>], instrument: &Instrument, options: &Options) -> Vec<String> {
    let mut out = Vec::new();
    for field in fields {
        let Field::Column { header, item, .. } = field else {
            continue;
        };
        match item.item_type {
            ItemType::Geopoint => {
                for part in ["Latitude", "Longitude", "Altitude", "Accuracy"] {
                    out.push(format!("{header}-{part}"));
                }
            }
            ItemType::SelectMultiple if options.split_select_multiples => {
                out.push(header.clone());
                for choice in list(instrument, item) {
                    out.push(format!("{header}/{}", choice.name));
                }
            }
            _ => out.push(header.clone()),
        }
    }
    out
}

fn list<'a>(instrument: &'a Instrument, item: &Item) -> &'a [dala_core::Choice] {
    item.list
        .as_deref()
        .and_then(|l| instrument.choices.get(l))
        .map_or(&[], Vec::as_slice)
}

fn label_of(instrument: &Instrument, item: &Item, code: &str, language: &str) -> String {
    match &item.list {
        Some(list) => instrument.choice_label(list, code, language).to_string(),
        None => code.to_string(),
    }
}

fn cells(
    fields: &[Field<'_>],
    answers: &BTreeMap<String, Answer>,
    instrument: &Instrument,
    options: &Options,
) -> Vec<String> {
    let mut out = Vec::new();
    for field in fields {
        let Field::Column { item, key, .. } = field else {
            continue;
        };
        let value = match answers.get(key) {
            Some(Answer::Value(v)) => v.as_str(),
            _ => "",
        };
        match item.item_type {
            ItemType::Geopoint => {
                let mut parts = value.split_whitespace();
                for _ in 0..4 {
                    out.push(parts.next().unwrap_or("").to_string());
                }
            }
            ItemType::SelectMultiple => {
                let chosen: Vec<&str> = value.split_whitespace().collect();
                out.push(match &options.labels {
                    Some(language) => chosen
                        .iter()
                        .map(|c| label_of(instrument, item, c, language))
                        .collect::<Vec<_>>()
                        .join(" "),
                    None => value.to_string(),
                });
                if options.split_select_multiples {
                    for choice in list(instrument, item) {
                        let flag = if value.is_empty() {
                            ""
                        } else if chosen.contains(&choice.name.as_str()) {
                            "1"
                        } else {
                            "0"
                        };
                        out.push(flag.to_string());
                    }
                }
            }
            ItemType::SelectOne | ItemType::Rank
                if options.labels.is_some() && !value.is_empty() =>
            {
                out.push(label_of(
                    instrument,
                    item,
                    value,
                    options.labels.as_deref().unwrap_or_default(),
                ));
            }
            _ => out.push(value.to_string()),
        }
    }
    out
}

/// Turns records into rows of the main table and of each repeat's table, one record at a
/// time, so an export of any size streams.
pub struct Exporter<'a> {
    instrument: &'a Instrument,
    options: &'a Options,
    top: Vec<Field<'a>>,
    /// Name and header of each output table: the main one first, then the repeats by name.
    tables: Vec<(String, Vec<String>)>,
    /// The form has media questions: the main table says how many files each record lists
    /// and how many the export holds, as ODK Central's does.
    media: bool,
}

/// ODK Central's columns, after SubmitterName, of a form with media questions: the files a
/// record has in the export, and those it lists.
const ATTACHMENTS: [&str; 2] = ["AttachmentsPresent", "AttachmentsExpected"];

/// Whether any item, at any depth, takes a file.
fn has_media(items: &[Item]) -> bool {
    items
        .iter()
        .any(|i| i.item_type.is_media() || has_media(&i.children))
}

const METADATA: [&str; 6] = [
    "KEY",
    "SubmitterID",
    "SubmitterName",
    "Status",
    "DeviceID",
    "FormVersion",
];

impl<'a> Exporter<'a> {
    pub fn new(instrument: &'a Instrument, options: &'a Options) -> Exporter<'a> {
        let mut top = Vec::new();
        fields(&instrument.survey, "", options, &mut top);
        let mut header = vec!["SubmissionDate".to_string()];
        header.extend(headers(&top, instrument, options));
        let media = has_media(&instrument.survey);
        for column in METADATA {
            header.push(column.to_string());
            if media && column == "SubmitterName" {
                header.extend(ATTACHMENTS.map(String::from));
            }
        }
        let mut repeats = BTreeMap::new();
        repeat_tables(instrument, &top, options, &mut repeats);
        let mut tables = vec![(format!("{}.csv", instrument.settings.form_id), header)];
        tables.extend(repeats);
        Exporter {
            instrument,
            options,
            top,
            tables,
            media,
        }
    }

    /// (file name, header) of every table, in the numbering `rows` uses.
    pub fn tables(&self) -> &[(String, Vec<String>)] {
        &self.tables
    }

    /// Calls `emit(table, row)` for the record's main row and each of its repeat rows (an
    /// export without the records' files: none present).
    pub fn rows(&self, record: &Submission, emit: &mut dyn FnMut(usize, Vec<String>)) {
        self.rows_with_files(record, 0, emit);
    }

    /// [`Exporter::rows`] of a record `present` of whose files are in the export.
    pub fn rows_with_files(
        &self,
        record: &Submission,
        present: usize,
        emit: &mut dyn FnMut(usize, Vec<String>),
    ) {
        let mut row = vec![
            record
                .finalized
                .clone()
                .unwrap_or_else(|| record.updated.clone()),
        ];
        row.extend(cells(
            &self.top,
            &record.answers,
            self.instrument,
            self.options,
        ));
        row.extend([
            record.instance_id.clone(),
            String::new(),
            record.enumerator.clone(),
        ]);
        if self.media {
            row.extend([present.to_string(), record.files.len().to_string()]);
        }
        row.extend([
            format!("{:?}", record.status).to_lowercase(),
            record.device_id.clone(),
            record.instrument_version.clone(),
        ]);
        emit(0, row);
        self.repeat_rows(&self.top, &record.answers, &record.instance_id, emit);
    }

    fn repeat_rows(
        &self,
        fields_here: &[Field<'_>],
        answers: &BTreeMap<String, Answer>,
        parent_key: &str,
        emit: &mut dyn FnMut(usize, Vec<String>),
    ) {
        for field in fields_here {
            let Field::Repeat { item, key } = field else {
                continue;
            };
            let Some(Answer::Repeat(instances)) = answers.get(key) else {
                continue;
            };
            let name = repeat_table_name(self.instrument, item);
            let table = self
                .tables
                .iter()
                .position(|(n, _)| *n == name)
                .unwrap_or(0);
            let mut inner = Vec::new();
            fields(&item.children, &item.name, self.options, &mut inner);
            for (i, instance) in instances.iter().enumerate() {
                let key = format!("{parent_key}/{}[{}]", item.name, i + 1);
                let mut row = cells(&inner, instance, self.instrument, self.options);
                row.extend([parent_key.to_string(), key.clone()]);
                emit(table, row);
                self.repeat_rows(&inner, instance, &key, emit);
            }
        }
    }
}

fn repeat_table_name(instrument: &Instrument, item: &Item) -> String {
    format!("{}-{}.csv", instrument.settings.form_id, item.name)
}

/// The table of every repeat, nested ones included, by file name.
fn repeat_tables(
    instrument: &Instrument,
    fields_here: &[Field<'_>],
    options: &Options,
    out: &mut BTreeMap<String, Vec<String>>,
) {
    for field in fields_here {
        let Field::Repeat { item, .. } = field else {
            continue;
        };
        let mut inner = Vec::new();
        fields(&item.children, &item.name, options, &mut inner);
        let mut header = headers(&inner, instrument, options);
        header.extend(["PARENT_KEY", "KEY"].map(String::from));
        out.insert(repeat_table_name(instrument, item), header);
        repeat_tables(instrument, &inner, options, out);
    }
}

/// The main table and one table per repeat (nested repeats chain their keys), in memory.
pub fn export(instrument: &Instrument, records: &[Submission], options: &Options) -> Vec<Table> {
    let exporter = Exporter::new(instrument, options);
    let mut tables: Vec<Table> = exporter
        .tables()
        .iter()
        .map(|(name, header)| Table {
            name: name.clone(),
            rows: vec![header.clone()],
        })
        .collect();
    for record in records {
        exporter.rows(record, &mut |table, row| tables[table].rows.push(row));
    }
    tables
}

/// The export's tables as CSV bytes in memory, a record at a time: the bytes `dala export`
/// writes into its files, for a caller without files (the browser, which adds records a
/// slice at a time between frames).
pub struct CsvExport<'a> {
    exporter: Exporter<'a>,
    writers: Vec<csv::Writer<Vec<u8>>>,
}

impl<'a> CsvExport<'a> {
    pub fn new(instrument: &'a Instrument, options: &'a Options) -> CsvExport<'a> {
        let exporter = Exporter::new(instrument, options);
        let writers = exporter
            .tables()
            .iter()
            .map(|(_, header)| {
                let mut writer = csv::Writer::from_writer(Vec::new());
                // Writing into memory cannot fail.
                let _ = write_row(&mut writer, header);
                writer
            })
            .collect();
        CsvExport { exporter, writers }
    }

    pub fn add(&mut self, record: &Submission) {
        self.add_with_files(record, 0);
    }

    /// A record `present` of whose files the export holds (see [`Exporter::rows_with_files`]).
    pub fn add_with_files(&mut self, record: &Submission, present: usize) {
        let writers = &mut self.writers;
        self.exporter
            .rows_with_files(record, present, &mut |table, row| {
                let _ = write_row(&mut writers[table], &row);
            });
    }

    /// (file name, CSV bytes) of every table: the main one first, then the repeats.
    pub fn finish(self) -> Vec<(String, Vec<u8>)> {
        self.exporter
            .tables()
            .iter()
            .zip(self.writers)
            .map(|((name, _), writer)| (name.clone(), writer.into_inner().unwrap_or_default()))
            .collect()
    }
}

/// Every table of the export as CSV bytes (see [`CsvExport`]).
pub fn export_csv(
    instrument: &Instrument,
    records: impl IntoIterator<Item = Submission>,
    options: &Options,
) -> Vec<(String, Vec<u8>)> {
    let mut export = CsvExport::new(instrument, options);
    for record in records {
        export.add(&record);
    }
    export.finish()
}

/// Writes a row as CSV with every cell made inert for spreadsheets.
pub fn write_row<W: std::io::Write>(
    writer: &mut csv::Writer<W>,
    row: &[String],
) -> csv::Result<()> {
    writer.write_record(
        row.iter()
            .map(|c| neutralise(c))
            .collect::<Vec<_>>()
            .iter()
            .map(|c| c.as_bytes()),
    )
}

/// A table as CSV text, every cell neutralised against formula injection.
pub fn to_csv(table: &Table) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in &table.rows {
        let _ = write_row(&mut writer, row);
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The codebook: variable, label, type and choices (`code=label; ...`) in a language.
pub fn codebook(instrument: &Instrument, language: &str) -> Table {
    let mut rows = vec![
        ["variable", "label", "type", "choices"]
            .map(String::from)
            .to_vec(),
    ];
    let default = instrument.settings.default_language.as_deref();
    for entry in Index::new(instrument).entries() {
        let item = entry.item;
        if !entry.answers() {
            continue;
        }
        let choices: Vec<String> = list(instrument, item)
            .iter()
            .map(|c| {
                format!(
                    "{}={}",
                    c.name,
                    c.label.get(language, default).unwrap_or(&c.name)
                )
            })
            .collect();
        rows.push(vec![
            entry.key.clone(),
            item.label.get(language, default).unwrap_or("").to_string(),
            item.item_type.as_str().to_string(),
            choices.join("; "),
        ]);
    }
    Table {
        name: format!("{}-codebook.csv", instrument.settings.form_id),
        rows,
    }
}
