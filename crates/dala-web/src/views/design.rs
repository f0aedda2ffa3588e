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
use dala_core::{Column, Diagnostic, Engine, Form, Instrument, Item, ItemType, Store, Text};
use leptos::prelude::*;
use leptos::task::spawn_local;

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
        </main>
    }
}

/// What the editor's parts share.
#[derive(Clone, Copy)]
struct Ed {
    app: AppState,
    design: StoredValue<Option<Design>>,
    /// Bumped after every edit, undo and redo.
    rev: RwSignal<u32>,
    /// Bumped by the edits that change what the item panel shows other than the text being
    /// typed: the panel is redrawn then, and not on each keystroke (which would lose focus).
    panel_rev: RwSignal<u32>,
    selected: RwSignal<Option<ItemPath>>,
    /// The form's settings are in the panel instead of the selected question's columns.
    settings_open: RwSignal<bool>,
    /// The language texts are shown in (outline, preview).
    lang: RwSignal<String>,
    /// The newest published version, which publishing compares against.
    published: StoredValue<Option<Instrument>>,
    check: RwSignal<Option<PublishCheck>>,
    /// Every problem of the instrument as it stands, worked out once per edit.
    diagnostics: Memo<Vec<Diagnostic>>,
    /// The languages texts are edited in, worked out once per edit.
    languages: Memo<Vec<String>>,
    /// A removal waiting for confirmation, with what it would break.
    removing: RwSignal<Option<(ItemPath, Vec<String>)>>,
}

impl Ed {
    fn with<T>(&self, f: impl FnOnce(&Design) -> T) -> Option<T> {
        self.design.with_value(|d| d.as_ref().map(f))
    }

    /// Runs an edit; a refused one says why and changes nothing. Every change is stored.
    fn edit<T>(&self, f: impl FnOnce(&mut Design) -> Result<T, EditError>) -> Option<T> {
        let value = self.typed(f)?;
        self.panel_rev.update(|n| *n += 1);
        Some(value)
    }

    /// [`Ed::edit`] for a keystroke in a column: the panel (and the input) stay as they are.
    fn typed<T>(&self, f: impl FnOnce(&mut Design) -> Result<T, EditError>) -> Option<T> {
        let result = self
            .design
            .try_update_value(|d| d.as_mut().map(f))
            .flatten()?;
        match result {
            Ok(value) => {
                self.changed();
                Some(value)
            }
            Err(e) => {
                let lang = self.app.lang.get_untracked();
                self.app
                    .notice
                    .set(Some(crate::problems::edit_error(lang, &e)));
                None
            }
        }
    }

    fn changed(&self) {
        self.rev.update(|n| *n += 1);
        self.check.set(None);
        let Some(state) = self.with(Design::state) else {
            return;
        };
        let app = self.app;
        spawn_local(async move {
            let Some(store) = store() else { return };
            let saved = match designs::save_draft(&*store, &state.instrument).await {
                Ok(()) => designs::save_history(&*store, &state).await,
                Err(e) => Err(e),
            };
            if let Err(e) = saved {
                app.fail(app.t(Msg::SaveFailed), e);
            }
        });
    }

    /// Undoes (or redoes) the last edit; the whole editor redraws.
    fn history(&self, undo: bool) {
        let done = self
            .design
            .try_update_value(|d| d.as_mut().map(|d| if undo { d.undo() } else { d.redo() }));
        if done.flatten() == Some(true) {
            self.changed();
            self.panel_rev.update(|n| *n += 1);
        }
    }

    /// Selects an item: its columns in the panel, which is brought into view when it is off
    /// the screen (on a phone the panel sits below the outline).
    fn select(&self, at: ItemPath) {
        self.settings_open.set(false);
        self.selected.set(Some(at));
        browser::later(|| browser::bring_into_view(".editor .panel"));
    }

    /// Selects the item named `name`, if there is one (a problem's link).
    fn select_named(&self, name: &str) {
        if let Some(at) = self
            .with(|d| designer::find(d.instrument(), name))
            .flatten()
        {
            self.select(at);
        }
    }

    fn selected_item(&self) -> Option<(ItemPath, Item)> {
        let at = self.selected.get()?;
        self.panel_rev.get();
        let item = self.with(|d| d.item(&at).cloned()).flatten()?;
        Some((at, item))
    }

    /// Adds a new question (or group) after the selected one, or at the end.
    fn add(&self, item_type: ItemType) {
        let Some(item) = self.with(|d| designer::new_item(d.instrument(), item_type)) else {
            return;
        };
        let empty_container = self
            .selected
            .get_untracked()
            .and_then(|at| {
                self.with(|d| {
                    d.item(&at)
                        .map(|i| i.item_type.is_container() && i.children.is_empty())
                })
            })
            .flatten()
            .unwrap_or(false);
        let (parent, index) = match self.selected.get_untracked() {
            // An empty group or repeat takes the new question in.
            Some(at) if empty_container => (at, 0),
            Some(at) => {
                let (index, parent) = at
                    .split_last()
                    .map_or((0, Vec::new()), |(i, p)| (*i, p.to_vec()));
                (parent, index + 1)
            }
            None => (
                Vec::new(),
                self.with(|d| d.instrument().survey.len()).unwrap_or(0),
            ),
        };
        let mut at = parent.clone();
        at.push(index);
        let edit = Edit::Insert {
            parent,
            index,
            item: Box::new(item),
        };
        if self.edit(|d| d.apply(edit)).is_some() {
            self.selected.set(Some(at));
        }
    }
}

#[component]
pub fn Editor(form_id: String) -> impl IntoView {
    let app = state();
    let design: StoredValue<Option<Design>> = StoredValue::new(None);
    let rev = RwSignal::new(0);
    let diagnostics = Memo::new(move |_| {
        rev.track();
        design.with_value(|d| d.as_ref().map(Design::diagnostics).unwrap_or_default())
    });
    let languages = Memo::new(move |_| {
        rev.track();
        design.with_value(|d| {
            d.as_ref()
                .map(|d| edit_languages(d.instrument()))
                .unwrap_or_default()
        })
    });
    let ed = Ed {
        app,
        design,
        rev,
        diagnostics,
        languages,
        panel_rev: RwSignal::new(0),
        selected: RwSignal::new(None),
        settings_open: RwSignal::new(false),
        lang: RwSignal::new(String::new()),
        published: StoredValue::new(None),
        check: RwSignal::new(None),
        removing: RwSignal::new(None),
    };
    let loaded = RwSignal::new(false);
    let form = form_id.clone();
    spawn_local(async move {
        let Some(store) = store() else { return };
        let published = designs::published_latest(&*store)
            .await
            .unwrap_or_default()
            .into_iter()
            .find(|i| i.settings.form_id == form);
        let Some(instrument) = designs::load_draft(&*store, &form)
            .await
            .or_else(|| published.clone())
        else {
            app.fail(app.t(Msg::LoadFailed), &form);
            return;
        };
        let languages = edit_languages(&instrument);
        let ui = app.lang.get_untracked().code().to_string();
        ed.lang.set(if languages.contains(&ui) {
            ui
        } else {
            languages[0].clone()
        });
        ed.published.set_value(published);
        // The history comes back with the design it was made on, and only with that one.
        let design = match designs::load_history(&*store, &form).await {
            Some(state) if state.instrument == instrument => Design::from_state(state),
            _ => Design::new(instrument),
        };
        ed.design.set_value(Some(design));
        loaded.set(true);
        ed.rev.update(|n| *n += 1);
    });
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if !(ev.ctrl_key() || ev.meta_key()) {
            return;
        }
        let undo = ev.key().eq_ignore_ascii_case("z") && !ev.shift_key();
        let redo = ev.key().eq_ignore_ascii_case("y")
            || (ev.key().eq_ignore_ascii_case("z") && ev.shift_key());
        if undo || redo {
            ev.prevent_default();
            ed.history(undo);
        }
    };
    view! {
        <main id="editor" class="editor" data-form=form_id.clone()
            data-ready=move || loaded.get().to_string() data-rev=move || ed.rev.get().to_string()
            on:keydown=on_key>
            <Show when=move || loaded.get()>
                <Toolbar ed=ed/>
                <PublishPanel ed=ed/>
                <div class="editor-columns">
                    <section class="outline card" aria-label=move || app.t(Msg::Outline)>
                        <h3>{move || app.t(Msg::Outline)}</h3>
                        <OutlineView ed=ed/>
                        <div class="row">
                            <button class="button add-question" on:click=move |_| ed.add(ItemType::Text)>
                                {move || app.t(Msg::AddQuestion)}
                            </button>
                            <button class="button add-group" on:click=move |_| ed.add(ItemType::Group)>
                                {move || app.t(Msg::AddGroup)}
                            </button>
                        </div>
                    </section>
                    <section class="panel card">
                        <Show when=move || ed.settings_open.get() fallback=move || view! { <ItemPanel ed=ed/> }>
                            <SettingsPanel ed=ed/>
                        </Show>
                        <Problems ed=ed/>
                    </section>
                    <section class="preview card">
                        <h3>{move || app.t(Msg::Preview)}</h3>
                        <Preview ed=ed/>
                    </section>
                </div>
            </Show>
        </main>
    }
}

#[component]
fn Toolbar(ed: Ed) -> impl IntoView {
    let app = ed.app;
    let title = move || {
        ed.rev.get();
        let lang = ed.lang.get();
        ed.with(|d| {
            let s = &d.instrument().settings;
            let title = s
                .title
                .get(&lang, s.default_language.as_deref())
                .unwrap_or(&s.form_id);
            format!("{title} · {} · v{}", s.form_id, s.version)
        })
        .unwrap_or_default()
    };
    let languages = move || ed.languages.get();
    let history = move |undo: bool| ed.history(undo);
    let can = move |undo: bool| {
        ed.rev.get();
        ed.with(|d| if undo { d.can_undo() } else { d.can_redo() })
            .unwrap_or(false)
    };
    let publish = move |_| {
        let Some(form) = ed.with(|d| d.instrument().settings.form_id.clone()) else {
            return;
        };
        spawn_local(async move {
            let Some(store) = store() else { return };
            let records = store.list_records(&form, None).await.unwrap_or_default();
            // The designer may have left the editor meanwhile (its values are gone then).
            let Some(published) = ed.published.try_get_value() else {
                return;
            };
            let check = ed.with(|d| {
                let data = DataUse::from_records(
                    published.as_ref().unwrap_or(d.instrument()),
                    records.iter().map(|r| &r.submission),
                );
                d.check_publish(published.as_ref(), &data)
            });
            ed.check.set(check);
        });
    };
    view! {
        <div class="editor-head">
            <a class="button" href=Route::Designs.hash()>{move || format!("← {}", app.t(Msg::Design))}</a>
            <h2 class="form-title">{title}</h2>
            <label class="form-lang">
                <span class="visually-hidden">{move || app.t(Msg::FormLanguage)}</span>
                <select on:change=move |ev| ed.lang.set(event_target_value(&ev))>
                    {move || languages().into_iter().map(|l| {
                        let selected = l == ed.lang.get_untracked();
                        view! { <option value=l.clone() prop:selected=selected>{crate::i18n::language_name(&l)}</option> }
                    }).collect_view()}
                </select>
            </label>
            <button class="button settings-toggle" aria-pressed=move || ed.settings_open.get().to_string()
                on:click=move |_| ed.settings_open.update(|open| *open = !*open)>
                {move || app.t(Msg::Settings)}
            </button>
            <button class="button undo" disabled=move || !can(true) on:click=move |_| history(true)>
                {move || app.t(Msg::Undo)}
            </button>
            <button class="button redo" disabled=move || !can(false) on:click=move |_| history(false)>
                {move || app.t(Msg::Redo)}
            </button>
            <button class="button primary publish" on:click=publish>{move || app.t(Msg::Publish)}</button>
        </div>
    }
}

/// What publishing would do, and the button that does it.
#[component]
fn PublishPanel(ed: Ed) -> impl IntoView {
    let app = ed.app;
    let confirm = move |_| {
        let published = ed.published.get_value();
        let Some(check) = ed.check.get_untracked() else {
            return;
        };
        if !check.errors.is_empty() {
            return;
        }
        let result = ed.design.try_update_value(|d| {
            d.as_mut()
                .map(|d| d.publish(published.as_ref(), &DataUse::default()))
        });
        let Some(Some(Ok(instrument))) = result else {
            return;
        };
        ed.changed();
        ed.panel_rev.update(|n| *n += 1);
        spawn_local(async move {
            let Some(store) = store() else { return };
            match store.put_instrument(&instrument).await {
                Ok(()) => {
                    app.notice.set(Some(format!(
                        "{} {}",
                        app.t(Msg::PublishedVersion),
                        instrument.settings.version
                    )));
                    ed.published.set_value(Some(instrument));
                    ed.check.set(None);
                    app.data_rev.update(|n| *n += 1);
                }
                Err(e) => app.fail(app.t(Msg::SaveFailed), e),
            }
        });
    };
    move || {
        ed.check.get().map(|check| {
            let blocked = !check.errors.is_empty();
            view! {
                <div class="publish-check card" data-blocked=blocked.to_string()>
                    {blocked.then(|| view! {
                        <p>{app.t(Msg::PublishBlocked)}</p>
                        <ul class="problems">
                            {check.errors.iter().map(|d| {
                                let question = d.location.question.clone().unwrap_or_default();
                                let target = question.clone();
                                view! {
                                    <li>
                                        <button class="link" on:click=move |_| ed.select_named(&target)>{question}</button>
                                        ": "{crate::problems::instrument_problem(app.lang.get_untracked(), d)}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    })}
                    {(!check.breaking.is_empty()).then(|| view! {
                        <p>{app.t(Msg::Breaking)}</p>
                        <ul class="breaking">
                            {check.breaking.iter().map(|b| view! { <li>{crate::problems::breaking(app.lang.get_untracked(), b)}</li> }).collect_view()}
                        </ul>
                    })}
                    <div class="row">
                        <button class="button primary publish-confirm" disabled=blocked on:click=confirm>
                            {format!("{} {}", app.t(Msg::PublishAs), check.version)}
                        </button>
                        <button class="button" on:click=move |_| ed.check.set(None)>{app.t(Msg::Cancel)}</button>
                    </div>
                </div>
            }
        })
    }
}

#[component]
fn OutlineView(ed: Ed) -> impl IntoView {
    let rows = move || {
        ed.rev.get();
        let lang = ed.lang.get();
        ed.with(|d| outline(d.instrument(), &lang))
            .unwrap_or_default()
    };
    // Keyed by everything a row shows: an edit redraws the rows it changed, not all of them
    // (an instrument can have a thousand).
    view! {
        <ol class="tree">
            <For each=rows key=|row| row.clone() let:row>
                {
                    let at = row.path.clone();
                    let here = row.path.clone();
                    let label = if row.label.is_empty() { row.name.clone() } else { row.label.clone() };
                    let (name, depth) = (row.name.clone(), row.depth.to_string());
                    view! {
                        <li class="tree-row" data-name=name data-depth=depth>
                            <button class=move || if ed.selected.get().as_ref() == Some(&here) { "tree-item current" } else { "tree-item" }
                                on:click=move |_| ed.select(at.clone())>
                                <span class="type">{row.item_type.as_str()}</span>
                                <span class="tree-label">{label}</span>
                                <span class="muted">{row.name}</span>
                            </button>
                        </li>
                    }
                }
            </For>
        </ol>
    }
}

/// A text input bound to one column of the selected item: every keystroke is an edit (one
/// undo step while typing), and the column's problems show under it with their span marked.
fn column_input(
    ed: Ed,
    at: ItemPath,
    name: String,
    field: Field,
    column: Option<Column>,
    value: String,
) -> impl IntoView {
    let at_problems = at.clone();
    let problems = move || {
        ed.rev.get();
        let Some(column) = column else {
            return Vec::new();
        };
        ed.with(|d| {
            let source = d
                .item(&at_problems)
                .map(|i| current_text(i, column))
                .unwrap_or_default();
            column_problems(
                &ed.diagnostics.get(),
                &name,
                column,
                &source,
                ed.app.lang.get(),
            )
        })
        .unwrap_or_default()
    };
    let label = field_label(&field);
    let class = format!("field {}", field_class(&field));
    let at_edit = at.clone();
    view! {
        <label class=class>
            <span>{label}</span>
            <input type="text" spellcheck="false" prop:value=value
                on:input=move |ev| {
                    let text = event_target_value(&ev);
                    let (at, field) = (at_edit.clone(), field.clone());
                    ed.typed(|d| d.type_into(&at, field, Some(text)));
                }/>
            {move || problems().into_iter().map(|p: Marked| view! {
                <span class="error expr-problem" role="alert">
                    <span class="message">{p.message}</span>
                    <code>{p.before}<mark>{p.marked}</mark>{p.after}</code>
                </span>
            }).collect_view()}
        </label>
    }
}

fn current_text(item: &Item, column: Column) -> String {
    let value = match column {
        Column::Relevant => &item.relevant,
        Column::Required => &item.required,
        Column::Constraint => &item.constraint,
        Column::Calculation => &item.calculation,
        Column::Default => &item.default,
        Column::ReadOnly => &item.read_only,
        Column::ChoiceFilter => &item.choice_filter,
        Column::RepeatCount => &item.repeat_count,
        Column::Trigger => &item.trigger,
        _ => &None,
    };
    value.clone().unwrap_or_default()
}

/// The class that names a column's field on the page (tests and styles find it by this).
fn field_class(field: &Field) -> String {
    let label = field_label(field);
    let words: Vec<&str> = label
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    format!("column-{}", words.join("-"))
}

fn field_label(field: &Field) -> String {
    match field.language() {
        // XLSForm's own words: `label::ru` reads "label (ru)" here.
        Some(language) => format!("{} ({language})", field.column().replace('_', " ")),
        None => field.column().to_string(),
    }
}

/// The form's settings: title in each language, form id, version, default language, instance
/// name, and its languages (added, renamed, removed after a confirmation). Each change is an
/// edit like any other, undone with Ctrl+Z.
#[component]
fn SettingsPanel(ed: Ed) -> impl IntoView {
    let app = ed.app;
    let adding = RwSignal::new(String::new());
    move || {
        ed.panel_rev.get();
        let Some(settings) = ed.with(|d| d.instrument().settings.clone()) else {
            return ().into_any();
        };
        let languages = ed.languages.get_untracked();
        let set = move |setting: Setting, value: String| {
            ed.edit(|d| {
                d.apply(Edit::SetSetting {
                    setting,
                    value: Some(value),
                })
            });
        };
        let titles = languages
            .iter()
            .map(|l| {
                let language = l.clone();
                let value = settings.title.0.get(l).cloned().unwrap_or_default();
                view! {
                    <label class="field setting-title" data-language=l.clone()>
                        <span>{format!("{} ({l})", app.t(Msg::FormTitle))}</span>
                        <input type="text" prop:value=value
                            on:change=move |ev| set(Setting::Title(language.clone()), event_target_value(&ev))/>
                    </label>
                }
            })
            .collect_view();
        let old_form_id = settings.form_id.clone();
        let default_language = settings.default_language.clone().unwrap_or_default();
        let language_rows = languages
            .clone()
            .into_iter()
            .map(|l| {
                let (from, removed) = (l.clone(), l.clone());
                view! {
                    <li class="language" data-language=l.clone()>
                        <input type="text" aria-label=app.t(Msg::LanguageCode) prop:value=l.clone()
                            on:change=move |ev| {
                                let to = event_target_value(&ev);
                                if ed.edit(|d| d.rename_language(&from, &to)).is_some() && ed.lang.get_untracked() == from {
                                    ed.lang.set(to.trim().to_string());
                                }
                            }/>
                        <AskFirst label=app.t(Msg::RemoveLanguage) question=app.t(Msg::ConfirmRemoveLanguage)
                            class="remove-language" confirm_class="confirm-remove-language"
                            on_confirm=move || {
                                if ed.edit(|d| d.remove_language(&removed)).is_some()
                                    && ed.lang.get_untracked() == removed
                                {
                                    let first = ed.with(|d| edit_languages(d.instrument()).remove(0));
                                    ed.lang.set(first.unwrap_or_default());
                                }
                            }/>
                    </li>
                }
            })
            .collect_view();
        view! {
            <div class="settings-panel">
                <h3>{app.t(Msg::Settings)}</h3>
                {titles}
                <label class="field setting-form-id" title=app.t(Msg::FormIdHelp)>
                    <span>"form_id"</span>
                    <input type="text" spellcheck="false" prop:value=settings.form_id.clone()
                        on:change=move |ev| {
                            let new_id = event_target_value(&ev).trim().to_string();
                            if new_id != old_form_id && ed.edit(|d| d.apply(Edit::SetSetting {
                                setting: Setting::FormId,
                                value: Some(new_id.clone()),
                            })).is_some() {
                                // The design is stored under its form id: it moves with it.
                                let old = old_form_id.clone();
                                spawn_local(async move {
                                    if let Some(store) = store() {
                                        designs::forget_draft(&*store, &old).await;
                                    }
                                });
                                let route = Route::Design(new_id);
                                crate::browser::replace_location_hash(&route.hash());
                                app.route.update_untracked(|r| *r = route);
                            }
                        }/>
                </label>
                <label class="field setting-version" title=app.t(Msg::VersionHelp)>
                    <span>"version"</span>
                    <input type="text" spellcheck="false" prop:value=settings.version.clone()
                        on:change=move |ev| set(Setting::Version, event_target_value(&ev))/>
                </label>
                <label class="field setting-default-language" title=app.t(Msg::DefaultLanguageHelp)>
                    <span>"default_language"</span>
                    <select on:change=move |ev| set(Setting::DefaultLanguage, event_target_value(&ev))>
                        {languages.iter().map(|l| view! {
                            <option value=l.clone() prop:selected=*l == default_language>{crate::i18n::language_name(l)}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label class="field setting-instance-name" title=app.t(Msg::InstanceNameHelp)>
                    <span>"instance_name"</span>
                    <input type="text" spellcheck="false" prop:value=settings.instance_name.clone().unwrap_or_default()
                        on:change=move |ev| {
                            let value = event_target_value(&ev);
                            ed.edit(|d| d.apply(Edit::SetSetting { setting: Setting::InstanceName, value: Some(value) }));
                        }/>
                </label>
                <h4>{app.t(Msg::Languages)}</h4>
                <ul class="languages">{language_rows}</ul>
                <form class="row add-language" on:submit=move |ev| {
                    ev.prevent_default();
                    let language = adding.get_untracked();
                    if ed.edit(|d| d.add_language(&language)).is_some() {
                        adding.set(String::new());
                    }
                }>
                    <label class="field">
                        <span>{app.t(Msg::LanguageCode)}</span>
                        <input type="text" spellcheck="false" prop:value=move || adding.get()
                            on:input=move |ev| adding.set(event_target_value(&ev))/>
                    </label>
                    <button class="button" type="submit">{app.t(Msg::AddLanguage)}</button>
                </form>
            </div>
        }
        .into_any()
    }
}

/// The selected item's columns.
#[component]
fn ItemPanel(ed: Ed) -> impl IntoView {
    let app = ed.app;
    move || {
        let Some((at, item)) = ed.selected_item() else {
            return view! { <p class="muted">{app.t(Msg::SelectQuestion)}</p> }.into_any();
        };
        let languages = ed.languages.get_untracked();
        let lists: Vec<String> = ed
            .with(|d| d.instrument().choices.keys().cloned().collect())
            .unwrap_or_default();
        let name = item.name.clone();
        let text = |t: &Text, l: &str| t.0.get(l).cloned().unwrap_or_default();
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        let (at_type, at_name, at_list) = (at.clone(), at.clone(), at.clone());
        let mut texts = Vec::new();
        for l in &languages {
            for (field, value) in [
                (Field::Label(l.clone()), text(&item.label, l)),
                (Field::Hint(l.clone()), text(&item.hint, l)),
            ] {
                texts.push(
                    column_input(ed, at.clone(), name.clone(), field, None, value).into_any(),
                );
            }
        }
        let mut columns = vec![
            (Field::Relevant, Column::Relevant, opt(&item.relevant)),
            (Field::Required, Column::Required, opt(&item.required)),
            (Field::Constraint, Column::Constraint, opt(&item.constraint)),
            (
                Field::Calculation,
                Column::Calculation,
                opt(&item.calculation),
            ),
            (Field::Default, Column::Default, opt(&item.default)),
            (Field::ReadOnly, Column::ReadOnly, opt(&item.read_only)),
        ];
        if item.item_type.is_select() {
            columns.push((
                Field::ChoiceFilter,
                Column::ChoiceFilter,
                opt(&item.choice_filter),
            ));
        }
        if item.item_type == ItemType::Repeat {
            columns.push((
                Field::RepeatCount,
                Column::RepeatCount,
                opt(&item.repeat_count),
            ));
        }
        let expressions = columns
            .into_iter()
            .map(|(field, column, value)| {
                column_input(ed, at.clone(), name.clone(), field, Some(column), value).into_any()
            })
            .collect::<Vec<_>>();
        let messages = languages
            .iter()
            .map(|l| {
                column_input(
                    ed,
                    at.clone(),
                    name.clone(),
                    Field::ConstraintMessage(l.clone()),
                    None,
                    text(&item.constraint_message, l),
                )
                .into_any()
            })
            .collect::<Vec<_>>();
        let appearance = column_input(
            ed,
            at.clone(),
            name.clone(),
            Field::Appearance,
            None,
            opt(&item.appearance),
        );
        let item_type = item.item_type;
        let list_name = item.list.clone();
        let is_select = item_type.is_select();
        let moves = at.clone();
        let remove_at = at.clone();
        view! {
            <div class="item-panel" data-name=name.clone()>
                <div class="row">
                    <h3>{app.t(Msg::Question)}</h3>
                    <span class="spacer"></span>
                    <button class="button move-up" aria-label=app.t(Msg::MoveUp)
                        on:click={let at = moves.clone(); move |_| { if let Some(to) = ed.edit(|d| d.move_up(&at)) { ed.selected.set(Some(to)); } }}>"↑"</button>
                    <button class="button move-down" aria-label=app.t(Msg::MoveDown)
                        on:click={let at = moves.clone(); move |_| { if let Some(to) = ed.edit(|d| d.move_down(&at)) { ed.selected.set(Some(to)); } }}>"↓"</button>
                    <button class="button move-into"
                        on:click={let at = moves.clone(); move |_| { if let Some(to) = ed.edit(|d| d.move_into_previous(&at)) { ed.selected.set(Some(to)); } }}>{app.t(Msg::MoveInto)}</button>
                    <button class="button move-out"
                        on:click={let at = moves.clone(); move |_| { if let Some(to) = ed.edit(|d| d.move_out(&at)) { ed.selected.set(Some(to)); } }}>{app.t(Msg::MoveOut)}</button>
                    <button class="button danger delete"
                        on:click=move |_| {
                            let warnings = ed.with(|d| d.removal_warnings(&remove_at)).unwrap_or_default();
                            let lines = warnings.iter().map(|u| format!("{} ({})", if u.item.is_empty() { "settings" } else { &u.item }, u.column)).collect();
                            ed.removing.set(Some((remove_at.clone(), lines)));
                        }>{app.t(Msg::Delete)}</button>
                </div>
                <ConfirmRemove ed=ed/>
                <div class="columns">
                    <label class="field column-type">
                        <span>"type"</span>
                        <select on:change=move |ev| {
                            let value = event_target_value(&ev);
                            let at = at_type.clone();
                            ed.edit(|d| d.apply(Edit::Set { at, field: Field::Type, value: Some(value) }));
                        }>
                            {TYPES.iter().map(|t| view! {
                                <option value=t.as_str() prop:selected=*t == item_type>{t.as_str()}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <label class="field column-name">
                        <span>"name"</span>
                        <input type="text" spellcheck="false" prop:value=name.clone()
                            on:change=move |ev| {
                                let value = event_target_value(&ev);
                                let at = at_name.clone();
                                ed.edit(|d| d.rename(&at, value.trim()));
                            }/>
                    </label>
                    {texts}
                    {is_select.then(|| view! {
                        <label class="field column-list">
                            <span>"list"</span>
                            <select on:change=move |ev| {
                                let value = event_target_value(&ev);
                                let at = at_list.clone();
                                ed.edit(|d| {
                                    let mut edits = vec![Edit::Set { at: at.clone(), field: Field::List, value: Some(value.clone()) }];
                                    if !d.instrument().choices.contains_key(&value) {
                                        edits.push(Edit::SetChoices { list: value.clone(), choices: Some(Vec::new()) });
                                    }
                                    d.apply(Edit::Batch(edits))
                                });
                            }>
                                <option value="" prop:selected=list_name.is_none()>"—"</option>
                                {lists.iter().map(|l| view! {
                                    <option value=l.clone() prop:selected=list_name.as_deref() == Some(l.as_str())>{l.clone()}</option>
                                }).collect_view()}
                                <option value=format!("{name}_list")>{format!("{}: {name}_list", app.t(Msg::NewList))}</option>
                            </select>
                        </label>
                    })}
                    {expressions}
                    {messages}
                    {appearance}
                </div>
                {list_name.filter(|_| is_select).map(|list| view! { <ChoicesTable ed=ed list=list/> })}
            </div>
        }
        .into_any()
    }
}

#[component]
fn ConfirmRemove(ed: Ed) -> impl IntoView {
    let app = ed.app;
    move || {
        ed.removing.get().map(|(at, warnings)| {
            let remove = at.clone();
            view! {
                <div class="confirm card" role="alertdialog">
                    <p class="confirm-text">{app.t(Msg::ConfirmDeleteItem)}</p>
                    {(!warnings.is_empty()).then(|| view! {
                        <p>{app.t(Msg::UsedBy)}</p>
                        <ul class="usages">{warnings.into_iter().map(|w| view! { <li>{w}</li> }).collect_view()}</ul>
                    })}
                    <div class="row">
                        <button class="button danger confirm-delete" on:click=move |_| {
                            let at = remove.clone();
                            ed.removing.set(None);
                            if ed.edit(|d| d.apply(Edit::Remove { at })).is_some() {
                                ed.selected.set(None);
                            }
                        }>{app.t(Msg::Delete)}</button>
                        <button class="button" on:click=move |_| ed.removing.set(None)>{app.t(Msg::Cancel)}</button>
                    </div>
                </div>
            }
        })
    }
}

/// A choice list as a table: a row per choice, its name and a label per language.
#[component]
fn ChoicesTable(ed: Ed, list: String) -> impl IntoView {
    let app = ed.app;
    let languages = ed.languages.get_untracked();
    let choices = ed
        .with(|d| {
            d.instrument()
                .choices
                .get(&list)
                .cloned()
                .unwrap_or_default()
        })
        .unwrap_or_default();
    // Every change is one edit of dala-core's design, one undo step.
    let set = move |list: String, change: ChoiceEdit| {
        ed.edit(|d| d.edit_choice(&list, change));
    };
    let add_list = list.clone();
    view! {
        <div class="choices-table" data-list=list.clone()>
            <h4>{format!("{} · {list}", app.t(Msg::Choices))}</h4>
            <table>
                <thead><tr>
                    <th>"name"</th>
                    {languages.iter().map(|l| view! { <th>{format!("label ({l})")}</th> }).collect_view()}
                    <th></th>
                </tr></thead>
                <tbody>
                    {choices.into_iter().enumerate().map(|(row, choice)| {
                        let (l1, l2) = (list.clone(), list.clone());
                        view! {
                            <tr>
                                <td data-label="name"><input type="text" class="choice-name" prop:value=choice.name.clone()
                                    on:change=move |ev| {
                                        let value = event_target_value(&ev);
                                        set(l1.clone(), ChoiceEdit::Rename { row, name: value });
                                    }/></td>
                                {languages.iter().map(|l| {
                                    let (lang, list) = (l.clone(), list.clone());
                                    view! {
                                        <td data-label=format!("label ({l})")><input type="text" class="choice-label" prop:value=choice.label.0.get(l).cloned().unwrap_or_default()
                                            on:change=move |ev| {
                                                let value = event_target_value(&ev);
                                                set(list.clone(), ChoiceEdit::Label { row, language: lang.clone(), text: value });
                                            }/></td>
                                    }
                                }).collect_view()}
                                <td class="choice-remove"><button class="button danger" aria-label=app.t(Msg::Delete)
                                    on:click=move |_| set(l2.clone(), ChoiceEdit::Remove { row })>"×"</button></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <button class="button add-choice" on:click=move |_| set(add_list.clone(), ChoiceEdit::Add)>{app.t(Msg::AddChoice)}</button>
        </div>
    }
}

/// Every problem of the instrument, each a link to its question.
#[component]
fn Problems(ed: Ed) -> impl IntoView {
    let app = ed.app;
    move || {
        let list = ed.diagnostics.get();
        let count = list.len().to_string();
        view! {
            <div class="all-problems" data-count=count>
                <h3>{app.t(Msg::Problems)}</h3>
                {list.is_empty().then(|| view! { <p class="muted">{app.t(Msg::NoProblems)}</p> })}
                <ul class="problems">
                    {list.into_iter().map(|d| {
                        let question = d.location.question.clone().unwrap_or_default();
                        let target = question.clone();
                        view! {
                            <li data-code=d.code.to_string() class=if d.code.is_warning() { "warning" } else { "error" }>
                                <span class="code">{d.code.to_string()}</span>" "
                                <button class="link" on:click=move |_| ed.select_named(&target)>{question}</button>
                                " "{crate::problems::instrument_problem(app.lang.get(), &d)}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </div>
        }
    }
}

/// The instrument as it stands, run by the real engine with Collect's widgets; answers stay
/// in memory and survive edits. After an edit the preview swaps in a new session and redraws
/// only the questions that look different (see `session::differences`): a thousand-question
/// page is not built again for a keystroke.
#[component]
fn Preview(ed: Ed) -> impl IntoView {
    let app = ed.app;
    // Made here, not in the effect: what an effect creates is disposed when it runs again.
    let ctx = Ctx::preview(app, ed.lang.get_untracked());
    let blocked = RwSignal::new(false);
    // The editor revision the preview shows (the benchmark waits for it).
    let synced = RwSignal::new(0u32);
    Effect::new(move |_| {
        let rev = ed.rev.get();
        let lang = ed.lang.get();
        let diagnostics = ed.diagnostics.get_untracked();
        let form = ed
            .with(|d| Form::compile_validated(d.instrument(), &diagnostics).ok())
            .flatten();
        // With problems, the preview goes on running the last instrument that had none
        // (a banner says the latest edits are not shown yet); only with none yet is it empty.
        let Some(form) = form else {
            blocked.set(true);
            synced.set(rev);
            return;
        };
        let host = Box::new(BrowserHost {
            device_id: app.device_id.get_untracked(),
        });
        match ctx.with(|s| (s.draft(), s.page())) {
            Some((record, page)) => {
                let new = Session::new(Engine::resume(form, host, &record), page, false);
                let nodes = new
                    .current()
                    .map(|p| new.engine().page_questions(p))
                    .unwrap_or_default();
                let refresh = ctx
                    .with(|old| differences(old, &new, &nodes, &lang))
                    .unwrap_or_default();
                let old = ctx.session.try_update_value(|s| s.replace(new)).flatten();
                // Freeing the old engine waits for a task of its own: the new one is drawn first.
                browser::later(move || drop(old));
                ctx.page_rev.update(|n| *n += 1);
                ctx.apply(refresh);
            }
            None => {
                ctx.session
                    .set_value(Some(Session::new(Engine::new(form, host), 0, false)));
                ctx.page_rev.update(|n| *n += 1);
            }
        }
        if ctx.form_lang.get_untracked() != lang {
            ctx.set_form_lang(lang);
        }
        blocked.set(false);
        synced.set(rev);
    });
    // The preview follows the selection: the page showing the selected item, marked there
    // (the designer's focus stays in the panel).
    Effect::new(move |_| {
        let Some(at) = ed.selected.get() else { return };
        synced.get();
        let Some(name) = ed.with(|d| d.item(&at).map(|i| i.name.clone())).flatten() else {
            return;
        };
        if let Some((page, node)) = ctx.with(|s| s.page_of(&name)).flatten() {
            if ctx.with(super::super::session::Session::page) != Some(page) {
                ctx.go(page);
            }
            ctx.mark_later(node);
        }
    });
    let has_session = move || {
        synced.get();
        ctx.with(|_| ()).is_some()
    };
    view! {
        <div class="preview-body" data-synced=move || synced.get().to_string()
            data-stale=move || blocked.get().to_string()>
            <Show when=move || blocked.get()>
                <p class=move || if has_session() { "banner preview-stale" } else { "muted preview-blocked" }>
                    {move || if has_session() { app.t(Msg::PreviewStale) } else { app.t(Msg::PreviewBlocked) }}
                </p>
            </Show>
            <div class="preview-page" hidden=move || !has_session()>
                <PageView ctx=ctx/>
                <div class="nav">
                    <button class="button prev" on:click=move |_| ctx.step(false)>{format!("← {}", app.t(Msg::Previous))}</button>
                    <button class="button next" on:click=move |_| ctx.step(true)>{format!("{} →", app.t(Msg::Next))}</button>
                </div>
            </div>
        </div>
    }
}
