//! Any bytes as a bundle, and the damage bundles meet on the way: the first byte picks one to
//! apply to the rest (a byte-order mark, a bad byte in a line, a cut last line, a NUL, a line
//! past the length limit, a line nested deep, the header moved down, a second header, CRLF).
//! The reader never panics; reading from memory whole and through a reader that hands over a
//! few bytes at a time gives the same records and bad lines; every bad line is after the
//! header; every byte is read.
#![no_main]

use dala_core::record::{MAX_LINE_BYTES, open_bundle, read_bundle};
use libfuzzer_sys::fuzz_target;

const HEADER: &str = r#"{"format":1,"kind":"dala-bundle","instrument_id":"p","instrument_version":"1","device_id":"t","created":"2015-03-17T10:30:00.000+06:00"}"#;
const RECORD: &str = r#"{"format":1,"instance_id":"uuid:1","instrument_id":"p","instrument_version":"1","status":"finalized","started":"2015-03-17T09:00:00.000+06:00","updated":"2015-03-17T09:10:00.000+06:00","enumerator":"A","device_id":"t","answers":{"sex":"f"}}"#;

fn damaged(shape: u8, rest: &[u8]) -> Vec<u8> {
    let mut base = format!("{HEADER}\n{RECORD}\n").into_bytes();
    base.extend_from_slice(rest);
    let at = rest.first().map_or(0, |&b| b as usize) % base.len().max(1);
    match shape % 10 {
        0 => base,
        1 => [b"\xEF\xBB\xBF".as_slice(), &base].concat(),
        2 => {
            base[at] = 0xFF;
            base
        }
        3 => {
            base.truncate(at.max(1));
            base
        }
        4 => {
            base[at] = 0;
            base
        }
        5 => {
            let mut out = base;
            out.extend(std::iter::repeat_n(b'a', MAX_LINE_BYTES + 1));
            out.push(b'\n');
            out.extend_from_slice(RECORD.as_bytes());
            out
        }
        6 => {
            let deep = 1000 + at * 100;
            let mut out = base;
            out.extend(format!("{}{}\n", "[".repeat(deep), "]".repeat(deep)).into_bytes());
            out
        }
        7 => [RECORD.as_bytes(), b"\n", base.as_slice()].concat(),
        8 => [
            base.as_slice(),
            b"\n",
            HEADER.as_bytes(),
            b"\n",
            RECORD.as_bytes(),
        ]
        .concat(),
        _ => base
            .iter()
            .flat_map(|&b| {
                if b == b'\n' {
                    vec![b'\r', b'\n']
                } else {
                    vec![b]
                }
            })
            .collect(),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&shape, rest)) = data.split_first() else {
        return;
    };
    let bytes = damaged(shape, rest);
    let whole = read_bundle(&bytes);
    let capacity = 1 + usize::from(shape >> 4);
    let Ok(opened) = open_bundle(std::io::BufReader::with_capacity(
        capacity,
        bytes.as_slice(),
    )) else {
        panic!("reading from memory cannot fail");
    };
    match (whole, opened) {
        (Err(a), Err(b)) => assert_eq!(a, b),
        (Ok(bundle), Ok(mut lines)) => {
            let mut records = Vec::new();
            let mut bad = Vec::new();
            while let Ok(Some((line, read))) = lines.next_record() {
                match read {
                    Ok(r) => records.push(r),
                    Err(problem) => bad.push((line, problem)),
                }
            }
            assert_eq!(lines.consumed(), bytes.len() as u64);
            assert_eq!(records, bundle.records);
            let whole_bad: Vec<_> = bundle
                .bad_lines
                .into_iter()
                .map(|b| (b.line, b.problem))
                .collect();
            assert_eq!(bad, whole_bad);
            assert!(whole_bad.iter().all(|(line, _)| *line >= 2));
        }
        (a, b) => panic!("the two reads disagree: {a:?} / {}", b.is_ok()),
    }
});
