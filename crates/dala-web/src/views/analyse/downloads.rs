//! The downloads: the wide export, the codebook, the plan, the tables.

use super::load::Progress;
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
                let mut progress = Progress {
                    an,
                    what: app.t(Msg::WideCsv).to_string(),
                };
                let bytes = workflows::analyse::wide_export(
                    &*store,
                    &instrument,
                    |id| keep.contains(id),
                    READ_SLICE,
                    ZIP_TASK_MS,
                    &mut progress,
                )
                .await?;
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
