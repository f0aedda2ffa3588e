//! Many bundles -> one set of records: duplicates (same instance id) dropped and counted,
//! drafts left out unless asked, bad lines reported by bundle and line.

use dala_core::record::{BundleError, read_bundle};
use dala_core::{Status, Submission};
use std::collections::BTreeMap;

#[derive(Debug, Default)]
pub struct Merged {
    /// By instance id, so the order is stable whatever order the bundles came in.
    pub records: BTreeMap<String, Submission>,
    pub duplicates: usize,
    pub drafts_skipped: usize,
    pub other_instrument: usize,
    /// (bundle name, line, message)
    pub bad_lines: Vec<(String, usize, String)>,
    /// Bundles that could not be read at all: (bundle name, reason).
    pub bad_bundles: Vec<(String, String)>,
}

impl Merged {
    /// Adds one bundle's text. Records of another instrument than `form_id` are counted and
    /// left out.
    pub fn add_bundle(&mut self, name: &str, text: &str, form_id: &str, include_drafts: bool) {
        let bundle = match read_bundle(text) {
            Ok(bundle) => bundle,
            Err(e @ (BundleError::Header(_) | BundleError::UnsupportedFormat(_))) => {
                self.bad_bundles.push((name.to_string(), e.to_string()));
                return;
            }
        };
        for bad in bundle.bad_lines {
            self.bad_lines
                .push((name.to_string(), bad.line, bad.message));
        }
        for record in bundle.records {
            if record.instrument_id != form_id {
                self.other_instrument += 1;
            } else if record.status == Status::Draft && !include_drafts {
                self.drafts_skipped += 1;
            } else if self.records.contains_key(&record.instance_id) {
                self.duplicates += 1;
            } else {
                self.records.insert(record.instance_id.clone(), record);
            }
        }
    }
}
