//! The survey designer's editing model: edits on an instrument, each applied with its exact
//! inverse (so undo and redo are just more edits), renames that carry every reference along,
//! the places that use a question, and what publishing a new version would break for data
//! already collected. Plain data and no I/O: the app's designer screen is a view of a
//! [`Design`], and every rule here is tested natively.

use crate::index::Index;
use crate::instrument::{Choice, Instrument, Item, ItemType, Text};
use crate::record::{Answer, Submission};
use crate::validate::{Column, Diagnostic, validate};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Where an item is: its index in the survey, then in each group's children.
pub type ItemPath = Vec<usize>;

/// A column of one item that an edit sets. Texts are per language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Type,
    /// The name alone. [`Design::rename`] also rewrites the references to it.
    Name,
    Label(String),
    Hint(String),
    RequiredMessage(String),
    ConstraintMessage(String),
    List,
    Relevant,
    Required,
    Constraint,
    Calculation,
    Default,
    ReadOnly,
    ChoiceFilter,
    RepeatCount,
    Trigger,
    Appearance,
}

/// A setting of the instrument that an edit sets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Setting {
    FormId,
    Version,
    Title(String),
    DefaultLanguage,
    InstanceName,
}

/// One change to an instrument. `None` clears a column; an empty text counts as none.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Edit {
    /// Puts `item` at `index` among the children of `parent` (the survey when empty).
    Insert {
        parent: ItemPath,
        index: usize,
        item: Box<Item>,
    },
    Remove {
        at: ItemPath,
    },
    Set {
        at: ItemPath,
        field: Field,
        value: Option<String>,
    },
    /// Replaces a choice list (None removes it).
    SetChoices {
        list: String,
        choices: Option<Vec<Choice>>,
    },
    SetSetting {
        setting: Setting,
        value: Option<String>,
    },
    /// Moves every text of language `from` (title, labels, hints, messages, choice labels)
    /// to `to`, and the default language with them.
    RenameLanguage {
        from: String,
        to: String,
    },
    /// Edits applied in order, all or none.
    Batch(Vec<Edit>),
}

/// A change to one choice of a list, as the designer's choice table makes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChoiceEdit {
    Rename {
        row: usize,
        name: String,
    },
    /// An empty text clears the label in that language.
    Label {
        row: usize,
        language: String,
        text: String,
    },
    Remove {
        row: usize,
    },
    Add,
}

#[derive(Debug, PartialEq, Eq)]
pub enum EditError {
    NoItem(ItemPath),
    BadIndex {
        index: usize,
        len: usize,
    },
    NotAContainer,
    InvalidName(String),
    NameTaken(String),
    UnknownType(String),
    GroupNotEmpty,
    /// The column or setting, as XLSForm names it (`name`, `type`, `form_id`, `version`,
    /// `language`), that cannot be left empty.
    Empty(&'static str),
    NoMove,
    LanguageTaken(String),
    NoLanguage(String),
}

/// An instrument being edited, with its undo and redo history.
#[derive(Clone, Debug)]
pub struct Design {
    instrument: Instrument,
    undo: Vec<Edit>,
    redo: Vec<Edit>,
    /// The column being typed into, when the last edit was a keystroke there: further
    /// keystrokes in it join that edit, so one undo takes back the whole typing.
    typing: Option<(ItemPath, Field)>,
}

/// How many edits can be undone; older ones are forgotten.
pub const HISTORY: usize = 500;

/// The version of the stored design format ([`DesignState`]).
pub const DESIGN_STATE_FORMAT: u32 = 1;

/// A design in progress as a device keeps it: the instrument and its undo and redo history, so
/// undo still works after a reload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DesignState {
    pub format: u32,
    pub instrument: Instrument,
    pub undo: Vec<Edit>,
    pub redo: Vec<Edit>,
}

impl DesignState {
    pub fn to_json(&self) -> String {
        // Plain data with string keys: serialising cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a stored design; None for anything that is not one of this format (the caller
    /// then starts from the instrument alone, with no history).
    pub fn from_json(text: &str) -> Option<DesignState> {
        serde_json::from_str::<DesignState>(text)
            .ok()
            .filter(|s| s.format == DESIGN_STATE_FORMAT)
    }
}

impl Design {
    pub fn new(instrument: Instrument) -> Design {
        Design {
            instrument,
            undo: Vec::new(),
            redo: Vec::new(),
            typing: None,
        }
    }

    /// A design as it was stored, its history with it.
    pub fn from_state(state: DesignState) -> Design {
        Design {
            instrument: state.instrument,
            undo: state.undo,
            redo: state.redo,
            typing: None,
        }
    }

    /// The design to store: the instrument with its undo and redo history.
    pub fn state(&self) -> DesignState {
        DesignState {
            format: DESIGN_STATE_FORMAT,
            instrument: self.instrument.clone(),
            undo: self.undo.clone(),
            redo: self.redo.clone(),
        }
    }

    pub fn instrument(&self) -> &Instrument {
        &self.instrument
    }

    /// Every problem of the instrument as it stands (see [`validate`]).
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        validate(&self.instrument)
    }

    /// Sets a column as the designer types: consecutive keystrokes in one column are one
    /// edit for undo.
    pub fn type_into(
        &mut self,
        at: &[usize],
        field: Field,
        value: Option<String>,
    ) -> Result<(), EditError> {
        let here = (at.to_vec(), field.clone());
        let edit = Edit::Set {
            at: at.to_vec(),
            field,
            value,
        };
        if self.typing.as_ref() == Some(&here) && !self.undo.is_empty() {
            // The inverse already on the stack restores the value from before the typing.
            apply(&mut self.instrument, edit)?;
            self.redo.clear();
            return Ok(());
        }
        self.apply(edit)?;
        self.typing = Some(here);
        Ok(())
    }

    /// Applies an edit; on an error nothing changes.
    pub fn apply(&mut self, edit: Edit) -> Result<(), EditError> {
        self.typing = None;
        let inverse = apply(&mut self.instrument, edit)?;
        self.undo.push(inverse);
        if self.undo.len() > HISTORY {
            self.undo.remove(0);
        }
        self.redo.clear();
        Ok(())
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Undoes the last edit; false when there is none.
    pub fn undo(&mut self) -> bool {
        self.typing = None;
        step(&mut self.instrument, &mut self.undo, &mut self.redo)
    }

    pub fn redo(&mut self) -> bool {
        self.typing = None;
        step(&mut self.instrument, &mut self.redo, &mut self.undo)
    }

    pub fn item(&self, at: &[usize]) -> Option<&Item> {
        item(&self.instrument.survey, at)
    }

    /// Renames the item at `at` and rewrites every `${old}` in expressions, labels, hints,
    /// messages and the instance name, as one edit.
    pub fn rename(&mut self, at: &[usize], new_name: &str) -> Result<(), EditError> {
        let edit = rename_edit(&self.instrument, at, new_name)?;
        self.apply(edit)
    }

    /// Changes one choice list the way the designer's table does, as one edit (one undo
    /// step): a choice renamed, a label set or cleared in a language, a choice removed, or a
    /// new one added with the first number not yet a name in the list.
    pub fn edit_choice(&mut self, list: &str, change: ChoiceEdit) -> Result<(), EditError> {
        let mut choices = self
            .instrument
            .choices
            .get(list)
            .cloned()
            .unwrap_or_default();
        let len = choices.len();
        let row = |row: usize| -> Result<usize, EditError> {
            if row < len {
                Ok(row)
            } else {
                Err(EditError::BadIndex { index: row, len })
            }
        };
        match change {
            ChoiceEdit::Rename { row: r, name } => {
                let r = row(r)?;
                let name = name.trim().to_string();
                if name.is_empty() {
                    return Err(EditError::Empty("name"));
                }
                if choices
                    .iter()
                    .enumerate()
                    .any(|(i, c)| i != r && c.name == name)
                    && !self.instrument.settings.allow_choice_duplicates
                {
                    return Err(EditError::NameTaken(name));
                }
                choices[r].name = name;
            }
            ChoiceEdit::Label {
                row: r,
                language,
                text,
            } => {
                let r = row(r)?;
                if text.is_empty() {
                    choices[r].label.0.remove(&language);
                } else {
                    choices[r].label.0.insert(language, text);
                }
            }
            ChoiceEdit::Remove { row: r } => {
                choices.remove(row(r)?);
            }
            ChoiceEdit::Add => {
                let name = (1..)
                    .map(|i: usize| i.to_string())
                    .find(|n| !choices.iter().any(|c| &c.name == n))
                    .unwrap_or_default();
                choices.push(Choice {
                    name,
                    label: Text::default(),
                    extra: BTreeMap::new(),
                });
            }
        }
        self.apply(Edit::SetChoices {
            list: list.to_string(),
            choices: Some(choices),
        })
    }

    /// Adds a language: the title in it starts as the default language's (so the language
    /// shows in every editor and the translator has a start); its other texts are empty.
    pub fn add_language(&mut self, language: &str) -> Result<(), EditError> {
        let language = language.trim();
        if language.is_empty() {
            return Err(EditError::Empty("language"));
        }
        if languages_of(&self.instrument).contains(language) {
            return Err(EditError::LanguageTaken(language.to_string()));
        }
        let settings = &self.instrument.settings;
        let title = settings
            .title
            .get("", settings.default_language.as_deref())
            .map_or_else(|| settings.form_id.clone(), str::to_string);
        self.apply(Edit::SetSetting {
            setting: Setting::Title(language.to_string()),
            value: Some(title),
        })
    }

    pub fn rename_language(&mut self, from: &str, to: &str) -> Result<(), EditError> {
        self.apply(Edit::RenameLanguage {
            from: from.to_string(),
            to: to.trim().to_string(),
        })
    }

    /// Removes every text in `language`, as one edit (undone in one step). The default
    /// language moves to another one the instrument has, if any.
    pub fn remove_language(&mut self, language: &str) -> Result<(), EditError> {
        let languages = languages_of(&self.instrument);
        if !languages.contains(language) {
            return Err(EditError::NoLanguage(language.to_string()));
        }
        let lang = language.to_string();
        let mut edits = Vec::new();
        if self.instrument.settings.title.0.contains_key(language) {
            edits.push(Edit::SetSetting {
                setting: Setting::Title(lang.clone()),
                value: None,
            });
        }
        if self.instrument.settings.default_language.as_deref() == Some(language) {
            edits.push(Edit::SetSetting {
                setting: Setting::DefaultLanguage,
                // A language the title is in is one the form is written in; another may
                // have a few choice names only (a translation begun).
                value: self
                    .instrument
                    .settings
                    .title
                    .0
                    .keys()
                    .chain(&languages)
                    .find(|l| *l != language)
                    .cloned(),
            });
        }
        fn visit(items: &[Item], at: &mut ItemPath, lang: &str, edits: &mut Vec<Edit>) {
            for (i, item) in items.iter().enumerate() {
                at.push(i);
                for column in Column::TEXTS {
                    if column.text(item).is_some_and(|t| t.0.contains_key(lang))
                        && let Some(field) = Field::of(column, Some(lang))
                    {
                        edits.push(Edit::Set {
                            at: at.clone(),
                            field,
                            value: None,
                        });
                    }
                }
                visit(&item.children, at, lang, edits);
                at.pop();
            }
        }
        visit(
            &self.instrument.survey,
            &mut Vec::new(),
            language,
            &mut edits,
        );
        for (list, choices) in &self.instrument.choices {
            if choices.iter().any(|c| c.label.0.contains_key(language)) {
                let mut kept = choices.clone();
                for choice in &mut kept {
                    choice.label.0.remove(language);
                }
                edits.push(Edit::SetChoices {
                    list: list.clone(),
                    choices: Some(kept),
                });
            }
        }
        self.apply(Edit::Batch(edits))
    }

    /// The places outside the item at `at` that refer to it or to anything inside it: what
    /// a designer is warned about before deleting it.
    pub fn removal_warnings(&self, at: &[usize]) -> Vec<Usage> {
        let Some(target) = self.item(at) else {
            return Vec::new();
        };
        let mut inside = BTreeSet::new();
        collect_names(target, &mut inside);
        usages_of(&self.instrument, &inside)
            .into_iter()
            .filter(|u| !inside.contains(u.item.as_str()))
            .collect()
    }

    /// Moves the item one place up among its siblings; returns where it now is.
    pub fn move_up(&mut self, at: &[usize]) -> Result<ItemPath, EditError> {
        let (parent, index) = split(at)?;
        if index == 0 {
            return Err(EditError::NoMove);
        }
        self.relocate(at, parent.to_vec(), index - 1)
    }

    pub fn move_down(&mut self, at: &[usize]) -> Result<ItemPath, EditError> {
        let (parent, index) = split(at)?;
        let len = if parent.is_empty() {
            self.instrument.survey.len()
        } else {
            self.item(parent).map_or(0, |i| i.children.len())
        };
        if index + 1 >= len {
            return Err(EditError::NoMove);
        }
        self.relocate(at, parent.to_vec(), index + 1)
    }

    /// Moves the item into the group or repeat just above it, as its last question.
    pub fn move_into_previous(&mut self, at: &[usize]) -> Result<ItemPath, EditError> {
        let (parent, index) = split(at)?;
        if index == 0 {
            return Err(EditError::NoMove);
        }
        let mut group = parent.to_vec();
        group.push(index - 1);
        let holder = self
            .item(&group)
            .ok_or_else(|| EditError::NoItem(group.clone()))?;
        if !holder.item_type.is_container() {
            return Err(EditError::NotAContainer);
        }
        let end = holder.children.len();
        self.relocate(at, group, end)
    }

    /// Moves the item out of its group, to just after the group.
    pub fn move_out(&mut self, at: &[usize]) -> Result<ItemPath, EditError> {
        let (parent, _) = split(at)?;
        let (grandparent, group_index) = split(parent).map_err(|_| EditError::NoMove)?;
        self.relocate(at, grandparent.to_vec(), group_index + 1)
    }

    /// Removes the item at `from` and inserts it at `index` of `parent`, both paths as they
    /// are once the item is gone. One edit, undone in one step.
    fn relocate(
        &mut self,
        from: &[usize],
        parent: ItemPath,
        index: usize,
    ) -> Result<ItemPath, EditError> {
        let moved = self
            .item(from)
            .cloned()
            .ok_or_else(|| EditError::NoItem(from.to_vec()))?;
        let parent = path_after_removal(&parent, from);
        self.apply(Edit::Batch(vec![
            Edit::Remove { at: from.to_vec() },
            Edit::Insert {
                parent: parent.clone(),
                index,
                item: Box::new(moved),
            },
        ]))?;
        let mut at = parent;
        at.push(index);
        Ok(at)
    }

    /// The version a publication would get, and what blocks or breaks it: see
    /// [`check_publish`].
    pub fn check_publish(&self, published: Option<&Instrument>, data: &DataUse) -> PublishCheck {
        check_publish(published, &self.instrument, data)
    }

    /// Publishes: sets the new version (an edit, so it can be undone) and returns the
    /// instrument to store, or the check when errors block it.
    pub fn publish(
        &mut self,
        published: Option<&Instrument>,
        data: &DataUse,
    ) -> Result<Instrument, PublishCheck> {
        let check = self.check_publish(published, data);
        if !check.errors.is_empty() {
            return Err(check);
        }
        if check.version != self.instrument.settings.version {
            self.apply(Edit::SetSetting {
                setting: Setting::Version,
                value: Some(check.version.clone()),
            })
            .map_err(|_| check.clone())?;
        }
        Ok(self.instrument.clone())
    }
}

/// Applies the edit on top of `from` and moves its inverse onto `to`.
fn step(instrument: &mut Instrument, from: &mut Vec<Edit>, to: &mut Vec<Edit>) -> bool {
    let Some(edit) = from.pop() else {
        return false;
    };
    match apply_edit(instrument, edit.clone(), false) {
        Ok(inverse) => {
            to.push(inverse);
            true
        }
        // An inverse always applies to the state it was made for; should that ever fail,
        // keep it rather than lose history.
        Err(_) => {
            from.push(edit);
            false
        }
    }
}

fn split(at: &[usize]) -> Result<(&[usize], usize), EditError> {
    match at.split_last() {
        Some((&index, parent)) => Ok((parent, index)),
        None => Err(EditError::NoItem(Vec::new())),
    }
}

/// `path` (which does not lie inside `removed`) as it reads once the item at `removed` is gone.
fn path_after_removal(path: &[usize], removed: &[usize]) -> ItemPath {
    let mut out = path.to_vec();
    let depth = removed.len() - 1;
    if out.len() > depth && out[..depth] == removed[..depth] && out[depth] > removed[depth] {
        out[depth] -= 1;
    }
    out
}

fn item<'a>(items: &'a [Item], at: &[usize]) -> Option<&'a Item> {
    let (first, rest) = at.split_first()?;
    let found = items.get(*first)?;
    if rest.is_empty() {
        Some(found)
    } else {
        item(&found.children, rest)
    }
}

fn item_mut<'a>(items: &'a mut [Item], at: &[usize]) -> Option<&'a mut Item> {
    let (first, rest) = at.split_first()?;
    let found = items.get_mut(*first)?;
    if rest.is_empty() {
        Some(found)
    } else {
        item_mut(&mut found.children, rest)
    }
}

fn children_mut<'a>(
    survey: &'a mut Vec<Item>,
    parent: &[usize],
) -> Result<&'a mut Vec<Item>, EditError> {
    if parent.is_empty() {
        return Ok(survey);
    }
    let holder = item_mut(survey, parent).ok_or_else(|| EditError::NoItem(parent.to_vec()))?;
    if !holder.item_type.is_container() {
        return Err(EditError::NotAContainer);
    }
    Ok(&mut holder.children)
}

fn collect_names<'a>(item: &'a Item, out: &mut BTreeSet<&'a str>) {
    out.insert(&item.name);
    for child in &item.children {
        collect_names(child, out);
    }
}

fn all_names(instrument: &Instrument) -> BTreeSet<&str> {
    let mut names = BTreeSet::new();
    for item in &instrument.survey {
        collect_names(item, &mut names);
    }
    names
}

/// Every text of an instrument: its title, each item's label, hint and messages, and each
/// choice's label.
fn for_each_text(instrument: &mut Instrument, mut f: impl FnMut(&mut Text)) {
    fn visit(items: &mut [Item], f: &mut impl FnMut(&mut Text)) {
        for item in items {
            f(&mut item.label);
            f(&mut item.hint);
            f(&mut item.required_message);
            f(&mut item.constraint_message);
            visit(&mut item.children, f);
        }
    }
    f(&mut instrument.settings.title);
    visit(&mut instrument.survey, &mut f);
    for choices in instrument.choices.values_mut() {
        for choice in choices {
            f(&mut choice.label);
        }
    }
}

/// The languages an instrument has a text in, and its default language.
pub fn languages_of(instrument: &Instrument) -> BTreeSet<String> {
    let mut copy = instrument.clone();
    let mut out = BTreeSet::new();
    for_each_text(&mut copy, |text| out.extend(text.0.keys().cloned()));
    out.extend(instrument.settings.default_language.clone());
    out
}

/// Applies `edit` and returns its inverse; on an error the instrument is as it was.
pub fn apply(instrument: &mut Instrument, edit: Edit) -> Result<Edit, EditError> {
    apply_edit(instrument, edit, true)
}

/// `checked`: the designer's own edit, held to the naming rules. Inverses (undo, redo, a
/// batch taken back) are not: they restore a state that existed, names and all, even one
/// that breaks a rule (an imported instrument with a duplicate name must still undo).
fn apply_edit(instrument: &mut Instrument, edit: Edit, checked: bool) -> Result<Edit, EditError> {
    match edit {
        Edit::Insert {
            parent,
            index,
            item,
        } => {
            if checked {
                check_new_names(instrument, &item)?;
            }
            let list = children_mut(&mut instrument.survey, &parent)?;
            if index > list.len() {
                return Err(EditError::BadIndex {
                    index,
                    len: list.len(),
                });
            }
            list.insert(index, *item);
            let mut at = parent;
            at.push(index);
            Ok(Edit::Remove { at })
        }
        Edit::Remove { at } => {
            let (parent, index) = split(&at)?;
            let list = children_mut(&mut instrument.survey, parent)?;
            if index >= list.len() {
                return Err(EditError::NoItem(at.clone()));
            }
            let item = Box::new(list.remove(index));
            Ok(Edit::Insert {
                parent: parent.to_vec(),
                index,
                item,
            })
        }
        Edit::Set { at, field, value } => {
            let value = value.filter(|v| !v.is_empty());
            if checked && field == Field::Name {
                let name = value.clone().ok_or(EditError::Empty("name"))?;
                let current = item(&instrument.survey, &at).map(|i| i.name.clone());
                if current.as_deref() != Some(name.as_str()) {
                    check_name(instrument, &name)?;
                }
            }
            let target = item_mut(&mut instrument.survey, &at)
                .ok_or_else(|| EditError::NoItem(at.clone()))?;
            let old = set_field(target, &field, value)?;
            Ok(Edit::Set {
                at,
                field,
                value: old,
            })
        }
        Edit::SetChoices { list, choices } => {
            let old = match choices {
                Some(c) => instrument.choices.insert(list.clone(), c),
                None => instrument.choices.remove(&list),
            };
            Ok(Edit::SetChoices { list, choices: old })
        }
        Edit::SetSetting { setting, value } => {
            let value = value.filter(|v| !v.is_empty());
            let settings = &mut instrument.settings;
            let old = match &setting {
                Setting::FormId => replace_required(&mut settings.form_id, value, "form_id")?,
                Setting::Version => replace_required(&mut settings.version, value, "version")?,
                Setting::Title(language) => replace_text(&mut settings.title, language, value),
                Setting::DefaultLanguage => {
                    std::mem::replace(&mut settings.default_language, value)
                }
                Setting::InstanceName => std::mem::replace(&mut settings.instance_name, value),
            };
            Ok(Edit::SetSetting {
                setting,
                value: old,
            })
        }
        Edit::RenameLanguage { from, to } => {
            if checked {
                let languages = languages_of(instrument);
                if to.trim().is_empty() {
                    return Err(EditError::Empty("language"));
                }
                if languages.contains(&to) {
                    return Err(EditError::LanguageTaken(to));
                }
                if !languages.contains(&from) {
                    return Err(EditError::NoLanguage(from));
                }
            }
            for_each_text(instrument, |text| {
                if let Some(value) = text.0.remove(&from) {
                    text.0.insert(to.clone(), value);
                }
            });
            let settings = &mut instrument.settings;
            if settings.default_language.as_deref() == Some(from.as_str()) {
                settings.default_language = Some(to.clone());
            }
            Ok(Edit::RenameLanguage { from: to, to: from })
        }
        Edit::Batch(edits) => {
            let mut inverses = Vec::with_capacity(edits.len());
            for edit in edits {
                match apply_edit(instrument, edit, checked) {
                    Ok(inverse) => inverses.push(inverse),
                    Err(e) => {
                        // All or none: take back what this batch already did.
                        for inverse in inverses.into_iter().rev() {
                            let _ = apply_edit(instrument, inverse, false);
                        }
                        return Err(e);
                    }
                }
            }
            inverses.reverse();
            Ok(Edit::Batch(inverses))
        }
    }
}

fn replace_required(
    slot: &mut String,
    value: Option<String>,
    what: &'static str,
) -> Result<Option<String>, EditError> {
    let value = value.ok_or(EditError::Empty(what))?;
    Ok(Some(std::mem::replace(slot, value)))
}

fn replace_text(text: &mut Text, language: &str, value: Option<String>) -> Option<String> {
    match value {
        Some(v) => text.0.insert(language.to_string(), v),
        None => text.0.remove(language),
    }
}

fn set_field(
    item: &mut Item,
    field: &Field,
    value: Option<String>,
) -> Result<Option<String>, EditError> {
    let slot = match field {
        Field::Type => {
            let text = value.ok_or(EditError::Empty("type"))?;
            let new_type: ItemType =
                serde_json::from_value(serde_json::Value::String(text.clone()))
                    .map_err(|_| EditError::UnknownType(text))?;
            if !new_type.is_container() && !item.children.is_empty() {
                return Err(EditError::GroupNotEmpty);
            }
            let old = std::mem::replace(&mut item.item_type, new_type);
            return Ok(Some(old.as_str().to_string()));
        }
        Field::Name => {
            let name = value.ok_or(EditError::Empty("name"))?;
            return Ok(Some(std::mem::replace(&mut item.name, name)));
        }
        _ => field.column(),
    };
    if let (Some(language), Some(text)) = (field.language(), slot.text_mut(item)) {
        return Ok(replace_text(text, language, value));
    }
    match slot.value_mut(item) {
        Some(slot) => Ok(std::mem::replace(slot, value)),
        None => Err(EditError::Empty(slot.as_str())),
    }
}

fn check_name(instrument: &Instrument, name: &str) -> Result<(), EditError> {
    if !dala_expr::is_ncname(name) {
        return Err(EditError::InvalidName(name.to_string()));
    }
    if all_names(instrument).contains(name) {
        return Err(EditError::NameTaken(name.to_string()));
    }
    Ok(())
}

/// An inserted item (and everything in it) must not bring a name the instrument has.
fn check_new_names(instrument: &Instrument, new: &Item) -> Result<(), EditError> {
    let existing = all_names(instrument);
    let mut names = BTreeSet::new();
    collect_names(new, &mut names);
    for name in names {
        if !dala_expr::is_ncname(name) {
            return Err(EditError::InvalidName(name.to_string()));
        }
        if existing.contains(name) {
            return Err(EditError::NameTaken(name.to_string()));
        }
    }
    Ok(())
}

/// A place that refers to a question: the item whose column does (or the settings).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Usage {
    /// The name of the item that refers; empty for the settings' instance name.
    pub item: String,
    pub column: &'static str,
}

/// The columns of an item that may hold `${name}`: expressions, then texts per language.
fn referring_fields(item: &Item) -> Vec<(Field, &str)> {
    let mut out: Vec<(Field, &str)> = Column::expressions_of(item)
        .into_iter()
        .filter_map(|(column, value)| Some((Field::of(column, None)?, value)))
        .collect();
    for column in Column::TEXTS {
        for (language, value) in column.text(item).map(|t| &t.0).into_iter().flatten() {
            if let Some(field) = Field::of(column, Some(language)) {
                out.push((field, value.as_str()));
            }
        }
    }
    out
}

fn is_expression(field: &Field) -> bool {
    field.language().is_none()
}

impl Field {
    /// The column this field is (texts without their language).
    pub fn column(&self) -> Column {
        match self {
            Field::Type => Column::Type,
            Field::Name => Column::Name,
            Field::Label(_) => Column::Label,
            Field::Hint(_) => Column::Hint,
            Field::RequiredMessage(_) => Column::RequiredMessage,
            Field::ConstraintMessage(_) => Column::ConstraintMessage,
            Field::List => Column::List,
            Field::Relevant => Column::Relevant,
            Field::Required => Column::Required,
            Field::Constraint => Column::Constraint,
            Field::Calculation => Column::Calculation,
            Field::Default => Column::Default,
            Field::ReadOnly => Column::ReadOnly,
            Field::ChoiceFilter => Column::ChoiceFilter,
            Field::RepeatCount => Column::RepeatCount,
            Field::Trigger => Column::Trigger,
            Field::Appearance => Column::Appearance,
        }
    }

    /// The field of a column (in a language, for a translatable one); None for a column an
    /// edit does not set this way.
    pub fn of(column: Column, language: Option<&str>) -> Option<Field> {
        let text = |f: fn(String) -> Field| language.map(|l| f(l.to_string()));
        Some(match column {
            Column::Type => Field::Type,
            Column::Name => Field::Name,
            Column::Label => return text(Field::Label),
            Column::Hint => return text(Field::Hint),
            Column::RequiredMessage => return text(Field::RequiredMessage),
            Column::ConstraintMessage => return text(Field::ConstraintMessage),
            Column::List => Field::List,
            Column::Relevant => Field::Relevant,
            Column::Required => Field::Required,
            Column::Constraint => Field::Constraint,
            Column::Calculation => Field::Calculation,
            Column::Default => Field::Default,
            Column::ReadOnly => Field::ReadOnly,
            Column::ChoiceFilter => Field::ChoiceFilter,
            Column::RepeatCount => Field::RepeatCount,
            Column::Trigger => Field::Trigger,
            Column::Appearance => Field::Appearance,
            Column::Parameters
            | Column::ListName
            | Column::InstanceName
            | Column::Choices
            | Column::Settings => return None,
        })
    }

    /// The language of a text field.
    pub fn language(&self) -> Option<&str> {
        match self {
            Field::Label(l)
            | Field::Hint(l)
            | Field::RequiredMessage(l)
            | Field::ConstraintMessage(l) => Some(l),
            _ => None,
        }
    }
}

/// The references in `source`: through the expression lexer for an expression (string
/// literals are text), or every well-formed `${name}` in a label or message.
fn references(source: &str, expression: bool) -> Vec<(std::ops::Range<usize>, &str)> {
    if expression {
        return dala_expr::reference_spans(source)
            .into_iter()
            .map(|(span, name)| (span.start as usize..span.end as usize, name))
            .collect();
    }
    dala_expr::text_references(source)
}

/// Every place that refers to one of `names`, in form order.
pub fn usages_of(instrument: &Instrument, names: &BTreeSet<&str>) -> Vec<Usage> {
    let mut out = Vec::new();
    for (_, item, _) in instrument.walk() {
        for (field, source) in referring_fields(item) {
            if references(source, is_expression(&field))
                .iter()
                .any(|(_, n)| names.contains(n))
            {
                out.push(Usage {
                    item: item.name.clone(),
                    column: field.column().as_str(),
                });
            }
        }
    }
    if let Some(source) = &instrument.settings.instance_name
        && references(source, true)
            .iter()
            .any(|(_, n)| names.contains(n))
    {
        out.push(Usage {
            item: String::new(),
            column: "instance_name",
        });
    }
    out.dedup();
    out
}

/// `source` with every reference to `old` made a reference to `new`; None when there is none.
fn rewrite(source: &str, expression: bool, old: &str, new: &str) -> Option<String> {
    let spans: Vec<_> = references(source, expression)
        .into_iter()
        .filter(|(_, n)| *n == old)
        .map(|(range, _)| range)
        .collect();
    if spans.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(source.len());
    let mut last = 0;
    for range in spans {
        out.push_str(&source[last..range.start]);
        out.push_str("${");
        out.push_str(new);
        out.push('}');
        last = range.end;
    }
    out.push_str(&source[last..]);
    Some(out)
}

/// The rename of the item at `at` to `new_name` with every reference rewritten, as one batch.
pub fn rename_edit(
    instrument: &Instrument,
    at: &[usize],
    new_name: &str,
) -> Result<Edit, EditError> {
    let target = item(&instrument.survey, at).ok_or_else(|| EditError::NoItem(at.to_vec()))?;
    let old = target.name.clone();
    if old == new_name {
        return Ok(Edit::Batch(Vec::new()));
    }
    check_name(instrument, new_name)?;
    let mut edits = vec![Edit::Set {
        at: at.to_vec(),
        field: Field::Name,
        value: Some(new_name.to_string()),
    }];
    let mut path = Vec::new();
    rewrite_items(&instrument.survey, &mut path, &old, new_name, &mut edits);
    if let Some(source) = &instrument.settings.instance_name
        && let Some(value) = rewrite(source, true, &old, new_name)
    {
        edits.push(Edit::SetSetting {
            setting: Setting::InstanceName,
            value: Some(value),
        });
    }
    Ok(Edit::Batch(edits))
}

fn rewrite_items(items: &[Item], path: &mut ItemPath, old: &str, new: &str, edits: &mut Vec<Edit>) {
    for (i, item) in items.iter().enumerate() {
        path.push(i);
        for (field, source) in referring_fields(item) {
            if let Some(value) = rewrite(source, is_expression(&field), old, new) {
                edits.push(Edit::Set {
                    at: path.clone(),
                    field,
                    value: Some(value),
                });
            }
        }
        rewrite_items(&item.children, path, old, new, edits);
        path.pop();
    }
}

/// What collected data holds, by question (its record key: its name, or its group path where
/// the name is shared): the values seen (for selects, each choice
/// code on its own). Publishing checks a new version against it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DataUse {
    pub questions: BTreeMap<String, BTreeSet<String>>,
}

impl DataUse {
    /// The use of `records` of `instrument`: every answered question, with the choice codes
    /// of its select questions (other answers are not kept: only their presence matters).
    pub fn from_records<'a>(
        instrument: &Instrument,
        records: impl IntoIterator<Item = &'a Submission>,
    ) -> DataUse {
        let mut data = DataUse::default();
        data.add_records(instrument, records);
        data
    }

    /// Adds the use of more `records` (a store that reads its records a page at a time).
    pub fn add_records<'a>(
        &mut self,
        instrument: &Instrument,
        records: impl IntoIterator<Item = &'a Submission>,
    ) {
        let index = Index::new(instrument);
        let selects: BTreeSet<&str> = index
            .entries()
            .iter()
            .filter(|e| e.item.item_type.is_select())
            .map(|e| e.key.as_str())
            .collect();
        for record in records {
            self.add_answers(&record.answers, &selects);
        }
    }

    fn add_answers(&mut self, answers: &BTreeMap<String, Answer>, selects: &BTreeSet<&str>) {
        for (name, answer) in answers {
            match answer {
                Answer::Value(v) if v.is_empty() => {}
                Answer::Value(v) => {
                    let seen = self.questions.entry(name.clone()).or_default();
                    if selects.contains(name.as_str()) {
                        seen.extend(v.split_whitespace().map(str::to_string));
                    }
                }
                Answer::Repeat(instances) => {
                    for instance in instances {
                        self.add_answers(instance, selects);
                    }
                }
            }
        }
    }
}

/// A change that data already collected would not survive as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Breaking {
    TypeChanged {
        name: String,
        from: ItemType,
        to: ItemType,
    },
    Removed {
        name: String,
    },
    ChoiceRemoved {
        name: String,
        choice: String,
    },
}

/// What publishing the draft would do: the version it would get, the errors that block it,
/// and the changes that break data already collected (shown, not blocking).
#[derive(Clone, Debug, PartialEq)]
pub struct PublishCheck {
    pub version: String,
    pub errors: Vec<Diagnostic>,
    pub breaking: Vec<Breaking>,
}

pub fn check_publish(
    published: Option<&Instrument>,
    draft: &Instrument,
    data: &DataUse,
) -> PublishCheck {
    let errors = validate(draft)
        .into_iter()
        .filter(|d| !d.code.is_warning())
        .collect();
    let version = match published {
        Some(p) if p.settings.version == draft.settings.version => {
            next_version(&p.settings.version)
        }
        _ => draft.settings.version.clone(),
    };
    let mut breaking = Vec::new();
    if let Some(published) = published {
        // Questions are matched by their record key: what the data holds them by.
        let (old_index, new_index) = (Index::new(published), Index::new(draft));
        let new_items: BTreeMap<&str, &Item> = new_index
            .entries()
            .iter()
            .map(|e| (e.key.as_str(), e.item))
            .collect();
        for entry in old_index.entries() {
            let old = entry.item;
            let Some(values) = data.questions.get(&entry.key) else {
                continue;
            };
            let Some(new) = new_items.get(entry.key.as_str()) else {
                breaking.push(Breaking::Removed {
                    name: entry.key.clone(),
                });
                continue;
            };
            if new.item_type != old.item_type {
                breaking.push(Breaking::TypeChanged {
                    name: entry.key.clone(),
                    from: old.item_type,
                    to: new.item_type,
                });
                continue;
            }
            if new.item_type.is_select() {
                let offered = |item: &Item, instrument: &'_ Instrument| -> BTreeSet<String> {
                    item.list
                        .as_ref()
                        .and_then(|l| instrument.choices.get(l))
                        .into_iter()
                        .flatten()
                        .map(|c| c.name.clone())
                        .collect()
                };
                let (before, after) = (offered(old, published), offered(new, draft));
                // Only a choice the published version offered can be removed; an answer it
                // never offered (a record from elsewhere) is not this version's doing.
                for value in values {
                    if before.contains(value) && !after.contains(value) {
                        breaking.push(Breaking::ChoiceRemoved {
                            name: entry.key.clone(),
                            choice: value.clone(),
                        });
                    }
                }
            }
        }
    }
    PublishCheck {
        version,
        errors,
        breaking,
    }
}

/// The version after `version`: its trailing number plus one, keeping its width (`2015031701`
/// becomes `2015031702`, `1.9` becomes `1.10`, `v09` becomes `v10`), or `.2` added to a
/// version without one.
pub fn next_version(version: &str) -> String {
    let digits = version.len() - version.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 {
        return format!("{version}.2");
    }
    let (head, tail) = version.split_at(version.len() - digits);
    // Add one to the decimal digits by hand: any length works, no overflow.
    let mut bytes = tail.as_bytes().to_vec();
    let mut i = bytes.len();
    loop {
        if i == 0 {
            bytes.insert(0, b'1');
            break;
        }
        i -= 1;
        if bytes[i] == b'9' {
            bytes[i] = b'0';
        } else {
            bytes[i] += 1;
            break;
        }
    }
    format!("{head}{}", String::from_utf8_lossy(&bytes))
}
