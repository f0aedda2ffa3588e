//! The files a bundle carries. Format 3 (written): after its record, each file is a line
//! naming it and its length, then its bytes as they are and a line ending, so a reader can
//! pass over a file without reading it and a browser can store a slice of the picked file as
//! it is. Format 2 (still read): each file as lines of its own, one part of at most
//! [`FILE_PART_BYTES`] a line, base64 in JSON. Either way a damaged file costs that file,
//! never the records.

use super::{FileProblem, LineProblem, Submission};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

/// A record's files as a bundle brings them, put together: each described, with its bytes.
pub type RecordFiles = Vec<(crate::instrument::Attachment, Vec<u8>)>;

/// The bytes of a file one line carries (1 MiB: 1.4 MiB of base64).
pub const FILE_PART_BYTES: usize = 1 << 20;

/// One line of a file: which file, which part of how many, and its bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct FilePart {
    pub instance_id: String,
    pub name: String,
    /// From 1.
    pub part: u32,
    pub parts: u32,
    pub data: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLine {
    file: FileKey,
    base64: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileKey {
    instance_id: String,
    name: String,
    part: u32,
    parts: u32,
}

/// The lines of a file a record lists, in order (one, empty, for an empty file).
pub fn file_lines(instance_id: &str, name: &str, bytes: &[u8]) -> Vec<String> {
    let chunks: Vec<&[u8]> = if bytes.is_empty() {
        vec![&[]]
    } else {
        bytes.chunks(FILE_PART_BYTES).collect()
    };
    let parts = chunks.len() as u32;
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, chunk)| {
            serde_json::to_string(&FileLine {
                file: FileKey {
                    instance_id: instance_id.to_string(),
                    name: name.to_string(),
                    part: i as u32 + 1,
                    parts,
                },
                base64: STANDARD.encode(chunk),
            })
            .unwrap_or_default()
        })
        .collect()
}

/// Where a file of a format-3 bundle is, for a reader that passes over its bytes (a browser
/// storing a slice of the picked file): its record, its name, and its bytes' place in the
/// bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileAt {
    pub instance_id: String,
    pub name: String,
    /// The offset of its first byte in the bundle.
    pub offset: u64,
    pub len: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFileLine {
    file: RawFileKey,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFileKey {
    instance_id: String,
    name: String,
    bytes: u64,
}

/// The line before a file's bytes in a format-3 bundle (without its line ending).
pub fn raw_file_line(instance_id: &str, name: &str, len: u64) -> String {
    serde_json::to_string(&RawFileLine {
        file: RawFileKey {
            instance_id: instance_id.to_string(),
            name: name.to_string(),
            bytes: len,
        },
    })
    .unwrap_or_default()
}

/// Reads the line before a file's bytes: the record's instance id, the name, the length.
pub(super) fn read_raw_file_line(text: &str) -> Result<(String, String, u64), LineProblem> {
    let line: RawFileLine = serde_json::from_str(text).map_err(|e| LineProblem::NotARecord {
        detail: e.to_string(),
    })?;
    Ok((line.file.instance_id, line.file.name, line.file.bytes))
}

/// Whether a line is a file's (it starts so; a record's starts with another field).
pub(super) fn is_file_line(text: &str) -> bool {
    text.trim_start().starts_with("{\"file\":")
}

/// Reads a file's line.
pub(super) fn read_file_line(text: &str) -> Result<FilePart, LineProblem> {
    let line: FileLine = serde_json::from_str(text).map_err(|e| LineProblem::NotARecord {
        detail: e.to_string(),
    })?;
    let data = STANDARD
        .decode(line.base64.as_bytes())
        .map_err(|_| LineProblem::BadFile {
            name: line.file.name.clone(),
            why: FileProblem::NotBase64,
        })?;
    Ok(FilePart {
        instance_id: line.file.instance_id,
        name: line.file.name,
        part: line.file.part,
        parts: line.file.parts,
        data,
    })
}

/// Puts the files of a bundle together part by part: the record read last says which files
/// may follow it, and a file is handed out whole once its last part came and it is the file
/// the record describes (size and SHA-256). What is wrong is kept as problems for the caller
/// to take (with the number of the line it just gave) after each call.
#[derive(Debug, Default)]
pub struct FileAssembler {
    record: Option<Submission>,
    open: Option<Open>,
    problems: Vec<LineProblem>,
    /// A file already left out: its later parts are passed over without a word each.
    skipping: Option<(String, String)>,
}

#[derive(Debug)]
struct Open {
    name: String,
    parts: u32,
    got: u32,
    bytes: Vec<u8>,
}

impl FileAssembler {
    /// A record was read: the files after it are its.
    pub fn record(&mut self, record: &Submission) {
        self.close_open();
        self.skipping = None;
        self.record = Some(record.clone());
    }

    /// The end of the bundle.
    pub fn finish(&mut self) {
        self.close_open();
        self.record = None;
    }

    /// The problems found since they were last taken.
    pub fn take_problems(&mut self) -> Vec<LineProblem> {
        std::mem::take(&mut self.problems)
    }

    /// A file still waiting for parts when its record's lines end is left out.
    fn close_open(&mut self) {
        if let Some(open) = self.open.take() {
            self.problems.push(LineProblem::BadFile {
                name: open.name,
                why: FileProblem::Incomplete {
                    parts: open.parts,
                    got: open.got,
                },
            });
        }
    }

    fn refuse(&mut self, instance_id: &str, name: &str, why: FileProblem) {
        self.skipping = Some((instance_id.to_string(), name.to_string()));
        self.problems.push(LineProblem::BadFile {
            name: name.to_string(),
            why,
        });
    }

    /// A file of a format-3 bundle whose bytes the caller reads itself (see [`FileAt`]):
    /// its description when its record lists it with that length; else None and a problem.
    /// The caller checks the bytes' SHA-256 against the description.
    pub fn at(&mut self, file: &FileAt) -> Option<crate::instrument::Attachment> {
        self.close_open();
        let described = self
            .record
            .as_ref()
            .filter(|r| r.instance_id == file.instance_id)
            .and_then(|r| r.files.iter().find(|f| f.name == file.name))
            .cloned();
        match described {
            None => {
                self.refuse(&file.instance_id, &file.name, FileProblem::NotListed);
                None
            }
            Some(described) if described.size != file.len => {
                self.refuse(&file.instance_id, &file.name, FileProblem::NotAsDescribed);
                None
            }
            Some(described) => Some(described),
        }
    }

    /// A part read: the whole file (its record's instance id, its description, its bytes)
    /// when this was its last part; nothing while more are to come or when it is left out.
    pub fn part(
        &mut self,
        part: FilePart,
    ) -> Option<(String, crate::instrument::Attachment, Vec<u8>)> {
        if self
            .skipping
            .as_ref()
            .is_some_and(|(id, name)| *id == part.instance_id && *name == part.name)
        {
            return None;
        }
        let described = self
            .record
            .as_ref()
            .filter(|r| r.instance_id == part.instance_id)
            .and_then(|r| r.files.iter().find(|f| f.name == part.name))
            .cloned();
        let Some(described) = described else {
            self.refuse(&part.instance_id, &part.name, FileProblem::NotListed);
            return None;
        };
        if self.open.as_ref().is_some_and(|o| o.name != part.name) {
            self.close_open();
        }
        let open = self.open.take().unwrap_or(Open {
            name: part.name.clone(),
            parts: part.parts,
            got: 0,
            bytes: Vec::new(),
        });
        if part.part != open.got + 1 || part.parts != open.parts || part.parts == 0 {
            self.refuse(
                &part.instance_id,
                &part.name,
                FileProblem::OutOfOrder {
                    part: part.part,
                    expected: open.got + 1,
                },
            );
            return None;
        }
        let mut open = Open {
            got: open.got + 1,
            ..open
        };
        open.bytes.extend_from_slice(&part.data);
        if open.got < open.parts {
            self.open = Some(open);
            return None;
        }
        let whole =
            crate::instrument::Attachment::of(&described.name, &described.media_type, &open.bytes);
        if whole != described {
            self.refuse(&part.instance_id, &part.name, FileProblem::NotAsDescribed);
            return None;
        }
        Some((part.instance_id, whole, open.bytes))
    }
}
