//! Bundles that carry files: format 3 (written), each record followed by its files' bytes as
//! they are; format 2 (still read), each record followed by its files, a base64 part a line.

use dala_core::record::{
    BUNDLE_FORMAT_RAW_FILES, BUNDLE_FORMAT_WITH_FILES, BUNDLE_KIND, BundleEntry, FILE_PART_BYTES,
    FileAssembler, FileProblem, LineProblem, RECORD_FORMAT, file_lines, open_bundle, write_bundle,
    write_bundle_with_files,
};
use dala_core::{Answer, Attachment, BundleHeader, Status, Submission};
use std::collections::BTreeMap;

fn header() -> BundleHeader {
    BundleHeader {
        format: RECORD_FORMAT,
        kind: BUNDLE_KIND.into(),
        instrument_id: "house_photo".into(),
        instrument_version: "1".into(),
        device_id: "tablet-07".into(),
        created: "2015-03-17T18:00:00.000+06:00".into(),
    }
}

/// A record with a photo of `bytes` (and a second file when `second` is given).
fn record(id: &str, photo: &[u8], second: Option<&[u8]>) -> Submission {
    let mut files = vec![Attachment::of("1.jpg", "image/jpeg", photo)];
    let mut answers = BTreeMap::from([("house".into(), Answer::Value("1.jpg".into()))]);
    if let Some(second) = second {
        files.push(Attachment::of("2.webm", "audio/webm", second));
        answers.insert("voice".into(), Answer::Value("2.webm".into()));
    }
    Submission {
        format: RECORD_FORMAT,
        held: Vec::new(),
        files,
        instance_name: None,
        instance_id: id.into(),
        instrument_id: "house_photo".into(),
        instrument_version: "1".into(),
        status: Status::Finalized,
        started: "2015-03-17T10:30:00.000+06:00".into(),
        updated: "2015-03-17T10:45:00.000+06:00".into(),
        finalized: Some("2015-03-17T10:45:00.000+06:00".into()),
        enumerator: "Aida".into(),
        device_id: "tablet-07".into(),
        answers,
    }
}

/// Bytes of a given length that are not all alike.
fn bytes(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

type Found = (
    Vec<Submission>,
    Vec<(String, String, Vec<u8>)>,
    Vec<(usize, LineProblem)>,
);

/// A bundle as the first version with files wrote it (format 2: base64 parts, a line each).
fn write_format_2(
    records: &[Submission],
    files: impl Fn(&Submission, &str) -> Option<Vec<u8>>,
) -> String {
    let header = BundleHeader {
        format: BUNDLE_FORMAT_WITH_FILES,
        ..header()
    };
    let mut out = format!("{}\n", serde_json::to_string(&header).expect("json"));
    for record in records {
        out.push_str(&format!(
            "{}\n",
            serde_json::to_string(record).expect("json")
        ));
        for described in &record.files {
            if let Some(bytes) = files(record, &described.name) {
                for line in file_lines(&record.instance_id, &described.name, &bytes) {
                    out.push_str(&format!("{line}\n"));
                }
            }
        }
    }
    out
}

/// Reads a bundle as the app's import does: records, the files put together, the problems
/// with their lines.
fn read(text: &str) -> Found {
    read_bytes(text.as_bytes())
}

fn read_bytes(bytes: &[u8]) -> Found {
    let mut lines = open_bundle(bytes).expect("memory").expect("a bundle");
    let mut files = FileAssembler::default();
    let (mut records, mut whole, mut problems) = (Vec::new(), Vec::new(), Vec::new());
    while let Some((number, entry)) = lines.next_entry().expect("memory") {
        match entry {
            Ok(BundleEntry::Record(r)) => {
                files.record(&r);
                records.push(*r);
            }
            Ok(BundleEntry::File(part)) => {
                if let Some((id, described, data)) = files.part(part) {
                    whole.push((id, described.name, data));
                }
            }
            Ok(BundleEntry::FileAt(_)) => unreachable!("only when asked to pass over files"),
            Err(problem) => problems.push((number, problem)),
        }
        problems.extend(files.take_problems().into_iter().map(|p| (number, p)));
    }
    files.finish();
    problems.extend(files.take_problems().into_iter().map(|p| (0, p)));
    (records, whole, problems)
}

#[test]
fn a_format_2_bundle_carries_each_records_files_after_it_and_reads_them_back_whole() {
    // A photo of 2.5 MiB goes in three parts (1 MiB, 1 MiB, 0.5 MiB), a recording in one.
    let photo = bytes(FILE_PART_BYTES * 5 / 2, 1);
    let voice = bytes(300, 2);
    let small = bytes(10, 3);
    let records = [
        record("uuid:a", &photo, Some(&voice)),
        record("uuid:b", &small, None),
    ];
    let stored = |r: &Submission, name: &str| match (r.instance_id.as_str(), name) {
        ("uuid:a", "1.jpg") => Some(photo.clone()),
        ("uuid:a", "2.webm") => Some(voice.clone()),
        ("uuid:b", "1.jpg") => Some(small.clone()),
        _ => None,
    };
    let text = write_format_2(&records, stored);
    let lines: Vec<&str> = text.lines().collect();
    // The header, record a, its photo's 3 parts and its recording, record b and its photo.
    assert_eq!(lines.len(), 1 + 1 + 3 + 1 + 1 + 1, "{}", lines.len());
    assert!(lines[0].contains(&format!("\"format\":{BUNDLE_FORMAT_WITH_FILES}")));
    assert!(
        lines
            .iter()
            .all(|l| l.len() < dala_core::record::MAX_LINE_BYTES)
    );
    let (read_records, files, problems) = read(&text);
    assert_eq!(read_records, records);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        files,
        [
            ("uuid:a".into(), "1.jpg".into(), photo),
            ("uuid:a".into(), "2.webm".into(), voice),
            ("uuid:b".into(), "1.jpg".into(), small),
        ]
    );
    // A reader of records alone (the command line's merge) sees the records only.
    let mut only = open_bundle(text.as_bytes())
        .expect("memory")
        .expect("a bundle");
    let mut ids = Vec::new();
    while let Some((_, r)) = only.next_record().expect("memory") {
        ids.push(r.expect("a record").instance_id);
    }
    assert_eq!(ids, ["uuid:a", "uuid:b"]);
}

#[test]
fn a_bundle_without_files_is_written_as_format_1() {
    let mut plain = record("uuid:a", b"", None);
    plain.files.clear();
    plain.answers.clear();
    let with = write_bundle_with_files(&header(), std::slice::from_ref(&plain), |_, _| None);
    assert_eq!(with, write_bundle(&header(), &[plain]).into_bytes());
    // A record whose file the device has not got: the record goes, format 1, and the
    // reader will say its file is missing.
    let listed = record("uuid:b", b"jpeg", None);
    let text = write_bundle_with_files(&header(), std::slice::from_ref(&listed), |_, _| None);
    assert!(text.starts_with(format!("{{\"format\":{RECORD_FORMAT}").as_bytes()));
}

#[test]
fn a_damaged_format_2_file_is_left_out_and_its_record_kept() {
    let photo = bytes(FILE_PART_BYTES * 2, 4);
    let records = [record("uuid:a", &photo, None), record("uuid:b", b"b", None)];
    let text = write_format_2(&records, |r, _| {
        Some(if r.instance_id == "uuid:a" {
            photo.clone()
        } else {
            b"b".to_vec()
        })
    });
    let lines: Vec<&str> = text.lines().collect();

    // The second part of a's photo lost (a copy cut a line out): a's photo is incomplete,
    // b's is whole.
    let cut: String = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 3)
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    let (records_read, files, problems) = read(&cut);
    assert_eq!(records_read.len(), 2);
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].0, "uuid:b");
    assert_eq!(
        problems,
        [(
            4,
            LineProblem::BadFile {
                name: "1.jpg".into(),
                why: FileProblem::Incomplete { parts: 2, got: 1 }
            }
        )]
    );

    // Its parts swapped: out of order, said once.
    let swapped = [lines[0], lines[1], lines[3], lines[2], lines[4], lines[5]].join("\n");
    let (_, files, problems) = read(&swapped);
    assert_eq!(files.len(), 1);
    assert_eq!(
        problems,
        [(
            3,
            LineProblem::BadFile {
                name: "1.jpg".into(),
                why: FileProblem::OutOfOrder {
                    part: 2,
                    expected: 1
                }
            }
        )]
    );

    // b's photo with other bytes than its record describes; a file before any record.
    let other = dala_core::record::file_lines("uuid:b", "1.jpg", b"c").join("\n");
    let stray = dala_core::record::file_lines("uuid:z", "9.jpg", b"z").join("\n");
    let damaged = [
        lines[0], &stray, lines[1], lines[2], lines[3], lines[4], &other,
    ]
    .join("\n");
    let (records_read, files, problems) = read(&damaged);
    assert_eq!(records_read.len(), 2, "every record kept");
    assert_eq!(files.len(), 1, "a's photo is whole");
    assert_eq!(
        problems,
        [
            (
                2,
                LineProblem::BadFile {
                    name: "9.jpg".into(),
                    why: FileProblem::NotListed
                }
            ),
            (
                7,
                LineProblem::BadFile {
                    name: "1.jpg".into(),
                    why: FileProblem::NotAsDescribed
                }
            ),
        ]
    );
    // Not base64.
    let garbled = format!(
        "{}\n{}\n{{\"file\":{{\"instance_id\":\"uuid:b\",\"name\":\"1.jpg\",\"part\":1,\"parts\":1}},\"base64\":\"@@@\"}}\n",
        lines[0], lines[4]
    );
    let (_, _, problems) = read(&garbled);
    assert_eq!(
        problems,
        [(
            3,
            LineProblem::BadFile {
                name: "1.jpg".into(),
                why: FileProblem::NotBase64
            }
        )]
    );
}

/// Format 3: each file's bytes as they are after a line naming it and its length; bytes
/// with line endings inside read back whole; a reader of records alone passes over them; a
/// reader told to pass over files gives each one's place (offset and length) in the bundle,
/// and the bytes there are the file's.
#[test]
fn a_bundle_carries_each_records_files_as_they_are_and_reads_them_back_whole() {
    // Bytes with line endings and bytes that are not UTF-8 inside.
    let photo: Vec<u8> = (0..3000u32).map(|i| (i % 256) as u8).collect();
    let voice = b"\n\n{\"file\":{}}\n\xff".to_vec();
    let records = [
        record("uuid:a", &photo, Some(&voice)),
        record("uuid:b", b"", None),
    ];
    let stored = |r: &Submission, name: &str| match (r.instance_id.as_str(), name) {
        ("uuid:a", "1.jpg") => Some(photo.clone()),
        ("uuid:a", "2.webm") => Some(voice.clone()),
        ("uuid:b", "1.jpg") => Some(Vec::new()),
        _ => None,
    };
    let bundle = write_bundle_with_files(&header(), &records, stored);
    assert!(bundle.starts_with(format!("{{\"format\":{BUNDLE_FORMAT_RAW_FILES}").as_bytes()));
    let (read_records, files, problems) = read_bytes(&bundle);
    assert_eq!(read_records, records);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        files,
        [
            ("uuid:a".into(), "1.jpg".into(), photo.clone()),
            ("uuid:a".into(), "2.webm".into(), voice.clone()),
            ("uuid:b".into(), "1.jpg".into(), Vec::new()),
        ]
    );
    let mut only = open_bundle(&bundle[..]).expect("memory").expect("a bundle");
    let mut ids = Vec::new();
    while let Some((_, r)) = only.next_record().expect("memory") {
        ids.push(r.expect("a record").instance_id);
    }
    assert_eq!(ids, ["uuid:a", "uuid:b"]);

    // Passing over the files: their places, the input moved by the caller.
    let mut lines = open_bundle(std::io::Cursor::new(bundle.clone()))
        .expect("memory")
        .expect("a bundle");
    lines.pass_over_files();
    let mut places = Vec::new();
    let mut numbers = Vec::new();
    while let Some((number, entry)) = lines.next_entry().expect("memory") {
        numbers.push(number);
        if let Ok(BundleEntry::FileAt(at)) = entry {
            let to = lines.consumed();
            lines.input_mut().set_position(to);
            places.push(at);
        }
    }
    assert_eq!(numbers, [2, 3, 4, 5, 6], "a file's bytes are not lines");
    let at = |i: usize| {
        let place = &places[i];
        let start = usize::try_from(place.offset).expect("offset");
        bundle[start..start + usize::try_from(place.len).expect("len")].to_vec()
    };
    assert_eq!(places.len(), 3);
    assert_eq!((at(0), at(1), at(2)), (photo, voice, Vec::new()));
}

/// A format-3 bundle cut short inside a file's bytes: that file is left out, said at its
/// line; its record and the records before are kept.
#[test]
fn a_format_3_bundle_cut_inside_a_file_keeps_its_records() {
    let photo = bytes(500, 7);
    let records = [record("uuid:a", b"a", None), record("uuid:b", &photo, None)];
    let bundle = write_bundle_with_files(&header(), &records, |r, _| {
        Some(if r.instance_id == "uuid:a" {
            b"a".to_vec()
        } else {
            photo.clone()
        })
    });
    let cut = &bundle[..bundle.len() - 100];
    let (read_records, files, problems) = read_bytes(cut);
    assert_eq!(read_records.len(), 2);
    assert_eq!(files.len(), 1);
    assert_eq!(
        problems,
        [(
            5,
            LineProblem::BadFile {
                name: "1.jpg".into(),
                why: FileProblem::Incomplete { parts: 1, got: 0 }
            }
        )]
    );
}

/// A bundle cut into pieces for a server's requests: each piece starts with the header,
/// a record never leaves its files, a piece stays under the size unless one record with its
/// files is larger (then it is alone), nothing is lost or doubled, and a piece's line
/// numbers lead back to the bundle's (blank lines counted, as the bundle reader counts them).
#[test]
fn a_bundle_is_cut_into_pieces_that_keep_each_record_with_its_files() {
    use dala_core::record::pieces;
    let header = "{\"format\":2,\"kind\":\"dala-bundle\"}";
    let record = |id: &str| format!("{{\"instance_id\":\"{id}\"}}");
    let file = |id: &str| {
        format!(
            "{{\"file\":{{\"instance_id\":\"{id}\"}},\"base64\":\"{}\"}}",
            "A".repeat(60)
        )
    };
    let text = [
        String::new(),
        header.to_string(),
        record("a"),
        file("a"),
        file("a"),
        String::new(),
        record("b"),
        record("c"),
        file("c"),
    ]
    .join("\n");
    // Bundle lines: 1 blank, 2 header, 3 a, 4-5 a's files, 6 blank, 7 b, 8 c, 9 c's file.
    let cut = pieces(text.as_bytes(), 200).expect("a header");
    let lines: Vec<&[usize]> = cut.iter().map(|p| p.lines.as_slice()).collect();
    assert_eq!(lines, [&[2, 3, 4, 5][..], &[2, 7, 8, 9][..]]);
    for piece in &cut {
        assert!(piece.bytes.starts_with(format!("{header}\n").as_bytes()));
        assert!(piece.bytes.ends_with(b"\n"));
    }
    assert!(cut[1].bytes.len() <= 200, "{}", cut[1].bytes.len());
    assert!(
        cut[0].bytes.len() > 200,
        "a record with its files is never cut"
    );
    assert_eq!(cut[1].bundle_line(3), Some(8));
    assert_eq!(cut[1].bundle_line(1), Some(2));
    assert_eq!(cut[1].bundle_line(9), None);
    // Every line once.
    let all: usize = cut.iter().map(|p| p.lines.len() - 1).sum();
    assert_eq!(all, 6);
    // Large enough: one piece, the bundle's lines as they were.
    let whole = pieces(text.as_bytes(), 1 << 20).expect("a header");
    assert_eq!(whole.len(), 1);
    assert_eq!(whole[0].lines, [2, 3, 4, 5, 7, 8, 9]);
    assert!(pieces(b"\n \n", 100).is_none());
    assert_eq!(pieces(header.as_bytes(), 100).map(|p| p.len()), Some(1));
}

/// A format-3 bundle cut into pieces: a file's bytes (line endings inside) stay with its
/// record, each piece reads back to its records and whole files, and the line numbers are
/// the bundle reader's (a file's bytes are no lines).
#[test]
fn a_format_3_bundle_is_cut_into_pieces_with_each_files_bytes_whole() {
    use dala_core::record::pieces;
    let photo = |i: u8| -> Vec<u8> {
        (0..300u32)
            .map(|n| if n % 7 == 0 { b'\n' } else { n as u8 ^ i })
            .collect()
    };
    let records: Vec<Submission> = (1..=3u8)
        .map(|i| record(&format!("uuid:{i}"), &photo(i), None))
        .collect();
    let bundle = write_bundle_with_files(&header(), &records, |r, _| {
        let i: u8 = r.instance_id.strip_prefix("uuid:")?.parse().ok()?;
        Some(photo(i))
    });
    let cut = pieces(&bundle, 900).expect("a header");
    assert_eq!(
        cut.len(),
        3,
        "each record with its 300-byte photo is ~800 bytes"
    );
    // Lines: 1 header, 2 record 1, 3 its photo's line, 4 record 2, 5, 6 record 3, 7.
    assert_eq!(cut[1].lines, [1, 4, 5]);
    let mut all = Vec::new();
    for piece in &cut {
        let (records_read, files, problems) = read_bytes(&piece.bytes);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(records_read.len(), 1);
        all.extend(files);
    }
    let want: Vec<(String, String, Vec<u8>)> = (1..=3u8)
        .map(|i| (format!("uuid:{i}"), "1.jpg".to_string(), photo(i)))
        .collect();
    assert_eq!(all, want);
    assert_eq!(pieces(&bundle, 1 << 20).expect("a header")[0].bytes, bundle);
}
