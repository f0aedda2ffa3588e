//! Bundles as they come back from USB sticks, messaging apps and Windows editors, each with
//! the report every reader must give for it (the command line, the Analyse import and, once
//! it exists, the server's push): the same records kept, the same bad lines by number and
//! code, the same refusal. The expected reports are worked out from the damage done and from
//! the records' own JSON (their status), never from a reader's output.

use std::path::{Path, PathBuf};

/// What a reader must report for one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// Finalized records taken (drafts are left out by every reader by default).
    pub kept: usize,
    /// Bad lines: (line number, code), in line order.
    pub bad: Vec<(usize, String)>,
    /// A refused file: (line, code).
    pub refused: Option<(usize, String)>,
}

/// One damaged bundle on disk and the report it must get.
pub struct Hostile {
    pub name: String,
    pub path: PathBuf,
    pub expected: Report,
}

/// Size of the oversized line: past the readers' 16 MiB limit by far, as the 50 MB.
const HUGE: usize = 50 << 20;
/// Nesting of the deep line.
const DEEP: usize = 100_000;

/// Writes the damaged bundles into `dir`, each made from `base` (a bundle of one instrument
/// with at least 10 records) and, for the joined file, `other` (a bundle of another
/// instrument). Instance ids are made unique per file, so one device can import them all.
pub fn write_all(dir: &Path, base: &str, other: &str) -> Vec<Hostile> {
    let lines: Vec<&str> = base.lines().collect();
    let other_lines: Vec<&str> = other.lines().collect();
    assert!(lines.len() >= 11, "the base bundle needs 10 records");
    let mut out = Vec::new();
    let mut add = |name: &str, file: Vec<u8>, expected: Report| {
        let path = dir.join(name);
        std::fs::write(&path, file).expect("write a hostile bundle");
        out.push(Hostile {
            name: name.to_string(),
            path,
            expected,
        });
    };
    let unique = |k: usize, line: &str| {
        line.replace(
            "\"instance_id\":\"uuid:",
            &format!("\"instance_id\":\"uuid:h{k}-"),
        )
    };
    let file =
        |k: usize, lines: &[&str]| -> Vec<String> { lines.iter().map(|l| unique(k, l)).collect() };
    let join = |lines: &[String]| {
        let mut text = lines.join("\n").into_bytes();
        text.push(b'\n');
        text
    };
    // Finalized records among the record lines (numbered from 2) not in `damaged`.
    let kept = |lines: &[String], damaged: &[usize]| {
        lines
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(i, _)| !damaged.contains(&(i + 1)))
            .filter(|(_, l)| is_finalized(l))
            .count()
    };
    let report = |kept: usize, bad: &[(usize, &str)]| Report {
        kept,
        bad: bad.iter().map(|(l, c)| (*l, c.to_string())).collect(),
        refused: None,
    };

    // 1. A byte-order mark before the header (Notepad's "UTF-8 with BOM").
    let ls = file(1, &lines);
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(join(&ls));
    add("bom.jsonl", bytes, report(kept(&ls, &[]), &[]));

    // 2. One byte of line 7 damaged into something that is not UTF-8.
    let ls = file(2, &lines);
    let mut bytes = Vec::new();
    for (i, line) in ls.iter().enumerate() {
        let mut line = line.clone().into_bytes();
        if i + 1 == 7 {
            let at = line.len() / 2;
            line[at] = 0xFF;
        }
        bytes.extend(line);
        bytes.push(b'\n');
    }
    add(
        "invalid-utf8.jsonl",
        bytes,
        report(kept(&ls, &[7]), &[(7, "B006")]),
    );

    // 3. The last line cut short, with no line ending (a copy pulled out too early).
    let ls = file(3, &lines);
    let last = ls.len();
    let mut bytes = ls[..last - 1].join("\n").into_bytes();
    bytes.push(b'\n');
    let cut = middle(&ls[last - 1]);
    bytes.extend(&ls[last - 1].as_bytes()[..cut]);
    add(
        "truncated.jsonl",
        bytes,
        report(kept(&ls, &[last]), &[(last, "B001")]),
    );

    // 4. A NUL byte inside line 5 (a damaged sector reads as zeros).
    let mut ls = file(4, &lines);
    let at = middle(&ls[4]);
    let width = ls[4][at..].chars().next().map_or(0, char::len_utf8);
    ls[4].replace_range(at..at + width, "\0");
    add(
        "nul.jsonl",
        join(&ls),
        report(kept(&ls, &[5]), &[(5, "B001")]),
    );

    // 5. A 50 MB line after line 3: reported, not held; the records after it keep coming.
    let ls = file(5, &lines);
    let mut with = ls.clone();
    with.insert(3, format!("{{\"x\":\"{}\"}}", "a".repeat(HUGE)));
    add(
        "huge-line.jsonl",
        join(&with),
        report(kept(&with, &[4]), &[(4, "B007")]),
    );

    // 6. After line 2, a record whose answers hold an array nested 100,000 deep: deeper than
    //    any JSON reader of ours goes (128 levels), so it is no JSON we read.
    let ls = file(6, &lines);
    let mut with = ls.clone();
    let deep = format!("\"deep\":{}{},", "[".repeat(DEEP), "]".repeat(DEEP));
    with.insert(
        2,
        ls[1].replacen("\"answers\":{", &format!("\"answers\":{{{deep}"), 1),
    );
    add(
        "deep.jsonl",
        join(&with),
        report(kept(&with, &[3]), &[(3, "B001")]),
    );

    // 7. The header is not the first line: two records come before it. A file that does not
    //    say first what it is, is refused whole (nothing stored).
    let ls = file(7, &lines);
    let mut moved = ls[1..3].to_vec();
    moved.push(ls[0].clone());
    moved.extend(ls[3..].iter().cloned());
    add(
        "header-later.jsonl",
        join(&moved),
        Report {
            kept: 0,
            bad: Vec::new(),
            refused: Some((1, "B010".into())),
        },
    );

    // 8. The same bundle's header again at line 6 (two copies pasted together).
    let ls = file(8, &lines);
    let mut with = ls.clone();
    with.insert(5, ls[0].clone());
    add(
        "two-headers.jsonl",
        join(&with),
        report(kept(&with, &[6]), &[(6, "B005")]),
    );

    // 9. Another instrument's bundle appended: its header, then its records.
    let ls = file(9, &lines);
    let others = file(9, &other_lines);
    let mut with = ls.clone();
    with.extend(others.iter().cloned());
    let first_other = ls.len() + 1;
    let mut bad = vec![(first_other, "B005")];
    bad.extend((first_other + 1..=with.len()).map(|l| (l, "B004")));
    let damaged: Vec<usize> = (first_other..=with.len()).collect();
    add(
        "joined.jsonl",
        join(&with),
        report(kept(&with, &damaged), &bad),
    );

    // 10. CRLF line endings and blank lines, as a Windows editor saves them: all fine.
    let ls = file(10, &lines);
    let mut text = String::new();
    for (i, line) in ls.iter().enumerate() {
        text.push_str(line);
        text.push_str(if i % 3 == 2 { "\r\n\r\n" } else { "\r\n" });
    }
    add("crlf.jsonl", text.into_bytes(), report(kept(&ls, &[]), &[]));
    out
}

/// A character boundary near the middle of a line.
fn middle(line: &str) -> usize {
    (line.len() / 2..line.len())
        .find(|&i| line.is_char_boundary(i))
        .unwrap_or(0)
}

fn is_finalized(line: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(line)
        .is_ok_and(|r| r["status"].as_str() == Some("finalized"))
}

/// The report of `dala aggregate`/`dala export` for one bundle, from its warnings on stderr:
/// `warning: FILE:LINE: skipped a bad record: CODE ...`, `warning: FILE: line N: CODE ...`
/// and `N records (...)`.
pub fn from_cli(stderr: &str) -> Report {
    let mut report = Report {
        kept: 0,
        bad: Vec::new(),
        refused: None,
    };
    for line in stderr.lines() {
        if let Some(rest) = line.strip_prefix("warning: ") {
            if let Some((place, why)) = rest.split_once(": skipped a bad record: ") {
                let number = place.rsplit(':').next().and_then(|n| n.parse().ok());
                let code = why.split_whitespace().next().unwrap_or_default();
                report.bad.push((number.unwrap_or(0), code.to_string()));
            } else if let Some((_, why)) = rest.split_once(": line ") {
                let mut words = why.split_whitespace();
                let number = words
                    .next()
                    .and_then(|n| n.trim_end_matches(':').parse().ok());
                let code = words.next().unwrap_or_default();
                report.refused = Some((number.unwrap_or(0), code.to_string()));
            }
        } else if let Some((n, _)) = line.split_once(" records (") {
            report.kept = n.trim().parse().unwrap_or(usize::MAX);
        }
    }
    report
}
