//! Home: the enumerator's name (once), the instruments on the device with their counts,
//! importing an instrument, and the storage the browser gives the app.

use crate::app::{AppState, SETTING_ENUMERATOR, state, store};
use crate::browser;
use crate::catalog::versions_by_form;
use crate::i18n::{Msg, count_drafts, count_finalized};
use crate::route::Route;
use dala_core::record::Status;
use dala_core::{Store, Text};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[derive(Clone, Debug, PartialEq)]
struct Summary {
    form_id: String,
    version: String,
    title: Text,
    default_language: Option<String>,
    drafts: usize,
    finalized: usize,
}

async fn summaries() -> Result<Vec<Summary>, String> {
    let store = store().ok_or("no database")?;
    let keys = store.list_instruments().await.map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for (form_id, versions) in versions_by_form(keys) {
        let Some(version) = versions.first().cloned() else {
            continue;
        };
        let Some(instrument) = store
            .get_instrument(&form_id, &version)
            .await
            .map_err(|e| e.to_string())?
        else {
            continue;
        };
        out.push(Summary {
            drafts: store
                .count(&form_id, Status::Draft)
                .await
                .map_err(|e| e.to_string())?,
            finalized: store
                .count(&form_id, Status::Finalized)
                .await
                .map_err(|e| e.to_string())?,
            title: instrument.settings.title.clone(),
            default_language: instrument.settings.default_language.clone(),
            form_id,
            version,
        });
    }
    Ok(out)
}

/// Starts an interview with the given instrument version. Nothing is stored until the first
/// answer: an interview opened and left at once leaves no empty draft behind.
pub fn start_interview(state: AppState, form_id: String, version: String) {
    state.go(Route::New(form_id, version));
}

#[component]
pub fn Home() -> impl IntoView {
    let state = state();
    let list = RwSignal::new(None::<Vec<Summary>>);
    let storage = RwSignal::new(None::<(f64, f64)>);
    Effect::new(move |_| {
        state.data_rev.get();
        spawn_local(async move {
            match summaries().await {
                Ok(found) => list.set(Some(found)),
                Err(e) => state.fail(state.t(Msg::LoadFailed), e),
            }
            storage.set(browser::estimate().await);
        });
    });

    view! {
        <main id="home" class="home" data-ready=move || list.get().is_some().to_string()>
            <Setup/>
            <Outbox/>
            <h2>{move || state.t(Msg::Instruments)}</h2>
            {move || {
                let lang = state.lang.get();
                match list.get() {
                    None => view! { <p class="muted">"…"</p> }.into_any(),
                    Some(found) if found.is_empty() => {
                        view! { <p class="muted">{state.t(Msg::NoInstruments)}</p> }.into_any()
                    }
                    Some(found) => view! {
                        <ul class="instruments">
                            {found.into_iter().map(|s| {
                                let title = s.title.get(lang.code(), s.default_language.as_deref())
                                    .unwrap_or(&s.form_id).to_string();
                                let (form, version) = (s.form_id.clone(), s.version.clone());
                                let records = Route::Records(s.form_id.clone());
                                let blocked = move || state.enumerator.get().trim().is_empty();
                                view! {
                                    <li class="instrument card" data-form=s.form_id.clone()>
                                        <h3>{title}</h3>
                                        <p class="muted">{format!("{} · v{}", s.form_id, s.version)}</p>
                                        <p class="counts">
                                            <span class="drafts">{count_drafts(lang, s.drafts)}</span>
                                            " · "
                                            <span class="finalized">{count_finalized(lang, s.finalized)}</span>
                                        </p>
                                        <div class="actions">
                                            <button class="button primary start" disabled=blocked
                                                on:click=move |_| {
                                                    start_interview(state, form.clone(), version.clone());
                                                }>
                                                {state.t(Msg::StartInterview)}
                                            </button>
                                            <a class="button records" href=records.hash()>
                                                {format!("{} / {}", state.t(Msg::Drafts), state.t(Msg::Finalized))}
                                            </a>
                                        </div>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                }
            }}
            <Import/>
            <section class="storage card">
                <h3>{move || state.t(Msg::Storage)}</h3>
                <p>
                    {move || storage.get().map(|(used, quota)| {
                        format!("{} / {}", browser::megabytes(used, state.lang.get()), browser::megabytes(quota, state.lang.get()))
                    })}
                    " · "
                    {move || match state.persisted.get() {
                        Some(true) => state.t(Msg::StoragePersistent),
                        _ => state.t(Msg::StorageBestEffort),
                    }}
                </p>
            </section>
        </main>
    }
}

/// The enumerator's name, asked for before the first interview; the device id beside it.
#[component]
fn Setup() -> impl IntoView {
    let state = state();
    let draft = RwSignal::new(String::new());
    Effect::new(move |_| draft.set(state.enumerator.get()));
    let save = move || {
        let name = draft.get_untracked().trim().to_string();
        if name.is_empty() {
            return;
        }
        state.enumerator.set(name.clone());
        if let Some(store) = store() {
            spawn_local(async move {
                if let Err(e) = store.set_setting(SETTING_ENUMERATOR, &name).await {
                    state.fail(state.t(Msg::SaveFailed), e);
                }
            });
        }
    };
    view! {
        <section class="setup card">
            <Show when=move || state.enumerator.get().trim().is_empty()>
                <p class="hint">{move || state.t(Msg::SetUpFirst)}</p>
            </Show>
            <form class="row" on:submit=move |ev| { ev.prevent_default(); save(); }>
                <label class="field">
                    <span>{move || state.t(Msg::Enumerator)}</span>
                    <input id="enumerator" type="text" autocomplete="name"
                        prop:value=move || draft.get()
                        on:input=move |ev| draft.set(event_target_value(&ev))/>
                </label>
                <button class="button" type="submit">{move || state.t(Msg::Save)}</button>
            </form>
            <p class="muted device">{move || format!("{}: {}", state.t(Msg::DeviceId), state.device_id.get())}</p>
        </section>
    }
}

/// Imports an instrument (.json, or an XLSForm .xlsx/.xls) with the files attached to it (a
/// CSV of villages picked with the workbook); it is validated before it is stored, and the
/// lists of its files are kept beside it.
#[component]
pub fn Import() -> impl IntoView {
    let state = state();
    let on_change = move |ev: leptos::ev::Event| {
        let picked: Vec<(String, web_sys::File)> = browser::take_picked(&ev)
            .into_iter()
            .map(|f| (f.name(), f))
            .collect();
        if picked.is_empty() {
            return;
        }
        let names = picked
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        spawn_local(async move {
            let result: Result<String, String> = async {
                let ((name, file), attached) = crate::catalog::form_and_attachments(picked)
                    .ok_or_else(|| state.t(Msg::PickOneForm).to_string())?;
                let (instrument, lists, files) =
                    if crate::catalog::is_workbook(&name) || !attached.is_empty() {
                        let form = browser::read_bytes(&file).await?;
                        let mut files = Vec::new();
                        for (attached_name, attached_file) in &attached {
                            // A list is read whole: a file past the limit is refused before
                            // it is read, as the command line refuses it.
                            if attached_file.size() > crate::catalog::MAX_ATTACHMENT_BYTES {
                                return Err(format!(
                                    "{attached_name}: {}",
                                    state.t(Msg::AttachmentTooLarge)
                                ));
                            }
                            files.push((
                                attached_name.clone(),
                                browser::read_bytes(attached_file).await?,
                            ));
                        }
                        let (instrument, lists) =
                            crate::importer::form_with_files(&form, &name, &files).await?;
                        (instrument, lists, files)
                    } else {
                        let text = browser::read_file(&file).await?;
                        (
                            dala_core::Instrument::from_json(&text).map_err(|e| e.to_string())?,
                            dala_core::Lists::new(),
                            Vec::new(),
                        )
                    };
                crate::catalog::check_compiles(&instrument, &lists)?;
                let store = store().ok_or("no database")?;
                store
                    .put_instrument(&instrument)
                    .await
                    .map_err(|e| e.to_string())?;
                let settings = &instrument.settings;
                if !lists.is_empty() {
                    store
                        .put_lists(&settings.form_id, &settings.version, &lists)
                        .await
                        .map_err(|e| e.to_string())?;
                }
                let kept = crate::catalog::attached_files(&instrument, files);
                if !kept.is_empty() {
                    store
                        .put_form_files(&settings.form_id, &settings.version, &kept)
                        .await
                        .map_err(|e| e.to_string())?;
                }
                Ok(instrument.settings.form_id)
            }
            .await;
            match result {
                Ok(form) => {
                    state
                        .notice
                        .set(Some(format!("{}: {form}", state.t(Msg::Imported))));
                    state.data_rev.update(|n| *n += 1);
                }
                Err(e) => state.fail(&names, e),
            }
        });
    };
    view! {
        <label class="import button">
            {move || state.t(Msg::ImportInstrument)}
            <input type="file" multiple accept=".json,.xlsx,.xls,.csv,.xml,.geojson,image/*,audio/*,video/*" class="visually-hidden" on:change=on_change/>
        </label>
    }
}

/// An enrolled tablet's outbox at a glance: where records go, how many wait, when records
/// were last sent, why the last try stopped; and "Send now". Nothing for a tablet that is
/// not enrolled (its records go by hand-over).
#[component]
fn Outbox() -> impl IntoView {
    let state = state();
    let outbox = state.outbox;
    view! {
        <Show when=move || outbox.with(|o| o.server.is_some())>
            <section class="outbox card" aria-live="polite">
                <p>
                    {move || format!("{}: {}", state.t(Msg::SendsTo), outbox.with(|o| o.server.clone().unwrap_or_default()))}
                </p>
                <p class="waiting">
                    {move || {
                        let lang = state.lang.get();
                        let (waiting, last) = outbox.with(|o| (o.waiting, o.last_sent.clone()));
                        let mut line = crate::i18n::count_waiting(lang, waiting);
                        if let Some(last) = last {
                            line.push_str(&format!(" · {} {}", state.t(Msg::LastSent), crate::browser::local_minute(&last)));
                        }
                        line
                    }}
                </p>
                {move || outbox.with(|o| o.stopped.clone()).map(|stopped| {
                    let text = match stopped {
                        crate::sync::Stopped::Unreachable(_) => state.t(Msg::ServerUnreachable).to_string(),
                        crate::sync::Stopped::Revoked => state.t(Msg::DeviceRevoked).to_string(),
                        crate::sync::Stopped::Refused { status, code } => format!("{} ({code} {status})", state.t(Msg::ServerRefused)),
                    };
                    view! { <p class="warning">{text}</p> }
                })}
                {move || {
                    let persisted = state.persisted.get();
                    outbox.with(|o| {
                        let days = o.oldest_waiting.as_deref().and_then(browser::days_ago);
                        crate::outbox::warnings(o, days, persisted)
                    })
                    .into_iter()
                    .map(|msg| view! { <p class="warning">{state.t(msg)}</p> })
                    .collect_view()
                }}
                <Show when=move || outbox.with(|o| !o.refused.is_empty())>
                    <p class="warning">{move || format!("{}: {}", state.t(Msg::RecordsRefused), outbox.with(|o| o.refused.len()))}</p>
                </Show>
                <button class="button send-now" type="button"
                    prop:disabled=move || outbox.with(|o| o.sending)
                    on:click=move |_| crate::outbox::send(state)>
                    {move || if outbox.with(|o| o.sending) { state.t(Msg::Sending) } else { state.t(Msg::SendNow) }}
                </button>
            </section>
        </Show>
    }
}
