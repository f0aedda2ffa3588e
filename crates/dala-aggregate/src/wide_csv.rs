//! Aggregating a wide CSV (the main table of an export, from Dala or ODK Central) instead of
//! bundles: each question is found by its column (`group-question` or the bare name), rows are
//! read one at a time into an [`Aggregation`], and a `Status` column of `draft` leaves the row
//! out unless drafts are asked for. Values must be codes, not labels (an export made without
//! `--labels`).

use crate::aggregation::{Aggregation, RecordKey};
use dala_core::{Index, Instrument};
use std::io::Read;

/// Why a wide CSV cannot be read, as data with a stable code and its line.
#[derive(Clone, Debug, PartialEq)]
pub enum WideCsvError {
    /// W001 (line 1) no column for `question`, under any of the names it may have.
    MissingColumn {
        question: String,
        looked_for: Vec<String>,
    },
    /// W002 a line the CSV reader refuses; `detail` is its own account.
    Malformed { line: u64, detail: String },
}

impl WideCsvError {
    pub fn code(&self) -> &'static str {
        match self {
            WideCsvError::MissingColumn { .. } => "W001",
            WideCsvError::Malformed { .. } => "W002",
        }
    }

    pub fn line(&self) -> u64 {
        match self {
            WideCsvError::MissingColumn { .. } => 1,
            WideCsvError::Malformed { line, .. } => *line,
        }
    }
}

/// What was read.
#[derive(Debug, Default, PartialEq)]
pub struct WideCsvReport {
    pub rows: u64,
    pub drafts_skipped: u64,
}

/// The column names a question (its record key, or its name) may have in a wide export: its
/// group path, then the bare name (the key, where the name is shared).
fn candidates(instrument: &Instrument, question: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(entry) = Index::new(instrument).question(question) {
        out.push(entry.path.replace('/', "-"));
        if entry.key != out[0] {
            out.push(entry.key.clone());
        }
    }
    if !out.iter().any(|c| c == question) {
        out.push(question.to_string());
    }
    out
}

/// A wide CSV being read in batches of rows, with each question's column found.
pub struct WideCsv<R: Read> {
    reader: csv::Reader<R>,
    at: Columns,
    status: Option<usize>,
    pub report: WideCsvReport,
}

/// Where a wide CSV holds what an aggregation reads from each row.
#[derive(Clone, Debug)]
pub struct Columns {
    /// The column of each of the aggregation's questions.
    questions: Vec<usize>,
    /// `SubmissionDate` and `KEY`, the record's [`RecordKey`] (absent in a hand-made CSV).
    saved: Option<usize>,
    instance_id: Option<usize>,
}

fn malformed(e: csv::Error) -> WideCsvError {
    WideCsvError::Malformed {
        line: e.position().map_or(1, csv::Position::line),
        detail: e.to_string(),
    }
}

impl<R: Read> WideCsv<R> {
    /// Reads the header and finds the column of every question `aggregation` needs.
    pub fn open(
        aggregation: &Aggregation,
        instrument: &Instrument,
        input: R,
        include_drafts: bool,
    ) -> Result<WideCsv<R>, WideCsvError> {
        let mut reader = csv::ReaderBuilder::new()
            .buffer_capacity(1 << 20)
            .from_reader(input);
        let header = reader.byte_headers().map_err(malformed)?.clone();
        let position = |name: &str| header.iter().position(|h| h == name.as_bytes());
        let mut at = Vec::new();
        for question in aggregation.columns() {
            let looked_for = candidates(instrument, question);
            match looked_for.iter().find_map(|c| position(c)) {
                Some(i) => at.push(i),
                None => {
                    return Err(WideCsvError::MissingColumn {
                        question: question.to_string(),
                        looked_for,
                    });
                }
            }
        }
        Ok(WideCsv {
            reader,
            at: Columns {
                questions: at,
                saved: position("SubmissionDate"),
                instance_id: position("KEY"),
            },
            status: position("Status").filter(|_| !include_drafts),
            report: WideCsvReport::default(),
        })
    }

    /// Refills `batch` with up to `size` rows (drafts left out as asked); false at the end.
    pub fn next_batch(
        &mut self,
        batch: &mut Vec<csv::ByteRecord>,
        size: usize,
    ) -> Result<bool, WideCsvError> {
        batch.resize_with(size, csv::ByteRecord::new);
        let mut filled = 0;
        while filled < size {
            let record = &mut batch[filled];
            if !self.reader.read_byte_record(record).map_err(malformed)? {
                break;
            }
            if self.status.and_then(|s| record.get(s)) == Some(b"draft") {
                self.report.drafts_skipped += 1;
                continue;
            }
            filled += 1;
        }
        batch.truncate(filled);
        self.report.rows += filled as u64;
        Ok(filled > 0)
    }

    /// How far into the input reading has come, in bytes.
    pub fn bytes_read(&self) -> u64 {
        self.reader.position().byte()
    }

    /// The column numbering [`add_rows`] uses; give it to another thread.
    pub fn columns(&self) -> Columns {
        self.at.clone()
    }
}

/// Adds rows of a wide CSV to an aggregation; `at` is [`WideCsv::columns`].
pub fn add_rows(aggregation: &mut Aggregation, at: &Columns, rows: &[csv::ByteRecord]) {
    fn field(record: &csv::ByteRecord, i: Option<usize>) -> &[u8] {
        i.and_then(|i| record.get(i)).unwrap_or_default()
    }
    for record in rows {
        let key = RecordKey {
            saved: field(record, at.saved),
            instance_id: field(record, at.instance_id),
        };
        aggregation.add(key, |i| record.get(at.questions[i]));
    }
}

/// Reads every row of `input` into `aggregation`. `bytes` is told how far it has read.
pub fn aggregate_wide_csv(
    aggregation: &mut Aggregation,
    instrument: &Instrument,
    input: impl Read,
    include_drafts: bool,
    mut bytes: impl FnMut(u64),
) -> Result<WideCsvReport, WideCsvError> {
    let mut csv = WideCsv::open(aggregation, instrument, input, include_drafts)?;
    let at = csv.columns();
    let mut batch = Vec::new();
    while csv.next_batch(&mut batch, 4096)? {
        add_rows(aggregation, &at, &batch);
        bytes(csv.bytes_read());
    }
    Ok(csv.report)
}
