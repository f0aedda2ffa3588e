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
        let t = crate::perf::now_ms();
        let read = browser::read_bytes(&file).await;
        crate::perf::add("__dalaImportReadMs", crate::perf::now_ms() - t);
        let bytes = match read {
            Ok(bytes) => bytes,
            Err(e) => {
                reports.push(BundleReport {
                    name,
                    refused: Some(Refusal::Failed(e)),
                    ..BundleReport::default()
                });
                continue;
            }
        };
        let mut page = ImportScreen {
            an,
            what: &what,
            name: &name,
            push_ms: 0.0,
        };
        let (report, parse) =
            workflows::import_bundle(&*store, &name, bytes, &known, SLICE, &mut page).await;
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
