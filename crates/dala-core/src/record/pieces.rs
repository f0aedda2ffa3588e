//! A bundle cut into pieces a server takes one request at a time: each piece its header line
//! and whole records, each record with its files (their lines, and in format 3 their bytes),
//! so no file is ever split from its record. Lines are kept as they are (a bad one is the server's to report), with
//! the number each had in the bundle, so a report about a piece's line names the bundle's.

use super::files::{is_file_line, read_raw_file_line};
use super::{BUNDLE_FORMAT_RAW_FILES, read_header};

/// One piece of a bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Piece {
    /// The bundle's header line, then the piece's lines, each ending in `\n`.
    pub bytes: Vec<u8>,
    /// For each line of the piece (the header first), its number in the bundle, from 1.
    pub lines: Vec<usize>,
}

impl Piece {
    /// The bundle's number of the line a report about this piece numbers `line` (from 1).
    pub fn bundle_line(&self, line: usize) -> Option<usize> {
        self.lines.get(line.checked_sub(1)?).copied()
    }
}

/// Cuts `bundle` into pieces of at most `max_bytes` where it can: a record with its files is
/// never cut, so one larger than that is a piece alone. Blank lines are left out. None when
/// there is no header line (nothing that is not blank).
pub fn pieces(bundle: &[u8], max_bytes: usize) -> Option<Vec<Piece>> {
    let mut at = 0;
    let mut number = 0;
    // The next line from `at`, with its line ending (the last may have none).
    let mut next_line = |at: &mut usize| -> Option<(usize, &[u8])> {
        if *at >= bundle.len() {
            return None;
        }
        let end = bundle[*at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bundle.len(), |i| *at + i + 1);
        let line = &bundle[*at..end];
        *at = end;
        number += 1;
        Some((number, line))
    };
    let (header_number, header) = loop {
        let (n, line) = next_line(&mut at)?;
        if !line.trim_ascii().is_empty() {
            break (n, with_newline(line));
        }
    };
    let raw_files = std::str::from_utf8(&header)
        .ok()
        .and_then(|h| read_header(header_number, h.trim_end()).ok())
        .is_some_and(|h| h.format >= BUNDLE_FORMAT_RAW_FILES);
    // Records each with the lines (and bytes) of its files after it; a file before any
    // record is a group of its own. A group: its bytes, and the numbers of its lines.
    let mut groups: Vec<(Vec<u8>, Vec<usize>)> = Vec::new();
    while let Some((n, line)) = next_line(&mut at) {
        if line.trim_ascii().is_empty() {
            continue;
        }
        let text = std::str::from_utf8(line).ok().map(str::trim_end);
        let file = text.is_some_and(is_file_line);
        let mut bytes = with_newline(line);
        // A format-3 file's bytes, and the line ending after them, go with its line.
        if let Some(Ok((_, _, len))) = text.filter(|_| file && raw_files).map(read_raw_file_line) {
            let end = usize::try_from(len)
                .ok()
                .and_then(|len| at.checked_add(len))
                .map_or(bundle.len(), |end| end.min(bundle.len()));
            let end = if bundle.get(end) == Some(&b'\n') {
                end + 1
            } else {
                end
            };
            bytes.extend_from_slice(&bundle[at..end]);
            at = end;
        }
        match groups.last_mut() {
            Some((group, numbers)) if file => {
                group.extend_from_slice(&bytes);
                numbers.push(n);
            }
            _ => groups.push((bytes, vec![n])),
        }
    }
    let fresh = || Piece {
        bytes: header.clone(),
        lines: vec![header_number],
    };
    let mut out = Vec::new();
    let mut current = fresh();
    for (bytes, numbers) in groups {
        if current.lines.len() > 1 && current.bytes.len() + bytes.len() > max_bytes {
            out.push(std::mem::replace(&mut current, fresh()));
        }
        current.bytes.extend_from_slice(&bytes);
        current.lines.extend(numbers);
    }
    if current.lines.len() > 1 || out.is_empty() {
        out.push(current);
    }
    Some(out)
}

fn with_newline(line: &[u8]) -> Vec<u8> {
    let mut line = line.to_vec();
    if line.last() != Some(&b'\n') {
        line.push(b'\n');
    }
    line
}
