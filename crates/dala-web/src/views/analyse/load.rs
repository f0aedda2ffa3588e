//! Loading an instrument and its stored records into the workspace, and keeping its plan.

use super::*;
use workflows::analyse::{OpenError, Opened};

/// What loading shows between slices: the progress bar.
pub(super) struct Progress {
    pub(super) an: An,
    pub(super) what: String,
}

impl workflows::Pace for Progress {
    async fn between(&mut self, progress: f64) {
        self.an.busy.set(Some((self.what.clone(), progress)));
        browser::next_task().await;
    }

    fn now_ms(&self) -> f64 {
        crate::perf::now_ms()
    }
}

/// Loads the instrument's newest version and every stored record of it into the dataset.
pub(super) async fn load(an: An, form_id: String) {
    let result: Result<(), String> = async {
        let store = store().ok_or("no database")?;
        let opened = workflows::analyse::open_instrument(&*store, &form_id)
            .await
            .map_err(|e| match e {
                OpenError::Store(e) => e.to_string(),
                OpenError::NotOnDevice(form) => format!("{form}: {}", an.app.t(Msg::NotOnDevice)),
            })?;
        let Some(Opened { instrument, plan }) = opened else {
            return Ok(());
        };
        // The form's language follows the interface's at first, as in Collect.
        an.lang.set(form_language_for(
            &instrument,
            an.app.lang.get_untracked().code(),
        ));
        an.data.set_value(Dataset::new(&instrument));
        an.instrument.set_value(Some(instrument.clone()));
        an.form.set(instrument.settings.form_id.clone());
        an.plan.set(plan);
        an.rev.update(|n| *n += 1);
        let mut progress = Progress {
            an,
            what: an.app.t(Msg::LoadingRecords).to_string(),
        };
        let data =
            workflows::analyse::read_dataset(&*store, &instrument, READ_SLICE, &mut progress)
                .await
                .map_err(|e| e.to_string())?;
        an.data.set_value(data);
        an.busy.set(None);
        an.rev.update(|n| *n += 1);
        crate::perf::mark("__dalaRecordsLoaded");
        Ok(())
    }
    .await;
    an.busy.set(None);
    // Loaded, or nothing to load: the workspace is ready either way (a failure is in the
    // notice bar). (`try_`: the analyst may have left the workspace while it loaded.)
    let _ = an.loaded.try_set(Loaded::Ready);
    if let Err(e) = result {
        an.app.fail(an.app.t(Msg::LoadFailed), e);
    }
}

/// Keeps the tables as the analyst changes them, so a reload finds them again.
pub(super) fn keep_plan(an: An) {
    Effect::new(move |first: Option<()>| {
        let plan = an.plan.get();
        let form = an.form.get_untracked();
        // Not the empty plan the workspace starts with, before the stored one is read.
        if first.is_none() || form.is_empty() {
            return;
        }
        let Some(store) = store() else { return };
        spawn_local(async move {
            let _ = workflows::analyse::keep_plan(&*store, &form, &plan).await;
        });
    });
}
