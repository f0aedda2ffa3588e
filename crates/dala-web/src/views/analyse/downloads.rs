//! The downloads: the wide export, the codebook, the plan, the tables.

use super::*;

#[component]
pub(super) fn Downloads(an: An) -> impl IntoView {
    let app = an.app;
    let form = move || an.form.get_untracked();
    let tables_csv = move |_| {
        let plan = an.plan.get_untracked();
        let rows = an.rows.get_untracked();
        let Some(Ok(tidy)) = an.with(|i, d| d.aggregate(&plan, i, &rows)) else {
            return;
        };
        let mut out = Vec::new();
        let _ = write_csv(&tidy, &mut out);
        let name = format!("{}-tables.csv", form());
        if let Err(e) = browser::save_file(
            &name,
            &String::from_utf8(out).unwrap_or_default(),
            "text/csv",
        ) {
            app.fail(&name, e);
        }
    };
    let plan_file = move |_| {
        let name = format!("{}-analysis.toml", form());
        if let Err(e) = browser::save_file(&name, &to_toml(&an.plan.get_untracked()), "text/plain")
        {
            app.fail(&name, e);
        }
    };
    let codebook_file = move |_| {
        let lang = an.lang.get_untracked();
        if let Some(table) = an
            .instrument
            .with_value(|i| i.as_ref().map(|i| codebook(i, &lang)))
            && let Err(e) = browser::save_file(&table.name, &to_csv(&table), "text/csv")
        {
            app.fail(&table.name, e);
        }
    };
    let wide = move |_| {
        spawn_local(async move {
            let result: Result<(), String> = async {
                let store = store().ok_or("no database")?;
                let Some(instrument) = an.instrument.get_value() else {
                    return Ok(());
                };
                let form_id = instrument.settings.form_id.clone();
                // The records the filter keeps, in the order of the data view.
                let keep: std::collections::HashSet<String> = an.data.with_value(|d| {
                    an.rows
                        .get_untracked()
                        .iter()
                        .filter_map(|&r| d.instance_id(r).map(String::from))
                        .collect()
                });
                let what = app.t(Msg::WideCsv).to_string();
                an.busy.set(Some((what.clone(), 0.0)));
                browser::next_task().await;
                let rows = store
                    .record_rows(&form_id)
                    .await
                    .map_err(|e| e.to_string())?;
                // A slice of records between frames, like the import.
                let options = Options::default();
                let mut export = CsvExport::new(&instrument, &options);
                for (i, slice) in rows.chunks(READ_SLICE).enumerate() {
                    an.busy.set(Some((
                        what.clone(),
                        0.9 * (i * READ_SLICE) as f64 / rows.len() as f64,
                    )));
                    browser::next_task().await;
                    for record in records_of(slice) {
                        if keep.contains(&record.instance_id) {
                            export.add(&record);
                        }
                    }
                }
                // Deflating too, tens of megabytes for 100,000 records: steps for
                // ZIP_TASK_MS, then a frame.
                let mut zip = analysis::ZipSlices::new(export.finish());
                let mut share = 0.0;
                'zip: loop {
                    an.busy.set(Some((what.clone(), 0.9 + 0.1 * share)));
                    browser::next_task().await;
                    let start = crate::perf::now_ms();
                    while crate::perf::now_ms() - start < ZIP_TASK_MS {
                        match zip.step()? {
                            Some(done) => share = done,
                            None => break 'zip,
                        }
                    }
                }
                let bytes = zip.finish()?;
                browser::save_bytes(&format!("{form_id}-data.zip"), &bytes, "application/zip")?;
                crate::perf::mark("__dalaWideEnd");
                Ok(())
            }
            .await;
            an.busy.set(None);
            if let Err(e) = result {
                app.fail(app.t(Msg::WideCsv), e);
            }
        });
    };
    view! {
        <section class="card downloads">
            <h3>{app.t(Msg::Downloads)}</h3>
            <div class="actions">
                <button class="button download-wide" on:click=wide>{app.t(Msg::WideCsv)}</button>
                <button class="button download-tables" on:click=tables_csv>{app.t(Msg::TablesCsv)}</button>
                <button class="button download-codebook" on:click=codebook_file>{app.t(Msg::Codebook)}</button>
                <button class="button download-plan" on:click=plan_file>{app.t(Msg::PlanFile)}</button>
            </div>
        </section>
    }
}
