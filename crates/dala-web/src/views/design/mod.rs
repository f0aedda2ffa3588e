//! Design: the instruments on the device for a survey designer (new, duplicate, edit,
//! export), and the editor of one: the question tree, the selected question's columns with
//! their problems marked as they are typed, choice lists as tables, every problem of the
//! instrument, undo and redo, a live preview with Collect's own widgets, and publishing.
//! The rules are dala-core's `design` and this crate's `designer`; these views only draw.

use super::ask_first::AskFirst;
use super::interview::{Ctx, PageView};
use crate::app::{AppState, state, store};
use crate::browser;
use crate::designer::{self, Marked, TYPES, column_problems, edit_languages, outline};
use crate::host::BrowserHost;
use crate::i18n::Msg;
use crate::route::Route;
use crate::session::{Session, differences};
use crate::workflows::designs::{self, Entry};
use dala_core::design::{
    ChoiceEdit, DataUse, Design, Edit, EditError, Field, ItemPath, PublishCheck, Setting,
};
use dala_core::{Column, Diagnostic, Engine, Form, Instrument, Item, ItemType, Store};
use leptos::prelude::*;
use leptos::task::spawn_local;

mod choices;
mod columns;
mod editor;
mod item;
mod outline;
mod preview;
mod problem_list;
mod publish;
mod server;
mod settings;

use choices::ChoicesTable;
use columns::column_input;
use editor::Ed;
pub use editor::Editor;
use item::ItemPanel;
use outline::OutlineView;
use preview::Preview;
use problem_list::Problems;
use publish::PublishPanel;
use settings::SettingsPanel;

fn export_json(app: AppState, instrument: &Instrument) {
    let name = format!(
        "{}-{}.json",
        instrument.settings.form_id, instrument.settings.version
    );
    if let Err(e) = browser::save_file(&name, &instrument.to_json(), "application/json") {
        app.fail(app.t(Msg::SaveFailed), e);
    }
}

fn export_xlsx(app: AppState, instrument: Instrument) {
    spawn_local(async move {
        let name = format!(
            "{}-{}.xlsx",
            instrument.settings.form_id, instrument.settings.version
        );
        let result = async {
            let bytes = crate::importer::instrument_xlsx(&instrument.to_json()).await?;
            browser::save_bytes(
                &name,
                &bytes,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        }
        .await;
        if let Err(e) = result {
            app.fail(app.t(Msg::SaveFailed), e);
        }
    });
}

#[component]
pub fn Designs() -> impl IntoView {
    let app = state();
    let list = RwSignal::new(None::<Vec<Entry>>);
    Effect::new(move |_| {
        app.data_rev.get();
        spawn_local(async move {
            let Some(store) = store() else { return };
            match designs::entries(&*store).await {
                Ok(found) => list.set(Some(found)),
                Err(e) => app.fail(app.t(Msg::LoadFailed), e),
            }
        });
    });
    let taken = move || {
        list.get_untracked()
            .unwrap_or_default()
            .iter()
            .map(|e| e.instrument.settings.form_id.clone())
            .collect::<Vec<_>>()
    };
    let create = move |instrument: Instrument| {
        spawn_local(async move {
            let Some(store) = store() else { return };
            match designs::save_draft(&*store, &instrument).await {
                Ok(()) => app.go(Route::Design(instrument.settings.form_id.clone())),
                Err(e) => app.fail(app.t(Msg::SaveFailed), e),
            }
        });
    };
    view! {
        <main id="designs" class="designs" data-ready=move || list.get().is_some().to_string()>
            <div class="row heading-row">
                <h2>{move || app.t(Msg::Design)}</h2>
                <button class="button primary new-instrument"
                    on:click=move |_| create(designer::new_instrument(&taken()))>
                    {move || app.t(Msg::NewInstrument)}
                </button>
            </div>
            <ul class="instruments">
                {move || {
                    let lang = app.lang.get();
                    list.get().unwrap_or_default().into_iter().map(|entry| {
                        let settings = &entry.instrument.settings;
                        let title = settings.title.get(lang.code(), settings.default_language.as_deref())
                            .unwrap_or(&settings.form_id).to_string();
                        let form = settings.form_id.clone();
                        let status = if entry.versions.is_empty() {
                            app.t(Msg::Unpublished).to_string()
                        } else {
                            let versions = entry.versions.iter().map(|v| format!("v{v}")).collect::<Vec<_>>().join(", ");
                            if entry.changed { format!("{versions} · {}", app.t(Msg::Changed)) } else { versions }
                        };
                        let (for_json, for_xlsx, for_copy) =
                            (entry.instrument.clone(), entry.instrument.clone(), entry.instrument.clone());
                        view! {
                            <li class="instrument card" data-form=form.clone()>
                                <h3>{title}</h3>
                                <p class="muted">{format!("{form} · {status}")}</p>
                                <div class="actions">
                                    <a class="button primary edit" href=Route::Design(form.clone()).hash()>
                                        {app.t(Msg::Edit)}
                                    </a>
                                    <button class="button duplicate"
                                        on:click=move |_| create(designer::duplicate(&for_copy, &taken()))>
                                        {app.t(Msg::Duplicate)}
                                    </button>
                                    <button class="button export-json" on:click=move |_| export_json(app, &for_json)>
                                        {app.t(Msg::ExportJson)}
                                    </button>
                                    <button class="button export-xlsx"
                                        on:click=move |_| export_xlsx(app, for_xlsx.clone())>
                                        {app.t(Msg::ExportXlsx)}
                                    </button>
                                </div>
                            </li>
                        }
                    }).collect_view()
                }}
            </ul>
            <super::home::Import/>
            <server::ServerDesigns/>
        </main>
    }
}
