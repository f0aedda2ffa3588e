//! A bundle cut into pieces a server takes one request at a time: each piece its header line
//! and whole records, each record with the lines of its files, so no file is ever split
//! from its record. Lines are kept as they are (a bad one is the server's to report), with
//! the number each had in the bundle, so a report about a piece's line names the bundle's.

use super::files::is_file_line;

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
    let mut lines = bundle
        .split_inclusive(|&b| b == b'\n')
        .enumerate()
        .map(|(i, line)| (i + 1, line))
        .filter(|(_, line)| !line.trim_ascii().is_empty());
    let (header_number, header) = lines.next()?;
    let header = with_newline(header);
    // Records each with the file lines after it; a file line before any record is a group
    // of its own.
    let mut groups: Vec<Vec<(usize, &[u8])>> = Vec::new();
    for (number, line) in lines {
        let file = std::str::from_utf8(line).is_ok_and(is_file_line);
        match groups.last_mut() {
            Some(group) if file => group.push((number, line)),
            _ => groups.push(vec![(number, line)]),
        }
    }
    let mut out = Vec::new();
    let fresh = || Piece {
        bytes: header.clone(),
        lines: vec![header_number],
    };
    let mut current = fresh();
    for group in groups {
        let size: usize = group.iter().map(|(_, l)| l.len() + 1).sum();
        if current.lines.len() > 1 && current.bytes.len() + size > max_bytes {
            out.push(std::mem::replace(&mut current, fresh()));
        }
        for (number, line) in group {
            current.bytes.extend_from_slice(&with_newline(line));
            current.lines.push(number);
        }
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
