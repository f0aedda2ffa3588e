//! The analyst's workspace: bundles imported with a report, the records as a paged table with
//! filters, the tables of an analysis plan with their charts, and the downloads. The records
//! live in the store; the page holds them as a `Dataset` (answers as columns), loaded and
//! imported a slice at a time with progress shown, so the tab never freezes.

use crate::analysis::{self, BundleReport};
use crate::app::{AppState, state, store};
use crate::browser;
use crate::catalog::versions_by_form;
use crate::i18n::{Msg, statistic_name};
use crate::route::Route;
use crate::session::form_language_for;
use crate::views::interview::{Interview, Opening};
use crate::workflows;
use dala_aggregate::dataset::{Dataset, Filter};
use dala_aggregate::export::{codebook, to_csv};
use dala_aggregate::plan::{Kind, Plan, TableSpec, parse, to_toml};
use dala_aggregate::tidy::{TidyRow, write_csv};
use dala_core::{Instrument, ItemType, Status, Store};
use leptos::prelude::*;
use leptos::task::spawn_local;

mod builder;
mod data_table;
mod downloads;
mod filters;
mod import;
mod load;
mod report;
mod server;
mod tables;

use builder::TableBuilder;
use data_table::DataTable;
use downloads::Downloads;
use filters::Filters;
use import::import;
use load::{keep_plan, load};
use report::ImportReport;
use server::{RecordReview, ServerRecords};
use tables::Tables;

/// Lines of a bundle handled between two frames (each slice is one strict transaction).
const SLICE: usize = 2000;

/// Stored records read between two frames (taking each row's text out of the database's
/// value, parsing it and adding it: about 20 ms for 1,000 on a slow core).
const READ_SLICE: usize = 1000;

/// Milliseconds of deflating between frames in the wide export: under the 50 ms after which
/// a tap waits noticeably, and few frames (each costs a few milliseconds of its own).
const ZIP_TASK_MS: f64 = 40.0;

/// How far the workspace is in loading what is on the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Loaded {
    /// The instrument and its records are being read.
    Loading,
    /// Read (or there was nothing to read, or it failed and said so): the workspace is ready.
    Ready,
}

/// What the workspace's parts share.
#[derive(Clone, Copy)]
struct An {
    app: AppState,
    form: RwSignal<String>,
    instrument: StoredValue<Option<Instrument>>,
    data: StoredValue<Dataset>,
    /// Bumped when the instrument or the dataset changes.
    rev: RwSignal<u32>,
    /// Whether the workspace has loaded what is on the device (its first load done).
    loaded: RwSignal<Loaded>,
    /// A job under way: what it is and how far it is (0-1).
    busy: RwSignal<Option<(String, f64)>>,
    reports: RwSignal<Vec<BundleReport>>,
    filter: RwSignal<Filter>,
    page: RwSignal<usize>,
    plan: RwSignal<Plan>,
    lang: RwSignal<String>,
    rows: Memo<Vec<usize>>,
    /// The server project the analyst loads records from, if any.
    server: RwSignal<Option<i64>>,
    /// The review state of each record loaded from the server, by instance id.
    reviews: RwSignal<std::collections::BTreeMap<String, String>>,
}

impl An {
    fn with<R>(&self, f: impl FnOnce(&Instrument, &Dataset) -> R) -> Option<R> {
        self.instrument.with_value(|instrument| {
            let instrument = instrument.as_ref()?;
            Some(self.data.with_value(|data| f(instrument, data)))
        })
    }

    /// A code's label in the form language; the whole sample ("") in the interface's.
    fn label(&self, question: &str, code: &str) -> String {
        if question.is_empty() {
            return self.app.t(Msg::All).to_string();
        }
        let lang = self.lang.get_untracked();
        self.instrument
            .with_value(|i| {
                i.as_ref()
                    .map(|i| analysis::label(i, &lang, question, code))
            })
            .unwrap_or_else(|| code.to_string())
    }
}

/// Questions of the instrument with an answer per record (top level), with their type.
fn questions(instrument: &Instrument) -> Vec<(String, ItemType)> {
    dala_core::Index::new(instrument)
        .top_answers()
        .map(|e| (e.key.clone(), e.item.item_type))
        .collect()
}

fn is_number(t: ItemType) -> bool {
    matches!(t, ItemType::Integer | ItemType::Decimal | ItemType::Range)
}

/// Puts another instrument in the workspace, in place: the import's report stays on screen;
/// filters and the page start afresh (they are the other instrument's questions).
fn switch_to(an: An, form: String) {
    an.filter.set(Filter {
        status: Some(Status::Finalized),
        ..Filter::default()
    });
    an.page.set(0);
    // Busy from here: the workspace is not ready until the instrument's records are in.
    an.busy
        .set(Some((an.app.t(Msg::LoadingRecords).to_string(), 0.0)));
    spawn_local(load(an, form));
}

#[component]
pub fn Analyse(form_id: String) -> impl IntoView {
    let app = state();
    let rev = RwSignal::new(0u32);
    let data = StoredValue::new(Dataset::default());
    let filter = RwSignal::new(Filter {
        status: Some(Status::Finalized),
        ..Filter::default()
    });
    let rows = Memo::new(move |_| {
        rev.track();
        let filter = filter.get();
        data.with_value(|d| d.select(&filter))
    });
    let an = An {
        app,
        form: RwSignal::new(String::new()),
        instrument: StoredValue::new(None),
        data,
        rev,
        loaded: RwSignal::new(Loaded::Loading),
        busy: RwSignal::new(None),
        reports: RwSignal::new(Vec::new()),
        filter,
        page: RwSignal::new(0),
        plan: RwSignal::new(Plan::default()),
        lang: RwSignal::new(String::new()),
        rows,
        server: RwSignal::new(None),
        reviews: RwSignal::new(Default::default()),
    };
    spawn_local(server::read_reviews(an));
    // (form id, title) of every instrument on the device, for the picker.
    let forms = RwSignal::new(Vec::<(String, String)>::new());
    spawn_local(async move {
        let Some(store) = store() else { return };
        let Ok(keys) = store.list_instruments().await else {
            return;
        };
        let lang = app.lang.get_untracked();
        let mut found = Vec::new();
        for (form, versions) in versions_by_form(keys) {
            let title = match versions.first() {
                Some(version) => store.get_instrument(&form, version).await.ok().flatten(),
                None => None,
            }
            .and_then(|i| {
                let settings = &i.settings;
                settings
                    .title
                    .get(lang.code(), settings.default_language.as_deref())
                    .map(String::from)
            })
            .unwrap_or_else(|| form.clone());
            found.push((form, title));
        }
        forms.set(found);
    });
    spawn_local(load(an, form_id));
    keep_plan(an);
    // The workspace stays on screen while its address changes: another instrument picked (or
    // gone to after an import) is loaded in place.
    Effect::new(move |first: Option<()>| {
        let Route::Analyse(form) = app.route.get() else {
            return;
        };
        if first.is_some() && !form.is_empty() && form != an.form.get_untracked() {
            switch_to(an, form);
        }
    });
    // A record opened from the data view: shown here, over the workspace, which keeps its
    // filters, page and tables for when the analyst comes back.
    let opened = Memo::new(move |_| match app.route.get() {
        Route::AnalyseRecord(_, id) => Some(id),
        _ => None,
    });

    let on_files = move |ev: leptos::ev::Event| {
        spawn_local(import(an, browser::take_picked(&ev)));
    };
    // Bundles dropped anywhere on the workspace are imported like picked ones.
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        let files = browser::files_of(ev.data_transfer().and_then(|d| d.files()));
        if !files.is_empty() {
            spawn_local(import(an, files));
        }
    };

    view! {
        <main id="analyse" class="analyse"
            on:dragover=|ev: leptos::ev::DragEvent| ev.prevent_default()
            on:drop=on_drop
            data-ready=move || (an.loaded.get() == Loaded::Ready && an.busy.get().is_none()).to_string()
            data-records=move || { an.rev.get(); an.data.with_value(Dataset::len).to_string() }>
            {move || opened.get().map(|id| view! {
                <RecordReview an=an instance_id=id.clone()/>
                <Interview opening=Opening::Stored(id) back=Route::Analyse(an.form.get_untracked())/>
            })}
            <div class="workspace-body" hidden=move || opened.get().is_some()>
            <div class="row heading-row">
                <h2>{move || app.t(Msg::Analyse)}</h2>
                <select class="analyse-form" aria-label=move || app.t(Msg::Instruments)
                    on:change=move |ev| app.go(Route::Analyse(event_target_value(&ev)))>
                    {move || forms.get().into_iter().map(|(f, title)| {
                        let selected = f == an.form.get();
                        view! { <option value=f.clone() prop:selected=selected>{title}</option> }
                    }).collect_view()}
                </select>
                <select class="analyse-lang" aria-label=move || app.t(Msg::FormLanguage)
                    on:change=move |ev| an.lang.set(event_target_value(&ev))>
                    {move || {
                        an.rev.get();
                        let current = an.lang.get();
                        an.instrument.with_value(|i| i.as_ref().map(Instrument::languages)).unwrap_or_default()
                            .into_iter().map(|l| {
                                let selected = l == current;
                                view! { <option value=l.clone() prop:selected=selected>{crate::i18n::language_name(&l)}</option> }
                            }).collect_view()
                    }}
                </select>
                <label class="import button primary">
                    {move || app.t(Msg::ImportBundles)}
                    <input type="file" multiple accept=".jsonl,.json,.txt" class="visually-hidden bundles" on:change=on_files/>
                </label>
            </div>
            <p class="muted drop-hint">{move || app.t(Msg::DropBundles)}</p>
            {move || an.busy.get().map(|(what, done)| view! {
                <div class="progress-line" role="status">
                    <span>{what}</span>
                    <progress max="1" value=done></progress>
                </div>
            })}
            <ServerRecords an=an/>
            <ImportReport an=an/>
            <Filters an=an/>
            <DataTable an=an/>
            <Tables an=an/>
            <Downloads an=an/>
            </div>
        </main>
    }
}
