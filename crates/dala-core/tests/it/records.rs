//! Records, bundles and the store contract.

use dala_core::record::{
    BUNDLE_KIND, BadLine, BundleError, RECORD_FORMAT, read_bundle, write_bundle,
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
    let bundle = read_bundle(&text).expect("reads");
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
    let bundle = read_bundle(&text).expect("reads");
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
    assert!(matches!(read_bundle("hello"), Err(BundleError::Header(_))));
    assert!(matches!(read_bundle(""), Err(BundleError::Header(_))));
    let mut h = header();
    h.format = 9;
    let text = write_bundle(&h, &[]);
    assert_eq!(read_bundle(&text), Err(BundleError::UnsupportedFormat(9)));
}
