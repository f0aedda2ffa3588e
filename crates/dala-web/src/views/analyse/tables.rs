//! The tables of the plan, each a card with its chart and downloads.

use super::*;

/// The plan shipped with a bundled instrument (surveys/plans/<form id>.toml), if any.
pub(super) async fn bundled_plan(
    form_id: &str,
    lang: crate::i18n::Lang,
) -> Result<Option<Plan>, String> {
    match browser::fetch_text(&format!("surveys/plans/{form_id}.toml")).await {
        Ok(text) => parse(&text)
            .map(Some)
            .map_err(|e| crate::problems::plan_error(lang, &e)),
        Err(_) => Ok(None),
    }
}

#[component]
pub(super) fn Tables(an: An) -> impl IntoView {
    let app = an.app;
    let tables = Memo::new(move |_| {
        an.rev.track();
        let plan = an.plan.get();
        let rows = an.rows.get();
        let start = crate::perf::now_ms();
        let tables = an
            .with(|instrument, data| {
                data.aggregate(&plan, instrument, &rows)
                    .map_err(|e| crate::problems::plan_error(an.app.lang.get(), &e))
            })
            .unwrap_or_else(|| Ok(Vec::new()));
        crate::perf::tables(crate::perf::now_ms() - start);
        tables
    });
    let load_plan = move |_| {
        let form = an.form.get_untracked();
        spawn_local(async move {
            match bundled_plan(&form, an.app.lang.get_untracked()).await {
                Ok(Some(plan)) => an.plan.set(plan),
                Ok(None) => an.app.fail(&form, an.app.t(Msg::NoPlan)),
                Err(e) => an.app.fail(&form, e),
            }
        });
    };
    view! {
        <section class="card tables">
            <div class="row heading-row">
                <h3>{app.t(Msg::Tables)}</h3>
                <button class="button load-plan" on:click=load_plan>{app.t(Msg::LoadPlan)}</button>
            </div>
            <TableBuilder an=an/>
            {move || match tables.get() {
                Err(e) => view! { <p class="problem">{e}</p> }.into_any(),
                Ok(rows) if an.plan.with(|p| p.table.is_empty()) || rows.is_empty() => {
                    view! { <p class="muted">{app.t(Msg::NoTables)}</p> }.into_any()
                }
                Ok(rows) => {
                    let lang = an.lang.get();
                    an.plan.get().table.into_iter().enumerate().map(|(i, spec)| {
                        table_card(an, i, &spec, &rows, &lang)
                    }).collect_view().into_any()
                }
            }}
        </section>
    }
}

pub(super) fn table_card(
    an: An,
    index: usize,
    spec: &TableSpec,
    rows: &[TidyRow],
    lang: &str,
) -> AnyView {
    let app = an.app;
    let Some(view) = an.instrument.with_value(|i| {
        i.as_ref()
            .map(|i| analysis::table_view(spec, rows, i, lang, app.lang.get_untracked()))
    }) else {
        return ().into_any();
    };
    let label = |q: &str, c: &str| an.label(q, c);
    // Downloads are the wide chart; a phone shows one drawn for its width.
    let chart = dala_aggregate::chart::for_table(spec, rows, &label);
    let on_screen = if browser::narrow_screen() {
        dala_aggregate::chart::for_table_in(&dala_aggregate::chart::NARROW, spec, rows, &label)
    } else {
        chart.clone()
    };
    let own: Vec<TidyRow> = rows
        .iter()
        .filter(|r| r.table == spec.id)
        .cloned()
        .collect();
    let id = spec.id.clone();
    let statistics = view.statistics.clone();
    let (svg_name, png_name, csv_name) = (
        format!("{id}.svg"),
        format!("{id}.png"),
        format!("{id}.csv"),
    );
    view! {
        <article class="table-card" data-table=id.clone()>
            <div class="row heading-row">
                <h4>{view.title.clone()}</h4>
                <span class="spacer"></span>
                <button class="button csv" on:click=move |_| {
                    let mut out = Vec::new();
                    let _ = write_csv(&own, &mut out);
                    let text = String::from_utf8(out).unwrap_or_default();
                    if let Err(e) = browser::save_file(&csv_name, &text, "text/csv") { app.fail(&csv_name, e); }
                }>"CSV"</button>
                <button class="button remove" on:click=move |_| an.plan.update(|p| { if index < p.table.len() { p.table.remove(index); } })>
                    {app.t(Msg::Remove)}
                </button>
            </div>
            {chart.zip(on_screen).map(|(svg, shown)| {
                let (for_svg, for_png) = (svg.clone(), svg);
                let (svg_name, png_name) = (svg_name.clone(), png_name.clone());
                view! {
                    <figure class="chart">
                        <img src=browser::svg_url(&shown) alt=view.title.clone()/>
                        <figcaption>
                            <button class="button svg" on:click=move |_| {
                                if let Err(e) = browser::save_file(&svg_name, &for_svg, "image/svg+xml") { app.fail(&svg_name, e); }
                            }>"SVG"</button>
                            <button class="button png" on:click=move |_| {
                                if let Err(e) = browser::save_png(&png_name, &for_png) { app.fail(&png_name, e); }
                            }>"PNG"</button>
                        </figcaption>
                    </figure>
                }
            })}
            {view.groups.into_iter().map(|group| {
                let statistics = statistics.clone();
                view! {
                    <div class="table-group" data-group=group.key.clone()>
                        <table class="stats">
                            <caption>{group.label.clone()}</caption>
                            <thead><tr><th></th>{statistics.iter().map(|s| view! {
                                <th title=s.clone()>{statistic_name(app.lang.get_untracked(), s)}</th>
                            }).collect_view()}</tr></thead>
                            <tbody>
                                {group.rows.into_iter().map(|row| {
                                    let statistics = statistics.clone();
                                    view! {
                                        <tr data-group=row.group data-category=row.category><th>{row.label}</th>
                                            {row.values.into_iter().zip(statistics).map(|(v, s)| view! {
                                                <td data-stat=s.clone()>{v.map(|v| analysis::figure(&s, v)).unwrap_or_default()}</td>
                                            }).collect_view()}
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        <p class="figures muted">
                            {group.figures.into_iter().map(|(s, v)| format!("{} {}", statistic_name(app.lang.get_untracked(), &s), analysis::figure(&s, v))).collect::<Vec<_>>().join(" · ")}
                        </p>
                    </div>
                }
            }).collect_view()}
        </article>
    }
    .into_any()
}
