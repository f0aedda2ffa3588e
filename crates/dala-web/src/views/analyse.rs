//! The analyst's workspace: bundles imported with a report, the records as a paged table with
//! filters, the tables of an analysis plan with their charts, and the downloads. The records
//! live in the store; the page holds them as a `Dataset` (answers as columns), loaded and
//! imported a slice at a time with progress shown, so the tab never freezes.

use crate::analysis::{self, BundleReport, Refusal};
use crate::app::{AppState, state, store};
use crate::browser;
use crate::catalog::versions_by_form;
use crate::i18n::{Msg, statistic_name};
use crate::route::Route;
use crate::session::{form_language_for, languages};
use crate::views::interview::{Interview, Opening};
use crate::workflows;
use dala_aggregate::dataset::{Dataset, Filter};
use dala_aggregate::export::{CsvExport, Options, codebook, to_csv};
use dala_aggregate::plan::{Kind, Plan, TableSpec, parse, to_toml};
use dala_aggregate::tidy::{TidyRow, write_csv};
use dala_core::{Instrument, ItemType, Status, Store, Submission};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::{JsCast, JsValue};

/// Lines of a bundle handled between two frames (each slice is one strict transaction).
const SLICE: usize = 2000;

/// Stored records read between two frames (taking each row's text out of the database's
/// value, parsing it and adding it: about 20 ms for 1,000 on a slow core).
const READ_SLICE: usize = 1000;

/// Milliseconds of deflating between frames in the wide export: under the 50 ms after which
/// a tap waits noticeably, and few frames (each costs a few milliseconds of its own).
const ZIP_TASK_MS: f64 = 40.0;

/// The records of a slice of stored rows (a row that does not parse is left out: the store
/// only holds what was parsed when it was written).
fn records_of(rows: &[JsValue]) -> impl Iterator<Item = Submission> + '_ {
    rows.iter()
        .filter_map(crate::storage::record_json)
        .filter_map(|text| serde_json::from_str::<Submission>(&text).ok())
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
    /// A job under way: what it is and how far it is (0-1).
    busy: RwSignal<Option<(String, f64)>>,
    reports: RwSignal<Vec<BundleReport>>,
    filter: RwSignal<Filter>,
    page: RwSignal<usize>,
    plan: RwSignal<Plan>,
    lang: RwSignal<String>,
    rows: Memo<Vec<usize>>,
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
    let data = Dataset::new(instrument);
    instrument
        .walk()
        .into_iter()
        .filter(|(_, item, _)| data.column(&item.name).is_some())
        .map(|(_, item, _)| (item.name.clone(), item.item_type))
        .collect()
}

fn is_number(t: ItemType) -> bool {
    matches!(t, ItemType::Integer | ItemType::Decimal | ItemType::Range)
}

fn file_list(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    list.map(|list| (0..list.length()).filter_map(|i| list.get(i)).collect())
        .unwrap_or_default()
}

/// Loads the instrument's newest version and every stored record of it into the dataset.
async fn load(an: An, form_id: String) {
    let result: Result<(), String> = async {
        let store = store().ok_or("no database")?;
        let keys = store.list_instruments().await.map_err(|e| e.to_string())?;
        let forms = versions_by_form(keys);
        let form_id = if form_id.is_empty() {
            match forms.first() {
                Some((form, _)) => form.clone(),
                None => return Ok(()),
            }
        } else {
            form_id
        };
        let version = forms
            .iter()
            .find(|(f, _)| *f == form_id)
            .and_then(|(_, versions)| versions.first().cloned())
            .ok_or_else(|| format!("{form_id}: {}", an.app.t(Msg::NotOnDevice)))?;
        let instrument = store
            .get_instrument(&form_id, &version)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the instrument is not on this device")?;
        // The form's language follows the interface's at first, as in Collect.
        an.lang.set(form_language_for(
            &instrument,
            an.app.lang.get_untracked().code(),
        ));
        an.data.set_value(Dataset::new(&instrument));
        an.instrument.set_value(Some(instrument));
        an.form.set(form_id.clone());
        // The analyst's tables of this instrument, as they were left.
        let plan = store
            .setting(&plan_key(&form_id))
            .await
            .ok()
            .flatten()
            .and_then(|json| serde_json::from_str::<Plan>(&json).ok())
            .unwrap_or_default();
        an.plan.set(plan);
        an.rev.update(|n| *n += 1);
        let rows = store
            .record_rows(&form_id)
            .await
            .map_err(|e| e.to_string())?;
        let what = an.app.t(Msg::LoadingRecords).to_string();
        for (i, slice) in rows.chunks(READ_SLICE).enumerate() {
            an.busy.set(Some((
                what.clone(),
                (i * READ_SLICE) as f64 / rows.len() as f64,
            )));
            browser::next_task().await;
            an.data.update_value(|data| {
                for record in records_of(slice) {
                    data.push(&record);
                }
            });
        }
        an.busy.set(None);
        an.rev.update(|n| *n += 1);
        crate::perf::mark("__dalaRecordsLoaded");
        Ok(())
    }
    .await;
    an.busy.set(None);
    // Loaded, or nothing to load: the workspace is ready either way (a failure is in the
    // notice bar).
    // (`try_`: the analyst may have left the workspace while it loaded.)
    if an.rev.try_get_untracked().is_some_and(|rev| rev < 2) {
        an.rev.set(2);
    }
    if let Err(e) = result {
        an.app.fail(an.app.t(Msg::LoadFailed), e);
    }
}

/// Where the analyst's tables of an instrument are kept on the device.
fn plan_key(form_id: &str) -> String {
    format!("analyse-plan:{form_id}")
}

/// Keeps the tables as the analyst changes them, so a reload finds them again.
fn keep_plan(an: An) {
    Effect::new(move |first: Option<()>| {
        let plan = an.plan.get();
        let form = an.form.get_untracked();
        // Not the empty plan the workspace starts with, before the stored one is read.
        if first.is_none() || form.is_empty() {
            return;
        }
        let Some(store) = store() else { return };
        let json = serde_json::to_string(&plan).unwrap_or_default();
        spawn_local(async move {
            let _ = store.set_setting(&plan_key(&form), &json).await;
        });
    });
}

/// What the import shows between slices: the progress bar, and each stored slice in the data
/// view if it is still on screen and on this instrument.
struct ImportScreen<'w> {
    an: An,
    what: &'w str,
    push_ms: f64,
}

impl workflows::ImportPage for ImportScreen<'_> {
    async fn between(&mut self, name: &str, progress: f64) {
        self.an
            .busy
            .set(Some((format!("{} {name}", self.what), progress)));
        browser::next_task().await;
    }

    fn stored(&mut self, form_id: &str, records: &[(dala_core::Submission, String)]) {
        // `try_`: the analyst may have left while the import went on.
        if self
            .an
            .form
            .try_get_untracked()
            .is_some_and(|form| form == form_id)
        {
            let t = crate::perf::now_ms();
            self.an.data.update_value(|data| {
                for (record, _) in records {
                    data.push(record);
                }
            });
            self.push_ms += crate::perf::now_ms() - t;
        }
    }

    fn now_ms(&self) -> f64 {
        crate::perf::now_ms()
    }
}

/// Imports bundle files one after another (the workflow: each a slice at a time, every slice
/// one strict transaction, so what was stored stays stored whatever happens to the next).
async fn import(an: An, files: Vec<web_sys::File>) {
    let Some(store) = store() else { return };
    let start = crate::perf::now_ms();
    let (mut parse_ms, mut push_ms) = (0.0, 0.0);
    let known: Vec<String> = store
        .list_instruments()
        .await
        .map(|keys| keys.into_iter().map(|(form, _)| form).collect())
        .unwrap_or_default();
    let what = an.app.t(Msg::Importing).to_string();
    let mut reports = Vec::new();
    for file in files {
        let name = file.name();
        // Bytes, not text: a line that is not UTF-8 is reported by its number, the rest kept.
        let bytes = match browser::read_bytes(&file).await {
            Ok(bytes) => bytes,
            Err(e) => {
                reports.push(BundleReport {
                    name,
                    refused: Some(Refusal::Failed(e)),
                    ..BundleReport::default()
                });
                continue;
            }
        };
        let mut page = ImportScreen {
            an,
            what: &what,
            push_ms: 0.0,
        };
        let (report, parse) =
            workflows::import_bundle(&*store, &name, bytes, &known, SLICE, &mut page).await;
        parse_ms += parse;
        push_ms += page.push_ms;
        reports.push(report);
    }
    crate::perf::imported(
        start,
        crate::perf::now_ms(),
        reports.iter().map(|r| r.added).sum(),
        parse_ms,
        push_ms,
    );
    an.busy.set(None);
    // Records of another instrument only: the workspace goes to it rather than stay on an
    // instrument with nothing new to show.
    let current = an.form.get_untracked();
    let mut added: Vec<(usize, String)> = reports
        .iter()
        .filter(|r| r.added > 0)
        .map(|r| (r.added, r.form_id.clone()))
        .collect();
    added.sort();
    let switch = (!added.iter().any(|(_, form)| *form == current))
        .then(|| added.last().map(|(_, form)| form.clone()))
        .flatten();
    an.reports.set(reports);
    an.rev.update(|n| *n += 1);
    an.app.data_rev.update(|n| *n += 1);
    if let Some(form) = switch {
        an.app.go(Route::Analyse(form));
    }
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
        busy: RwSignal::new(None),
        reports: RwSignal::new(Vec::new()),
        filter,
        page: RwSignal::new(0),
        plan: RwSignal::new(Plan::default()),
        lang: RwSignal::new(String::new()),
        rows,
    };
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
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let files = file_list(input.files());
        input.set_value("");
        spawn_local(import(an, files));
    };
    // Bundles dropped anywhere on the workspace are imported like picked ones.
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        let files = file_list(ev.data_transfer().and_then(|d| d.files()));
        if !files.is_empty() {
            spawn_local(import(an, files));
        }
    };

    view! {
        <main id="analyse" class="analyse"
            on:dragover=|ev: leptos::ev::DragEvent| ev.prevent_default()
            on:drop=on_drop
            data-ready=move || (an.rev.get() > 1 && an.busy.get().is_none()).to_string()
            data-records=move || { an.rev.get(); an.data.with_value(Dataset::len).to_string() }>
            {move || opened.get().map(|id| view! {
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
                        an.instrument.with_value(|i| i.as_ref().map(languages)).unwrap_or_default()
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
            <ImportReport an=an/>
            <Filters an=an/>
            <DataTable an=an/>
            <Tables an=an/>
            <Downloads an=an/>
            </div>
        </main>
    }
}

#[component]
fn ImportReport(an: An) -> impl IntoView {
    let app = an.app;
    view! {
        <Show when=move || !an.reports.get().is_empty()>
            <section class="card import-report">
                <table>
                    <thead><tr>
                        <th>{app.t(Msg::File)}</th><th>{app.t(Msg::Instrument)}</th>
                        <th>{app.t(Msg::Added)}</th><th>{app.t(Msg::Duplicates)}</th>
                        <th>{app.t(Msg::DraftsLeftOut)}</th><th>{app.t(Msg::BadLines)}</th>
                    </tr></thead>
                    <tbody>
                        {move || an.reports.get().into_iter().map(|r| {
                            let lang = app.lang.get_untracked();
                            let problems: Vec<(&'static str, String)> = r.refused.iter()
                                .map(|why| (why.code(), crate::problems::refusal(lang, why)))
                                .chain(r.bad_lines.iter().map(|(line, why)| (why.code(), format!("{}:{line}: {}", r.name, crate::problems::line_problem(lang, why)))))
                                .collect();
                            view! {
                                <tr class="bundle" data-name=r.name.clone()>
                                    <td>{r.name.clone()}</td>
                                    <td>{format!("{} {}", r.form_id, r.version)}</td>
                                    <td class="added">{r.added}</td>
                                    <td class="duplicates">{r.duplicates}</td>
                                    <td class="drafts">{r.drafts}</td>
                                    <td class="bad">{r.bad_lines.len()}</td>
                                </tr>
                                {(!problems.is_empty()).then(|| view! {
                                    <tr class="bundle-problems"><td colspan="6">
                                        <ul>{problems.into_iter().map(|(code, p)| view! { <li data-code=code>{p}</li> }).collect_view()}</ul>
                                    </td></tr>
                                })}
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
        </Show>
    }
}

#[component]
fn Filters(an: An) -> impl IntoView {
    let app = an.app;
    let set = move |f: &dyn Fn(&mut Filter)| {
        an.filter.update(|filter| f(filter));
        an.page.set(0);
    };
    let selects = move || {
        an.rev.get();
        an.instrument
            .with_value(|i| {
                i.as_ref().map(|i| {
                    questions(i)
                        .into_iter()
                        .filter(|(_, t)| *t == ItemType::SelectOne)
                        .map(|(name, _)| {
                            let codes = crate::analysis::codes(i, &name);
                            (name, codes)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .unwrap_or_default()
    };
    view! {
        <section class="card filters">
            <h3>{app.t(Msg::Filters)}</h3>
            <div class="filter-grid">
                <label>{app.t(Msg::Status)}
                    <select class="filter-status" on:change=move |ev| {
                        let status = match event_target_value(&ev).as_str() {
                            "finalized" => Some(Status::Finalized),
                            "draft" => Some(Status::Draft),
                            _ => None,
                        };
                        set(&|f| f.status = status);
                    }>
                        <option value="finalized" selected>{app.t(Msg::FinalizedOne)}</option>
                        <option value="draft">{app.t(Msg::Draft)}</option>
                        <option value="">{app.t(Msg::Any)}</option>
                    </select>
                </label>
                <label>{app.t(Msg::Enumerator)}
                    <select class="filter-enumerator" on:change=move |ev| {
                        let name = event_target_value(&ev);
                        set(&|f| f.enumerator = (!name.is_empty()).then(|| name.clone()));
                    }>
                        <option value="">{app.t(Msg::Any)}</option>
                        {move || {
                            an.rev.get();
                            an.data.with_value(|d| d.enumerators().into_iter().map(String::from).collect::<Vec<_>>())
                                .into_iter().map(|e| view! { <option value=e.clone()>{e.clone()}</option> }).collect_view()
                        }}
                    </select>
                </label>
                <label>{app.t(Msg::From)}
                    <input type="date" class="filter-from" on:change=move |ev| {
                        let day = event_target_value(&ev);
                        set(&|f| f.from = (!day.is_empty()).then(|| day.clone()));
                    }/>
                </label>
                <label>{app.t(Msg::To)}
                    <input type="date" class="filter-to" on:change=move |ev| {
                        let day = event_target_value(&ev);
                        set(&|f| f.to = (!day.is_empty()).then(|| day.clone()));
                    }/>
                </label>
                {move || selects().into_iter().map(|(name, codes)| {
                    let question = name.clone();
                    view! {
                        <label>{an.label(&name, "")}
                            <select class="filter-answer" data-name=name.clone() on:change=move |ev| {
                                let code = event_target_value(&ev);
                                let question = question.clone();
                                set(&|f| {
                                    f.answers.retain(|(q, _)| *q != question);
                                    if !code.is_empty() {
                                        f.answers.push((question.clone(), code.clone()));
                                    }
                                });
                            }>
                                <option value="">{app.t(Msg::Any)}</option>
                                {codes.into_iter().map(|c| view! {
                                    <option value=c.clone()>{an.label(&name, &c)}</option>
                                }).collect_view()}
                            </select>
                        </label>
                    }
                }).collect_view()}
            </div>
        </section>
    }
}

#[component]
fn DataTable(an: An) -> impl IntoView {
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
                                {headers.into_iter().map(|(label, name)| view! { <th title=name.clone() data-name=name>{label}</th> }).collect_view()}
                            </tr></thead>
                            <tbody>
                                {lines.into_iter().map(|(id, status, (enumerator, started), cells)| view! {
                                    <tr class="record-row" data-id=id.clone()>
                                        <td><a class="open" href=Route::AnalyseRecord(an.form.get_untracked(), id.clone()).hash()>{app.t(Msg::Open)}</a></td>
                                        <td>{match status { Some(Status::Draft) => app.t(Msg::Draft), _ => app.t(Msg::FinalizedOne) }}</td>
                                        <td>{enumerator}</td>
                                        <td>{started}</td>
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

/// The plan shipped with a bundled instrument (surveys/plans/<form id>.toml), if any.
async fn bundled_plan(form_id: &str, lang: crate::i18n::Lang) -> Result<Option<Plan>, String> {
    match browser::fetch_text(&format!("surveys/plans/{form_id}.toml")).await {
        Ok(text) => parse(&text)
            .map(Some)
            .map_err(|e| crate::problems::plan_error(lang, &e)),
        Err(_) => Ok(None),
    }
}

#[component]
fn Tables(an: An) -> impl IntoView {
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

fn table_card(an: An, index: usize, spec: &TableSpec, rows: &[TidyRow], lang: &str) -> AnyView {
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

/// Picks a table from the instrument's questions.
#[component]
fn TableBuilder(an: An) -> impl IntoView {
    let app = an.app;
    let kind = RwSignal::new(Kind::Frequency);
    let variable = RwSignal::new(String::new());
    let second = RwSignal::new(String::new());
    let by = RwSignal::new(String::new());
    let weight = RwSignal::new(String::new());
    let pair = RwSignal::new(String::new());
    let category = RwSignal::new(String::new());
    let listed = move || {
        an.rev.get();
        an.instrument
            .with_value(|i| i.as_ref().map(questions))
            .unwrap_or_default()
    };
    let options = move |want: &dyn Fn(ItemType) -> bool, none: bool| {
        let mut out: Vec<(String, String)> = Vec::new();
        if none {
            out.push((String::new(), app.t(Msg::None).to_string()));
        }
        for (name, t) in listed() {
            if want(t) {
                out.push((name.clone(), format!("{name} · {}", an.label(&name, ""))));
            }
        }
        out.into_iter()
            .map(|(value, text)| view! { <option value=value>{text}</option> })
            .collect_view()
    };
    let add = move |_| {
        let Some(spec) = an.instrument.with_value(|i| {
            i.as_ref().and_then(|i| {
                analysis::table_spec(
                    i,
                    kind.get_untracked(),
                    &variable.get_untracked(),
                    &second.get_untracked(),
                    &by.get_untracked(),
                    &weight.get_untracked(),
                    &pair.get_untracked(),
                    &category.get_untracked(),
                )
            })
        }) else {
            return;
        };
        an.plan.update(|p| {
            if !p.table.iter().any(|t| t.id == spec.id) {
                p.table.push(spec);
            }
        });
    };
    let select =
        |signal: RwSignal<String>| move |ev: leptos::ev::Event| signal.set(event_target_value(&ev));
    view! {
        <div class="table-builder row">
            <label>{app.t(Msg::Kind)}
                <select class="builder-kind" on:change=move |ev| {
                    kind.set(match event_target_value(&ev).as_str() {
                        "summary" => Kind::Summary,
                        "crosstab" => Kind::Crosstab,
                        "prepost" => Kind::Prepost,
                        _ => Kind::Frequency,
                    });
                    variable.set(String::new());
                    second.set(String::new());
                    category.set(String::new());
                }>
                    <option value="frequency">{app.t(Msg::Frequency)}</option>
                    <option value="summary">{app.t(Msg::Summary)}</option>
                    <option value="crosstab">{app.t(Msg::Crosstab)}</option>
                    <option value="prepost">{app.t(Msg::PrePost)}</option>
                </select>
            </label>
            {move || {
                let k = kind.get();
                let numbers = matches!(k, Kind::Summary | Kind::Prepost);
                view! {
                    <label>{app.t(Msg::Question)}
                        <select class="builder-variable" on:change=move |ev| { variable.set(event_target_value(&ev)); category.set(String::new()); }>
                            {options(&move |t| if numbers { is_number(t) } else { matches!(t, ItemType::SelectOne | ItemType::SelectMultiple) }, true)}
                        </select>
                    </label>
                    {(k == Kind::Frequency).then(|| view! {
                        <label>{app.t(Msg::CategoryOfInterest)}
                            <select class="builder-category" on:change=select(category)>
                                {move || {
                                    let question = variable.get();
                                    let codes = an.instrument.with_value(|i| i.as_ref().map(|i| analysis::codes(i, &question))).unwrap_or_default();
                                    std::iter::once((String::new(), app.t(Msg::None).to_string()))
                                        .chain(codes.into_iter().map(|c| { let l = an.label(&question, &c); (c, l) }))
                                        .map(|(value, text)| view! { <option value=value>{text}</option> })
                                        .collect_view()
                                }}
                            </select>
                        </label>
                    })}
                    {matches!(k, Kind::Crosstab | Kind::Prepost).then(|| view! {
                        <label>{if k == Kind::Crosstab { app.t(Msg::Columns) } else { app.t(Msg::Wave) }}
                            <select class="builder-second" on:change=select(second)>
                                {options(&|t| t == ItemType::SelectOne, true)}
                            </select>
                        </label>
                    })}
                    {(k == Kind::Prepost).then(|| view! {
                        <label>{app.t(Msg::PairBy)}
                            <select class="builder-pair" on:change=select(pair)>
                                {options(&|t| !matches!(t, ItemType::SelectMultiple), true)}
                            </select>
                        </label>
                    })}
                }
            }}
            <label>{app.t(Msg::By)}
                <select class="builder-by" on:change=select(by)>
                    {move || options(&|t| t == ItemType::SelectOne, true)}
                </select>
            </label>
            {move || (kind.get() != Kind::Prepost).then(|| view! {
                <label>{app.t(Msg::Weight)}
                    <select class="builder-weight" on:change=select(weight)>
                        {options(&is_number, true)}
                    </select>
                </label>
            })}
            <button class="button primary add-table" on:click=add>{app.t(Msg::AddTable)}</button>
        </div>
    }
}

#[component]
fn Downloads(an: An) -> impl IntoView {
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
                let what = app.t(Msg::WideCsv).to_string();
                an.busy.set(Some((what.clone(), 0.0)));
                browser::next_task().await;
                let rows = store
                    .record_rows(&form_id)
                    .await
                    .map_err(|e| e.to_string())?;
                // A slice of records between frames, like the import.
                let options = Options::default();
                let mut export = CsvExport::new(&instrument, &options);
                for (i, slice) in rows.chunks(READ_SLICE).enumerate() {
                    an.busy.set(Some((
                        what.clone(),
                        0.9 * (i * READ_SLICE) as f64 / rows.len() as f64,
                    )));
                    browser::next_task().await;
                    for record in records_of(slice) {
                        if keep.contains(&record.instance_id) {
                            export.add(&record);
                        }
                    }
                }
                // Deflating too, tens of megabytes for 100,000 records: steps for
                // ZIP_TASK_MS, then a frame.
                let mut zip = analysis::ZipSlices::new(export.finish());
                let mut share = 0.0;
                'zip: loop {
                    an.busy.set(Some((what.clone(), 0.9 + 0.1 * share)));
                    browser::next_task().await;
                    let start = crate::perf::now_ms();
                    while crate::perf::now_ms() - start < ZIP_TASK_MS {
                        match zip.step()? {
                            Some(done) => share = done,
                            None => break 'zip,
                        }
                    }
                }
                let bytes = zip.finish()?;
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
