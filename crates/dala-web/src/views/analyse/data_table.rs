//! The records as a paged table.

use super::*;

#[component]
pub(super) fn DataTable(an: An) -> impl IntoView {
    let app = an.app;
    let columns = move || {
        an.rev.get();
        an.data
            .with_value(|d| d.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>())
    };
    let body = move || {
        let rows = an.rows.get();
        let (shown, pages) = analysis::page_of(&rows, an.page.get());
        let shown = shown.to_vec();
        let names = columns();
        let count = names.len();
        let form_lang = an.lang.get();
        // Headers and answers as labels in the form language; names and codes on hover.
        let (headers, lines) = an
            .instrument
            .with_value(|i| {
                let instrument = i.as_ref()?;
                let labels = analysis::AnswerLabels::new(instrument, &form_lang, &names);
                let lines = an.data.with_value(|d| {
                    shown
                        .iter()
                        .map(|&row| {
                            let id = d.instance_id(row).unwrap_or_default().to_string();
                            let status = d.status(row);
                            let meta = (
                                d.enumerator(row).unwrap_or_default().to_string(),
                                d.started(row).unwrap_or_default().to_string(),
                            );
                            let cells: Vec<(String, String)> = (0..count)
                                .map(|c| {
                                    let code = d.value(row, c).unwrap_or_default();
                                    (labels.answer(c, code), code.to_string())
                                })
                                .collect();
                            (id, status, meta, cells)
                        })
                        .collect::<Vec<_>>()
                });
                let headers: Vec<(String, String)> = labels
                    .headers
                    .into_iter()
                    .zip(names.iter().cloned())
                    .collect();
                Some((headers, lines))
            })
            .unwrap_or_default();
        let text = format!(
            "{} {} · {} {} {} {pages}",
            rows.len(),
            app.t(Msg::RecordsShown),
            app.t(Msg::Page),
            an.page.get().min(pages - 1) + 1,
            app.t(Msg::Of)
        );
        (headers, lines, pages, text)
    };
    view! {
        <section class="card data-view">
            <h3>{app.t(Msg::Data)}</h3>
            {move || {
                let (headers, lines, pages, text) = body();
                // A column of review states once records came from a server.
                let reviewed = an.reviews.with(|r| !r.is_empty());
                let page = an.page.get();
                view! {
                    <div class="pager">
                        <button class="button prev" disabled={page == 0}
                            on:click=move |_| an.page.update(|p| *p = p.saturating_sub(1))>
                            {format!("← {}", app.t(Msg::Previous))}
                        </button>
                        <span class="pager-text">{text}</span>
                        <button class="button next" disabled={page + 1 >= pages}
                            on:click=move |_| an.page.update(|p| *p += 1)>
                            {format!("{} →", app.t(Msg::Next))}
                        </button>
                    </div>
                    <div class="table-scroll">
                        <table class="records-table">
                            <thead><tr>
                                <th>{app.t(Msg::Record)}</th><th>{app.t(Msg::Status)}</th>
                                <th>{app.t(Msg::Enumerator)}</th><th>{app.t(Msg::Started)}</th>
                                {reviewed.then(|| view! { <th>{crate::team_words::Words::ReviewState.text(app.lang.get())}</th> })}
                                {headers.into_iter().map(|(label, name)| view! { <th title=name.clone() data-name=name>{label}</th> }).collect_view()}
                            </tr></thead>
                            <tbody>
                                {lines.into_iter().map(|(id, status, (enumerator, started), cells)| view! {
                                    <tr class="record-row" data-id=id.clone()>
                                        <td><a class="open" href=Route::AnalyseRecord(an.form.get_untracked(), id.clone()).hash()>{app.t(Msg::Open)}</a></td>
                                        <td>{match status { Some(Status::Draft) => app.t(Msg::Draft), _ => app.t(Msg::FinalizedOne) }}</td>
                                        <td>{enumerator}</td>
                                        <td>{started}</td>
                                        {reviewed.then(|| {
                                            let review = an.reviews.with(|r| r.get(&id).cloned());
                                            view! { <td class="review">{review.map(|s| crate::views::manage::review::state_name(app, &s))}</td> }
                                        })}
                                        {cells.into_iter().map(|(text, code)| view! { <td title=code>{text}</td> }).collect_view()}
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
            }}
        </section>
    }
}
