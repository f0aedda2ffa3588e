//! An interview: one page at a time, every answer saved at once, the page kept with the
//! draft, and a closing screen that lists what blocks finalizing.

use super::ask_first::AskFirst;
use super::label::rich;
use super::question::Question;
use crate::app::{AppState, state, store};
use crate::host::BrowserHost;
use crate::i18n::Msg;
use crate::review::{InstanceAt, Line, instance_title, record_title, review, where_in_repeats};
use crate::route::Route;
use crate::session::{Refresh, Session, form_language_for};
use dala_core::engine::{NodeRef, ProblemKind};
use dala_core::record::Status;
use dala_core::{Engine, Form, Store, StoreError};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::collections::{HashMap, HashSet};

/// What the interview's components share (arena handles, so it is Copy).
#[derive(Clone, Copy)]
pub struct Ctx {
    pub app: AppState,
    pub session: StoredValue<Option<Session>, LocalStorage>,
    /// A counter per question built so far, bumped when the engine says it changed.
    /// Reference-counted, not owned by the question's component: a question that leaves the
    /// screen and comes back finds its counter alive.
    pub revs: StoredValue<HashMap<NodeRef, Revs>>,
    /// The element of each question on the page, shown or hidden directly when its relevance
    /// changes: one answer can make 749 questions relevant, and a loop over their `hidden`
    /// properties costs a millisecond where 749 reactive effects cost tens.
    elements: StoredValue<HashMap<NodeRef, web_sys::HtmlElement>, LocalStorage>,
    /// Questions the enumerator was sent to ("Next" stopped on them, or a link on the closing
    /// screen): a required one left empty says so under it, as a broken constraint always does.
    flagged: StoredValue<HashSet<NodeRef>>,
    /// Bumped when the page or the list of pages changes.
    pub page_rev: RwSignal<u32>,
    /// The review of every answer is on screen instead of a page.
    pub reviewing: RwSignal<bool>,
    /// A new interview with nothing answered yet: nothing is stored (moving between pages
    /// does not make a draft; the first answer does).
    untouched: StoredValue<bool>,
    pub form_lang: RwSignal<String>,
    saving: StoredValue<bool>,
    dirty: StoredValue<bool>,
    /// Shown as `data-saving` on the screen, so tests know when every answer is stored.
    busy: RwSignal<bool>,
    /// False in the designer's preview: answers stay in memory, nothing is stored.
    persist: bool,
    /// Files answered but not stored yet: the next save writes them with the draft that
    /// names them, and no save writes that draft without them.
    pending: StoredValue<Vec<PendingFile>>,
}

/// A file a media question was answered with, waiting for its save.
#[derive(Clone)]
struct PendingFile {
    node: NodeRef,
    /// The question's answer before it: taken back to if the file cannot be stored.
    before: String,
    captured: crate::media::Captured,
}

/// A question's change counter: its content (value, marks, texts, choices). Whether it is
/// shown is set on its element apart (`Ctx::elements`), so showing a question redraws nothing.
#[derive(Clone, Default)]
pub struct Revs {
    pub content: ArcRwSignal<u32>,
}

impl Ctx {
    /// A context for the designer's preview: the real widgets, nothing stored. Its session
    /// is put in (and replaced after each edit) by the preview.
    pub fn preview(app: AppState, form_lang: String) -> Ctx {
        Ctx::new(app, form_lang, false)
    }

    fn new(app: AppState, form_lang: String, persist: bool) -> Ctx {
        Ctx {
            app,
            session: StoredValue::new_local(None),
            revs: StoredValue::new(HashMap::new()),
            elements: StoredValue::new_local(HashMap::new()),
            flagged: StoredValue::new(HashSet::new()),
            page_rev: RwSignal::new(0),
            reviewing: RwSignal::new(false),
            untouched: StoredValue::new(false),
            form_lang: RwSignal::new(form_lang),
            saving: StoredValue::new(false),
            dirty: StoredValue::new(false),
            busy: RwSignal::new(false),
            persist,
            pending: StoredValue::new(Vec::new()),
        }
    }

    pub fn revs(&self, node: &NodeRef) -> Revs {
        if let Some(revs) = self.revs.with_value(|m| m.get(node).cloned()) {
            return revs;
        }
        let revs = Revs::default();
        self.revs.update_value(|m| {
            m.insert(node.clone(), revs.clone());
        });
        revs
    }

    /// Shows the form in another of its languages: every question redraws its texts.
    pub fn set_form_lang(&self, language: String) {
        self.form_lang.set(language);
        self.revs.with_value(|m| {
            for revs in m.values() {
                revs.content.update(|n| *n += 1);
            }
        });
    }

    /// Reads the session: None with no interview, or once the interview's screen has gone.
    /// Code that resumes after an await (a save) finds it gone when the enumerator has left
    /// meanwhile; reading a disposed value would panic, and a panic stops the app.
    pub fn with<T>(&self, f: impl FnOnce(&Session) -> T) -> Option<T> {
        self.session.try_with_value(|s| s.as_ref().map(f)).flatten()
    }

    /// Records the element of a question now on the page.
    pub fn mounted(&self, node: NodeRef, element: web_sys::HtmlElement) {
        self.elements.update_value(|m| {
            m.insert(node, element);
        });
    }

    /// Forgets a question's element when its component goes, unless a newer one replaced it.
    pub fn unmounted(&self, node: &NodeRef, element: &web_sys::HtmlElement) {
        self.elements.try_update_value(|m| {
            if m.get(node) == Some(element) {
                m.remove(node);
            }
        });
    }

    /// Whether a question is relevant now (false with no interview).
    pub fn relevant(&self, node: &NodeRef) -> bool {
        self.with(|s| s.engine().relevant(node)).unwrap_or(false)
    }

    pub fn apply(&self, refresh: Refresh) {
        self.revs.with_value(|m| {
            for node in &refresh.nodes {
                if let Some(revs) = m.get(node) {
                    revs.content.update(|n| *n += 1);
                }
            }
        });
        self.elements.with_value(|elements| {
            self.with(|s| {
                for node in &refresh.shown {
                    if let Some(element) = elements.get(node) {
                        element.set_hidden(!s.engine().relevant(node));
                    }
                }
            })
        });
        if refresh.pages_changed {
            self.page_rev.update(|n| *n += 1);
        }
    }

    /// Answers a question: the engine checks it, the screen updates what changed, and the
    /// draft is saved. An answer the engine refuses comes back as its message.
    pub fn answer(&self, node: &NodeRef, value: &str) -> Result<(), String> {
        let started = crate::perf::now_ms();
        let result = self
            .session
            .try_update_value(|s| s.as_mut().map(|s| s.answer(node, value)))
            .flatten();
        crate::perf::answered(crate::perf::now_ms() - started);
        self.answered(result, || {})
    }

    /// After the engine took an answer (`done` first) the screen updates what changed and
    /// the draft is saved; an answer it refused comes back as its message.
    fn answered(
        &self,
        result: Option<Result<Refresh, dala_core::AnswerError>>,
        done: impl FnOnce(),
    ) -> Result<(), String> {
        match result {
            Some(Ok(refresh)) => {
                done();
                self.apply(refresh);
                self.untouched.set_value(false);
                self.autosave();
                Ok(())
            }
            Some(Err(e)) => Err(crate::problems::answer_error(
                self.app.lang.get_untracked(),
                &e,
            )),
            None => Err("no interview".into()),
        }
    }

    /// Answers a media question with a file captured or picked for it: the screen shows it at
    /// once, and the next save writes the file and the draft naming it together (see
    /// `pending`). A file that cannot be stored takes the answer back (see `take_back`).
    pub fn answer_file(
        &self,
        node: &NodeRef,
        captured: crate::media::Captured,
    ) -> Result<(), String> {
        let before = self
            .with(|s| s.engine().value(node).to_string())
            .unwrap_or_default();
        let file = captured.file.clone();
        let result = self
            .session
            .try_update_value(|s| s.as_mut().map(|s| s.answer_file(node, file)))
            .flatten();
        self.answered(result, || {
            if self.persist {
                self.pending.update_value(|p| {
                    p.push(PendingFile {
                        node: node.clone(),
                        before,
                        captured,
                    });
                });
            }
        })
    }

    /// Files that could not be stored: their questions get back the answers they had (the
    /// last taken first), and the enumerator is told why, with the space left on the device.
    fn take_back(&self, files: Vec<PendingFile>, error: StoreError) {
        let bytes: u64 = files.iter().map(|f| f.captured.file.size).sum();
        for file in files.iter().rev() {
            let refresh = self
                .session
                .try_update_value(|s| s.as_mut().map(|s| s.answer(&file.node, &file.before)))
                .flatten();
            if let Some(Ok(refresh)) = refresh {
                self.apply(refresh);
            }
        }
        let app = self.app;
        match error {
            StoreError::Full(_) => spawn_local(async move {
                let left = crate::browser::estimate()
                    .await
                    .map(|(usage, quota)| (quota - usage).max(0.0));
                app.notice.set(Some(crate::i18n::file_not_kept(
                    app.lang.get_untracked(),
                    bytes,
                    left,
                )));
            }),
            other => app.fail(app.t(Msg::SaveFailed), other),
        }
    }

    pub fn edit_repeat(
        &self,
        f: impl FnOnce(&mut Session) -> Result<Refresh, dala_core::AnswerError>,
    ) {
        let result = self
            .session
            .try_update_value(|s| s.as_mut().map(f))
            .flatten();
        match result {
            Some(Ok(refresh)) => {
                self.apply(refresh);
                self.page_rev.update(|n| *n += 1);
                self.untouched.set_value(false);
                self.autosave();
            }
            Some(Err(e)) => self.app.fail(
                self.app.t(Msg::SaveFailed),
                crate::problems::answer_error(self.app.lang.get_untracked(), &e),
            ),
            None => {}
        }
    }

    /// Undoes the last removal of an instance: every question redraws (instance ids are new).
    pub fn undo_removal(&self) {
        let undone = self
            .session
            .try_update_value(|s| s.as_mut().map(Session::undo_removal))
            .flatten()
            .unwrap_or(false);
        if undone {
            self.revs.with_value(|m| {
                for revs in m.values() {
                    revs.content.update(|n| *n += 1);
                }
            });
            self.page_rev.update(|n| *n += 1);
            self.autosave();
        }
    }

    pub fn go(&self, page: usize) {
        self.navigate(|s| s.go(page));
    }

    /// The previous page, or the next one unless this page has a problem: then the screen
    /// stays, every problem on it says what is wrong and the first one takes the focus.
    pub fn step(&self, forward: bool) {
        if !forward {
            self.navigate(|s| {
                s.previous_page();
            });
            return;
        }
        let lang = self.form_lang.get_untracked();
        let blocked = self
            .session
            .try_update_value(|s| s.as_mut().map(|s| s.next_page(&lang)))
            .flatten();
        match blocked {
            Some(Err(problems)) => {
                let nodes: Vec<NodeRef> = problems.into_iter().map(|p| p.node).collect();
                self.point_at(&nodes);
            }
            _ => self.navigate(|_| {}),
        }
    }

    /// Opens the page of a problem listed on the closing screen, at the question.
    pub fn go_to_problem(&self, page: usize, node: NodeRef) {
        self.go(page);
        self.point_at(&[node]);
    }

    /// Opens a question from the review: its page, at the question.
    pub fn go_to_question(&self, page: usize, node: NodeRef) {
        self.reviewing.set(false);
        self.go(page);
        self.focus_later(node);
    }

    /// Whether the enumerator was sent to this question (see `flagged`).
    pub fn flagged(&self, node: &NodeRef) -> bool {
        self.flagged.with_value(|f| f.contains(node))
    }

    /// Flags questions (each redraws its message), then, once the page is drawn, scrolls to
    /// the first, marks it and gives its control the focus.
    fn point_at(&self, nodes: &[NodeRef]) {
        self.flagged
            .update_value(|f| f.extend(nodes.iter().cloned()));
        self.apply(Refresh {
            nodes: nodes.to_vec(),
            ..Refresh::default()
        });
        if let Some(first) = nodes.first().cloned() {
            self.focus_later(first);
        }
    }

    /// Once the page is drawn: scrolls to a question, marks it and focuses its control.
    fn focus_later(&self, first: NodeRef) {
        self.mark_then(first, true);
    }

    /// Once the page is drawn: scrolls to a question and marks it, leaving the focus where it
    /// is (the designer's preview follows the selection while the designer types).
    pub fn mark_later(&self, node: NodeRef) {
        self.mark_then(node, false);
    }

    fn mark_then(&self, first: NodeRef, focus: bool) {
        let ctx = *self;
        crate::browser::later(move || {
            let element = ctx
                .elements
                .try_with_value(|m| m.get(&first).cloned())
                .flatten();
            if let Some(element) = element {
                ctx.elements.with_value(|m| {
                    for other in m.values() {
                        let _ = other.remove_attribute("data-marked");
                    }
                });
                crate::browser::mark_and_focus(&element, focus);
            }
        });
    }

    /// Moves the session, redraws the page, and saves the page with the draft.
    fn navigate(&self, f: impl FnOnce(&mut Session)) {
        self.session.update_value(|s| {
            if let Some(s) = s {
                f(s);
            }
        });
        self.page_rev.update(|n| *n += 1);
        self.autosave();
        // The designer's preview sits beside the editor: the window stays where it is.
        if self.persist {
            scroll_to_top();
        }
    }

    /// Saves the draft and its page. Saves never overlap: an answer given while one is being
    /// written is saved right after it, with everything answered by then.
    pub fn autosave(&self) {
        if !self.persist
            || self.untouched.get_value()
            || self
                .with(super::super::session::Session::read_only)
                .unwrap_or(true)
        {
            return;
        }
        if self.saving.get_value() {
            self.dirty.set_value(true);
            return;
        }
        self.saving.set_value(true);
        self.busy.set(true);
        let ctx = *self;
        // Past each await the enumerator may have left the interview, and its values are gone
        // with its screen: `with` gives None then, and `save_on_leave` has saved the draft as
        // it was left.
        spawn_local(async move {
            loop {
                ctx.dirty.set_value(false);
                let Some(instance_id) = ctx.with(|s| s.engine().instance_id().to_string()) else {
                    break;
                };
                let Some(store) = store() else { break };
                let files = ctx
                    .pending
                    .try_update_value(std::mem::take)
                    .unwrap_or_default();
                let result = if files.is_empty() {
                    // The draft is built once the transaction has read the stored row, with
                    // every answer given by then; none while a file waits (the loop comes
                    // round for it: `answer_file` marks the save dirty).
                    store
                        .autosave(&instance_id, || {
                            let waiting = ctx.pending.try_with_value(|p| !p.is_empty());
                            if waiting.unwrap_or(true) {
                                return None;
                            }
                            ctx.with(|s| (s.draft(), s.page()))
                        })
                        .await
                } else {
                    let Some((draft, page)) = ctx.with(|s| (s.draft(), s.page())) else {
                        break;
                    };
                    let bytes: Vec<_> = files
                        .iter()
                        .map(|f| (f.captured.file.clone(), f.captured.bytes.clone()))
                        .collect();
                    let result = store.save_draft_with_files(&draft, page, &bytes).await;
                    if result.is_ok() {
                        crate::perf::mark("__dalaFileStored");
                    }
                    if let Err(error) = result {
                        ctx.take_back(files, error);
                        // The draft without them is saved on the next round.
                        ctx.dirty.set_value(true);
                        continue;
                    }
                    result
                };
                if result.is_ok() {
                    ctx.app.stored_interview(&instance_id);
                }
                saved(ctx.app, result);
                if !ctx.dirty.try_get_value().unwrap_or(false) {
                    break;
                }
            }
            ctx.saving.set_value(false);
            ctx.busy.set(false);
        });
    }

    /// Called as the interview's screen goes: a save still in flight may not have built its
    /// draft yet and will find the interview gone, so the draft as it stands is saved now.
    /// A position fix came: the questions that take it are filled and the draft saved (a new
    /// interview with nothing answered yet keeps it in memory for its first answer).
    fn location_found(&self, geopoint: String) {
        crate::host::remember_fix(geopoint);
        let refresh = self
            .session
            .try_update_value(|s| s.as_mut().map(Session::location_found))
            .flatten();
        if let Some(refresh) = refresh
            && !refresh.nodes.is_empty()
        {
            self.apply(refresh);
            self.autosave();
        }
    }

    fn save_on_leave(&self) {
        if !self.persist || !self.saving.try_get_value().unwrap_or(false) {
            return;
        }
        let Some((record, page)) = self
            .with(|s| (!s.read_only()).then(|| (s.draft(), s.page())))
            .flatten()
        else {
            return;
        };
        let Some(store) = store() else { return };
        let app = self.app;
        // Files still waiting go with it: the draft names them.
        let files: Vec<_> = self
            .pending
            .try_update_value(std::mem::take)
            .unwrap_or_default()
            .into_iter()
            .map(|f| (f.captured.file, f.captured.bytes))
            .collect();
        spawn_local(async move {
            saved(
                app,
                store.save_draft_with_files(&record, page, &files).await,
            );
        });
    }
}

/// After a save: marked for the benchmarks, or the enumerator told why it failed. The answers
/// stay on screen and in memory; the next answer saves again.
fn saved(app: AppState, result: Result<(), StoreError>) {
    match result {
        Ok(()) => {}
        Err(StoreError::Full(_)) => app.notice.set(Some(app.t(Msg::StorageFull).to_string())),
        Err(e) => app.fail(app.t(Msg::SaveFailed), e),
    }
    crate::perf::saved();
}

fn scroll_to_top() {
    if let Some(w) = web_sys::window() {
        w.scroll_to_with_x_and_y(0.0, 0.0);
    }
}

/// How an interview screen opens.
#[derive(Clone, Debug, PartialEq)]
pub enum Opening {
    /// A stored record (a draft to go on with, a finalized one to read).
    Stored(String),
    /// A new interview of an instrument version, stored from its first answer.
    New { form_id: String, version: String },
}

async fn open(state: AppState, opening: &Opening) -> Result<Session, String> {
    let store = store().ok_or("no database")?;
    let host = BrowserHost {
        device_id: state.device_id.get_untracked(),
    };
    // With the lists of its attached files, kept beside it at import.
    let compile = async |instrument: &dala_core::Instrument| {
        let settings = &instrument.settings;
        let lists = store
            .get_lists(&settings.form_id, &settings.version)
            .await
            .map_err(|e| e.to_string())?;
        Form::compile_with(instrument, lists).map_err(|d| {
            let first = d
                .first()
                .map(|d| format!(": {} {}", d.code, dala_words::diagnostic(d)))
                .unwrap_or_default();
            format!("{} problems{first}", d.len())
        })
    };
    match opening {
        Opening::New { form_id, version } => {
            let instrument = store
                .get_instrument(form_id, version)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("{form_id} version {version} is not on the device"))?;
            let form = compile(&instrument).await?;
            let last = if form.reads_last_saved {
                let device = state.device_id.get_untracked();
                crate::workflows::last_saved(store.as_ref(), form_id, &device)
                    .await
                    .map_err(|e| e.to_string())?
            } else {
                None
            };
            let mut engine = Engine::new_after(form, Box::new(host), last.as_ref());
            engine.enumerator = state.enumerator.get_untracked();
            Ok(Session::new(engine, 0, false))
        }
        Opening::Stored(instance_id) => {
            let record = store
                .get_record(instance_id)
                .await
                .map_err(|e| e.to_string())?
                .ok_or("this record is not on the device")?;
            let s = &record.submission;
            // A draft keeps the version it was started with, whatever has been published since.
            let instrument = store
                .get_instrument(&s.instrument_id, &s.instrument_version)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| {
                    format!(
                        "{} version {} is not on the device",
                        s.instrument_id, s.instrument_version
                    )
                })?;
            let engine = Engine::resume(compile(&instrument).await?, Box::new(host), s);
            Ok(Session::new(
                engine,
                record.page,
                s.status == Status::Finalized,
            ))
        }
    }
}

#[component]
pub fn Interview(
    opening: Opening,
    /// Where the way back leads: Collect's home, or the workspace that opened the record.
    #[prop(optional)]
    back: Option<Route>,
) -> impl IntoView {
    let back = back.unwrap_or(Route::Home).hash();
    let app = state();
    let ctx = Ctx::new(app, String::new(), true);
    ctx.untouched
        .set_value(matches!(opening, Opening::New { .. }));
    on_cleanup(move || {
        ctx.save_on_leave();
        crate::browser::stop_watching_location();
        crate::host::forget_fix();
    });
    let loaded = RwSignal::new(false);
    let show_pages = RwSignal::new(false);
    let languages_list = RwSignal::new(Vec::<String>::new());
    spawn_local(async move {
        match open(app, &opening).await {
            Ok(session) => {
                let instrument = &session.engine().form().instrument;
                let langs = instrument.languages();
                // The form opens in the interface language when the instrument has it.
                let lang = form_language_for(instrument, app.lang.get_untracked().code());
                ctx.form_lang.set(lang);
                // A finalized record opens on the review of its answers.
                ctx.reviewing.set(session.read_only());
                languages_list.set(langs);
                // Follow the device's position only for a form that records it by itself,
                // and only while it is open.
                let follow = !session.read_only() && session.engine().form().takes_location();
                ctx.session.set_value(Some(session));
                if follow {
                    crate::browser::watch_location(move |fix| ctx.location_found(fix));
                }
                ctx.page_rev.update(|n| *n += 1);
                loaded.set(true);
                crate::perf::interview_ready();
            }
            Err(e) => app.fail(app.t(Msg::LoadFailed), e),
        }
    });

    let title = move || {
        ctx.page_rev.get();
        let lang = ctx.form_lang.get();
        ctx.with(|s| {
            let settings = &s.engine().form().instrument.settings;
            settings
                .title
                .get(&lang, settings.default_language.as_deref())
                .unwrap_or(&settings.form_id)
                .to_string()
        })
    };
    let progress = move || {
        ctx.page_rev.get();
        ctx.with(super::super::session::Session::progress)
            .unwrap_or((0, 0))
    };

    let jump_list = move || {
        ctx.page_rev.get();
        let lang = ctx.form_lang.get();
        let (current, titles) = ctx
            .with(|s| {
                (
                    s.page(),
                    (0..s.pages().len())
                        .map(|i| s.page_title(i, &lang, app.lang.get_untracked()))
                        .collect::<Vec<_>>(),
                )
            })
            .unwrap_or_default();
        view! {
            <nav class="jump card" aria-label=app.t(Msg::Pages)>
                <ol>
                    {titles.into_iter().enumerate().map(|(i, t)| view! {
                        <li>
                            <button class=if i == current { "link current" } else { "link" }
                                on:click=move |_| { ctx.go(i); show_pages.set(false); }>
                                {t}
                            </button>
                        </li>
                    }).collect_view()}
                    <li>
                        <button class="link" on:click=move |_| { ctx.go(usize::MAX); show_pages.set(false); }>
                            {app.t(Msg::Finalize)}
                        </button>
                    </li>
                </ol>
            </nav>
        }
    };

    view! {
        <main id="interview" class="interview"
            data-ready=move || loaded.get().to_string()
            data-instance=move || { loaded.get(); ctx.with(|s| s.engine().instance_id().to_string()) }
            data-saving=move || ctx.busy.get().to_string()
            data-page=move || { ctx.page_rev.get(); ctx.with(super::super::session::Session::page).unwrap_or(0).to_string() }>
            <Show when=move || loaded.get()>
                <div class="interview-head">
                    <a class="button home-link" href=back.clone() aria-label=move || app.t(Msg::Home)>
                        "←"<span class="wide-only">{move || app.t(Msg::Home)}</span>
                    </a>
                    <h2 class="form-title">{title}</h2>
                    <label class="form-lang">
                        <span class="form-lang-label">{move || app.t(Msg::FormLanguage)}</span>
                        <select on:change=move |ev| ctx.set_form_lang(event_target_value(&ev))>
                            {move || languages_list.get().into_iter().map(|l| {
                                let selected = l == ctx.form_lang.get_untracked();
                                view! { <option value=l.clone() prop:selected=selected>{crate::i18n::language_name(&l)}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                    <button class="button pages-toggle" aria-expanded=move || show_pages.get().to_string()
                        on:click=move |_| show_pages.update(|v| *v = !*v)>
                        {move || app.t(Msg::Pages)}
                    </button>
                    <button class="button review-toggle" aria-pressed=move || ctx.reviewing.get().to_string()
                        on:click=move |_| { ctx.reviewing.update(|v| *v = !*v); show_pages.set(false); }>
                        {move || if ctx.reviewing.get() { app.t(Msg::BackToPages) } else { app.t(Msg::ReviewShort) }}
                    </button>
                </div>
                <div class="progress">
                    <progress max=move || progress().1 value=move || progress().0></progress>
                    <span class="muted">{move || {
                        let (at, of) = progress();
                        format!("{} {at} {} {of}", app.t(Msg::Page), app.t(Msg::Of))
                    }}</span>
                </div>
                <Show when=move || show_pages.get()>{jump_list}</Show>
                <Show when=move || !ctx.reviewing.get() fallback=move || view! { <Review ctx=ctx/> }>
                <PageView ctx=ctx/>
                <div class="nav">
                    <button class="button prev" disabled={move || progress().0 <= 1}
                        on:click=move |_| ctx.step(false)>
                        {move || format!("← {}", app.t(Msg::Previous))}
                    </button>
                    <Show when=move || { let (at, of) = progress(); at < of }>
                        <button class="button primary next"
                            on:click=move |_| ctx.step(true)>
                            {move || format!("{} →", app.t(Msg::Next))}
                        </button>
                    </Show>
                </div>
                </Show>
            </Show>
        </main>
    }
}

/// The page on screen: its questions (kept by node, so a question that stays keeps its input
/// and focus when others appear or go), a repeat's closing page, or the closing screen.
/// A field-list page builds all the questions it holds, relevant or not, and each shows or
/// hides itself: an answer that makes hundreds of questions relevant then changes an attribute
/// on each instead of building them while the enumerator waits.
#[component]
pub fn PageView(ctx: Ctx) -> impl IntoView {
    let app = ctx.app;
    // The page's questions by key. A memo: an answer that changes which questions are
    // relevant changes the list of pages (page_rev) but not the questions this page holds,
    // and then the list below is not diffed again (a thousand keys hashed while the
    // enumerator waits for the questions to appear).
    let questions = Memo::new(move |_| {
        ctx.page_rev.get();
        ctx.with(|s| {
            s.current()
                .map(|p| {
                    let engine = s.engine();
                    engine
                        .page_questions(p)
                        .into_iter()
                        .map(|node| question_key(engine, node))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
        .unwrap_or_default()
    });
    let heading = move || {
        ctx.page_rev.get();
        let lang = ctx.form_lang.get();
        ctx.with(|s| {
            s.current()
                .and_then(|p| p.group.clone())
                .map(|g| s.engine().label(&g, &lang))
        })
        .flatten()
        .filter(|t| !t.is_empty())
        .map(|t| view! { <h3 class="group-label">{rich(&t)}</h3> })
    };
    // Which repeat instance the page is in: "Household member 2 of 3".
    let instance = move || {
        ctx.page_rev.get();
        let lang = ctx.form_lang.get();
        ctx.with(|s| {
            s.current()
                .and_then(|p| p.nodes.first().or(p.group.as_ref()))
                .map(|n| where_in_repeats(s.engine(), n, &lang, app.lang.get_untracked()))
        })
        .flatten()
        .filter(|t| !t.is_empty())
        .map(|t| view! { <p class="instance-title">{t}</p> })
    };
    // Said once: the closing screen of a finalized record says it itself.
    let read_only_note = move || {
        ctx.page_rev.get();
        ctx.with(|s| s.read_only() && !s.at_end())
            .unwrap_or(false)
            .then(|| view! { <p class="banner read-only">{app.t(Msg::ReadOnlyRecord)}</p> })
    };
    view! {
        <section class="page">
            {read_only_note}
            {instance}
            {heading}
            <For each=move || questions.get() key=|key| key.clone() let:key>
                <Question node=key.node ctx=ctx/>
            </For>
            {move || {
                ctx.page_rev.get();
                let repeat = ctx.with(|s| s.current().and_then(|p| p.repeat.clone())).flatten();
                repeat.map(|r| view! { <RepeatEnd repeat=r ctx=ctx/> })
            }}
            {move || {
                ctx.page_rev.get();
                ctx.with(super::super::session::Session::at_end).unwrap_or(false).then(|| view! { <Closing ctx=ctx/> })
            }}
        </section>
    }
}

/// A question on the page is kept while its node, name, type and list stay: in an interview
/// they always do; in the designer's preview an edit of one of them builds it afresh.
#[derive(Clone, PartialEq, Eq, Hash)]
struct QuestionKey {
    node: NodeRef,
    name: String,
    item_type: dala_core::ItemType,
    list: Option<String>,
}

fn question_key(engine: &Engine, node: NodeRef) -> QuestionKey {
    let item = &engine.form().item(node.item).item;
    QuestionKey {
        name: item.name.clone(),
        item_type: item.item_type,
        list: item.list.clone(),
        node,
    }
}

/// The page after a repeat's instances: each instance by its title, opened for editing with
/// a tap; remove (asked first, and undone with one tap right after); add.
#[component]
fn RepeatEnd(repeat: NodeRef, ctx: Ctx) -> impl IntoView {
    let app = ctx.app;
    let lang = ctx.form_lang.get_untracked();
    let (label, instances) = ctx
        .with(|s| {
            let engine = s.engine();
            let form = engine.form();
            let item = &form.item(repeat.item).item;
            let label = item
                .label
                .get(&lang, form.default_language())
                .unwrap_or(&item.name)
                .to_string();
            let all = engine.instances(repeat.item, &repeat.path);
            let count = all.len();
            let instances: Vec<(NodeRef, String, Option<usize>)> =
                all.into_iter()
                    .enumerate()
                    .map(|(i, instance)| {
                        let at = InstanceAt {
                            instance: instance.clone(),
                            position: i + 1,
                            count,
                        };
                        let title = instance_title(engine, &at, &lang, app.lang.get_untracked());
                        let first_page = s.pages().iter().position(|p| {
                            p.nodes.iter().any(|n| n.path.starts_with(&instance.path))
                        });
                        (instance, title, first_page)
                    })
                    .collect();
            (label, instances)
        })
        .unwrap_or_default();
    let read_only = ctx
        .with(super::super::session::Session::read_only)
        .unwrap_or(true);
    let can_undo = ctx
        .with(super::super::session::Session::can_undo_removal)
        .unwrap_or(false);
    let add = repeat.clone();
    view! {
        <div class="repeat-end card" data-repeat=ctx.with(|s| s.engine().name(&repeat).to_string())>
            <h3>{rich(&label)}</h3>
            <ol class="instances">
                {instances.into_iter().map(|(instance, title, first_page)| {
                    let removing = instance.clone();
                    view! {
                        <li>
                            <button class="link open-instance" disabled=first_page.is_none()
                                on:click=move |_| if let Some(page) = first_page { ctx.go(page) }>
                                {title}
                            </button>
                            <AskFirst label=app.t(Msg::RemoveInstance) question=app.t(Msg::ConfirmRemoveInstance)
                                class="remove-instance" confirm_class="confirm-remove" disabled=read_only
                                on_confirm=move || {
                                    let instance = removing.clone();
                                    ctx.edit_repeat(move |s| s.remove_instance(&instance));
                                }/>
                        </li>
                    }
                }).collect_view()}
            </ol>
            {(can_undo && !read_only).then(|| view! {
                <p class="banner undo-removal">
                    <span>{app.t(Msg::InstanceRemoved)}</span>
                    <button class="button undo" on:click=move |_| ctx.undo_removal()>{app.t(Msg::Undo)}</button>
                </p>
            })}
            <button class="button primary add-instance" disabled=read_only
                on:click=move |_| {
                    let add = add.clone();
                    ctx.edit_repeat(move |s| s.add_instance(&add));
                }>
                {format!("+ {}", app.t(Msg::AddInstance))}
            </button>
        </div>
    }
}

/// Every answer of the interview, grouped, repeats by instance; each answer opens its page.
#[component]
fn Review(ctx: Ctx) -> impl IntoView {
    let app = ctx.app;
    let lines = move || {
        ctx.page_rev.get();
        let lang = ctx.form_lang.get();
        ctx.with(|s| review(s, &lang, app.lang.get_untracked()))
            .unwrap_or_default()
    };
    view! {
        <section class="review card">
            {move || ctx.with(super::super::session::Session::read_only).unwrap_or(false)
                .then(|| view! { <p class="banner read-only">{app.t(Msg::ReadOnlyRecord)}</p> })}
            <h3>{move || app.t(Msg::Review)}</h3>
            <ul class="review-lines">
                {move || lines().into_iter().map(|line| match line {
                    Line::Heading { depth, text } => view! {
                        <li class=format!("review-heading depth-{}", depth.min(4))>{text}</li>
                    }.into_any(),
                    Line::Answer { depth, node, name, label, answer, page } => {
                        let empty = answer.is_empty();
                        let shown = if empty { app.t(Msg::NotAnswered).to_string() } else { answer };
                        view! {
                            <li class=format!("review-answer depth-{}", depth.min(4)) data-name=name>
                                <button class="link" disabled=page.is_none()
                                    on:click=move |_| if let Some(page) = page { ctx.go_to_question(page, node.clone()) }>
                                    <span class="review-label">{label}</span>
                                    <span class=if empty { "review-value muted" } else { "review-value" }>{shown}</span>
                                </button>
                            </li>
                        }.into_any()
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

/// The closing screen: what blocks finalizing, each a link to its page; or the button.
#[component]
fn Closing(ctx: Ctx) -> impl IntoView {
    let app = ctx.app;
    let problems = move || {
        ctx.page_rev.get();
        let lang = ctx.form_lang.get();
        ctx.with(|s| {
            s.problems(&lang)
                .into_iter()
                .map(|p| {
                    let label = s.engine().label(&p.node, &lang);
                    let message = s
                        .designer_message(&p.node, p.kind, &lang)
                        .unwrap_or_else(|| {
                            let generic = match p.kind {
                                ProblemKind::Required => Msg::RequiresAnswer,
                                ProblemKind::Constraint => Msg::NotAllowed,
                            };
                            app.t(generic).to_string()
                        });
                    (
                        p.page,
                        s.engine().name(&p.node).to_string(),
                        label,
                        message,
                        p.node,
                    )
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
    };
    let finalize = move |_| {
        let lang = ctx.form_lang.get_untracked();
        let result = ctx
            .session
            .try_update_value(|s| s.as_mut().map(|s| s.finalize(&lang)))
            .flatten();
        let Some(Ok(record)) = result else {
            ctx.page_rev.update(|n| *n += 1);
            return;
        };
        let title = ctx
            .with(|s| record_title(&s.engine().form().instrument, &record, &lang))
            .flatten();
        spawn_local(async move {
            let Some(store) = store() else { return };
            match store.put_submission(&record).await {
                Ok(()) => {
                    app.notice.set(Some(format!(
                        "{}: {}",
                        app.t(Msg::FinalizedAs),
                        title.unwrap_or_else(|| record.instance_id.clone())
                    )));
                    app.data_rev.update(|n| *n += 1);
                    crate::outbox::send(app);
                    app.go(Route::Records(record.instrument_id.clone()));
                }
                Err(StoreError::Full(_)) => {
                    app.notice.set(Some(app.t(Msg::StorageFull).to_string()));
                }
                Err(e) => app.fail(app.t(Msg::SaveFailed), e),
            }
        });
    };
    view! {
        <div class="closing card">
            {move || {
                if ctx.with(super::super::session::Session::read_only).unwrap_or(false) {
                    return view! { <p>{app.t(Msg::ReadOnlyRecord)}</p> }.into_any();
                }
                let list = problems();
                if list.is_empty() && !ctx.persist {
                    // The designer's preview: nothing is finalized or stored.
                    view! { <p class="ready">{app.t(Msg::FinalizeReady)}</p> }.into_any()
                } else if list.is_empty() {
                    view! {
                        <p class="ready">{app.t(Msg::FinalizeReady)}</p>
                        <button class="button primary finalize" on:click=finalize>{app.t(Msg::Finalize)}</button>
                    }.into_any()
                } else {
                    view! {
                        <p>{app.t(Msg::FinalizeBlocked)}</p>
                        <ul class="problems">
                            {list.into_iter().map(|(page, name, label, message, node)| view! {
                                <li data-name=name>
                                    <button class="link" on:click=move |_| ctx.go_to_problem(page, node.clone())>
                                        {rich(&label)}
                                    </button>
                                    <span class="error">{message}</span>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }
            }}
        </div>
    }
}
