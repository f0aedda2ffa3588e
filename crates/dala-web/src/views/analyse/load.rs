//! Loading an instrument and its stored records into the workspace, and keeping its plan.

use super::*;

/// Loads the instrument's newest version and every stored record of it into the dataset.
pub(super) async fn load(an: An, form_id: String) {
    let result: Result<(), String> = async {
        let store = store().ok_or("no database")?;
        let keys = store.list_instruments().await.map_err(|e| e.to_string())?;
        let forms = versions_by_form(keys);
        let form_id = if form_id.is_empty() {
            match forms.first() {
                Some((form, _)) => form.clone(),
                None => return Ok(()),
            }
        } else {
            form_id
        };
        let version = forms
            .iter()
            .find(|(f, _)| *f == form_id)
            .and_then(|(_, versions)| versions.first().cloned())
            .ok_or_else(|| format!("{form_id}: {}", an.app.t(Msg::NotOnDevice)))?;
        let instrument = store
            .get_instrument(&form_id, &version)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the instrument is not on this device")?;
        // The form's language follows the interface's at first, as in Collect.
        an.lang.set(form_language_for(
            &instrument,
            an.app.lang.get_untracked().code(),
        ));
        an.data.set_value(Dataset::new(&instrument));
        an.instrument.set_value(Some(instrument));
        an.form.set(form_id.clone());
        // The analyst's tables of this instrument, as they were left.
        let plan = store
            .setting(&plan_key(&form_id))
            .await
            .ok()
            .flatten()
            .and_then(|json| serde_json::from_str::<Plan>(&json).ok())
            .unwrap_or_default();
        an.plan.set(plan);
        an.rev.update(|n| *n += 1);
        let rows = store
            .record_rows(&form_id)
            .await
            .map_err(|e| e.to_string())?;
        let what = an.app.t(Msg::LoadingRecords).to_string();
        for (i, slice) in rows.chunks(READ_SLICE).enumerate() {
            an.busy.set(Some((
                what.clone(),
                (i * READ_SLICE) as f64 / rows.len() as f64,
            )));
            browser::next_task().await;
            an.data.update_value(|data| {
                for record in records_of(slice) {
                    data.push(&record);
                }
            });
        }
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

/// Where the analyst's tables of an instrument are kept on the device.
pub(super) fn plan_key(form_id: &str) -> String {
    format!("analyse-plan:{form_id}")
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
        let json = serde_json::to_string(&plan).unwrap_or_default();
        spawn_local(async move {
            let _ = store.set_setting(&plan_key(&form), &json).await;
        });
    });
}
