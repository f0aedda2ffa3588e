//! Many bundles -> one stream of records: duplicates (same instance id) dropped and counted,
//! drafts left out unless asked, bad lines reported by bundle and line. [`Merger`] reads a
//! bundle line by line and hands each record on, so only the instance ids seen are kept
//! (about 40 bytes a record); [`Merged`] collects the records for small inputs.

use dala_core::record::{
    BundleEntry, BundleError, FileAssembler, LineProblem, RecordFiles, open_bundle,
};
use dala_core::{Status, Submission};
use std::collections::{BTreeMap, HashSet};
use std::io::BufRead;

/// What merging dropped and why.
#[derive(Debug, Default)]
pub struct MergeReport {
    pub duplicates: usize,
    pub drafts_skipped: usize,
    pub other_instrument: usize,
    /// (bundle name, line, message)
    pub bad_lines: Vec<(String, usize, LineProblem)>,
    /// Bundles that could not be read at all: (bundle name, why).
    pub bad_bundles: Vec<(String, BundleError)>,
}

/// Streams the records of several bundles of one instrument, each instance once.
#[derive(Debug)]
pub struct Merger {
    form_id: String,
    include_drafts: bool,
    seen: HashSet<String>,
    pub report: MergeReport,
}

impl Merger {
    pub fn new(form_id: &str, include_drafts: bool) -> Merger {
        Merger {
            form_id: form_id.to_string(),
            include_drafts,
            seen: HashSet::new(),
            report: MergeReport::default(),
        }
    }

    /// Reads one bundle, calling `each` with every record kept, in the bundle's order.
    /// `bytes` is told how far into the input it has read, for a progress bar. Only a read
    /// error of the input itself stops it; bad content is reported and skipped.
    pub fn read(
        &mut self,
        name: &str,
        input: impl BufRead,
        mut each: impl FnMut(Submission),
        mut bytes: impl FnMut(u64),
    ) -> std::io::Result<()> {
        let Some(mut lines) = self.open(name, input)? else {
            return Ok(());
        };
        let mut count = 0usize;
        while let Some((number, read)) = lines.next_record()? {
            if let Some(record) = self.take(name, number, read) {
                each(record);
            }
            count += 1;
            if count.is_multiple_of(4096) {
                bytes(lines.consumed());
            }
        }
        bytes(lines.consumed());
        Ok(())
    }

    /// [`Merger::read`] with the records' files (a bundle of format 2): `each` gets a kept
    /// record with its files put together, once the lines after it are read. A file that is
    /// not whole or not as its record describes it is a bad line and left out; the files of a
    /// record not kept (a duplicate, a draft) are passed over.
    pub fn read_with_files(
        &mut self,
        name: &str,
        input: impl BufRead,
        mut each: impl FnMut(Submission, RecordFiles),
        mut bytes: impl FnMut(u64),
    ) -> std::io::Result<()> {
        let Some(mut lines) = self.open(name, input)? else {
            return Ok(());
        };
        let mut assembler = FileAssembler::default();
        let mut kept: Option<(Submission, RecordFiles)> = None;
        let mut count = 0usize;
        let problems = |report: &mut MergeReport, assembler: &mut FileAssembler, line| {
            for problem in assembler.take_problems() {
                report.bad_lines.push((name.to_string(), line, problem));
            }
        };
        while let Some((number, read)) = lines.next_entry()? {
            match read {
                Ok(BundleEntry::File(part)) => {
                    let whole = assembler.part(part);
                    problems(&mut self.report, &mut assembler, number);
                    if let (Some((id, file, content)), Some((record, files))) = (whole, &mut kept)
                        && id == record.instance_id
                    {
                        files.push((file, content));
                    }
                    continue;
                }
                // Only a reader told to pass over files' bytes gives where they are.
                Ok(BundleEntry::FileAt(_)) => continue,
                Ok(BundleEntry::Record(record)) => {
                    assembler.record(&record);
                    problems(&mut self.report, &mut assembler, number);
                    if let Some((record, files)) = kept.take() {
                        each(record, files);
                    }
                    kept = self
                        .take(name, number, Ok(*record))
                        .map(|record| (record, Vec::new()));
                }
                Err(problem) => {
                    let _ = self.take(name, number, Err(problem));
                }
            }
            count += 1;
            if count.is_multiple_of(4096) {
                bytes(lines.consumed());
            }
        }
        assembler.finish();
        problems(&mut self.report, &mut assembler, lines.line_number());
        if let Some((record, files)) = kept.take() {
            each(record, files);
        }
        bytes(lines.consumed());
        Ok(())
    }

    /// A bundle's lines past its header; None (the bundle reported bad) when it is no bundle.
    fn open<R: BufRead>(
        &mut self,
        name: &str,
        input: R,
    ) -> std::io::Result<Option<dala_core::record::BundleLines<R>>> {
        Ok(match open_bundle(input)? {
            Ok(lines) => Some(lines),
            Err(e) => {
                self.report.bad_bundles.push((name.to_string(), e));
                None
            }
        })
    }

    /// Instance ids already kept elsewhere (records on the device): a record of one of them is
    /// a duplicate.
    pub fn remember(&mut self, ids: impl IntoIterator<Item = String>) {
        self.seen.extend(ids);
    }

    /// One record line (numbered from 1 with the header) as the bundle reader read it: the
    /// record when it is kept; a bad line, a duplicate, a draft or another form's record is
    /// counted in the report. For callers that read a bundle in slices.
    pub fn take(
        &mut self,
        name: &str,
        number: usize,
        read: Result<Submission, LineProblem>,
    ) -> Option<Submission> {
        match read {
            Err(problem) => {
                self.report
                    .bad_lines
                    .push((name.to_string(), number, problem));
                None
            }
            Ok(record) => self.admit(record),
        }
    }

    fn admit(&mut self, record: Submission) -> Option<Submission> {
        if record.instrument_id != self.form_id {
            self.report.other_instrument += 1;
        } else if record.status == Status::Draft && !self.include_drafts {
            self.report.drafts_skipped += 1;
        } else if !self.seen.insert(record.instance_id.clone()) {
            self.report.duplicates += 1;
        } else {
            return Some(record);
        }
        None
    }
}

/// Every record of several bundles in memory, by instance id.
#[derive(Debug, Default)]
pub struct Merged {
    /// By instance id, so the order is stable whatever order the bundles came in.
    pub records: BTreeMap<String, Submission>,
    pub duplicates: usize,
    pub drafts_skipped: usize,
    pub other_instrument: usize,
    /// (bundle name, line, message)
    pub bad_lines: Vec<(String, usize, LineProblem)>,
    /// Bundles that could not be read at all: (bundle name, why).
    pub bad_bundles: Vec<(String, BundleError)>,
}

impl Merged {
    /// Adds one bundle's text. Records of another instrument than `form_id` are counted and
    /// left out.
    pub fn add_bundle(&mut self, name: &str, bytes: &[u8], form_id: &str, include_drafts: bool) {
        let mut merger = Merger::new(form_id, include_drafts);
        merger.seen = self.records.keys().cloned().collect();
        let mut records = Vec::new();
        // Reading from memory cannot fail.
        let _ = merger.read(name, bytes, |r| records.push(r), |_| {});
        for record in records {
            self.records.insert(record.instance_id.clone(), record);
        }
        let report = merger.report;
        self.duplicates += report.duplicates;
        self.drafts_skipped += report.drafts_skipped;
        self.other_instrument += report.other_instrument;
        self.bad_lines.extend(report.bad_lines);
        self.bad_bundles.extend(report.bad_bundles);
    }
}
