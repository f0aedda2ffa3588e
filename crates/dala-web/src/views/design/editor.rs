//! The editor of one instrument: what its parts share (`Ed`: the design, the selection, the
//! language edited), the page that lays them out, and the toolbar (undo, redo, add, move).

use super::*;

/// What the editor's parts share.
#[derive(Clone, Copy)]
pub(super) struct Ed {
    pub(super) app: AppState,
    pub(super) design: StoredValue<Option<Design>>,
    /// Bumped after every edit, undo and redo.
    pub(super) rev: RwSignal<u32>,
    /// Bumped by the edits that change what the item panel shows other than the text being
    /// typed: the panel is redrawn then, and not on each keystroke (which would lose focus).
    pub(super) panel_rev: RwSignal<u32>,
    pub(super) selected: RwSignal<Option<ItemPath>>,
    /// The form's settings are in the panel instead of the selected question's columns.
    pub(super) settings_open: RwSignal<bool>,
    /// The language texts are shown in (outline, preview).
    pub(super) lang: RwSignal<String>,
    /// The newest published version, which publishing compares against.
    pub(super) published: StoredValue<Option<Instrument>>,
    /// The lists of its attached files, which the preview runs with.
    pub(super) lists: StoredValue<dala_core::Lists>,
    pub(super) check: RwSignal<Option<PublishCheck>>,
    /// Every problem of the instrument as it stands, worked out once per edit.
    pub(super) diagnostics: Memo<Vec<Diagnostic>>,
    /// The languages texts are edited in, worked out once per edit.
    pub(super) languages: Memo<Vec<String>>,
    /// A removal waiting for confirmation, with what it would break.
    pub(super) removing: RwSignal<Option<(ItemPath, Vec<String>)>>,
}

impl Ed {
    pub(super) fn with<T>(&self, f: impl FnOnce(&Design) -> T) -> Option<T> {
        self.design.with_value(|d| d.as_ref().map(f))
    }

    /// Runs an edit; a refused one says why and changes nothing. Every change is stored.
    pub(super) fn edit<T>(&self, f: impl FnOnce(&mut Design) -> Result<T, EditError>) -> Option<T> {
        let value = self.typed(f)?;
        self.panel_rev.update(|n| *n += 1);
        Some(value)
    }

    /// [`Ed::edit`] for a keystroke in a column: the panel (and the input) stay as they are.
    pub(super) fn typed<T>(
        &self,
        f: impl FnOnce(&mut Design) -> Result<T, EditError>,
    ) -> Option<T> {
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

    pub(super) fn changed(&self) {
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
    pub(super) fn history(&self, undo: bool) {
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
    pub(super) fn select(&self, at: ItemPath) {
        self.settings_open.set(false);
        self.selected.set(Some(at));
        browser::later(|| browser::bring_into_view(".editor .panel"));
    }

    /// Selects the item named `name`, if there is one (a problem's link).
    pub(super) fn select_named(&self, name: &str) {
        if let Some(at) = self
            .with(|d| designer::find(d.instrument(), name))
            .flatten()
        {
            self.select(at);
        }
    }

    pub(super) fn selected_item(&self) -> Option<(ItemPath, Item)> {
        let at = self.selected.get()?;
        self.panel_rev.get();
        let item = self.with(|d| d.item(&at).cloned()).flatten()?;
        Some((at, item))
    }

    /// Adds a new question (or group) after the selected one, or at the end.
    pub(super) fn add(&self, item_type: ItemType) {
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
        lists: StoredValue::new(dala_core::Lists::new()),
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
        if let Some(settings) = published.as_ref().map(|p| &p.settings) {
            let lists = store
                .get_lists(&settings.form_id, &settings.version)
                .await
                .unwrap_or_default();
            ed.lists.set_value(lists);
        }
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
pub(super) fn Toolbar(ed: Ed) -> impl IntoView {
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
