//! Records, bundles and the store contract.

use dala_core::record::{
    BUNDLE_KIND, BadLine, BundleError, MAX_LINE_BYTES, RECORD_FORMAT, open_bundle, read_bundle,
    write_bundle,
};
use dala_core::store::conformance;
use dala_core::{Answer, BundleHeader, MemoryStore, Status, Submission};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Drives a future that never waits on anything outside itself (the memory store's).
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return value;
        }
    }
}

#[test]
fn the_memory_store_passes_the_store_conformance_suite() {
    let failures = block_on(conformance::run(|| async { MemoryStore::default() }));
    assert!(failures.is_empty(), "{failures:#?}");
}

fn header() -> BundleHeader {
    BundleHeader {
        format: RECORD_FORMAT,
        kind: BUNDLE_KIND.into(),
        instrument_id: "police".into(),
        instrument_version: "2015030101".into(),
        device_id: "tablet-07".into(),
        created: "2015-03-17T18:00:00.000+06:00".into(),
    }
}

fn record(id: &str) -> Submission {
    Submission {
        format: RECORD_FORMAT,
        held: Vec::new(),
        files: Vec::new(),
        instance_name: None,
        instance_id: id.into(),
        instrument_id: "police".into(),
        instrument_version: "2015030101".into(),
        status: Status::Finalized,
        started: "2015-03-17T10:30:00.000+06:00".into(),
        updated: "2015-03-17T10:45:00.000+06:00".into(),
        finalized: Some("2015-03-17T10:45:00.000+06:00".into()),
        enumerator: "Aida".into(),
        device_id: "tablet-07".into(),
        answers: BTreeMap::from([
            ("district".into(), Answer::Value("bishkek".into())),
            (
                "staff".into(),
                Answer::Repeat(vec![BTreeMap::from([(
                    "women".into(),
                    Answer::Value("3".into()),
                )])]),
            ),
        ]),
    }
}

#[test]
fn a_bundle_reads_back_what_was_written() {
    let records = vec![record("uuid:1"), record("uuid:2")];
    let text = write_bundle(&header(), &records);
    assert_eq!(
        text.lines().count(),
        3,
        "a header line and a line per record"
    );
    let bundle = read_bundle(text.as_bytes()).expect("reads");
    assert_eq!(bundle.header, header());
    assert_eq!(bundle.records, records);
    assert!(bundle.bad_lines.is_empty());
}

#[test]
fn bad_lines_are_reported_by_number_and_good_ones_kept() {
    let mut text = write_bundle(&header(), &[record("uuid:1")]);
    text.push_str("{not json\n");
    let mut other = record("uuid:3");
    other.instrument_id = "fast".into();
    text.push_str(&serde_json::to_string(&other).expect("json"));
    text.push('\n');
    text.push_str(&serde_json::to_string(&record("uuid:4")).expect("json"));
    let bundle = read_bundle(text.as_bytes()).expect("reads");
    assert_eq!(
        bundle
            .records
            .iter()
            .map(|r| r.instance_id.as_str())
            .collect::<Vec<_>>(),
        ["uuid:1", "uuid:4"]
    );
    let lines: Vec<usize> = bundle.bad_lines.iter().map(|b: &BadLine| b.line).collect();
    assert_eq!(lines, [3, 4]);
    let codes: Vec<&str> = bundle.bad_lines.iter().map(|b| b.problem.code()).collect();
    assert_eq!(
        codes,
        ["B001", "B004"],
        "not JSON; another instrument's record"
    );
    assert_eq!(
        bundle.bad_lines[1].problem,
        dala_core::record::LineProblem::OtherInstrument {
            record: "fast".into(),
            bundle: header().instrument_id,
        }
    );
}

#[test]
fn a_file_that_is_not_a_bundle_is_refused_at_line_1() {
    assert!(matches!(
        read_bundle(b"hello"),
        Err(BundleError::Header { line: 1, .. })
    ));
    assert_eq!(read_bundle(b""), Err(BundleError::Empty));
    assert_eq!(read_bundle(b"\n \r\n\n"), Err(BundleError::Empty));
    let mut h = header();
    h.format = 9;
    let text = write_bundle(&h, &[]);
    assert_eq!(
        read_bundle(text.as_bytes()),
        Err(BundleError::UnsupportedFormat { line: 1, format: 9 })
    );
}

/// The bad lines of a bundle as (line, code), read whole from memory and again through a
/// reader that hands over 7 bytes at a time (so every line ending, the byte-order mark and
/// the long line's limit fall across reads): both must agree.
fn report(bytes: &[u8]) -> (Vec<String>, Vec<(usize, &'static str)>) {
    let bundle = read_bundle(bytes).expect("a bundle");
    let whole = (
        bundle
            .records
            .iter()
            .map(|r| r.instance_id.clone())
            .collect::<Vec<_>>(),
        bundle
            .bad_lines
            .iter()
            .map(|b| (b.line, b.problem.code()))
            .collect::<Vec<_>>(),
    );
    let mut lines = open_bundle(std::io::BufReader::with_capacity(7, bytes))
        .expect("memory")
        .expect("a bundle");
    let (mut ids, mut bad) = (Vec::new(), Vec::new());
    while let Some((line, read)) = lines.next_record().expect("memory") {
        match read {
            Ok(r) => ids.push(r.instance_id),
            Err(problem) => bad.push((line, problem.code())),
        }
    }
    assert_eq!(lines.consumed(), bytes.len() as u64, "every byte read");
    assert_eq!((ids, bad), whole, "7 bytes at a time reads as the whole");
    whole
}

fn lines_of(records: &[&str]) -> Vec<u8> {
    let records: Vec<Submission> = records.iter().map(|id| record(id)).collect();
    write_bundle(&header(), &records).into_bytes()
}

#[test]
fn a_byte_order_mark_crlf_and_blank_lines_are_read_through() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    let text = String::from_utf8(lines_of(&["uuid:1", "uuid:2"])).expect("utf-8");
    bytes.extend(text.replace('\n', "\r\n\r\n").into_bytes());
    assert_eq!(
        report(&bytes),
        (vec!["uuid:1".into(), "uuid:2".into()], vec![])
    );
    // Blank lines before the header are passed over; its line number is kept.
    let mut late = b"\n\r\n".to_vec();
    late.extend(lines_of(&[]));
    late.extend(b"{broken\n");
    assert_eq!(report(&late).1, [(4, "B001")]);
}

#[test]
fn a_line_of_bad_bytes_is_reported_by_number_and_the_rest_kept() {
    let mut bytes = lines_of(&["uuid:1"]);
    let mut damaged = serde_json::to_vec(&record("uuid:2")).expect("json");
    damaged[20] = 0xC3; // the first byte of a two-byte character, with no second
    damaged[21] = b'x';
    bytes.extend(damaged);
    bytes.push(b'\n');
    bytes.extend(serde_json::to_vec(&record("uuid:3")).expect("json"));
    let (ids, bad) = report(&bytes);
    assert_eq!(ids, ["uuid:1", "uuid:3"]);
    assert_eq!(bad, [(3, "B006")]);
    let bundle = read_bundle(&bytes).expect("a bundle");
    assert_eq!(
        bundle.bad_lines[0].problem,
        dala_core::record::LineProblem::NotUtf8 { at: 20 }
    );
}

#[test]
fn a_line_longer_than_the_limit_is_skipped_without_being_held() {
    let mut bytes = lines_of(&["uuid:1"]);
    let long = MAX_LINE_BYTES + 10;
    bytes.extend(std::iter::repeat_n(b'a', long));
    bytes.extend(b"\r\n");
    bytes.extend(serde_json::to_vec(&record("uuid:2")).expect("json"));
    let bundle = read_bundle(&bytes).expect("a bundle");
    assert_eq!(
        bundle.bad_lines,
        [BadLine {
            line: 3,
            problem: dala_core::record::LineProblem::TooLong { bytes: long as u64 },
        }],
        "its length without the line ending"
    );
    assert_eq!(bundle.records.len(), 2);
}

#[test]
fn a_second_header_a_nul_and_a_deep_line_are_bad_lines_of_their_own() {
    let mut text = String::from_utf8(lines_of(&["uuid:1"])).expect("utf-8");
    let mut other = header();
    other.instrument_id = "fast".into();
    text.push_str(&serde_json::to_string(&other).expect("json"));
    text.push('\n');
    let mut nul = serde_json::to_string(&record("uuid:2")).expect("json");
    nul.replace_range(10..11, "\0");
    text.push_str(&nul);
    text.push('\n');
    let deep = serde_json::to_string(&record("uuid:3"))
        .expect("json")
        .replacen(
            "\"answers\":{",
            &format!(
                "\"answers\":{{\"d\":{}{},",
                "[".repeat(100_000),
                "]".repeat(100_000)
            ),
            1,
        );
    text.push_str(&deep);
    text.push('\n');
    text.push_str(&serde_json::to_string(&record("uuid:4")).expect("json"));
    let (ids, bad) = report(text.as_bytes());
    assert_eq!(ids, ["uuid:1", "uuid:4"]);
    assert_eq!(bad, [(3, "B005"), (4, "B001"), (5, "B001")]);
}

#[test]
fn a_file_whose_first_line_is_a_record_is_refused_whole() {
    let text = String::from_utf8(lines_of(&["uuid:1"])).expect("utf-8");
    let mut lines: Vec<&str> = text.lines().collect();
    lines.swap(0, 1);
    assert!(matches!(
        read_bundle(lines.join("\n").as_bytes()),
        Err(BundleError::Header { line: 1, .. })
    ));
}
