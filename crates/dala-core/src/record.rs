//! Submission records and export bundles: the versioned formats answers leave a device in.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod files;
mod lines;
mod pieces;
pub use files::{
    FILE_PART_BYTES, FileAssembler, FileAt, FilePart, RecordFiles, file_lines, raw_file_line,
};
pub use lines::{BundleEntry, BundleLines, MAX_LINE_BYTES, open_bundle};
pub use pieces::{Piece, pieces};

/// `${instanceID}`, where no question has that name, is the record's instance id (an XForm's
/// meta/instanceID, which pyxform lets a form name so).
pub const INSTANCE_ID_NAME: &str = "instanceID";

/// The version of the submission record and bundle formats.
pub const RECORD_FORMAT: u32 = 1;

/// The first bundle format that carried files: format 1's lines, each record followed by the
/// lines of the files it lists ([`FilePart`], base64 in JSON). Still read; no longer written.
pub const BUNDLE_FORMAT_WITH_FILES: u32 = 2;

/// The bundle format that carries files as they are: format 1's lines, each record followed,
/// for each file it lists, by a line naming the file and its length, then exactly that many
/// bytes and a line ending. A reader passes over a file without decoding it, and a browser
/// stores a slice of the picked file as it is. A bundle without files is written as format 1,
/// which every version reads; formats 1 to 3 are read.
pub const BUNDLE_FORMAT_RAW_FILES: u32 = 3;

/// The largest file a bundle carries that a reader takes (a device keeps files of up to
/// 100 MiB); a larger one is passed over and reported.
pub const MAX_BUNDLE_FILE_BYTES: u64 = 256 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Finalized,
}

/// An answer: a value as a form stores it, or the ordered instances of a repeat.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    Value(String),
    Repeat(Vec<BTreeMap<String, Answer>>),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    pub format: u32,
    /// A UUID, unique across devices: merging bundles dedupes on it.
    pub instance_id: String,
    pub instrument_id: String,
    pub instrument_version: String,
    pub status: Status,
    /// ISO 8601 dateTimes on the device's clock.
    pub started: String,
    pub updated: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finalized: Option<String>,
    pub enumerator: String,
    pub device_id: String,
    /// The record's name from the form's `instance_name` expression, as it stood when the
    /// record was saved (ODK's meta/instanceName); absent when the form has none or it was
    /// empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_name: Option<String>,
    /// Relevant answers by question name; repeats as ordered instances.
    pub answers: BTreeMap<String, Answer>,
    /// Only in drafts: instances of a counted repeat beyond its count as it stands (the count
    /// went down, or was empty while it was retyped). They are not part of the record; the
    /// draft keeps them so that a count that comes back up brings their answers back, also
    /// after a reload.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<HeldInstances>,
    /// The files its answers name (a photo, a recording), each described; the bytes travel
    /// beside the record (a store keeps them with it, a bundle carries them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<crate::instrument::Attachment>,
}

impl Submission {
    /// Every value its answers hold (held instances' too), to find the files they name.
    pub fn values(&self) -> std::collections::BTreeSet<&str> {
        fn walk<'a>(
            answers: &'a BTreeMap<String, Answer>,
            out: &mut std::collections::BTreeSet<&'a str>,
        ) {
            for answer in answers.values() {
                match answer {
                    Answer::Value(v) => {
                        out.insert(v.as_str());
                    }
                    Answer::Repeat(instances) => instances.iter().for_each(|i| walk(i, out)),
                }
            }
        }
        let mut out = std::collections::BTreeSet::new();
        walk(&self.answers, &mut out);
        for held in &self.held {
            held.instances.iter().for_each(|i| walk(i, &mut out));
        }
        out
    }
}

/// The held instances of one repeat in one enclosing instance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeldInstances {
    /// The repeat's name.
    pub repeat: String,
    /// Where its container is: for each enclosing repeat, outermost first, the index of the
    /// enclosing instance among that repeat's instances, the held ones counted after the
    /// shown ones (so held instances inside a held instance are kept too).
    pub at: Vec<usize>,
    /// Their answers, the next to come back first.
    pub instances: Vec<BTreeMap<String, Answer>>,
}

/// The first line of a bundle file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleHeader {
    pub format: u32,
    pub kind: String,
    pub instrument_id: String,
    pub instrument_version: String,
    pub device_id: String,
    pub created: String,
}

pub const BUNDLE_KIND: &str = "dala-bundle";

/// A line of a bundle that could not be taken, and why. Lines count from 1.
#[derive(Clone, Debug, PartialEq)]
pub struct BadLine {
    pub line: usize,
    pub problem: LineProblem,
}

/// Why a record line of a bundle was not taken, as data with a stable code (dala-words writes
/// the English, code first; the app its own languages).
#[derive(Clone, Debug, PartialEq)]
pub enum LineProblem {
    /// B001 the line is not JSON (damaged, or cut short); the detail says where it stops.
    NotJson { detail: String },
    /// B002 JSON that is not a submission record (a field missing, unknown or of the wrong
    /// kind).
    NotARecord { detail: String },
    /// B003 a record of another format version.
    RecordFormat(u32),
    /// B004 a record of another instrument than the bundle's header names.
    OtherInstrument { record: String, bundle: String },
    /// B005 a bundle header where a record should be: two bundles joined into one file. The
    /// records after it are read against the first header.
    SecondHeader { instrument: String },
    /// B006 bytes that are not UTF-8 (a damaged sector, a bad copy); `at` is the byte offset
    /// in the line where they start.
    NotUtf8 { at: usize },
    /// B007 a line longer than [`MAX_LINE_BYTES`]; it is skipped without being held.
    TooLong { bytes: u64 },
    /// B008 a file's line that cannot be used: not the next part of a file a record before
    /// it lists, its data not base64, or the file put together not the one the record
    /// describes (its size or SHA-256). The file is left out; its record is kept.
    BadFile { name: String, why: FileProblem },
}

/// Why a file a bundle carries was left out (B008).
#[derive(Clone, Debug, PartialEq)]
pub enum FileProblem {
    /// No record before it lists a file of that name.
    NotListed,
    /// A part out of order (`expected` is the part that should have come).
    OutOfOrder { part: u32, expected: u32 },
    /// The data is not base64.
    NotBase64,
    /// Put together, it is not the file its record describes.
    NotAsDescribed,
    /// Its record ended (the next record, or the end of the bundle) before its last part
    /// (format 3: the bundle ended before its last byte).
    Incomplete { parts: u32, got: u32 },
    /// Larger than [`MAX_BUNDLE_FILE_BYTES`] (format 3): passed over without being read.
    TooLarge { bytes: u64 },
}

impl LineProblem {
    pub fn code(&self) -> &'static str {
        match self {
            LineProblem::NotJson { .. } => "B001",
            LineProblem::NotARecord { .. } => "B002",
            LineProblem::RecordFormat(_) => "B003",
            LineProblem::OtherInstrument { .. } => "B004",
            LineProblem::SecondHeader { .. } => "B005",
            LineProblem::NotUtf8 { .. } => "B006",
            LineProblem::TooLong { .. } => "B007",
            LineProblem::BadFile { .. } => "B008",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Bundle {
    pub header: BundleHeader,
    pub records: Vec<Submission>,
    pub bad_lines: Vec<BadLine>,
}

/// Why a whole bundle is refused (its header line), with a stable code and the line it is
/// at (blank lines before the header are passed over).
#[derive(Clone, Debug, PartialEq)]
pub enum BundleError {
    /// B010 the first line that is not blank is not a bundle header.
    Header { line: usize, detail: String },
    /// B010 a header of another kind of file than a Dala bundle.
    OtherKind { line: usize, kind: String },
    /// B010 a first line too long to be a header.
    HeaderTooLong { line: usize, bytes: u64 },
    /// B011 a bundle of another format version.
    UnsupportedFormat { line: usize, format: u32 },
    /// B012 nothing but blank lines.
    Empty,
}

impl BundleError {
    pub fn code(&self) -> &'static str {
        match self {
            BundleError::Header { .. }
            | BundleError::OtherKind { .. }
            | BundleError::HeaderTooLong { .. } => "B010",
            BundleError::UnsupportedFormat { .. } => "B011",
            BundleError::Empty => "B012",
        }
    }

    /// The line of the file the problem is at.
    pub fn line(&self) -> usize {
        match self {
            BundleError::Header { line, .. }
            | BundleError::OtherKind { line, .. }
            | BundleError::HeaderTooLong { line, .. }
            | BundleError::UnsupportedFormat { line, .. } => *line,
            BundleError::Empty => 1,
        }
    }
}

/// Writes a bundle: a header line, then one record a line (JSON Lines).
pub fn write_bundle(header: &BundleHeader, records: &[Submission]) -> String {
    let mut out = serde_json::to_string(header).unwrap_or_default();
    out.push('\n');
    for record in records {
        out.push_str(&serde_json::to_string(record).unwrap_or_default());
        out.push('\n');
    }
    out
}

/// Writes a bundle with the files its records list: each record followed by its files, each
/// a line naming it and its length, then its bytes as they are (`files` gives a record's
/// files by name; one it has not got is left out, and the reader says the record's file is
/// missing). Format 3 when a file is carried, else 1.
pub fn write_bundle_with_files(
    header: &BundleHeader,
    records: &[Submission],
    files: impl Fn(&Submission, &str) -> Option<Vec<u8>>,
) -> Vec<u8> {
    let mut body = Vec::new();
    let mut carried = false;
    for record in records {
        body.extend_from_slice(serde_json::to_string(record).unwrap_or_default().as_bytes());
        body.push(b'\n');
        for described in &record.files {
            if let Some(bytes) = files(record, &described.name) {
                body.extend_from_slice(
                    raw_file_line(&record.instance_id, &described.name, bytes.len() as u64)
                        .as_bytes(),
                );
                body.push(b'\n');
                body.extend_from_slice(&bytes);
                body.push(b'\n');
                carried = true;
            }
        }
    }
    let header = BundleHeader {
        format: if carried {
            BUNDLE_FORMAT_RAW_FILES
        } else {
            RECORD_FORMAT
        },
        ..header.clone()
    };
    let mut out = serde_json::to_string(&header)
        .unwrap_or_default()
        .into_bytes();
    out.push(b'\n');
    out.extend_from_slice(&body);
    out
}

/// Reads the header line of a bundle, line `line` of its file.
pub fn read_header(line: usize, text: &str) -> Result<BundleHeader, BundleError> {
    let header: BundleHeader = serde_json::from_str(text).map_err(|e| BundleError::Header {
        line,
        detail: e.to_string(),
    })?;
    if header.kind != BUNDLE_KIND {
        return Err(BundleError::OtherKind {
            line,
            kind: header.kind,
        });
    }
    if !(RECORD_FORMAT..=BUNDLE_FORMAT_RAW_FILES).contains(&header.format) {
        return Err(BundleError::UnsupportedFormat {
            line,
            format: header.format,
        });
    }
    Ok(header)
}

/// Reads one record line of a bundle with this header, or says why it was refused.
pub fn read_record(line: &str, header: &BundleHeader) -> Result<Submission, LineProblem> {
    match serde_json::from_str::<Submission>(line) {
        // Only a refused line pays for the second look: is it a header of its own?
        Err(e) => Err(match serde_json::from_str::<BundleHeader>(line) {
            Ok(other) => LineProblem::SecondHeader {
                instrument: other.instrument_id,
            },
            Err(_) if e.is_data() => LineProblem::NotARecord {
                detail: e.to_string(),
            },
            Err(_) => LineProblem::NotJson {
                detail: e.to_string(),
            },
        }),
        Ok(r) if r.format != RECORD_FORMAT => Err(LineProblem::RecordFormat(r.format)),
        Ok(r) if r.instrument_id != header.instrument_id => Err(LineProblem::OtherInstrument {
            record: r.instrument_id,
            bundle: header.instrument_id.clone(),
        }),
        Ok(r) => Ok(r),
    }
}

/// Reads a bundle held in memory. A bad header refuses the file; a bad record line is
/// reported by number and the good lines are kept.
pub fn read_bundle(bytes: &[u8]) -> Result<Bundle, BundleError> {
    // Reading from memory cannot fail.
    let mut lines = match open_bundle(bytes) {
        Ok(opened) => opened?,
        Err(_) => return Err(BundleError::Empty),
    };
    let mut records = Vec::new();
    let mut bad_lines = Vec::new();
    while let Ok(Some((line, read))) = lines.next_record() {
        match read {
            Ok(r) => records.push(r),
            Err(problem) => bad_lines.push(BadLine { line, problem }),
        }
    }
    Ok(Bundle {
        header: lines.header().clone(),
        records,
        bad_lines,
    })
}
