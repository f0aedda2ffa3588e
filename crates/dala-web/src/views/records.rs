//! The records of one instrument: drafts (continue, delete after a confirmation) and
//! finalized records (open read-only, export as bundles, marked exported), each named by its
//! instance name or first answers, drafts with their progress.

use super::ask_first::AskFirst;
use crate::app::{state, store};
use crate::browser;
use crate::catalog::latest_version;
use crate::host::BrowserHost;
use crate::host::now_text;
use crate::i18n::Msg;
use crate::review::record_title;
use crate::route::Route;
use crate::session::form_language_for;
use crate::workflows::{HandOverError, hand_over};
use dala_core::record::Status;
use dala_core::store::StoredRecord;
use dala_core::{Engine, Form, Instrument, Store};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::collections::BTreeMap;

/// A record as the list shows it.
#[derive(Clone)]
struct Listed {
    record: StoredRecord,
    /// Its instance name or first answers (None: nothing answered yet).
    title: Option<String>,
    /// For a draft: `(page it stopped at, pages)`, both from 1, the closing screen the last.
    progress: Option<(usize, usize)>,
}

/// The instrument's versions the records use, and the latest, by version.
async fn instruments_of(
    form_id: &str,
    records: &[StoredRecord],
) -> Result<BTreeMap<String, Instrument>, String> {
    let store = store().ok_or("no database")?;
    let mut versions: Vec<String> = store
        .list_instruments()
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|(form, _)| form == form_id)
        .map(|(_, version)| version)
        .collect();
    let latest = latest_version(&versions).cloned();
    versions.retain(|v| {
        Some(v) == latest.as_ref()
            || records
                .iter()
                .any(|r| &r.submission.instrument_version == v)
    });
    let mut out = BTreeMap::new();
    for version in versions {
        if let Some(instrument) = store
            .get_instrument(form_id, &version)
            .await
            .map_err(|e| e.to_string())?
        {
            out.insert(version, instrument);
        }
    }
    Ok(out)
}

/// Names and progress for the list. A draft's pages come from its engine (drafts are few);
/// a finalized record is named from its record alone.
fn listed(
    records: Vec<StoredRecord>,
    instruments: &BTreeMap<String, Instrument>,
    ui: &str,
    device_id: &str,
) -> Vec<Listed> {
    let mut forms: BTreeMap<String, Option<Form>> = BTreeMap::new();
    records
        .into_iter()
        .map(|record| {
            let version = &record.submission.instrument_version;
            let instrument = instruments.get(version);
            let title = instrument
                .and_then(|i| record_title(i, &record.submission, &form_language_for(i, ui)));
            let progress = (record.submission.status == Status::Draft)
                .then(|| {
                    let form = forms
                        .entry(version.clone())
                        .or_insert_with(|| instrument.and_then(|i| Form::compile(i).ok()))
                        .clone()?;
                    let host = BrowserHost {
                        device_id: device_id.to_string(),
                    };
                    let pages = Engine::resume(form, Box::new(host), &record.submission)
                        .pages()
                        .len();
                    Some((record.page.min(pages) + 1, pages + 1))
                })
                .flatten();
            Listed {
                record,
                title,
                progress,
            }
        })
        .collect()
}

#[component]
pub fn Records(form_id: String) -> impl IntoView {
    let state = state();
    let records = RwSignal::new(None::<Vec<Listed>>);
    let title = RwSignal::new(form_id.clone());
    let form = StoredValue::new(form_id.clone());
    Effect::new(move |_| {
        state.data_rev.get();
        let ui = state.lang.get().code().to_string();
        spawn_local(async move {
            let Some(store) = store() else { return };
            let form_id = form.get_value();
            let result = async {
                let list = store
                    .list_records(&form_id, None)
                    .await
                    .map_err(|e| e.to_string())?;
                let instruments = instruments_of(&form_id, &list).await?;
                if let Some(latest) = instruments.values().last() {
                    let settings = &latest.settings;
                    let lang = form_language_for(latest, &ui);
                    if let Some(t) = settings
                        .title
                        .get(&lang, settings.default_language.as_deref())
                    {
                        title.set(t.to_string());
                    }
                }
                Ok::<_, String>(listed(
                    list,
                    &instruments,
                    &ui,
                    &state.device_id.get_untracked(),
                ))
            }
            .await;
            match result {
                Ok(list) => records.set(Some(list)),
                Err(e) => state.fail(state.t(Msg::LoadFailed), e),
            }
        });
    });

    let delete = move |id: String| {
        spawn_local(async move {
            let Some(store) = store() else { return };
            if let Err(e) = store.delete_submission(&id).await {
                state.fail(state.t(Msg::Delete), e);
            }
            state.data_rev.update(|n| *n += 1);
        });
    };

    // Sent records may be removed to free the tablet; never one the server has not got.
    let any_sent =
        move || records.with(|list| list.iter().flatten().any(|r| r.record.receipt.is_some()));
    let remove_sent = move || {
        spawn_local(async move {
            let Some(store) = store() else { return };
            match crate::workflows::remove_sent(&*store, &form.get_value()).await {
                Ok(n) => state
                    .notice
                    .set(Some(format!("{}: {n}", state.t(Msg::RemovedSent)))),
                Err(e) => state.fail(state.t(Msg::RemoveSent), e),
            }
            state.data_rev.update(|n| *n += 1);
        });
    };

    // The hand-over: the finalized records not yet exported, or every one again.
    let export = move |again: bool| {
        spawn_local(async move {
            let Some(store) = store() else { return };
            let handed = hand_over(
                &*store,
                &form.get_value(),
                &state.device_id.get_untracked(),
                &now_text(),
                again,
                |file| browser::save_bytes(&file.name, &file.bytes, "application/x-ndjson"),
            )
            .await;
            match handed {
                Ok(files) if files.is_empty() => state
                    .notice
                    .set(Some(state.t(Msg::NothingToExport).to_string())),
                Ok(files) => state.notice.set(Some(format!(
                    "{}: {}",
                    state.t(Msg::Exported),
                    files.join(", ")
                ))),
                Err(HandOverError::Store(e)) => state.fail(state.t(Msg::Export), e),
                Err(HandOverError::Save { why, .. }) => state.fail(state.t(Msg::Export), why),
            }
            state.data_rev.update(|n| *n += 1);
        });
    };

    let section = move |status: Status| {
        let lang = state.lang.get();
        let list: Vec<Listed> = records
            .get()
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.record.submission.status == status)
            .collect();
        if list.is_empty() {
            return view! { <p class="muted">{Msg::NoRecords.text(lang)}</p> }.into_any();
        }
        view! {
            <ul class="records">
                {list.into_iter().map(|listed| {
                    let r = listed.record;
                    let id = r.submission.instance_id.clone();
                    let open = Route::Interview(id.clone()).hash();
                    let when = r.submission.updated.chars().take(16).collect::<String>().replace('T', " ");
                    let exported = r.exported.is_some();
                    let progress = listed.progress.map(|(at, of)| {
                        format!(" · {} {at} {} {of}", Msg::Page.text(lang), Msg::Of.text(lang))
                    });
                    let id_for_delete = id.clone();
                    let id_attr = id.clone();
                    view! {
                        <li class="record card" data-instance=id_attr>
                            <a class="record-open" href=open>
                                <span class="record-title">{listed.title.unwrap_or_else(|| when.clone())}</span>
                                <span class="muted record-meta">
                                    {format!("{when} · {}", r.submission.enumerator)}{progress}
                                </span>
                            </a>
                            {(status == Status::Finalized).then(|| view! {
                                <span class=if exported { "tag exported" } else { "tag" }>
                                    {if exported { Msg::Exported.text(lang) } else { Msg::NotExported.text(lang) }}
                                </span>
                            })}
                            {(status == Status::Finalized).then(|| sent_tag(state, &r, lang))}
                            {(status == Status::Draft).then(move || {
                                let id = id_for_delete.clone();
                                view! {
                                    <AskFirst label=Msg::Delete.text(lang) question=Msg::ConfirmDelete.text(lang)
                                        class="delete" confirm_class="confirm-delete"
                                        on_confirm=move || delete(id.clone())/>
                                }
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        }.into_any()
    };

    view! {
        <main id="records" class="records-page" data-ready=move || records.get().is_some().to_string()>
            <p><a class="button" href="#/">{move || format!("← {}", state.t(Msg::Home))}</a></p>
            <h2>{move || title.get()}</h2>
            <h3>{move || state.t(Msg::Drafts)}</h3>
            <div class="drafts-list">{move || section(Status::Draft)}</div>
            <h3>{move || state.t(Msg::Finalized)}</h3>
            <div class="finalized-list">{move || section(Status::Finalized)}</div>
            <div class="row export-row">
                <button class="button primary export" on:click=move |_| export(false)>{move || state.t(Msg::Export)}</button>
                <button class="button export-again" on:click=move |_| export(true)>{move || state.t(Msg::ExportAgain)}</button>
                {move || any_sent().then(|| {
                    let lang = state.lang.get();
                    view! {
                        <AskFirst label=Msg::RemoveSent.text(lang) question=Msg::ConfirmRemoveSent.text(lang)
                            class="remove-sent" confirm_class="confirm-remove-sent"
                            on_confirm=remove_sent/>
                    }
                })}
            </div>
        </main>
    }
}

/// A finalized record's state on an enrolled tablet: sent (when the server received it),
/// refused (why: it stays), being sent (while a drain runs), or waiting. Nothing on a tablet
/// that is not enrolled.
fn sent_tag(
    state: crate::app::AppState,
    record: &StoredRecord,
    lang: crate::i18n::Lang,
) -> Option<AnyView> {
    let outbox = state.outbox.get_untracked();
    outbox.server.as_ref()?;
    let id = &record.submission.instance_id;
    Some(match (&record.receipt, outbox.refused.iter().find(|r| &r.instance_id == id)) {
        (Some(receipt), _) => view! {
            <span class="tag sent">{format!("{} {}", Msg::Sent.text(lang), crate::browser::local_minute(&receipt.received))}</span>
        }.into_any(),
        (None, Some(refused)) => view! {
            <span class="tag refused" title=refused.message.clone()>
                {format!("{} ({})", Msg::Refused.text(lang), refused.code)}
            </span>
        }.into_any(),
        // Waiting, or being sent while a drain runs.
        (None, None) => {
            let sending = move || state.outbox.with(|o| o.sending);
            view! {
                <span class=move || if sending() { "tag waiting sending" } else { "tag waiting" }>
                    {move || if sending() { Msg::Sending.text(lang) } else { Msg::Waiting.text(lang) }}
                </span>
            }
            .into_any()
        }
    })
}
