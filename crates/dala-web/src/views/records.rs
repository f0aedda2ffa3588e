//! The records of one instrument: drafts (continue, delete after a confirmation) and
//! finalized records (open read-only, export as bundles, marked exported).

use crate::app::{state, store};
use crate::browser;
use crate::catalog::bundles;
use crate::host::now_text;
use crate::i18n::Msg;
use crate::route::Route;
use crate::storage::StoredRecord;
use dala_core::Store;
use dala_core::record::Status;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn Records(form_id: String) -> impl IntoView {
    let state = state();
    let records = RwSignal::new(None::<Vec<StoredRecord>>);
    let confirm = RwSignal::new(None::<String>);
    let form = StoredValue::new(form_id.clone());
    Effect::new(move |_| {
        state.data_rev.get();
        spawn_local(async move {
            let Some(store) = store() else { return };
            match store.list_records(&form.get_value(), None).await {
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
            confirm.set(None);
            state.data_rev.update(|n| *n += 1);
        });
    };

    let export = move |_| {
        spawn_local(async move {
            let Some(store) = store() else { return };
            let list = match store
                .list_submissions(&form.get_value(), Some(Status::Finalized))
                .await
            {
                Ok(list) => list,
                Err(e) => return state.fail(state.t(Msg::Export), e),
            };
            let files = bundles(&list, &state.device_id.get_untracked(), &now_text());
            if files.is_empty() {
                state
                    .notice
                    .set(Some(state.t(Msg::NothingToExport).to_string()));
                return;
            }
            let when = now_text();
            for file in files {
                if let Err(e) = browser::save_file(&file.name, &file.text, "application/x-ndjson") {
                    return state.fail(state.t(Msg::Export), e);
                }
                // Marked only once the file has been handed to the browser; nothing is deleted.
                if let Err(e) = store.mark_exported(&file.instance_ids, &when).await {
                    return state.fail(state.t(Msg::Export), e);
                }
                state
                    .notice
                    .set(Some(format!("{}: {}", state.t(Msg::Exported), file.name)));
            }
            state.data_rev.update(|n| *n += 1);
        });
    };

    let section = move |status: Status| {
        let lang = state.lang.get();
        let list: Vec<StoredRecord> = records
            .get()
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.submission.status == status)
            .collect();
        if list.is_empty() {
            return view! { <p class="muted">{Msg::NoRecords.text(lang)}</p> }.into_any();
        }
        view! {
            <ul class="records">
                {list.into_iter().map(|r| {
                    let id = r.submission.instance_id.clone();
                    let open = Route::Interview(id.clone()).hash();
                    let when = r.submission.updated.chars().take(16).collect::<String>().replace('T', " ");
                    let exported = r.exported.is_some();
                    let id_for_delete = id.clone();
                    let id_for_confirm = id.clone();
                    let id_attr = id.clone();
                    view! {
                        <li class="record card" data-instance=id_attr>
                            <a class="record-open" href=open>
                                <span class="record-when">{when}</span>
                                <span class="muted">{format!(" · {}", r.submission.enumerator)}</span>
                            </a>
                            {(status == Status::Finalized).then(|| view! {
                                <span class=if exported { "tag exported" } else { "tag" }>
                                    {if exported { Msg::Exported.text(lang) } else { Msg::NotExported.text(lang) }}
                                </span>
                            })}
                            {(status == Status::Draft).then(move || view! {
                                <Show when=move || confirm.get().as_deref() == Some(id_for_confirm.as_str())
                                    fallback=move || {
                                        let id = id_for_delete.clone();
                                        view! {
                                            <button class="button danger delete"
                                                on:click=move |_| confirm.set(Some(id.clone()))>
                                                {Msg::Delete.text(lang)}
                                            </button>
                                        }
                                    }>
                                    {
                                        let id = id.clone();
                                        view! {
                                            <span class="confirm" role="alertdialog">
                                                <span>{Msg::ConfirmDelete.text(lang)}</span>
                                                <button class="button danger confirm-delete"
                                                    on:click=move |_| delete(id.clone())>
                                                    {Msg::Delete.text(lang)}
                                                </button>
                                                <button class="button" on:click=move |_| confirm.set(None)>
                                                    {Msg::Cancel.text(lang)}
                                                </button>
                                            </span>
                                        }
                                    }
                                </Show>
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
            <h2>{form_id}</h2>
            <h3>{move || state.t(Msg::Drafts)}</h3>
            <div class="drafts-list">{move || section(Status::Draft)}</div>
            <h3>{move || state.t(Msg::Finalized)}</h3>
            <div class="finalized-list">{move || section(Status::Finalized)}</div>
            <button class="button primary export" on:click=export>{move || state.t(Msg::Export)}</button>
        </main>
    }
}
