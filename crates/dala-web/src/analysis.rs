//! What the analyst's workspace decides, in plain Rust: reading bundles a slice at a time with
//! a report of what each brought, the tables of a plan laid out for the screen, labels in a
//! language, and a page of the data view. The views draw these; `storage` keeps the records.

use crate::i18n::{Lang, Msg};
use dala_aggregate::grouped::Grouped;
use dala_aggregate::merge::Merger;
use dala_aggregate::plan::{Kind, TableSpec};
use dala_aggregate::tidy::TidyRow;
use dala_core::record::{
    BundleEntry, BundleError, BundleLines, FileAssembler, FileAt, LineProblem, open_bundle,
};
use dala_core::{Index, Instrument, Submission};

/// Rows shown per page of the data view.
pub const PAGE_ROWS: usize = 50;

/// What one bundle brought in.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BundleReport {
    pub name: String,
    /// The instrument and version its header names (empty when it could not be read).
    pub form_id: String,
    pub version: String,
    pub added: usize,
    /// Records whose instance id was on the device or earlier in this import.
    pub duplicates: usize,
    pub drafts: usize,
    /// Files the records carry, put together whole (stored with their records, or already
    /// there).
    pub files: usize,
    /// Lines that are not records (or files left out): (line number, why).
    pub bad_lines: Vec<(usize, LineProblem)>,
    /// Why nothing (or not all) of it could be taken, if so.
    pub refused: Option<Refusal>,
}

/// Why a bundle, or the rest of it, was not taken.
#[derive(Clone, Debug, PartialEq)]
pub enum Refusal {
    /// The file is no bundle this version reads.
    Bundle(BundleError),
    /// Its instrument is not on the device.
    NotOnDevice,
    /// The file or the store failed (the browser's words).
    Failed(String),
}

impl Refusal {
    /// The stable code of a refused bundle; empty for the device's own failures.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Bundle(e) => e.code(),
            Refusal::NotOnDevice | Refusal::Failed(_) => "",
        }
    }
}

/// The part of a bundle file read so far and not yet taken: the bundle reader's input. The
/// page feeds it the file a slice at a time; a format-3 file's bytes are passed over, never
/// read into it.
#[derive(Debug, Default)]
pub struct Window {
    /// The offset in the file of `buf[0]`.
    start: u64,
    buf: Vec<u8>,
    pos: usize,
    /// The file's size.
    total: u64,
}

impl Window {
    fn new(total: u64) -> Window {
        Window {
            total,
            ..Window::default()
        }
    }

    /// The offset of the end of what is held: where the next slice of the file goes.
    fn held_to(&self) -> u64 {
        self.start + self.buf.len() as u64
    }

    fn at_end(&self) -> bool {
        self.held_to() >= self.total
    }

    /// Whether a whole line is held (or the rest of the file is).
    fn has_line(&self) -> bool {
        self.at_end() || self.buf[self.pos..].contains(&b'\n')
    }

    /// Moves to `offset` of the file (past a file's bytes): within what is held, or past it.
    fn move_to(&mut self, offset: u64) {
        if offset > self.held_to() {
            self.start = offset;
            self.buf.clear();
            self.pos = 0;
        } else {
            self.pos = usize::try_from(offset - self.start).unwrap_or(self.buf.len());
        }
    }

    /// The file's next bytes, from [`Window::held_to`].
    fn feed(&mut self, bytes: &[u8]) {
        // What was taken goes, so a long bundle never piles up.
        self.buf.drain(..self.pos);
        self.start += self.pos as u64;
        self.pos = 0;
        self.buf.extend_from_slice(bytes);
    }
}

impl std::io::Read for Window {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let available = &self.buf[self.pos..];
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.pos += n;
        Ok(n)
    }
}

impl std::io::BufRead for Window {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        Ok(&self.buf[self.pos..])
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.buf.len());
    }
}

/// How much of a bundle file the page reads at a time. Reading on from where it is costs
/// far less than many small reads (each a round trip to the browser's file reader), so the
/// bytes of small files between lines are read and passed over in the module, and only a
/// file larger than what is held is skipped without being read.
pub const READ_BYTES: usize = 4 << 20;

/// A format-3 file the page stores from the bundle file itself: its line, record, the
/// description its record gives, and where its bytes are.
pub type FilePlace = (usize, String, dala_core::Attachment, FileAt);

/// A bundle read a slice of lines at a time, so a large one never freezes the page: each
/// slice is stored and a frame drawn before the next. Read from the file a slice of bytes at
/// a time ([`BundleReader::wants`], [`BundleReader::feed`]); a format-3 file's bytes are
/// not read at all but given as places in the file ([`BundleReader::take_places`]).
pub struct BundleReader {
    total: u64,
    state: State,
    merger: Merger,
    /// Records the store found already stored when the slice was written (stored since the
    /// import looked, by another tab): duplicates, not added.
    found_stored: usize,
    /// The files of the records (format 2), put together part by part, and those made whole
    /// since they were last taken.
    assembler: FileAssembler,
    files: Vec<(String, dala_core::Attachment, Vec<u8>)>,
    places: Vec<FilePlace>,
    file_problems: Vec<(usize, LineProblem)>,
    pub report: BundleReport,
}

enum State {
    /// Before the header line is held.
    Opening(Window),
    Reading(BundleLines<Window>),
    /// The file is no bundle (the report says why).
    Refused,
}

/// A slice ends early once its files hold this many bytes: a bundle of photos is taken
/// (and checked, and stored) some tens of megabytes at a time.
const SLICE_FILE_BYTES: usize = 128 << 20;

impl BundleReader {
    /// A reader of a bundle file of `total` bytes, which the page feeds.
    pub fn new(name: &str, total: u64) -> BundleReader {
        BundleReader {
            total,
            state: State::Opening(Window::new(total)),
            merger: Merger::new("", false),
            found_stored: 0,
            assembler: FileAssembler::default(),
            files: Vec::new(),
            places: Vec::new(),
            file_problems: Vec::new(),
            report: BundleReport {
                name: name.to_string(),
                ..BundleReport::default()
            },
        }
    }

    /// A reader of a bundle held whole (format-3 files' bytes are read, as format 2's, and
    /// given by [`BundleReader::take_files`]). `Err` (with the report saying why) when the
    /// file is no bundle; the report is boxed: it is large, and a refused file the rare case.
    pub fn open(name: &str, bytes: Vec<u8>) -> Result<BundleReader, Box<BundleReport>> {
        let mut reader = BundleReader::new(name, bytes.len() as u64);
        reader.feed(&bytes);
        reader.start(false)?;
        Ok(reader)
    }

    /// The range of the file to read next (offset, length), or None when what is held is
    /// enough for the next step (or the file is read to its end).
    pub fn wants(&self) -> Option<(u64, usize)> {
        let window = match &self.state {
            State::Opening(window) => window,
            State::Reading(lines) => lines.input(),
            State::Refused => return None,
        };
        (!window.has_line()).then(|| (window.held_to(), READ_BYTES))
    }

    /// The bytes of the range [`BundleReader::wants`] asked for.
    pub fn feed(&mut self, bytes: &[u8]) {
        match &mut self.state {
            State::Opening(window) => window.feed(bytes),
            State::Reading(lines) => lines.input_mut().feed(bytes),
            State::Refused => {}
        }
    }

    /// Reads the header line once it is held (see [`BundleReader::wants`]); a format-3
    /// file's bytes are then passed over when `pass_over_files`. `Err` with the report
    /// saying why when the file is no bundle.
    pub fn start(&mut self, pass_over_files: bool) -> Result<(), Box<BundleReport>> {
        let State::Opening(window) = std::mem::replace(&mut self.state, State::Refused) else {
            return Ok(());
        };
        // Reading from memory cannot fail.
        let mut lines = match open_bundle(window) {
            Ok(Ok(lines)) => lines,
            Ok(Err(e)) => {
                self.report.refused = Some(Refusal::Bundle(e));
                return Err(Box::new(self.report.clone()));
            }
            Err(e) => {
                self.report.refused = Some(Refusal::Failed(e.to_string()));
                return Err(Box::new(self.report.clone()));
            }
        };
        if pass_over_files {
            lines.pass_over_files();
        }
        let header = lines.header();
        self.report.form_id = header.instrument_id.clone();
        self.report.version = header.instrument_version.clone();
        self.merger = Merger::new(&header.instrument_id, false);
        self.state = State::Reading(lines);
        Ok(())
    }

    /// Instance ids already stored: their records count as duplicates.
    pub fn remember(&mut self, ids: impl IntoIterator<Item = String>) {
        self.merger.remember(ids);
    }

    /// `n` records of the last slice were already in the store when it was written: they
    /// count as duplicates, not as added.
    pub fn found_stored(&mut self, n: usize) {
        self.found_stored += n;
        self.report.added -= n;
        self.report.duplicates += n;
    }

    /// Fraction of the file read (or passed over).
    pub fn progress(&self) -> f64 {
        match &self.state {
            State::Reading(_) if self.total == 0 => 1.0,
            State::Reading(lines) => lines.consumed() as f64 / self.total as f64,
            State::Opening(_) => 0.0,
            State::Refused => 1.0,
        }
    }

    /// The records of up to `lines` more lines, each with its line (its JSON as read); empty
    /// at the end of the file. It stops early where the held bytes end (feed the next ones:
    /// [`BundleReader::wants`]). The files whole among those lines are kept for
    /// [`Self::take_files`], the places of format-3 files for [`Self::take_places`].
    pub fn next_slice(&mut self, lines: usize) -> Vec<(Submission, String)> {
        let mut out = Vec::new();
        let State::Reading(reader) = &mut self.state else {
            return out;
        };
        let mut file_bytes = 0;
        for _ in 0..lines {
            if !reader.input().has_line() {
                break;
            }
            let Ok(Some((number, read))) = reader.next_entry() else {
                self.assembler.finish();
                let at = reader.line_number();
                note_file_problems(&mut self.assembler, &mut self.file_problems, at);
                break;
            };
            let read = match read {
                Ok(BundleEntry::File(part)) => {
                    if let Some(file) = self.assembler.part(part) {
                        file_bytes += file.2.len();
                        self.files.push(file);
                        self.report.files += 1;
                    }
                    note_file_problems(&mut self.assembler, &mut self.file_problems, number);
                    if file_bytes >= SLICE_FILE_BYTES {
                        break;
                    }
                    continue;
                }
                Ok(BundleEntry::FileAt(at)) => {
                    let consumed = reader.consumed();
                    reader.input_mut().move_to(consumed);
                    if let Some(described) = self.assembler.at(&at) {
                        file_bytes += usize::try_from(at.len).unwrap_or(usize::MAX);
                        self.places
                            .push((number, at.instance_id.clone(), described, at));
                    }
                    note_file_problems(&mut self.assembler, &mut self.file_problems, number);
                    if file_bytes >= SLICE_FILE_BYTES {
                        break;
                    }
                    continue;
                }
                Ok(BundleEntry::Record(record)) => {
                    // Every record read, a duplicate too, says which files follow it.
                    self.assembler.record(&record);
                    note_file_problems(&mut self.assembler, &mut self.file_problems, number);
                    Ok(*record)
                }
                Err(problem) => Err(problem),
            };
            if let Some(record) = self.merger.take(&self.report.name, number, read) {
                out.push((record, reader.line_text().to_string()));
            }
        }
        self.report.added += out.len();
        self.update_report();
        out
    }

    fn update_report(&mut self) {
        let counts = &self.merger.report;
        self.report.duplicates = counts.duplicates + self.found_stored;
        self.report.drafts = counts.drafts_skipped;
        self.report.bad_lines = counts
            .bad_lines
            .iter()
            .map(|(_, line, why)| (*line, why.clone()))
            .chain(self.file_problems.iter().cloned())
            .collect();
        self.report.bad_lines.sort_by_key(|(line, _)| *line);
    }

    /// The files made whole since they were last taken, each with its record's instance id:
    /// stored once their records are.
    pub fn take_files(&mut self) -> Vec<(String, dala_core::Attachment, Vec<u8>)> {
        std::mem::take(&mut self.files)
    }

    /// The format-3 files met since they were last taken, whose bytes the page takes from
    /// the file itself and stores once their records are (checking each against its
    /// description: [`BundleReader::file_stored`], [`BundleReader::file_refused`]).
    pub fn take_places(&mut self) -> Vec<FilePlace> {
        std::mem::take(&mut self.places)
    }

    /// A file of [`BundleReader::take_places`] was stored (or was already).
    pub fn file_stored(&mut self) {
        self.report.files += 1;
    }

    /// A file of [`BundleReader::take_places`] whose bytes are not those its record
    /// describes: left out, reported at its line.
    pub fn file_refused(&mut self, line: usize, name: &str) {
        self.file_problems.push((
            line,
            LineProblem::BadFile {
                name: name.to_string(),
                why: dala_core::record::FileProblem::NotAsDescribed,
            },
        ));
        self.update_report();
    }
}

fn note_file_problems(
    assembler: &mut FileAssembler,
    problems: &mut Vec<(usize, LineProblem)>,
    line: usize,
) {
    problems.extend(
        assembler
            .take_problems()
            .into_iter()
            .map(|problem| (line, problem)),
    );
}

/// The label of a code of a question in a language (the code itself when it has none), the
/// question's label for an empty code, and "All" for the whole sample.
pub fn label(instrument: &Instrument, language: &str, question: &str, code: &str) -> String {
    let default = instrument.settings.default_language.as_deref();
    if question.is_empty() {
        return "All".into();
    }
    let index = Index::new(instrument);
    let Some(item) = index.question(question).map(|e| e.item) else {
        return code.to_string();
    };
    if code.is_empty() {
        return item
            .label
            .get(language, default)
            .unwrap_or(question)
            .to_string();
    }
    match &item.list {
        Some(list) => instrument.choice_label(list, code, language).to_string(),
        None => code.to_string(),
    }
}

/// Answers as the analyst reads them in the data view: choice labels in a language for the
/// select questions of some columns (each a code's label, several joined by commas), the
/// value itself otherwise. Made once per page of the view (questions found once).
pub struct AnswerLabels<'a> {
    instrument: &'a Instrument,
    language: &'a str,
    /// Per column: the question's choice list and whether it takes several codes.
    lists: Vec<Option<(&'a str, bool)>>,
    /// Per column: the question's label.
    pub headers: Vec<String>,
}

impl<'a> AnswerLabels<'a> {
    pub fn new(instrument: &'a Instrument, language: &'a str, columns: &[String]) -> Self {
        let index = Index::new(instrument);
        let default = instrument.settings.default_language.as_deref();
        let found: Vec<Option<&'a dala_core::Item>> = columns
            .iter()
            .map(|name| index.question(name).map(|e| e.item))
            .collect();
        AnswerLabels {
            instrument,
            language,
            lists: found
                .iter()
                .map(|item| {
                    let item = (*item)?;
                    let several = matches!(
                        item.item_type,
                        dala_core::ItemType::SelectMultiple | dala_core::ItemType::Rank
                    );
                    item.list.as_deref().map(|list| (list, several))
                })
                .collect(),
            headers: found
                .iter()
                .zip(columns)
                .map(|(item, name)| {
                    item.and_then(|i| i.label.get(language, default))
                        .map_or_else(
                            || name.clone(),
                            |l| l.lines().next().unwrap_or(l).to_string(),
                        )
                })
                .collect(),
        }
    }

    /// The answer of column `column` as read: labels for codes, the value otherwise.
    pub fn answer(&self, column: usize, value: &str) -> String {
        let Some(Some((list, several))) = self.lists.get(column) else {
            return value.to_string();
        };
        let one = |code: &str| {
            self.instrument
                .choice_label(list, code, self.language)
                .to_string()
        };
        if *several {
            value
                .split_whitespace()
                .map(one)
                .collect::<Vec<_>>()
                .join(", ")
        } else if value.is_empty() {
            String::new()
        } else {
            one(value)
        }
    }
}

/// The codes of a question's choice list, in order.
pub fn codes(instrument: &Instrument, question: &str) -> Vec<String> {
    Index::new(instrument).codes(question)
}

/// A table the analyst picked from the questions: `second` is a crosstab's column question or
/// a pre/post table's wave question (its first two codes are pre and post), `pair` the
/// question pairing a unit's records. `None` while something needed is not picked. Empty
/// strings are questions not picked.
#[allow(clippy::too_many_arguments)]
pub fn table_spec(
    instrument: &Instrument,
    kind: Kind,
    variable: &str,
    second: &str,
    by: &str,
    weight: &str,
    pair: &str,
    category: &str,
) -> Option<TableSpec> {
    let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
    let variable = some(variable)?;
    let mut spec = TableSpec {
        id: String::new(),
        kind,
        title: None,
        variable: None,
        rows: None,
        columns: None,
        by: some(by),
        weight: if kind == Kind::Prepost {
            None
        } else {
            some(weight)
        },
        filter: None,
        benchmark: None,
        category: None,
        wave: None,
        pre: None,
        post: None,
        pair_by: None,
    };
    let id = match kind {
        // With a category of interest (women), the table is that category's share, and by a
        // question it is one table with a row per group (the share of women by district).
        Kind::Frequency => {
            spec.variable = Some(variable.clone());
            spec.category = some(category);
            match &spec.category {
                Some(category) => format!("{variable}_{category}"),
                None => variable,
            }
        }
        Kind::Summary => {
            spec.variable = Some(variable.clone());
            format!("{variable}_summary")
        }
        Kind::Crosstab => {
            let columns = some(second)?;
            let id = format!("{variable}_x_{columns}");
            spec.rows = Some(variable);
            spec.columns = Some(columns);
            id
        }
        Kind::Prepost => {
            let wave = some(second)?;
            let waves = codes(instrument, &wave);
            spec.pre = Some(waves.first()?.clone());
            spec.post = Some(waves.get(1)?.clone());
            spec.pair_by = Some(some(pair)?);
            spec.wave = Some(wave);
            spec.variable = Some(variable.clone());
            format!("{variable}_change")
        }
    };
    spec.id = match (&spec.by, &spec.weight) {
        (Some(by), Some(w)) => format!("{id}_by_{by}_weighted_{w}"),
        (Some(by), None) => format!("{id}_by_{by}"),
        (None, Some(w)) => format!("{id}_weighted_{w}"),
        (None, None) => id,
    };
    Some(spec)
}

/// One table of a plan as the screen shows it: per group, a row per category with its
/// statistics in columns, and the table-wide figures (missing, chi-square) below.
#[derive(Clone, Debug, PartialEq)]
pub struct TableView {
    pub id: String,
    pub title: String,
    pub statistics: Vec<String>,
    pub groups: Vec<GroupView>,
}

/// One row of a table on screen.
#[derive(Clone, Debug, PartialEq)]
pub struct RowView {
    /// The tidy rows' group and category it shows (a share's table has a row per group).
    pub group: String,
    pub category: String,
    pub label: String,
    /// A value per statistic: None where the table has none.
    pub values: Vec<Option<f64>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GroupView {
    /// As in the tidy rows: `district=osh`, or empty for the whole sample.
    pub key: String,
    pub label: String,
    pub rows: Vec<RowView>,
    pub figures: Vec<(String, f64)>,
}

/// Lays out the tidy rows of one table for the screen, codes as labels in `language` and the
/// whole sample named in the interface language `lang`. A frequency of a category by a
/// question is one table with a row per group (the share of women, a row per district).
pub fn table_view(
    spec: &TableSpec,
    rows: &[TidyRow],
    instrument: &Instrument,
    language: &str,
    lang: Lang,
) -> TableView {
    let table = Grouped::table(rows, &spec.id);
    let statistics: Vec<String> = table.statistics().into_iter().map(str::to_string).collect();
    let category_label = |category: &str| match spec.kind {
        Kind::Crosstab => {
            let (a, b) = category.split_once('|').unwrap_or((category, ""));
            format!(
                "{} × {}",
                label(
                    instrument,
                    language,
                    spec.rows.as_deref().unwrap_or_default(),
                    a
                ),
                label(
                    instrument,
                    language,
                    spec.columns.as_deref().unwrap_or_default(),
                    b
                )
            )
        }
        _ => label(
            instrument,
            language,
            spec.variable.as_deref().unwrap_or_default(),
            category,
        ),
    };
    let mut groups: Vec<GroupView> = table
        .groups
        .iter()
        .map(|g| GroupView {
            key: g.key.to_string(),
            label: match g.key.split_once('=') {
                Some((question, code)) => label(instrument, language, question, code),
                None => Msg::All.text(lang).to_string(),
            },
            rows: g
                .categories
                .iter()
                .map(|c| RowView {
                    group: g.key.to_string(),
                    category: c.code.to_string(),
                    label: category_label(c.code),
                    values: statistics.iter().map(|s| c.get(s)).collect(),
                })
                .collect(),
            figures: g
                .figures
                .iter()
                .map(|(s, v)| ((*s).to_string(), *v))
                .collect(),
        })
        .collect();
    if let (Kind::Frequency, Some(_), Some(category)) = (spec.kind, &spec.by, &spec.category) {
        let empty = vec![None; statistics.len()];
        let rows = groups
            .iter()
            .map(|g| RowView {
                group: g.key.clone(),
                category: category.clone(),
                label: g.label.clone(),
                values: g
                    .rows
                    .iter()
                    .find(|row| row.category == *category)
                    .map_or_else(|| empty.clone(), |row| row.values.clone()),
            })
            .collect();
        groups = vec![GroupView {
            key: String::new(),
            label: category_label(category),
            rows,
            figures: Vec::new(),
        }];
    }
    let name = |question: &str, code: &str| {
        if question.is_empty() {
            Msg::All.text(lang).to_string()
        } else {
            label(instrument, language, question, code)
        }
    };
    TableView {
        id: spec.id.clone(),
        title: dala_aggregate::chart::table_title(spec, &name),
        statistics,
        groups,
    }
}

/// A figure as the tables show it: counts whole, others to one decimal, nothing for NaN.
pub fn figure(statistic: &str, value: f64) -> String {
    if !value.is_finite() {
        return String::new();
    }
    match statistic {
        "count" | "n" | "missing" | "pairs" | "pre_only" | "post_only" | "df" => {
            format!("{value:.0}")
        }
        "p" | "cohens_d" => format!("{value:.3}"),
        _ => format!("{value:.1}"),
    }
}

/// Bytes deflated per step of [`ZipSlices`]: 128 KiB of CSV take about 3 ms to deflate
/// natively on a slow core, so a step stays well within a frame in wasm on a tablet.
const ZIP_SLICE: usize = 1 << 17;

/// Files put in one .zip a slice at a time (the wide export: the main table and a table per
/// repeat), so that deflating tens of megabytes never freezes the page: the caller draws a
/// frame between steps.
pub struct ZipSlices {
    zip: dala_aggregate::export_zip::ExportZip<std::io::Cursor<Vec<u8>>>,
    files: Vec<(String, Vec<u8>)>,
    /// The file being written and how many of its bytes are in.
    file: usize,
    at: usize,
    started: bool,
    written: usize,
    total: usize,
}

impl ZipSlices {
    pub fn new(files: Vec<(String, Vec<u8>)>) -> ZipSlices {
        ZipSlices {
            zip: dala_aggregate::export_zip::ExportZip::new(std::io::Cursor::new(Vec::new())),
            total: files.iter().map(|(_, bytes)| bytes.len()).sum(),
            files,
            file: 0,
            at: 0,
            started: false,
            written: 0,
        }
    }

    /// Deflates the next slice: the share of all bytes done so far, or None when every
    /// file is in.
    pub fn step(&mut self) -> Result<Option<f64>, String> {
        use std::io::Write;
        let Some((name, bytes)) = self.files.get(self.file) else {
            return Ok(None);
        };
        if !self.started {
            self.zip.start(name).map_err(|e| e.to_string())?;
            self.started = true;
        }
        let end = (self.at + ZIP_SLICE).min(bytes.len());
        self.zip
            .write_all(&bytes[self.at..end])
            .map_err(|e| e.to_string())?;
        self.written += end - self.at;
        self.at = end;
        if self.at == bytes.len() {
            self.file += 1;
            self.at = 0;
            self.started = false;
        }
        Ok(Some(self.written as f64 / self.total.max(1) as f64))
    }

    /// The .zip's bytes, once [`ZipSlices::step`] has said every file is in.
    pub fn finish(self) -> Result<Vec<u8>, String> {
        Ok(self.zip.finish().map_err(|e| e.to_string())?.into_inner())
    }
}

/// The rows of page `page` (from 0) and the number of pages.
pub fn page_of(rows: &[usize], page: usize) -> (&[usize], usize) {
    let pages = rows.len().div_ceil(PAGE_ROWS).max(1);
    let page = page.min(pages - 1);
    let start = page * PAGE_ROWS;
    (
        &rows[start.min(rows.len())..(start + PAGE_ROWS).min(rows.len())],
        pages,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use dala_aggregate::plan::parse;
    #[cfg(not(target_arch = "wasm32"))]
    use proptest::strategy::Strategy;

    fn instrument() -> Instrument {
        Instrument::from_json(
            r#"{"format": 1, "settings": {"form_id": "p", "version": "1", "default_language": "en"},
            "survey": [
              {"type": "select_one", "name": "sex", "list": "sex", "label": {"en": "Sex", "ru": "Пол"}},
              {"type": "select_one", "name": "district", "list": "d", "label": {"en": "District"}}
            ],
            "choices": {
              "sex": [{"name": "f", "label": {"en": "Woman", "ru": "Женщина"}}, {"name": "m", "label": {"en": "Man"}}],
              "d": [{"name": "osh", "label": {"en": "Osh"}}]
            }}"#,
        )
        .expect("valid")
    }

    /// A tidy row of a table of the question `sex`.
    fn sex_row(table: &str, group: &str, category: &str, statistic: &str, value: f64) -> TidyRow {
        TidyRow {
            variable: "sex".into(),
            ..TidyRow::new(table, group, category, statistic, value)
        }
    }

    const HEADER: &str = r#"{"format":1,"kind":"dala-bundle","instrument_id":"p","instrument_version":"1","device_id":"tab-1","created":"2015-03-17T10:30:00.000+06:00"}"#;

    fn line(id: &str, status: &str) -> String {
        format!(
            r#"{{"format":1,"instance_id":"{id}","instrument_id":"p","instrument_version":"1","status":"{status}","started":"2015-03-17T09:00:00.000+06:00","updated":"2015-03-17T09:10:00.000+06:00","enumerator":"A","device_id":"tab-1","answers":{{"sex":"f"}}}}"#
        )
    }

    #[test]
    fn a_bundle_is_read_in_slices_with_what_it_brought() {
        // Line 1 header; 2 a record; 3 a duplicate of a stored one; 4 broken; 5 a draft;
        // 6 empty; 7 a record; 8 the record of line 2 again.
        let text = [
            HEADER.to_string(),
            line("uuid:1", "finalized"),
            line("uuid:stored", "finalized"),
            "{not json".to_string(),
            line("uuid:3", "draft"),
            String::new(),
            line("uuid:4", "finalized"),
            line("uuid:1", "finalized"),
        ]
        .join("\n");
        let mut reader = BundleReader::open("tab-1.jsonl", text.into_bytes()).expect("a bundle");
        reader.remember(["uuid:stored".to_string()]);
        assert_eq!(reader.report.form_id, "p");
        let first = reader.next_slice(3);
        assert_eq!(first.len(), 1, "lines 2-4: one record kept");
        assert!(reader.progress() > 0.0 && reader.progress() < 1.0);
        let rest = reader.next_slice(100);
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].0.instance_id, "uuid:4");
        assert_eq!(rest[0].1, line("uuid:4", "finalized"), "the line as read");
        assert!(reader.next_slice(100).is_empty());
        assert_eq!(reader.progress(), 1.0);
        let r = &reader.report;
        assert_eq!((r.added, r.duplicates, r.drafts), (2, 2, 1));
        assert_eq!(r.bad_lines.len(), 1);
        assert_eq!(r.bad_lines[0].0, 4);
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        /// Any text, read in slices of any size, never panics, and every line after the header
        /// is accounted for: kept, a duplicate, a draft left out, bad, or empty.
        #[test]
        fn every_line_of_any_file_is_accounted_for(
            lines in proptest::collection::vec(
                proptest::prop_oneof![
                    (0u8..6).prop_map(|i| line(&format!("uuid:{i}"), "finalized")),
                    (0u8..3).prop_map(|i| line(&format!("uuid:d{i}"), "draft")),
                    ".{0,40}",
                    proptest::strategy::Just(String::new()),
                ],
                0..40,
            ),
            header in proptest::prop_oneof![proptest::strategy::Just(HEADER.to_string()), ".{0,30}"],
            slice in 1usize..8,
        ) {
            use proptest::prelude::*;
            let text = std::iter::once(header).chain(lines.iter().cloned()).collect::<Vec<_>>().join("\n");
            let Ok(mut reader) = BundleReader::open("any.jsonl", text.into_bytes()) else {
                return Ok(());
            };
            let mut kept = Vec::new();
            loop {
                let records = reader.next_slice(slice);
                if records.is_empty() && reader.progress() >= 1.0 {
                    break;
                }
                kept.extend(records.into_iter().map(|(r, _)| r.instance_id));
            }
            let r = &reader.report;
            let empty = lines.iter().filter(|l| l.trim().is_empty()).count();
            prop_assert_eq!(r.added, kept.len());
            prop_assert_eq!(r.added + r.duplicates + r.drafts + r.bad_lines.len() + empty, lines.len());
            let unique: std::collections::BTreeSet<&String> = kept.iter().collect();
            prop_assert_eq!(unique.len(), kept.len(), "each instance once");
        }
    }

    #[test]
    fn a_file_that_is_no_bundle_is_refused_with_why() {
        let empty = BundleReader::open("empty.jsonl", b"\n\r\n".to_vec())
            .err()
            .expect("refused");
        assert_eq!(empty.refused, Some(Refusal::Bundle(BundleError::Empty)));
        let other = BundleReader::open("notes.txt", b"hello\nworld".to_vec())
            .err()
            .expect("refused");
        assert!(matches!(
            other.refused,
            Some(Refusal::Bundle(BundleError::Header { line: 1, .. }))
        ));
    }

    #[test]
    fn labels_come_in_the_language_asked_with_codes_as_the_fallback() {
        let i = instrument();
        assert_eq!(label(&i, "ru", "sex", "f"), "Женщина");
        assert_eq!(
            label(&i, "ru", "sex", "m"),
            "Man",
            "no Russian: the default language"
        );
        assert_eq!(label(&i, "en", "sex", "x"), "x");
        assert_eq!(label(&i, "ru", "sex", ""), "Пол");
        assert_eq!(label(&i, "en", "", ""), "All");
    }

    #[test]
    fn a_table_is_laid_out_by_group_and_category() {
        let spec = parse(
            "[[table]]\nid = \"w\"\nkind = \"frequency\"\nvariable = \"sex\"\nby = \"district\"",
        )
        .expect("plan")
        .table
        .remove(0);
        let row = |group: &str, category: &str, statistic: &str, value: f64| {
            sex_row("w", group, category, statistic, value)
        };
        let rows = [
            row("", "f", "count", 3.0),
            row("", "f", "percent", 75.0),
            row("", "m", "count", 1.0),
            row("", "m", "percent", 25.0),
            row("", "", "missing", 2.0),
            row("district=osh", "f", "count", 1.0),
        ];
        let view = table_view(&spec, &rows, &instrument(), "en", Lang::En);
        assert_eq!(view.statistics, ["count", "percent"]);
        assert_eq!(view.groups.len(), 2);
        assert_eq!(view.groups[0].label, "All");
        let rows: Vec<(&str, &str, &[Option<f64>])> = view.groups[0]
            .rows
            .iter()
            .map(|r| (r.category.as_str(), r.label.as_str(), r.values.as_slice()))
            .collect();
        assert_eq!(
            rows,
            [
                ("f", "Woman", &[Some(3.0), Some(75.0)][..]),
                ("m", "Man", &[Some(1.0), Some(25.0)][..])
            ]
        );
        assert_eq!(view.groups[0].figures, [("missing".to_string(), 2.0)]);
        assert_eq!(
            (view.groups[1].key.as_str(), view.groups[1].label.as_str()),
            ("district=osh", "Osh")
        );
        assert_eq!(view.groups[1].rows[0].values, [Some(1.0), None]);
        assert_eq!(figure("count", 3.0), "3");
        assert_eq!(figure("percent", 57.142857), "57.1");
        assert_eq!(figure("p", 0.04321), "0.043");
        assert_eq!(figure("percent", f64::NAN), "");
    }

    /// Issue 16: the share of women by district came as a small table per district.
    #[test]
    fn a_share_by_a_question_is_one_table_with_a_row_per_group() {
        let i = instrument();
        let spec =
            table_spec(&i, Kind::Frequency, "sex", "", "district", "", "", "f").expect("spec");
        assert_eq!(spec.id, "sex_f_by_district");
        assert_eq!(spec.category.as_deref(), Some("f"));
        let row = |group: &str, category: &str, statistic: &str, value: f64| {
            sex_row(&spec.id, group, category, statistic, value)
        };
        let rows = [
            row("", "f", "percent", 75.0),
            row("", "m", "percent", 25.0),
            row("district=osh", "f", "percent", 50.0),
            row("district=osh", "m", "percent", 50.0),
        ];
        let view = table_view(&spec, &rows, &i, "ru", Lang::Ru);
        assert_eq!(view.title, "Пол: Женщина / District");
        assert_eq!(view.groups.len(), 1, "one table");
        let rows: Vec<(&str, &str, &str, &[Option<f64>])> = view.groups[0]
            .rows
            .iter()
            .map(|r| {
                (
                    r.group.as_str(),
                    r.category.as_str(),
                    r.label.as_str(),
                    r.values.as_slice(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("", "f", "Все", &[Some(75.0)][..]),
                ("district=osh", "f", "Osh", &[Some(50.0)][..]),
            ]
        );
    }

    /// Issue 16: the data view showed codes and question names.
    #[test]
    fn the_data_view_reads_answers_as_labels_in_the_form_language() {
        let i = instrument();
        let columns = [
            "sex".to_string(),
            "district".to_string(),
            "other".to_string(),
        ];
        let labels = AnswerLabels::new(&i, "ru", &columns);
        assert_eq!(labels.headers, ["Пол", "District", "other"]);
        assert_eq!(labels.answer(0, "f"), "Женщина");
        assert_eq!(
            labels.answer(0, "m"),
            "Man",
            "the default language where ru has none"
        );
        assert_eq!(
            labels.answer(1, "bishkek"),
            "bishkek",
            "a code with no choice stays"
        );
        assert_eq!(labels.answer(2, "12"), "12");
        assert_eq!(labels.answer(0, ""), "");
    }

    #[test]
    fn tables_picked_from_questions_get_an_id_and_need_their_parts() {
        let i = instrument();
        let spec =
            table_spec(&i, Kind::Frequency, "sex", "", "district", "", "", "").expect("spec");
        assert_eq!(spec.id, "sex_by_district");
        assert_eq!(spec.variable.as_deref(), Some("sex"));
        assert_eq!(spec.by.as_deref(), Some("district"));
        let cross =
            table_spec(&i, Kind::Crosstab, "sex", "district", "", "", "", "").expect("spec");
        assert_eq!(cross.id, "sex_x_district");
        assert_eq!(
            (cross.rows.as_deref(), cross.columns.as_deref()),
            (Some("sex"), Some("district"))
        );
        assert!(
            table_spec(&i, Kind::Crosstab, "sex", "", "", "", "", "").is_none(),
            "no columns"
        );
        assert!(
            table_spec(&i, Kind::Frequency, "", "", "", "", "", "").is_none(),
            "no question"
        );
        // Pre/post: the wave list's first two codes; here sex's f and m stand in for them.
        let change =
            table_spec(&i, Kind::Prepost, "score", "sex", "", "w", "id", "").expect("spec");
        assert_eq!(
            (change.pre.as_deref(), change.post.as_deref()),
            (Some("f"), Some("m"))
        );
        assert_eq!(change.weight, None, "a pre/post table has no weight");
        assert!(
            table_spec(&i, Kind::Prepost, "score", "district", "", "", "id", "").is_none(),
            "one wave code"
        );
        let parsed = dala_aggregate::plan::check(
            &dala_aggregate::plan::Plan {
                table: vec![spec, cross],
            },
            &i,
        );
        assert!(parsed.is_ok(), "{parsed:?}");
    }

    #[test]
    fn files_zipped_a_slice_at_a_time_read_back_the_same() {
        // The main table spans three slices (two full and a part); an empty table and a small
        // one in Cyrillic follow.
        let row = "district,kara_suu,12\n";
        let main = row.repeat((2 * ZIP_SLICE + 1000) / row.len()).into_bytes();
        let files = vec![
            ("p.csv".to_string(), main),
            ("p-empty.csv".to_string(), Vec::new()),
            ("p-member.csv".to_string(), "имя\n".as_bytes().to_vec()),
        ];
        let mut zip = ZipSlices::new(files.clone());
        let mut shares = Vec::new();
        while let Some(share) = zip.step().expect("a step") {
            shares.push(share);
        }
        // Three steps for the main table, one for each of the others; the last says all.
        assert_eq!(shares.len(), 5);
        assert!(shares.windows(2).all(|w| w[0] <= w[1]), "{shares:?}");
        assert_eq!(shares.last(), Some(&1.0));
        assert_eq!(zip.step(), Ok(None), "nothing more once done");
        let bytes = zip.finish().expect("zipped");
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
        assert_eq!(archive.len(), 3);
        for (name, content) in &files {
            let mut entry = archive.by_name(name).expect("entry");
            let mut read = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut read).expect("read");
            assert_eq!(&read, content, "{name}");
        }
    }

    #[test]
    fn pages_hold_fifty_rows_and_the_last_page_the_rest() {
        let rows: Vec<usize> = (0..120).collect();
        let (first, pages) = page_of(&rows, 0);
        assert_eq!((first.len(), pages), (50, 3));
        let (last, _) = page_of(&rows, 2);
        assert_eq!(last, &rows[100..]);
        let (beyond, _) = page_of(&rows, 9);
        assert_eq!(beyond, &rows[100..], "past the end: the last page");
        assert_eq!(page_of(&[], 0), (&[][..], 1));
    }
}
