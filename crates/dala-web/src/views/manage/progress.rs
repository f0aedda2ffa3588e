//! The field progress: records received per day, by device or by the answers to one
//! question (the police survey's district), as a table with totals.

use super::*;
use crate::account::{Progress as Rows, ProgressRow, segment};
use crate::manage::{Pivot, pivot};
use dala_core::{Instrument, ItemType};

#[component]
pub(super) fn Progress(project: i64) -> impl IntoView {
    let app = state();
    let account = account();
    let versions = published_versions(account, project);
    let form = RwSignal::new(String::new());
    let by = RwSignal::new(String::new());
    // The select_one questions of the form's latest version: (name, label).
    let questions = RwSignal::new(Vec::<(String, String)>::new());
    let forms = Memo::new(move |_| {
        let mut forms: Vec<String> = match versions.get() {
            Some(Ok(list)) => list.into_iter().map(|v| v.form_id).collect(),
            _ => Vec::new(),
        };
        forms.dedup();
        forms
    });
    Effect::new(move |_| {
        if form.get_untracked().is_empty()
            && let Some(first) = forms.get().first()
        {
            form.set(first.clone());
        }
    });
    Effect::new(move |_| {
        let form = form.get();
        by.set(String::new());
        questions.set(Vec::new());
        let latest = versions.with_untracked(|v| match v {
            Some(Ok(list)) => list.iter().rev().find(|v| v.form_id == form).cloned(),
            _ => None,
        });
        let Some(latest) = latest else { return };
        let lang = app.lang.get_untracked();
        spawn_local(async move {
            let path = format!(
                "instruments/{}/{}",
                segment(&latest.form_id),
                segment(&latest.version)
            );
            if let Ok(doc) = account
                .call::<serde_json::Value>("GET", &url(project, &path), None)
                .await
                && let Ok(instrument) = Instrument::from_json(&doc.to_string())
            {
                questions.set(select_one_questions(&instrument, lang.code()));
            }
        });
    });
    let rows: Fetched<Vec<ProgressRow>> = RwSignal::new(None);
    Effect::new(move |_| {
        let (form, by) = (form.get(), by.get());
        if form.is_empty() {
            return;
        }
        let mut query = format!("progress?form={}", segment(&form));
        if !by.is_empty() {
            query.push_str(&format!("&by={}", segment(&by)));
        }
        fetch(account, url(project, &query), rows, |r: Rows| r.progress);
    });
    view! {
        <section class="card manage-progress">
            <h3>{move || w(app, Words::Progress)}</h3>
            <div class="row">
                <label>{move || w(app, Words::Form)}
                    <select class="progress-form" on:change=move |ev| form.set(event_target_value(&ev))>
                        {move || forms.get().into_iter().map(|f| {
                            let selected = f == form.get_untracked();
                            let value = f.clone();
                            view! { <option value=value prop:selected=selected>{f}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label>{move || w(app, Words::CountBy)}
                    <select class="progress-by" on:change=move |ev| by.set(event_target_value(&ev))>
                        <option value="" prop:selected=move || by.get().is_empty()>{move || w(app, Words::ByDevice)}</option>
                        {move || questions.get().into_iter().map(|(name, label)| {
                            let selected = name == by.get_untracked();
                            view! { <option value=name prop:selected=selected>{label}</option> }
                        }).collect_view()}
                    </select>
                </label>
            </div>
            {shown(rows, move |rows| {
                let by_answer = !by.get_untracked().is_empty();
                table(app, pivot(&rows, by_answer))
            })}
        </section>
    }
}

/// The questions a progress can be counted by: single choices at the top of a record.
fn select_one_questions(instrument: &Instrument, lang: &str) -> Vec<(String, String)> {
    let default = instrument.settings.default_language.as_deref();
    dala_core::Index::new(instrument)
        .top_answers()
        .filter(|e| e.item.item_type == ItemType::SelectOne)
        .map(|e| {
            let label = e
                .item
                .label
                .get(lang, default)
                .map_or_else(|| e.key.clone(), |l| format!("{} ({})", l, e.key));
            (e.key.clone(), label)
        })
        .collect()
}

fn table(app: AppState, pivot: Pivot) -> impl IntoView {
    if pivot.rows.is_empty() {
        return view! { <p class="muted">{w(app, Words::NothingYet)}</p> }.into_any();
    }
    view! {
        <div class="table-scroll">
            <table class="records-table progress-table">
                <thead><tr>
                    <th scope="col"></th>
                    {pivot.days.iter().map(|d| view! { <th scope="col">{d.clone()}</th> }).collect_view()}
                    <th scope="col">{w(app, Words::Total)}</th>
                </tr></thead>
                <tbody>
                    {pivot.rows.iter().map(|row| view! {
                        <tr>
                            <th scope="row">{row.label.clone().unwrap_or_else(|| "—".into())}</th>
                            {row.counts.iter().map(|c| view! { <td>{*c}</td> }).collect_view()}
                            <td class="row-total">{row.total}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
                <tfoot><tr>
                    <th scope="row">{w(app, Words::Total)}</th>
                    {pivot.totals.iter().map(|c| view! { <td>{*c}</td> }).collect_view()}
                    <td class="grand-total">{pivot.total}</td>
                </tr></tfoot>
            </table>
        </div>
    }
    .into_any()
}
