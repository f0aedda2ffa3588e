//! The app: its state, start-up (database, settings, bundled instruments) and the screen the
//! URL fragment names. Views live in `views/`; logic they need lives in plain modules.

use crate::browser;
use crate::i18n::{Lang, Msg};
use crate::route::Route;
use crate::storage::IdbStore;
#[cfg(feature = "analyse")]
use crate::views::analyse::Analyse;
#[cfg(feature = "design")]
use crate::views::design::{Designs, Editor};
use crate::views::interview::{Interview, Opening};
use crate::views::{home::Home, records::Records};
use dala_core::{Host, Instrument, Store};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::cell::RefCell;
use std::rc::Rc;

thread_local! {
    /// The open database. IndexedDB handles are not Send, so they live here rather than in a
    /// signal; views reach it through [`store`].
    static STORE: RefCell<Option<Rc<IdbStore>>> = const { RefCell::new(None) };
}

/// The database, once start-up has opened it.
pub fn store() -> Option<Rc<IdbStore>> {
    STORE.with(|s| s.borrow().clone())
}

/// What every screen shares (arena handles: cheap to copy into closures).
#[derive(Clone, Copy)]
pub struct AppState {
    pub lang: RwSignal<Lang>,
    pub enumerator: RwSignal<String>,
    pub device_id: RwSignal<String>,
    pub route: RwSignal<Route>,
    /// A message for the bar under the header (errors, "saved", "exported").
    pub notice: RwSignal<Option<String>>,
    /// Bumped when stored data changes, so lists and counts reload.
    pub data_rev: RwSignal<u32>,
    /// A new version of the app waits to be applied (see `pwa`).
    pub update_ready: RwSignal<bool>,
    pub persisted: RwSignal<Option<bool>>,
    pub ready: RwSignal<bool>,
    /// The outbox of an enrolled tablet (see `outbox`).
    pub outbox: RwSignal<crate::outbox::OutboxState>,
}

impl AppState {
    pub fn t(&self, msg: Msg) -> &'static str {
        msg.text(self.lang.get())
    }

    /// A new interview's draft is stored: from now on the screen is that record's, so a
    /// reload reopens it. The address changes in place and the screen is not rebuilt (the
    /// enumerator is typing in it).
    pub fn stored_interview(&self, instance_id: &str) {
        if matches!(self.route.get_untracked(), Route::New(..)) {
            let route = Route::Interview(instance_id.to_string());
            browser::replace_location_hash(&route.hash());
            self.route.update_untracked(|r| *r = route);
        }
    }

    pub fn go(&self, route: Route) {
        browser::set_location_hash(&route.hash());
        self.route.set(route);
    }

    pub fn fail(&self, what: &str, error: impl std::fmt::Display) {
        self.notice.set(Some(format!("{what}: {error}")));
    }
}

pub fn state() -> AppState {
    expect_context::<AppState>()
}

/// The two pages of the app: Collect alone (what a tablet opens and downloads), and the whole
/// app with the Design workspace. Switching workspaces loads the other page.
pub const COLLECT_PAGE: &str = "./";
pub const DESIGN_PAGE: &str = "./design.html";

pub const SETTING_ENUMERATOR: &str = "enumerator";
pub const SETTING_DEVICE: &str = "device_id";
pub const SETTING_LANG: &str = "ui_language";

#[component]
pub fn App() -> impl IntoView {
    // Before anything else: an enrolment link's token leaves the address bar at once.
    let link = browser::take_enrolment_link();
    let state = AppState {
        lang: RwSignal::new(Lang::En),
        enumerator: RwSignal::new(String::new()),
        device_id: RwSignal::new(String::new()),
        route: RwSignal::new(Route::parse(&browser::location_hash())),
        notice: RwSignal::new(None),
        data_rev: RwSignal::new(0),
        update_ready: RwSignal::new(false),
        persisted: RwSignal::new(None),
        ready: RwSignal::new(false),
        outbox: RwSignal::new(crate::outbox::OutboxState::default()),
    };
    provide_context(state);
    #[cfg(feature = "server")]
    crate::views::account::Account::provide();
    let _ = window_event_listener(leptos::ev::hashchange, move |_| {
        state.route.set(Route::parse(&browser::location_hash()));
    });
    spawn_local(async move {
        start_up(state).await;
        crate::outbox::start(state, link);
    });
    crate::pwa::register(state);

    let lang_select = move || {
        let current = state.lang.get();
        view! {
            <select class="ui-lang" aria-label=move || state.t(Msg::InterfaceLanguage)
                on:change=move |ev| {
                    if let Some(lang) = Lang::from_code(&event_target_value(&ev)) {
                        state.lang.set(lang);
                        if let Some(store) = store() {
                            spawn_local(async move {
                                let _ = store.set_setting(SETTING_LANG, lang.code()).await;
                            });
                        }
                    }
                }>
                {Lang::ALL.into_iter().map(|l| view! {
                    <option value=l.code() selected=l == current>{l.name()}</option>
                }).collect_view()}
            </select>
        }
    };

    // The screen a route shows. A record opened in Analyse is the same screen (the workspace
    // keeps its filters and tables and shows the record over them): a memo, so the workspace
    // is not built again when only the record changes.
    let screen = Memo::new(move |_| match state.route.get() {
        Route::Analyse(_) | Route::AnalyseRecord(..) => Route::Analyse(String::new()),
        route => route,
    });
    view! {
        <header class="app-bar" data-screen=move || match state.route.get() {
            Route::Interview(_) | Route::New(..) => "interview",
            _ => "other",
        }>
            <a class="app-title" href="#/">"Dala"</a>
            <span class="app-tagline">{move || state.t(Msg::Tagline)}</span>
            <nav class="workspaces">
                <a class=move || workspace_class(state.route.get(), Workspace::Collect) data-workspace="collect"
                    href=format!("{COLLECT_PAGE}{}", Route::Home.hash())>{move || state.t(Msg::Collect)}</a>
                <a class=move || workspace_class(state.route.get(), Workspace::Design) data-workspace="design"
                    href=format!("{DESIGN_PAGE}{}", Route::Designs.hash())>{move || state.t(Msg::Design)}</a>
                <a class=move || workspace_class(state.route.get(), Workspace::Analyse) data-workspace="analyse"
                    href=format!("{DESIGN_PAGE}{}", Route::Analyse(String::new()).hash())>{move || state.t(Msg::Analyse)}</a>
                <a class=move || workspace_class(state.route.get(), Workspace::Manage) data-workspace="manage"
                    href=format!("{DESIGN_PAGE}{}", Route::Manage(0).hash())>{move || state.t(Msg::Manage)}</a>
            </nav>
            <span class="spacer"></span>
            {account_chip()}
            {lang_select}
        </header>
        <Show when=move || state.update_ready.get() && state.route.get() == Route::Home>
            <div class="banner update" role="status">
                <span>{move || state.t(Msg::UpdateReady)}</span>
                <button class="button primary" on:click=move |_| crate::pwa::apply_update()>
                    {move || state.t(Msg::UpdateApply)}
                </button>
            </div>
        </Show>
        {move || state.notice.get().map(|text| view! {
            <div class="banner notice" role="alert">
                <span class="notice-text">{text}</span>
                <button class="button" on:click=move |_| state.notice.set(None)>"×"</button>
            </div>
        })}
        <Show when=move || state.ready.get() fallback=|| view! { <main class="loading">"…"</main> }>
            {move || match screen.get() {
                Route::Home => view! { <Home/> }.into_any(),
                Route::Interview(id) => view! { <Interview opening=Opening::Stored(id)/> }.into_any(),
                Route::New(form_id, version) => view! { <Interview opening=Opening::New { form_id, version }/> }.into_any(),
                Route::Records(form) => view! { <Records form_id=form/> }.into_any(),
                #[cfg(feature = "design")]
                Route::Designs => view! { <Designs/> }.into_any(),
                #[cfg(feature = "design")]
                Route::Design(form) => view! { <Editor form_id=form/> }.into_any(),
                #[cfg(feature = "analyse")]
                // One workspace for every Analyse address: it reads its instrument from the
                // address and follows it in place.
                Route::Analyse(_) => {
                    let form = match state.route.get_untracked() {
                        Route::Analyse(form) | Route::AnalyseRecord(form, _) => form,
                        _ => String::new(),
                    };
                    view! { <Analyse form_id=form/> }.into_any()
                }
                // `screen` shows a record opened in Analyse inside the workspace.
                Route::AnalyseRecord(..) => ().into_any(),
                #[cfg(feature = "server")]
                Route::Manage(project) => view! { <crate::views::manage::Manage project=project/> }.into_any(),
                #[cfg(not(feature = "server"))]
                route @ Route::Manage(_) => {
                    browser::open_page(&format!("{DESIGN_PAGE}{}", route.hash()));
                    view! { <main class="loading">"…"</main> }.into_any()
                }
                // Collect alone (a tablet's app) opens the whole app's page for these.
                #[cfg(not(feature = "design"))]
                route @ (Route::Designs | Route::Design(_)) => {
                    browser::open_page(&format!("{DESIGN_PAGE}{}", route.hash()));
                    view! { <main class="loading">"…"</main> }.into_any()
                }
                #[cfg(not(feature = "analyse"))]
                Route::Analyse(_) => {
                    let route = state.route.get_untracked();
                    browser::open_page(&format!("{DESIGN_PAGE}{}", route.hash()));
                    view! { <main class="loading">"…"</main> }.into_any()
                }
            }}
        </Show>
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Workspace {
    Collect,
    Design,
    Analyse,
    Manage,
}

/// Who is signed in (the whole app only: Collect never signs in).
#[cfg(feature = "server")]
fn account_chip() -> impl IntoView {
    view! { <crate::views::account::AccountChip/> }
}

#[cfg(not(feature = "server"))]
fn account_chip() -> impl IntoView {}

/// The header link's class: the workspace of the screen shown is marked current.
fn workspace_class(route: Route, link: Workspace) -> &'static str {
    let shown = match route {
        Route::Designs | Route::Design(_) => Workspace::Design,
        Route::Analyse(_) | Route::AnalyseRecord(..) => Workspace::Analyse,
        Route::Manage(_) => Workspace::Manage,
        _ => Workspace::Collect,
    };
    if shown == link {
        "workspace current"
    } else {
        "workspace"
    }
}

/// Opens the database, reads the settings, stores the bundled instruments that are new.
async fn start_up(state: AppState) {
    crate::perf::step("opening the database");
    let store = match IdbStore::open().await {
        Ok(store) => Rc::new(store),
        Err(e) => {
            state.fail("IndexedDB", e);
            return;
        }
    };
    STORE.with(|s| *s.borrow_mut() = Some(store.clone()));
    crate::perf::step("reading the settings");
    if let Ok(Some(code)) = store.setting(SETTING_LANG).await
        && let Some(lang) = Lang::from_code(&code)
    {
        state.lang.set(lang);
    }
    if let Ok(Some(name)) = store.setting(SETTING_ENUMERATOR).await {
        state.enumerator.set(name);
    }
    let device = match store.setting(SETTING_DEVICE).await {
        Ok(Some(id)) => id,
        _ => {
            // A device id is made once and kept: bundles from this tablet carry it.
            let id = format!(
                "web-{}",
                crate::host::BrowserHost {
                    device_id: String::new()
                }
                .uuid()
            );
            if let Err(e) = store.set_setting(SETTING_DEVICE, &id).await {
                state.fail(state.t(Msg::SaveFailed), e);
            }
            id
        }
    };
    state.device_id.set(device);
    crate::perf::step("storing the bundled instruments");
    if let Err(e) = load_bundled(&store).await {
        state.fail(state.t(Msg::LoadFailed), e);
    }
    crate::perf::step("started");
    state.ready.set(true);
    state.persisted.set(Some(browser::persist().await));
}

/// The instruments shipped in dist/surveys (listed in its index.json), stored when new.
async fn load_bundled(store: &IdbStore) -> Result<(), String> {
    crate::perf::step("fetching surveys/index.json");
    let index = browser::fetch_text("surveys/index.json").await?;
    let files: Vec<String> =
        serde_json::from_str(&index).map_err(|e| format!("surveys/index.json: {e}"))?;
    for file in files {
        crate::perf::step(&format!("fetching surveys/{file}"));
        let text = browser::fetch_text(&format!("surveys/{file}")).await?;
        crate::perf::step(&format!("storing surveys/{file}"));
        let instrument =
            Instrument::from_json(&text).map_err(|e| format!("surveys/{file}: {e}"))?;
        let known = store
            .get_instrument(&instrument.settings.form_id, &instrument.settings.version)
            .await
            .map_err(|e| e.to_string())?;
        if known.is_none() {
            store
                .put_instrument(&instrument)
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}
