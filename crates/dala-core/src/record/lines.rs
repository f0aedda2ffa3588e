//! The lines of a bundle as they come off a file, a USB stick or a browser's file picker: one
//! reader for the command line, the app and the server, so a damaged file gets the same
//! report everywhere. A byte-order mark (a Windows editor's) is passed over, CRLF endings and
//! blank lines are accepted, and a line that is not UTF-8, or too long to be a record, is
//! reported by its number like any other bad line while the lines around it are kept.

use super::files::{FileAt, FilePart, is_file_line, read_file_line, read_raw_file_line};
use super::{
    BUNDLE_FORMAT_RAW_FILES, BundleError, BundleHeader, FileProblem, LineProblem,
    MAX_BUNDLE_FILE_BYTES, Submission, read_header, read_record,
};
use std::io::{self, BufRead};

/// The longest record line read (16 MiB: a record with thousands of long answers is far
/// below it). A longer line is counted, reported and skipped, never held in memory whole.
pub const MAX_LINE_BYTES: usize = 16 << 20;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// An entry of a bundle: a record, or a file (or part of one, format 2) the record before it
/// lists; or, for a reader that passes over files' bytes, where a file is (format 3).
#[derive(Clone, Debug, PartialEq)]
pub enum BundleEntry {
    Record(Box<Submission>),
    File(FilePart),
    FileAt(FileAt),
}

/// A bundle whose header has been read: its record lines one at a time.
pub struct BundleLines<R> {
    input: R,
    header: BundleHeader,
    /// The number of the last line read (the header's, at first), counted from 1.
    number: usize,
    /// Bytes of the input consumed so far, for a progress bar.
    consumed: u64,
    buffer: Vec<u8>,
    /// Format 3 files' bytes are not read: [`BundleEntry::FileAt`] says where they are, and
    /// the caller puts the input at [`BundleLines::consumed`] before the next entry.
    pass_over_files: bool,
}

/// What to do with the bytes of a format-3 file.
#[derive(Clone, Copy, PartialEq)]
enum Bytes {
    Keep,
    Drop,
}

/// Reads up to the bundle's header (its first line that is not blank). The outer `Err` is
/// the input failing; the inner one says why the file is no bundle this version reads.
pub fn open_bundle<R: BufRead>(input: R) -> io::Result<Result<BundleLines<R>, BundleError>> {
    let mut lines = BundleLines {
        input,
        header: BundleHeader {
            format: 0,
            kind: String::new(),
            instrument_id: String::new(),
            instrument_version: String::new(),
            device_id: String::new(),
            created: String::new(),
        },
        number: 0,
        consumed: 0,
        buffer: Vec::new(),
        pass_over_files: false,
    };
    loop {
        let Some(length) = lines.next_line()? else {
            return Ok(Err(BundleError::Empty));
        };
        let number = lines.number;
        if length > MAX_LINE_BYTES as u64 {
            return Ok(Err(BundleError::HeaderTooLong {
                line: number,
                bytes: length,
            }));
        }
        // A header with bad bytes is no header: its JSON reader says where they are.
        let text = String::from_utf8_lossy(&lines.buffer);
        if text.trim().is_empty() {
            continue;
        }
        return Ok(match read_header(number, text.trim_end()) {
            Ok(header) => {
                lines.header = header;
                Ok(lines)
            }
            Err(e) => Err(e),
        });
    }
}

impl<R: BufRead> BundleLines<R> {
    pub fn header(&self) -> &BundleHeader {
        &self.header
    }

    /// The number of the line last read (the header's, before any other), counted from 1.
    pub fn line_number(&self) -> usize {
        self.number
    }

    /// Bytes of the input read so far.
    pub fn consumed(&self) -> u64 {
        self.consumed
    }

    /// The text of the line last read, without its line ending (empty when it is not UTF-8):
    /// the record's JSON as it came, for a store that keeps it as it came.
    pub fn line_text(&self) -> &str {
        std::str::from_utf8(&self.buffer).map_or("", str::trim_end)
    }

    /// From now on, a format-3 file's bytes are not read: the entry is
    /// [`BundleEntry::FileAt`], and the caller moves the input past them (to
    /// [`BundleLines::consumed`], which counts them and their line ending) before asking for
    /// the next entry. For a browser, which stores a slice of the picked file as it is.
    pub fn pass_over_files(&mut self) {
        self.pass_over_files = true;
    }

    /// The input, for a caller that moves it past a file's bytes.
    pub fn input_mut(&mut self) -> &mut R {
        &mut self.input
    }

    pub fn input(&self) -> &R {
        &self.input
    }

    /// The next record line that is not blank, by its number: the record, or why it was not
    /// taken. `None` at the end of the input. The lines of files are passed over (a reader
    /// of records alone: see [`BundleLines::next_entry`] for the files).
    pub fn next_record(&mut self) -> io::Result<Option<(usize, Result<Submission, LineProblem>)>> {
        loop {
            match self.entry(Bytes::Drop)? {
                None => return Ok(None),
                Some((_, Ok(BundleEntry::File(_) | BundleEntry::FileAt(_)))) => {}
                Some((number, Ok(BundleEntry::Record(record)))) => {
                    return Ok(Some((number, Ok(*record))));
                }
                Some((number, Err(problem))) => return Ok(Some((number, Err(problem)))),
            }
        }
    }

    /// The next line that is not blank, by its number: a record or a part of a file, or why
    /// it was not taken. `None` at the end of the input.
    pub fn next_entry(&mut self) -> io::Result<Option<(usize, Result<BundleEntry, LineProblem>)>> {
        self.entry(Bytes::Keep)
    }

    fn entry(
        &mut self,
        bytes: Bytes,
    ) -> io::Result<Option<(usize, Result<BundleEntry, LineProblem>)>> {
        loop {
            let Some(length) = self.next_line()? else {
                return Ok(None);
            };
            if length > MAX_LINE_BYTES as u64 {
                return Ok(Some((
                    self.number,
                    Err(LineProblem::TooLong { bytes: length }),
                )));
            }
            let text = match std::str::from_utf8(&self.buffer) {
                Ok(text) => text,
                Err(e) => {
                    let at = e.valid_up_to();
                    return Ok(Some((self.number, Err(LineProblem::NotUtf8 { at }))));
                }
            };
            if text.trim().is_empty() {
                continue;
            }
            let text = text.trim_end();
            let read = if is_file_line(text) && self.header.format >= BUNDLE_FORMAT_RAW_FILES {
                match read_raw_file_line(text) {
                    Ok((instance_id, name, len)) => {
                        self.file_bytes(instance_id, name, len, bytes)?
                    }
                    Err(problem) => Err(problem),
                }
            } else if is_file_line(text) {
                read_file_line(text).map(BundleEntry::File)
            } else {
                read_record(text, &self.header).map(|r| BundleEntry::Record(Box::new(r)))
            };
            return Ok(Some((self.number, read)));
        }
    }

    /// The bytes of a format-3 file after its line (`len` of them, then a line ending): kept,
    /// dropped, or passed over for the caller (see [`BundleLines::pass_over_files`]).
    fn file_bytes(
        &mut self,
        instance_id: String,
        name: String,
        len: u64,
        bytes: Bytes,
    ) -> io::Result<Result<BundleEntry, LineProblem>> {
        if self.pass_over_files {
            let at = FileAt {
                instance_id,
                name,
                offset: self.consumed,
                len,
            };
            self.consumed += len + 1;
            return Ok(Ok(BundleEntry::FileAt(at)));
        }
        let keep = bytes == Bytes::Keep && len <= MAX_BUNDLE_FILE_BYTES;
        let mut data = Vec::new();
        let mut left = len;
        while left > 0 {
            let available = filled(&mut self.input)?;
            if available.is_empty() {
                break;
            }
            let take = available
                .len()
                .min(usize::try_from(left).unwrap_or(usize::MAX));
            if keep {
                data.extend_from_slice(&available[..take]);
            }
            self.input.consume(take);
            self.consumed += take as u64;
            left -= take as u64;
        }
        if left > 0 {
            return Ok(Err(LineProblem::BadFile {
                name,
                why: FileProblem::Incomplete { parts: 1, got: 0 },
            }));
        }
        // The line ending after the bytes.
        if filled(&mut self.input)?.first() == Some(&b'\n') {
            self.input.consume(1);
            self.consumed += 1;
        }
        if len > MAX_BUNDLE_FILE_BYTES {
            return Ok(Err(LineProblem::BadFile {
                name,
                why: FileProblem::TooLarge { bytes: len },
            }));
        }
        Ok(Ok(BundleEntry::File(FilePart {
            instance_id,
            name,
            part: 1,
            parts: 1,
            data,
        })))
    }

    /// Reads one line into the buffer without its line ending (and without a byte-order mark
    /// on line 1), keeping at most `MAX_LINE_BYTES + 1` of it; returns its whole length in
    /// bytes, `None` at the end.
    fn next_line(&mut self) -> io::Result<Option<u64>> {
        self.buffer.clear();
        let mut length = 0u64;
        let mut ended = false;
        // The last byte of the line before its `\n`, also when the buffer holds only the
        // line's start: a `\r` there is part of the ending, not of the line.
        let mut last = None;
        while !ended {
            let available = filled(&mut self.input)?;
            if available.is_empty() {
                break;
            }
            let content = match available.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    ended = true;
                    i
                }
                None => available.len(),
            };
            if content > 0 {
                last = Some(available[content - 1]);
            }
            let room = (MAX_LINE_BYTES + 1).saturating_sub(self.buffer.len());
            self.buffer
                .extend_from_slice(&available[..content.min(room)]);
            let take = content + usize::from(ended);
            self.input.consume(take);
            length += content as u64;
            self.consumed += take as u64;
        }
        if length == 0 && !ended {
            return Ok(None);
        }
        self.number += 1;
        if last == Some(b'\r') {
            length -= 1;
            if self.buffer.len() as u64 > length {
                self.buffer.pop();
            }
        }
        if self.number == 1 && self.buffer.starts_with(BOM) {
            self.buffer.drain(..BOM.len());
            length -= BOM.len() as u64;
        }
        Ok(Some(length))
    }
}

/// The input's next bytes (empty at its end), asked again when a signal interrupted the read.
fn filled<R: BufRead>(input: &mut R) -> io::Result<&[u8]> {
    loop {
        match input.fill_buf() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            _ => break,
        }
    }
    input.fill_buf()
}
