//! The lines of a bundle as they come off a file, a USB stick or a browser's file picker: one
//! reader for the command line, the app and the server, so a damaged file gets the same
//! report everywhere. A byte-order mark (a Windows editor's) is passed over, CRLF endings and
//! blank lines are accepted, and a line that is not UTF-8, or too long to be a record, is
//! reported by its number like any other bad line while the lines around it are kept.

use super::files::{FilePart, is_file_line, read_file_line};
use super::{BundleError, BundleHeader, LineProblem, Submission, read_header, read_record};
use std::io::{self, BufRead};

/// The longest record line read (16 MiB: a record with thousands of long answers is far
/// below it). A longer line is counted, reported and skipped, never held in memory whole.
pub const MAX_LINE_BYTES: usize = 16 << 20;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A line of a bundle: a record, or a part of a file the record before it lists (format 2).
#[derive(Clone, Debug, PartialEq)]
pub enum BundleEntry {
    Record(Box<Submission>),
    File(FilePart),
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

    /// The next record line that is not blank, by its number: the record, or why it was not
    /// taken. `None` at the end of the input. The lines of files are passed over (a reader
    /// of records alone: see [`BundleLines::next_entry`] for the files).
    pub fn next_record(&mut self) -> io::Result<Option<(usize, Result<Submission, LineProblem>)>> {
        loop {
            match self.next_entry()? {
                None => return Ok(None),
                Some((_, Ok(BundleEntry::File(_)))) => {}
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
            let read = if is_file_line(text) {
                read_file_line(text).map(BundleEntry::File)
            } else {
                read_record(text, &self.header).map(|r| BundleEntry::Record(Box::new(r)))
            };
            return Ok(Some((self.number, read)));
        }
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
            let available = match self.input.fill_buf() {
                Ok(available) => available,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
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
