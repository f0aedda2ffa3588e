//! Importing bundle files: the workflow, and what the page shows between slices.

use super::*;

/// What the import shows between slices: the progress bar, and each stored slice in the data
/// view if it is still on screen and on this instrument.
pub(super) struct ImportScreen<'w> {
    an: An,
    what: &'w str,
    name: &'w str,
    push_ms: f64,
}

impl workflows::Pace for ImportScreen<'_> {
    async fn between(&mut self, progress: f64) {
        self.an
            .busy
            .set(Some((format!("{} {}", self.what, self.name), progress)));
        browser::next_task().await;
    }

    fn now_ms(&self) -> f64 {
        crate::perf::now_ms()
    }
}

impl workflows::ImportPage for ImportScreen<'_> {
    fn stored(&mut self, form_id: &str, records: &[(dala_core::Submission, String)]) {
        // `try_`: the analyst may have left while the import went on.
        if self
            .an
            .form
            .try_get_untracked()
            .is_some_and(|form| form == form_id)
        {
            let t = crate::perf::now_ms();
            self.an.data.update_value(|data| {
                for (record, _) in records {
                    data.push(record);
                }
            });
            self.push_ms += crate::perf::now_ms() - t;
        }
    }
}

/// A picked bundle file, read a slice at a time; the files it carries as they are (format
/// 3) are stored as slices of it, never read into the module, each checked by the browser's
/// digest first.
struct PickedFile {
    file: web_sys::File,
    store: std::rc::Rc<crate::storage::IdbStore>,
}

impl workflows::BundleSource for PickedFile {
    fn size(&self) -> u64 {
        self.file.size() as u64
    }

    async fn read(&self, offset: u64, len: usize) -> Result<Vec<u8>, String> {
        let t = crate::perf::now_ms();
        let read = browser::read_range(&self.file, offset, len).await;
        crate::perf::add("__dalaImportReadMs", crate::perf::now_ms() - t);
        read
    }

    /// The slices are checked all at once (the browser digests them side by side), then
    /// stored in one transaction. Where the browser has no digest, the bytes are read and
    /// checked here.
    async fn keep_files<S: dala_core::Store>(
        &self,
        _store: &S,
        places: &[crate::analysis::FilePlace],
    ) -> Result<Vec<bool>, dala_core::StoreError> {
        let mut slices = Vec::with_capacity(places.len());
        for (_, _, described, at) in places {
            let end = at.offset.saturating_add(at.len);
            let slice = self
                .file
                .slice_with_f64_and_f64_and_content_type(
                    at.offset as f64,
                    end as f64,
                    &described.media_type,
                )
                .map_err(|e| dala_core::StoreError::Backend(browser::js_error(e)))?;
            slices.push(slice);
        }
        let digests = futures::future::join_all(slices.iter().map(browser::sha256_hex)).await;
        let mut kept = Vec::new();
        let mut as_described = Vec::with_capacity(places.len());
        for (((_, instance_id, described, at), slice), digest) in
            places.iter().zip(&slices).zip(digests)
        {
            let digest = match digest {
                Some(digest) => digest,
                None => {
                    let len = usize::try_from(at.len).unwrap_or(usize::MAX);
                    let bytes = browser::read_range(&self.file, at.offset, len)
                        .await
                        .map_err(dala_core::StoreError::Backend)?;
                    dala_core::Attachment::of(&described.name, &described.media_type, &bytes).sha256
                }
            };
            let same = digest == described.sha256;
            as_described.push(same);
            if same {
                kept.push((instance_id.clone(), described.clone(), slice.clone()));
            }
        }
        if !kept.is_empty() {
            self.store.import_file_blobs(&kept).await?;
        }
        Ok(as_described)
    }
}

/// Imports bundle files one after another (the workflow: each a slice at a time, every slice
/// one strict transaction, so what was stored stays stored whatever happens to the next).
pub(super) async fn import(an: An, files: Vec<web_sys::File>) {
    let Some(store) = store() else { return };
    let start = crate::perf::now_ms();
    let (mut parse_ms, mut push_ms) = (0.0, 0.0);
    let known: Vec<String> = store
        .list_instruments()
        .await
        .map(|keys| keys.into_iter().map(|(form, _)| form).collect())
        .unwrap_or_default();
    let what = an.app.t(Msg::Importing).to_string();
    let mut reports = Vec::new();
    for file in files {
        let name = file.name();
        // Bytes, not text: a line that is not UTF-8 is reported by its number, the rest kept.
        let source = PickedFile {
            file,
            store: store.clone(),
        };
        let mut page = ImportScreen {
            an,
            what: &what,
            name: &name,
            push_ms: 0.0,
        };
        let (report, parse) =
            workflows::import_bundle(&*store, &name, &source, &known, SLICE, &mut page).await;
        parse_ms += parse;
        push_ms += page.push_ms;
        reports.push(report);
    }
    crate::perf::imported(
        start,
        crate::perf::now_ms(),
        reports.iter().map(|r| r.added).sum(),
        parse_ms,
        push_ms,
    );
    an.busy.set(None);
    // Records of another instrument only: the workspace goes to it rather than stay on an
    // instrument with nothing new to show.
    let current = an.form.get_untracked();
    let mut added: Vec<(usize, String)> = reports
        .iter()
        .filter(|r| r.added > 0)
        .map(|r| (r.added, r.form_id.clone()))
        .collect();
    added.sort();
    let switch = (!added.iter().any(|(_, form)| *form == current))
        .then(|| added.last().map(|(_, form)| form.clone()))
        .flatten();
    an.reports.set(reports);
    an.rev.update(|n| *n += 1);
    an.app.data_rev.update(|n| *n += 1);
    if let Some(form) = switch {
        an.app.go(Route::Analyse(form));
    }
}
