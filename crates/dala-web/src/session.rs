//! One interview as the app runs it: the engine, the pages as they stand and the page on
//! screen. Plain Rust, tested natively; the view applies what [`Refresh`] says changed.

use dala_core::engine::{
    AnswerError, ChangeSet, Engine, NodeRef, Page, Problem, ProblemKind, What,
};
use dala_core::instrument::Instrument;
use dala_core::record::{Status, Submission};
use rustc_hash::FxHashSet;

/// What an edit changed on screen.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Refresh {
    /// Questions whose value, marks, texts or choices changed.
    pub nodes: Vec<NodeRef>,
    /// Questions that became relevant or stopped being: shown or hidden, nothing redrawn.
    /// Kept apart because one answer can flip the relevance of hundreds of questions.
    pub shown: Vec<NodeRef>,
    /// The pages themselves changed (a question or page appeared or went away): redraw the
    /// page and the jump list.
    pub pages_changed: bool,
}

pub struct Session {
    engine: Engine,
    pages: Vec<Page>,
    /// Index into `pages`; `pages.len()` is the closing screen (finalize).
    page: usize,
    read_only: bool,
    /// The draft as it was before the last instance was removed, while that can be undone
    /// (until the next edit).
    before_removal: Option<Submission>,
}

/// The language an instrument opens in: the interface's when the instrument has it (named
/// by its code, `ru`, or as XLSForm names languages, `Russian (ru)`), else its first
/// (default) language.
pub fn form_language_for(instrument: &Instrument, ui: &str) -> String {
    let langs = instrument.languages();
    let coded = format!("({ui})");
    let found = langs.iter().find(|l| *l == ui).or_else(|| {
        langs
            .iter()
            .find(|l| l.to_ascii_lowercase().ends_with(&coded))
    });
    match found {
        Some(language) => language.clone(),
        None => langs.into_iter().next().unwrap_or_default(),
    }
}

impl Session {
    /// Opens an interview at `page` (a resumed draft's saved page; clamped to the pages there
    /// are). A finalized record opens read-only.
    pub fn new(engine: Engine, page: usize, read_only: bool) -> Session {
        let pages = engine.pages();
        let page = page.min(pages.len());
        Session {
            engine,
            pages,
            page,
            read_only,
            before_removal: None,
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn pages(&self) -> &[Page] {
        &self.pages
    }

    pub fn page(&self) -> usize {
        self.page
    }

    pub fn read_only(&self) -> bool {
        self.read_only
    }

    /// The page on screen, or None on the closing screen.
    pub fn current(&self) -> Option<&Page> {
        self.pages.get(self.page)
    }

    pub fn at_end(&self) -> bool {
        self.page >= self.pages.len()
    }

    pub fn go(&mut self, index: usize) {
        self.page = index.min(self.pages.len());
    }

    /// "Next": the page after this one (true if the screen moved), unless this page has a
    /// required answer missing or a broken constraint: then the screen stays and those come
    /// back, for the view to point at.
    pub fn next_page(&mut self, language: &str) -> Result<bool, Vec<Problem>> {
        let next = self.engine.next_page(self.page, language)?;
        let before = self.page;
        self.go(next);
        Ok(self.page != before)
    }

    pub fn previous_page(&mut self) -> bool {
        let before = self.page;
        self.page = self.page.saturating_sub(1);
        self.page != before
    }

    /// `(page number from 1, number of pages)`; the closing screen counts as the last.
    pub fn progress(&self) -> (usize, usize) {
        let total = self.pages.len() + 1;
        (self.page + 1, total)
    }

    /// The title of a page in the jump list: the repeat instance it is in, if any ("Household
    /// member 2 of 3 · Sex"), and its group's label or its question's.
    pub fn page_title(&self, index: usize, language: &str, lang: crate::i18n::Lang) -> String {
        let title = self.page_own_title(index, language);
        let within = self
            .pages
            .get(index)
            .and_then(|p| p.nodes.first().or(p.group.as_ref()))
            .map(|node| crate::review::where_in_repeats(&self.engine, node, language, lang))
            .unwrap_or_default();
        if within.is_empty() {
            title
        } else {
            format!("{within} · {title}")
        }
    }

    fn page_own_title(&self, index: usize, language: &str) -> String {
        let Some(page) = self.pages.get(index) else {
            return String::new();
        };
        let title = if let Some(group) = &page.group {
            self.engine.label(group, language)
        } else if let Some(repeat) = &page.repeat {
            self.engine
                .form()
                .item(repeat.item)
                .item
                .label
                .get(language, self.engine.form().default_language())
                .unwrap_or_default()
                .to_string()
        } else {
            page.nodes
                .first()
                .map(|n| self.engine.label(n, language))
                .unwrap_or_default()
        };
        let title = title.lines().next().unwrap_or_default().trim().to_string();
        if title.is_empty() {
            page.nodes
                .first()
                .or(page.group.as_ref())
                .or(page.repeat.as_ref())
                .map(|n| self.engine.form().item(n.item).item.name.clone())
                .unwrap_or_default()
        } else {
            title
        }
    }

    /// The first page showing the item named `name`, or something inside it (a group's or
    /// repeat's questions), with the node found there: where the designer's preview goes when
    /// the item is selected.
    pub fn page_of(&self, name: &str) -> Option<(usize, NodeRef)> {
        let form = self.engine.form();
        let target = form.id(name)?;
        let within = |mut item| loop {
            if item == target {
                return true;
            }
            match form.item(item).parent {
                Some(parent) => item = parent,
                None => return false,
            }
        };
        self.pages.iter().enumerate().find_map(|(index, page)| {
            page.nodes
                .iter()
                .chain(page.group.iter())
                .chain(page.repeat.iter())
                .find(|node| within(node.item))
                .map(|node| (index, node.clone()))
        })
    }

    pub fn answer(&mut self, node: &NodeRef, value: &str) -> Result<Refresh, AnswerError> {
        if self.read_only {
            return Err(AnswerError::ReadOnly);
        }
        let changes = self.engine.answer(node, value)?;
        self.before_removal = None;
        Ok(self.after(changes, Some(node)))
    }

    /// Answers a media question with a file captured for it (described; its bytes are the
    /// caller's to store with the draft).
    pub fn answer_file(
        &mut self,
        node: &NodeRef,
        file: dala_core::Attachment,
    ) -> Result<Refresh, AnswerError> {
        if self.read_only {
            return Err(AnswerError::ReadOnly);
        }
        let name = file.name.clone();
        self.engine.keep_file(file);
        self.answer(node, &name)
    }

    /// The device's position came (see [`Engine::location_found`]): a finalized record is
    /// not touched.
    pub fn location_found(&mut self) -> Refresh {
        if self.read_only {
            return Refresh::default();
        }
        let changes = self.engine.location_found();
        self.after(changes, None)
    }

    /// Adds an instance to the repeat a closing page offers, and moves to its first page.
    pub fn add_instance(&mut self, repeat: &NodeRef) -> Result<Refresh, AnswerError> {
        if self.read_only {
            return Err(AnswerError::ReadOnly);
        }
        let (instance, changes) = self.engine.add_instance(repeat.item, &repeat.path)?;
        self.before_removal = None;
        let mut refresh = self.after(changes, None);
        refresh.pages_changed = true;
        if let Some(at) = self
            .pages
            .iter()
            .position(|p| p.nodes.iter().any(|n| n.path.starts_with(&instance.path)))
        {
            self.page = at;
        }
        Ok(refresh)
    }

    /// Removes an instance; the screen stays on the repeat's closing page.
    pub fn remove_instance(&mut self, instance: &NodeRef) -> Result<Refresh, AnswerError> {
        if self.read_only {
            return Err(AnswerError::ReadOnly);
        }
        let closing = self.current().and_then(|p| p.repeat.clone());
        let before = self.draft();
        let changes = self.engine.remove_instance(instance)?;
        self.before_removal = Some(before);
        let mut refresh = self.after(changes, None);
        refresh.pages_changed = true;
        if let Some(closing) = closing
            && let Some(at) = self
                .pages
                .iter()
                .position(|p| p.repeat.as_ref() == Some(&closing))
        {
            self.page = at;
        }
        Ok(refresh)
    }

    /// Whether the last removal of an instance can be undone.
    pub fn can_undo_removal(&self) -> bool {
        self.before_removal.is_some()
    }

    /// Undoes the last removal of an instance: the interview as it was, on the same page.
    /// Instance ids are new, so everything on screen is to be redrawn.
    pub fn undo_removal(&mut self) -> bool {
        let Some(before) = self.before_removal.take() else {
            return false;
        };
        self.engine.restore_record(&before);
        self.pages = self.engine.pages();
        self.page = self.page.min(self.pages.len());
        true
    }

    /// Recomputes the pages when the change can have moved them, keeping the screen on the
    /// page of `anchor` (the question just answered) or on the same page number.
    fn after(&mut self, changes: ChangeSet, anchor: Option<&NodeRef>) -> Refresh {
        let structural = changes.changes.iter().any(|c| {
            matches!(
                c.what,
                What::Relevant | What::InstanceAdded | What::InstanceRemoved
            )
        });
        // One entry per node in each list, in the order the engine reported them (an answer
        // that reaches a thousand questions reports several changes for each).
        let n = changes.changes.len();
        let mut seen = FxHashSet::with_capacity_and_hasher(n, Default::default());
        let mut seen_shown = FxHashSet::with_capacity_and_hasher(n, Default::default());
        let (mut nodes, mut shown) = (Vec::new(), Vec::new());
        for change in &changes.changes {
            if change.what == What::Relevant {
                if seen_shown.insert(&change.node) {
                    shown.push(change.node.clone());
                }
            } else if seen.insert(&change.node) {
                nodes.push(change.node.clone());
            }
        }
        let mut pages_changed = false;
        if structural {
            let pages = self.engine.pages();
            if pages != self.pages {
                pages_changed = true;
                let current_group = self.current().and_then(|p| p.group.clone());
                self.pages = pages;
                let found = anchor
                    .and_then(|a| self.pages.iter().position(|p| p.nodes.contains(a)))
                    .or_else(|| {
                        current_group.and_then(|g| {
                            self.pages.iter().position(|p| p.group.as_ref() == Some(&g))
                        })
                    });
                self.page = found.unwrap_or(self.page).min(self.pages.len());
            }
        }
        Refresh {
            nodes,
            shown,
            pages_changed,
        }
    }

    /// The record as it stands, as a draft (what autosave writes).
    pub fn draft(&self) -> Submission {
        self.engine.record(Status::Draft)
    }

    /// The designer's own message for a problem in `language` (or the form's default
    /// language), or None when there is none and the interface's generic words apply.
    pub fn designer_message(
        &self,
        node: &NodeRef,
        kind: ProblemKind,
        language: &str,
    ) -> Option<String> {
        self.engine.problem_message(node, kind, language)
    }

    pub fn problems(&self, language: &str) -> Vec<Problem> {
        self.engine.problems(language)
    }

    /// The finalized record, after which the session is read-only; or what blocks it.
    pub fn finalize(&mut self, language: &str) -> Result<Submission, Vec<Problem>> {
        let record = self.engine.finalize(language)?;
        self.read_only = true;
        Ok(record)
    }
}

/// Everything a question shows, to compare two sessions of (nearly) the same instrument.
#[derive(PartialEq)]
struct Look {
    label: String,
    hint: String,
    required: bool,
    read_only: bool,
    value: String,
    constraint: Option<Option<String>>,
    choices: Vec<(String, String)>,
}

fn look(s: &Session, node: &NodeRef, language: &str) -> Look {
    let e = s.engine();
    let default = e.form().default_language();
    Look {
        label: e.label(node, language),
        hint: e.hint(node, language),
        required: e.required(node),
        read_only: e.read_only(node),
        value: e.value(node).to_string(),
        constraint: e
            .constraint_violated(node)
            .then(|| s.designer_message(node, ProblemKind::Constraint, language)),
        choices: e
            .choices(node)
            .into_iter()
            .map(|c| {
                let label = c.label.get(language, default).unwrap_or_default();
                (c.name.clone(), label.to_string())
            })
            .collect(),
    }
}

/// What changes on screen when `new` replaces `old` (the designer's preview after an edit):
/// among `nodes`, the questions to redraw and those to show or hide. A question the old
/// session did not have is left out: the page builds it afresh.
pub fn differences(old: &Session, new: &Session, nodes: &[NodeRef], language: &str) -> Refresh {
    let mut refresh = Refresh::default();
    for node in nodes {
        if old.engine().form().items.get(node.item).is_none() {
            continue;
        }
        if old.engine().relevant(node) != new.engine().relevant(node) {
            refresh.shown.push(node.clone());
        }
        if look(old, node, language) != look(new, node, language) {
            refresh.nodes.push(node.clone());
        }
    }
    refresh
}

/// Sessions of the seed instruments on a fixed clock, for the tests of the modules over them.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    use dala_core::Host;
    use dala_core::compile::Form;
    use dala_expr::date::DateTime;

    pub struct FixedHost;
    impl Host for FixedHost {
        fn now(&self) -> DateTime {
            dala_expr::date::parse_date_time("2015-03-17T10:30:00+06:00", 0).expect("date")
        }
        fn random(&self) -> f64 {
            0.25
        }
        fn device_id(&self) -> String {
            "tablet-07".into()
        }
    }

    /// A new interview of an instrument document.
    pub fn session(json: &str) -> Session {
        let instrument = Instrument::from_json(json).expect("instrument");
        let form = Form::compile(&instrument).expect("compiles");
        Session::new(Engine::new(form, Box::new(FixedHost)), 0, false)
    }

    pub fn police() -> Session {
        session(include_str!(
            "../../../surveys/police-gender-representation/instrument.json"
        ))
    }

    pub fn fast() -> Session {
        session(include_str!(
            "../../../surveys/fast-family-outcomes/instrument.json"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{FixedHost, police};
    use super::*;
    use dala_core::compile::Form;

    fn answer(s: &mut Session, name: &str, value: &str) -> Refresh {
        let node = s.engine().node(name, &[]).expect(name);
        s.answer(&node, value).expect("answer")
    }

    fn names(s: &Session) -> Vec<String> {
        s.current()
            .map(|p| {
                p.nodes
                    .iter()
                    .map(|n| s.engine().name(n).to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn consent_opens_the_interview_and_the_screen_stays_on_the_answered_question() {
        let mut s = police();
        // wave, consent, end: the rest waits for consent (scenarios.txt: 3 pages).
        assert_eq!(s.pages().len(), 3);
        s.go(1);
        assert_eq!(names(&s), ["consent"]);
        let refresh = answer(&mut s, "consent", "yes");
        assert!(refresh.pages_changed);
        // Consent makes the interview's questions relevant: they are to be shown, not redrawn.
        let region = s.engine().node("region", &[]).expect("region");
        assert!(refresh.shown.contains(&region));
        assert!(!refresh.nodes.contains(&region));
        let consent = s.engine().node("consent", &[]).expect("consent");
        assert!(refresh.nodes.contains(&consent), "its own value changed");
        assert_eq!(
            names(&s),
            ["consent"],
            "still on the question just answered"
        );
        assert_eq!(s.next_page("en"), Ok(true));
        assert_eq!(names(&s), ["region"]);
        // Region is required: "Next" stays on it and says why.
        let blocked = s.next_page("en").expect_err("region is required");
        assert_eq!(blocked.len(), 1);
        assert_eq!(s.engine().name(&blocked[0].node), "region");
        assert_eq!(blocked[0].kind, ProblemKind::Required);
        assert_eq!(names(&s), ["region"]);
        // An answer that changes nothing structural leaves the pages alone.
        let refresh = answer(&mut s, "region", "chui");
        assert!(!refresh.pages_changed);
    }

    #[test]
    fn a_field_list_page_shows_its_questions_together_and_the_end_is_the_closing_screen() {
        let mut s = police();
        answer(&mut s, "consent", "yes");
        let at = s
            .pages()
            .iter()
            .position(|p| p.nodes.len() > 1)
            .expect("the unit staff page");
        s.go(at);
        assert_eq!(
            names(&s),
            [
                "staff_total",
                "women_total",
                "ranked_total",
                "women_ranked",
                "staff_summary"
            ]
        );
        s.go(usize::MAX);
        assert!(s.at_end());
        assert_eq!(s.progress(), (s.pages().len() + 1, s.pages().len() + 1));
        assert_eq!(s.next_page("en"), Ok(false));
    }

    #[test]
    fn differences_name_only_the_questions_an_edit_changed() {
        let mut old = police();
        answer(&mut old, "consent", "yes");
        answer(&mut old, "staff_category", "ranked");
        let mut edited = old.engine().form().instrument.clone();
        let unit = &mut edited.survey[2].children[1];
        unit.children[0].label = dala_core::Text::one("en", "Staff in the unit, all ranks");
        unit.children[2].relevant = Some("false()".into());
        let form = Form::compile(&edited).expect("compiles");
        let engine = Engine::resume(form, Box::new(FixedHost), &old.draft());
        let new = Session::new(engine, 0, false);
        let page = new
            .pages()
            .iter()
            .find(|p| {
                p.group
                    .as_ref()
                    .is_some_and(|g| new.engine().name(g) == "unit_staff")
            })
            .expect("the unit page");
        let nodes = new.engine().page_questions(page);
        let refresh = differences(&old, &new, &nodes, "en");
        let names = |list: &[NodeRef]| -> Vec<String> {
            list.iter()
                .map(|n| new.engine().name(n).to_string())
                .collect()
        };
        assert_eq!(names(&refresh.nodes), ["staff_total"]);
        assert_eq!(names(&refresh.shown), ["ranked_total"]);
        // The answers came along.
        let category = new
            .engine()
            .node("staff_category", &[])
            .expect("staff_category");
        assert_eq!(new.engine().value(&category), "ranked");
    }

    #[test]
    fn the_page_of_an_item_is_the_first_showing_it_or_what_it_holds() {
        let mut s = police();
        answer(&mut s, "consent", "yes");
        let (page, node) = s.page_of("women_total").expect("on a page");
        assert_eq!(s.engine().name(&node), "women_total");
        s.go(page);
        assert!(names(&s).contains(&"women_total".to_string()));
        // A group: the page of its first question shown.
        let (group_page, _) = s.page_of("unit_staff").expect("the unit page");
        assert_eq!(group_page, page);
        assert_eq!(s.page_of("share_women"), None, "calculates are on no page");
    }

    /// Issue 16: removing an instance of a repeat the enumerator manages asks first (the view)
    /// and can be undone (here).
    #[test]
    fn removing_an_instance_can_be_undone_until_the_next_edit() {
        let mut s = super::testing::session(
            r#"{"format": 1, "settings": {"form_id": "t", "version": "1", "default_language": "en"},
            "survey": [{"type": "repeat", "name": "child", "label": {"en": "Child"}, "children": [
                {"type": "text", "name": "child_name", "label": {"en": "Name"}}]}]}"#,
        );
        let repeat = s.engine().form().id("child").expect("repeat");
        let closing = NodeRef {
            item: repeat,
            path: Vec::new(),
        };
        s.add_instance(&closing).expect("a second child");
        for (i, name) in ["Aziz", "Malika"].into_iter().enumerate() {
            let node = s.engine().node("child_name", &[i]).expect("name");
            s.answer(&node, name).expect("answer");
        }
        let first = s.engine().instances(repeat, &[])[0].clone();
        assert!(!s.can_undo_removal());
        s.remove_instance(&first).expect("removed");
        assert!(s.can_undo_removal());
        assert_eq!(s.engine().instances(repeat, &[]).len(), 1);
        assert!(s.undo_removal());
        let names: Vec<String> = (0..2)
            .map(|i| {
                let node = s.engine().node("child_name", &[i]).expect("back");
                s.engine().value(&node).to_string()
            })
            .collect();
        assert_eq!(names, ["Aziz", "Malika"], "both, in their order");
        assert!(!s.undo_removal(), "once");
        // An edit after a removal ends the chance to undo it.
        let first = s.engine().instances(repeat, &[])[0].clone();
        s.remove_instance(&first).expect("removed");
        let node = s.engine().node("child_name", &[0]).expect("left");
        s.answer(&node, "Malika K.").expect("answer");
        assert!(!s.can_undo_removal());
    }

    #[test]
    fn a_finalized_session_is_read_only() {
        let mut s = police();
        answer(&mut s, "wave", "2014_summer");
        answer(&mut s, "consent", "no");
        let record = s.finalize("en").expect("nothing required is missing");
        assert_eq!(record.status, Status::Finalized);
        let node = s.engine().node("wave", &[]).expect("wave");
        assert_eq!(
            s.answer(&node, "2015_spring").err(),
            Some(AnswerError::ReadOnly),
            "refused as read-only, with its own error"
        );
        assert_eq!(s.engine().value(&node), "2014_summer");
    }

    #[test]
    fn designer_messages_in_the_form_language_or_none() {
        let mut s = police();
        answer(&mut s, "consent", "yes");
        let years = s.engine().node("years_service", &[]).expect("years");
        assert_eq!(
            s.designer_message(&years, ProblemKind::Constraint, "ru")
                .as_deref(),
            Some("Стаж службы от 0 до 45 лет")
        );
        assert_eq!(
            s.designer_message(&years, ProblemKind::Required, "ru"),
            None
        );
    }

    #[test]
    fn a_form_opens_in_the_interface_language_by_code_or_by_xlsform_name() {
        let police = police().engine().form().instrument.clone();
        assert_eq!(form_language_for(&police, "ru"), "ru");
        assert_eq!(form_language_for(&police, "ky"), "ky");
        assert_eq!(
            form_language_for(&police, "uz"),
            "en",
            "not there (only its regions and districts are): the default"
        );
        let mut named = police;
        named.settings.title = dala_core::Text(
            [("English (en)", "Police"), ("Russian (ru)", "Полиция")]
                .into_iter()
                .map(|(l, t)| (l.to_string(), t.to_string()))
                .collect(),
        );
        named.settings.default_language = Some("English (en)".into());
        named.survey.clear();
        assert_eq!(form_language_for(&named, "ru"), "Russian (ru)");
        assert_eq!(form_language_for(&named, "en"), "English (en)");
    }

    #[test]
    fn the_default_language_comes_first() {
        let s = police();
        assert_eq!(s.engine().form().instrument.languages(), ["en", "ky", "ru"]);
    }
}
