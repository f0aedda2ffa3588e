//! A request's records as the intake reads them: bundle lines as they are (the header line,
//! then one record per line, as a tablet hands them over), each record's outcome reported by
//! its line. Another encoding (OpenRosa's XML) would be another reader giving the same
//! records to the same [`crate::db::Db::intake`].

use crate::problem::ApiError;
use crate::store::{Outcome, Refused};
use axum::http::StatusCode;
use dala_core::record::{BundleEntry, FileAssembler, LineProblem, Submission, open_bundle};
use serde_json::{Value, json};

pub use dala_core::record::RecordFiles as Files;

/// The lines of a request body: each record line with its record or why it is unreadable
/// (a file line that is not whole or not as its record describes it is one too), and the
/// files each record brought.
#[derive(Debug)]
pub struct Lines {
    entries: Vec<(usize, Result<Submission, LineProblem>)>,
    /// By the index in `entries` of their record.
    files: std::collections::HashMap<usize, Files>,
}

/// Reads a bundle (a refusal of the whole file carries the bundle's code, B0xx).
pub fn read_lines(bytes: &[u8]) -> Result<Lines, ApiError> {
    let unreadable = |code: &'static str, message: String| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    };
    let mut reader = match open_bundle(bytes) {
        Ok(Ok(reader)) => reader,
        Ok(Err(e)) => return Err(unreadable(e.code(), dala_words::bundle_error(&e))),
        Err(e) => return Err(ApiError::bad_request(e.to_string())),
    };
    let mut lines = Lines {
        entries: Vec::new(),
        files: std::collections::HashMap::new(),
    };
    let mut assembler = FileAssembler::default();
    // The entry of the record the file lines read now belong to.
    let mut record_entry = None;
    let problems = |lines: &mut Lines, assembler: &mut FileAssembler, number: usize| {
        for problem in assembler.take_problems() {
            lines.entries.push((number, Err(problem)));
        }
    };
    // Reading from memory cannot fail; a line that cannot be read is its own problem.
    while let Ok(Some((number, entry))) = reader.next_entry() {
        match entry {
            Ok(BundleEntry::File(part)) => {
                let whole = assembler.part(part);
                problems(&mut lines, &mut assembler, number);
                if let (Some((_, file, bytes)), Some(at)) = (whole, record_entry) {
                    lines.files.entry(at).or_default().push((file, bytes));
                }
            }
            // Only a reader told to pass over files' bytes gives where they are.
            Ok(BundleEntry::FileAt(_)) => {}
            Ok(BundleEntry::Record(record)) => {
                assembler.record(&record);
                problems(&mut lines, &mut assembler, number);
                record_entry = Some(lines.entries.len());
                lines.entries.push((number, Ok(*record)));
            }
            Err(problem) => {
                record_entry = None;
                lines.entries.push((number, Err(problem)));
            }
        }
    }
    assembler.finish();
    problems(&mut lines, &mut assembler, reader.line_number());
    Ok(lines)
}

impl Lines {
    /// The readable records, in line order.
    pub fn records(&self) -> Vec<Submission> {
        self.entries
            .iter()
            .filter_map(|(_, r)| r.as_ref().ok().cloned())
            .collect()
    }

    /// The files of each of [`Lines::records`], in the same order (none for a record that
    /// brought none).
    pub fn files(&mut self) -> Vec<Files> {
        let mut out = Vec::new();
        for (at, (_, entry)) in self.entries.iter().enumerate() {
            if entry.is_ok() {
                out.push(self.files.remove(&at).unwrap_or_default());
            }
        }
        out
    }
}

/// What became of every line sent.
#[derive(Debug)]
pub struct Report {
    pub added: usize,
    pub duplicates: usize,
    pub refused: usize,
    lines: Vec<Value>,
    /// The status of the first refusal, for a request none of whose records was taken.
    first_refusal: Option<StatusCode>,
}

/// A refusal's status, code and words.
fn refusal(why: &Refused) -> (StatusCode, &'static str, String) {
    match why {
        Refused::Conflict => (
            StatusCode::CONFLICT,
            "S010",
            "a record with this instance id is stored with other content".into(),
        ),
        Refused::Deleted => (
            StatusCode::CONFLICT,
            "S011",
            "this record was deleted on the server and is not stored again".into(),
        ),
        Refused::UnknownInstrument { form_id, version } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "S012",
            format!("{form_id} version {version} is not published in this project"),
        ),
        Refused::NotFinalized => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "S013",
            "a draft: only finalized records are received".into(),
        ),
        Refused::BadIdentifier => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "S014",
            "the instance id, instrument id or version is empty or holds a control character"
                .into(),
        ),
    }
}

impl Report {
    /// Pairs the outcomes (one per readable record, in order) with the lines.
    pub fn new(lines: &Lines, outcomes: &[Outcome]) -> Report {
        let mut report = Report {
            added: 0,
            duplicates: 0,
            refused: 0,
            lines: Vec::with_capacity(lines.entries.len()),
            first_refusal: None,
        };
        let mut outcomes = outcomes.iter();
        for (line, entry) in &lines.entries {
            // An unreadable line took no outcome: only `records()` went to the intake.
            let outcome = if entry.is_ok() { outcomes.next() } else { None };
            let value = match (entry, outcome) {
                (Err(problem), _) => {
                    report.refused += 1;
                    report
                        .first_refusal
                        .get_or_insert(StatusCode::UNPROCESSABLE_ENTITY);
                    json!({"line": line, "outcome": "refused", "code": problem.code(),
                           "message": dala_words::line_problem(problem)})
                }
                (Ok(record), Some(Outcome::Added(receipt))) => {
                    report.added += 1;
                    json!({"line": line, "instance_id": record.instance_id, "outcome": "added",
                           "receipt": receipt})
                }
                (Ok(record), Some(Outcome::Duplicate(receipt))) => {
                    report.duplicates += 1;
                    json!({"line": line, "instance_id": record.instance_id,
                           "outcome": "duplicate", "receipt": receipt})
                }
                (Ok(record), Some(Outcome::Refused(why))) => {
                    let (status, code, message) = refusal(why);
                    report.refused += 1;
                    report.first_refusal.get_or_insert(status);
                    json!({"line": line, "instance_id": record.instance_id, "outcome": "refused",
                           "code": code, "message": message})
                }
                (Ok(record), None) => {
                    report.refused += 1;
                    json!({"line": line, "instance_id": record.instance_id, "outcome": "refused",
                           "code": "S031", "message": "not processed"})
                }
            };
            report.lines.push(value);
        }
        report
    }

    /// 200 when any record is stored (new or as before); otherwise the first refusal's
    /// status (409 for a conflict, 422 for a record the project cannot take), so a client
    /// sending one record reads its fate from the status alone.
    pub fn status(&self) -> StatusCode {
        if self.added + self.duplicates > 0 || self.lines.is_empty() {
            StatusCode::OK
        } else {
            self.first_refusal.unwrap_or(StatusCode::OK)
        }
    }

    pub fn to_json(&self) -> Value {
        json!({"added": self.added, "duplicates": self.duplicates, "refused": self.refused,
               "records": self.lines})
    }
}
