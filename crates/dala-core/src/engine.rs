//! The form engine: a plain state machine over a compiled form. `answer(node, value)`
//! returns a [`ChangeSet`] listing exactly what changed; there are no signals inside.
//!
//! Nodes are addressed by item and *instance path*: one stable instance id per repeat the
//! item is inside (and its own, for a repeat). Ids never shift when an instance is removed;
//! `position()` comes from the order of the ids in their container.

mod env;
mod pages;
mod values;

pub use values::{POINT_SEPARATOR, Refusal, geopoint, is_file_name};

use crate::compile::{Form, ItemId};
use crate::host::Host;
use crate::instrument::{Attachment, Capture, Choice, ItemType};
use crate::record::{Answer, HeldInstances, RECORD_FORMAT, Status, Submission};
use dala_expr::Value;
use env::NodeEnv;
pub use pages::{Page, Problem, ProblemKind};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

pub type Path = Vec<u32>;

/// One node: an item in one repeat instance (or the only one, outside repeats).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeRef {
    pub item: ItemId,
    pub path: Path,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum What {
    Value,
    Relevant,
    Required,
    ReadOnly,
    Constraint,
    Label,
    Hint,
    Choices,
    InstanceAdded,
    InstanceRemoved,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub node: NodeRef,
    pub what: What,
}

/// Everything an answer changed, in evaluation order, so a UI updates only those nodes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChangeSet {
    pub changes: Vec<Change>,
}

impl ChangeSet {
    pub fn contains(&self, node: &NodeRef, what: What) -> bool {
        self.changes
            .iter()
            .any(|c| c.node == *node && c.what == what)
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

#[derive(Debug, PartialEq)]
pub enum AnswerError {
    NoSuchNode,
    NotAnswerable(String),
    Invalid {
        question: String,
        value: String,
        reason: Refusal,
    },
    NotARepeat(String),
    /// The record is finalized (or opened for reading): nothing in it changes.
    ReadOnly,
}

#[derive(Clone, Debug, Default, PartialEq)]
struct NodeState {
    value: String,
    /// Relevant itself and inside relevant groups.
    relevant: bool,
    required: bool,
    read_only: bool,
    /// The constraint holds (or there is none, or the value is empty).
    constraint_ok: bool,
    label: String,
    hint: String,
    /// Indexes into the list after choice_filter, for selects with one.
    choices: Option<Vec<usize>>,
    /// For choices taken from a repeat's answers (`select_one ${name}`): the answers given,
    /// each once, in instance order, after the choice_filter.
    offered: Option<Vec<Choice>>,
    /// The first evaluation error of this node's expressions in its last computation: the
    /// column and the expression language's diagnostic (code and span), for a UI to word.
    error: Option<(&'static str, dala_expr::Diagnostic)>,
    /// Computed at least once (expression defaults apply at the first computation, as an
    /// XForm applies them when the form or the repeat instance is created).
    initialized: bool,
}

pub struct Engine {
    form: Form,
    host: Box<dyn Host>,
    nodes: HashMap<NodeRef, NodeState>,
    /// Instance ids of each repeat, in order, by (repeat item, path of the enclosing instance).
    containers: HashMap<(ItemId, Path), Vec<u32>>,
    /// Instances of a counted repeat beyond its count, by container, the next to come back
    /// first. A count that goes down (or is empty for a moment while it is retyped) must not
    /// destroy answers: these keep their nodes, but expressions, pages and the record see
    /// only `containers`, as they see no non-relevant answer.
    held: HashMap<(ItemId, Path), Vec<u32>>,
    next_instance: u32,
    /// The instances that stand for the copy an XForm's primary instance holds of each repeat
    /// (the first of each, in the first of the enclosing ones): the repeats inside them start
    /// with one instance, as there; an instance made later starts with none.
    from_form: HashSet<u32>,
    instance_id: String,
    started: String,
    pub enumerator: String,
    /// The answers of the record saved last, which `${last-saved#name}` reads.
    last_saved: BTreeMap<String, Answer>,
    /// The files captured for this record (a photo retaken leaves its first one here too):
    /// the record lists those its answers name.
    files: Vec<Attachment>,
}

impl Engine {
    /// A new, empty interview: defaults applied, everything computed once.
    pub fn new(form: Form, host: Box<dyn Host>) -> Engine {
        Engine::new_after(form, host, None)
    }

    /// A new interview after `last`, the record of this instrument saved last on the device
    /// (a draft or a finalized one), whose answers `${last-saved#name}` reads, as in ODK
    /// Collect: a district or a team carried over from one interview to the next. Without
    /// one (the first interview) those references are empty.
    pub fn new_after(form: Form, host: Box<dyn Host>, last: Option<&Submission>) -> Engine {
        let instance_id = format!("uuid:{}", host.uuid());
        let started = dala_expr::Value::DateTime(host.now()).to_xpath_string();
        let mut engine = Engine {
            form,
            host,
            nodes: HashMap::new(),
            containers: HashMap::new(),
            held: HashMap::new(),
            next_instance: 1,
            from_form: HashSet::new(),
            instance_id,
            started,
            enumerator: String::new(),
            last_saved: last.map(|r| r.answers.clone()).unwrap_or_default(),
            files: Vec::new(),
        };
        engine.build(&[], &engine.form.top.clone(), true, None);
        engine.recompute_all();
        engine
    }

    /// Reopens a record (a draft, to go on with it): its answers and repeat instances restored,
    /// everything recomputed.
    pub fn resume(form: Form, host: Box<dyn Host>, record: &Submission) -> Engine {
        let mut engine = Engine::new(form, host);
        engine.put_back(record);
        engine
    }

    /// Puts the interview back to a record of it (an undo: the draft as it was before an
    /// instance was removed). Instance ids are given afresh.
    pub fn restore_record(&mut self, record: &Submission) {
        self.nodes.clear();
        self.containers.clear();
        self.held.clear();
        self.next_instance = 1;
        self.from_form.clear();
        let top = self.form.top.clone();
        self.build(&[], &top, true, None);
        self.recompute_all();
        self.put_back(record);
    }

    /// A record's answers and instances into a new interview's nodes, everything recomputed
    /// (defaults applied once before, as to a new interview, so a cleared answer stays clear).
    fn put_back(&mut self, record: &Submission) {
        self.instance_id = record.instance_id.clone();
        self.started = record.started.clone();
        self.enumerator = record.enumerator.clone();
        self.files = record.files.clone();
        let top = self.form.top.clone();
        self.restore(&top, &[], &record.answers);
        self.restore_held(&record.held);
        self.recompute_all();
    }

    pub fn form(&self) -> &Form {
        &self.form
    }

    pub fn instance_id(&self) -> &str {
        &self.instance_id
    }

    /// The node of question `name` in the given instances (0-based positions, outermost repeat first).
    pub fn node(&self, name: &str, positions: &[usize]) -> Option<NodeRef> {
        let item = self.form.id(name)?;
        let scope = self.form.item(item).scope(item);
        if scope.len() != positions.len() {
            return None;
        }
        let mut path = Vec::new();
        for (repeat, position) in scope.iter().zip(positions) {
            let id = *self
                .containers
                .get(&(*repeat, path.clone()))?
                .get(*position)?;
            path.push(id);
        }
        let node = NodeRef { item, path };
        self.nodes.contains_key(&node).then_some(node)
    }

    pub fn name(&self, node: &NodeRef) -> &str {
        &self.form.item(node.item).item.name
    }

    fn state(&self, node: &NodeRef) -> Option<&NodeState> {
        self.nodes.get(node)
    }

    pub fn value(&self, node: &NodeRef) -> &str {
        self.state(node).map_or("", |s| s.value.as_str())
    }

    pub fn relevant(&self, node: &NodeRef) -> bool {
        self.state(node).is_some_and(|s| s.relevant)
    }

    pub fn required(&self, node: &NodeRef) -> bool {
        self.state(node).is_some_and(|s| s.required)
    }

    pub fn read_only(&self, node: &NodeRef) -> bool {
        self.state(node).is_none_or(|s| s.read_only)
    }

    /// The constraint is violated (an empty answer violates nothing: that is `required`'s job).
    pub fn constraint_violated(&self, node: &NodeRef) -> bool {
        self.state(node).is_some_and(|s| !s.constraint_ok)
    }

    /// The designer's own message for a problem of this node in `language` (or the form's
    /// default language), or None: the words for that case are the UI's.
    pub fn problem_message(
        &self,
        node: &NodeRef,
        kind: ProblemKind,
        language: &str,
    ) -> Option<String> {
        let item = &self.form.item(node.item).item;
        let text = match kind {
            ProblemKind::Required => &item.required_message,
            ProblemKind::Constraint => &item.constraint_message,
        };
        text.get(language, self.form.default_language())
            .map(str::to_string)
    }

    /// The error of the last evaluation of one of this node's expressions, if any: its column
    /// and diagnostic.
    pub fn error(&self, node: &NodeRef) -> Option<(&'static str, &dala_expr::Diagnostic)> {
        self.state(node)
            .and_then(|s| s.error.as_ref())
            .map(|(column, d)| (*column, d))
    }

    /// The label in `language` with `${name}` references filled in with current values.
    pub fn label(&self, node: &NodeRef, language: &str) -> String {
        self.fill(node, &self.form.item(node.item).label.text, language)
    }

    /// The pictures, sounds and videos the label of `node` shows in `language` (see
    /// [`Form::label_media`]).
    pub fn label_media(
        &self,
        node: &NodeRef,
        language: &str,
    ) -> Vec<(crate::MediaKind, &Attachment)> {
        self.form
            .label_media(&self.form.item(node.item).item.attributes, language)
    }

    /// A note whose label shows answers (`${share_women}%`) none of which has a value yet:
    /// a UI leaves it out until one has, rather than show "Women are % of the staff".
    pub fn note_awaits_its_values(&self, node: &NodeRef) -> bool {
        let compiled = self.form.item(node.item);
        if compiled.item.item_type != ItemType::Note || compiled.label.refs.is_empty() {
            return false;
        }
        let env = NodeEnv::new(self, node);
        compiled.label.refs.iter().all(|name| {
            env.value_of(name)
                .is_none_or(|v| v.to_xpath_string().is_empty())
        })
    }

    pub fn hint(&self, node: &NodeRef, language: &str) -> String {
        self.fill(node, &self.form.item(node.item).hint.text, language)
    }

    /// The choices offered after choice_filter (for choices from a repeat's answers, the
    /// answers given).
    pub fn choices(&self, node: &NodeRef) -> Vec<&Choice> {
        let list = self.form.list(node.item);
        let state = self.state(node);
        if let Some(offered) = state.and_then(|s| s.offered.as_ref()) {
            return offered.iter().collect();
        }
        match state.and_then(|s| s.choices.as_ref()) {
            Some(indexes) => indexes.iter().filter_map(|i| list.get(*i)).collect(),
            None => list.iter().collect(),
        }
    }

    /// The choices of a select over a repeat's answers: each relevant, non-empty answer to
    /// `source` seen from the node, once, in instance order, kept where the choice_filter
    /// holds in that answer's own instance (`${age} > 18` is that member's age). The label is
    /// the answer itself, as in ODK.
    fn answers_offered(
        &self,
        env: &NodeEnv<'_>,
        source: ItemId,
        compiled: &crate::compile::CompiledItem,
        error: &mut impl FnMut(dala_expr::Diagnostic, &'static str),
    ) -> Vec<Choice> {
        let language = self.form.default_language().unwrap_or("default");
        let mut out: Vec<Choice> = Vec::new();
        for answer in env.nodes_of(source).0 {
            let value = self.value(&answer);
            if value.is_empty() || !self.relevant(&answer) || out.iter().any(|c| c.name == value) {
                continue;
            }
            if let Some(filter) = &compiled.exprs.choice_filter {
                match dala_expr::evaluate_boolean(filter, &NodeEnv::new(self, &answer)) {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(d) => {
                        error(d, "choice_filter");
                        continue;
                    }
                }
            }
            out.push(Choice {
                name: value.to_string(),
                label: crate::instrument::Text::one(language, value),
                extra: Default::default(),
            });
        }
        out
    }

    /// The instances of a repeat in the given enclosing instance, in order.
    pub fn instances(&self, repeat: ItemId, parent: &[u32]) -> Vec<NodeRef> {
        self.containers
            .get(&(repeat, parent.to_vec()))
            .map(|ids| {
                ids.iter()
                    .map(|id| {
                        let mut path = parent.to_vec();
                        path.push(*id);
                        NodeRef { item: repeat, path }
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Answers a question. The value is as a form stores it (see `values`); the empty string
    /// clears the answer.
    pub fn answer(&mut self, node: &NodeRef, value: &str) -> Result<ChangeSet, AnswerError> {
        let state = self.nodes.get(node).ok_or(AnswerError::NoSuchNode)?;
        let item = self.form.item(node.item);
        let name = item.item.name.clone();
        // A question computed alone (a calculation, no label) is on no page, as in ODK.
        if !item.item.item_type.takes_input()
            || item.item.is_calculated_only()
            || state.read_only
            || !state.relevant
        {
            return Err(AnswerError::NotAnswerable(name));
        }
        let offered = state.offered.as_deref();
        let value = values::normalise(&self.form, node.item, value, offered).map_err(|reason| {
            AnswerError::Invalid {
                question: name,
                value: value.to_string(),
                reason,
            }
        })?;
        let mut changes = ChangeSet::default();
        if state.value == value {
            return Ok(changes);
        }
        if let Some(state) = self.nodes.get_mut(node) {
            state.value = value;
        }
        changes.changes.push(Change {
            node: node.clone(),
            what: What::Value,
        });
        let mut seeds = BTreeMap::new();
        seeds.insert(node.item, vec![node.path.clone()]);
        // The node's own constraint and label read `.`. Its calculation, if it has one and is
        // asked (it has a label), is not run again: as in ODK, what the enumerator typed stands
        // until something the calculation reads changes.
        self.recompute_inner(node, &mut changes, false);
        self.propagate(seeds, &mut changes);
        Ok(changes)
    }

    /// The choices a `column = ${q}` filter keeps, from the form's index of the list: None
    /// when the filter has another shape or `${q}` is not a string (a number compares as a
    /// number, which the scan does).
    fn indexed_choices(
        &self,
        env: &NodeEnv<'_>,
        compiled: &crate::compile::CompiledItem,
        filter: &dala_expr::Expr,
    ) -> Option<Vec<usize>> {
        let (column, reference) = crate::compile::filter_by_column(filter)?;
        let index = self
            .form
            .filter_indexes
            .get(&(compiled.item.list.clone()?, column.to_string()))?;
        match dala_expr::evaluate(reference, env).ok()? {
            Value::String(value) => Some(index.get(value.as_str()).cloned().unwrap_or_default()),
            _ => None,
        }
    }

    /// The device has a location now, after the interview started (a first fix takes a
    /// while outdoors): the start-geopoint questions still empty take it, as ODK Collect
    /// fills them when its fix comes. What changed, for a UI to redraw.
    pub fn location_found(&mut self) -> ChangeSet {
        let mut changes = ChangeSet::default();
        let mut seeds: BTreeMap<ItemId, Vec<Path>> = BTreeMap::new();
        let waiting: Vec<NodeRef> = self
            .nodes
            .iter()
            .filter(|(node, state)| {
                self.form.item(node.item).item.capture == Some(Capture::Start)
                    && state.value.is_empty()
            })
            .map(|(node, _)| node.clone())
            .collect();
        for node in waiting {
            let Some(location) = self.location(node.item) else {
                return changes;
            };
            if let Some(state) = self.nodes.get_mut(&node) {
                state.value = location;
            }
            seeds.entry(node.item).or_default().push(node.path.clone());
            changes.changes.push(Change {
                node,
                what: What::Value,
            });
        }
        self.propagate(seeds, &mut changes);
        changes
    }

    /// The host's location as `item` stores it; None without one, or with one that is not a
    /// geopoint (a host's bug should leave the question empty, not store nonsense).
    fn location(&self, item: ItemId) -> Option<String> {
        let raw = self.host.location()?;
        values::normalise(&self.form, item, &raw, None).ok()
    }

    /// How many instances of counted repeats are held beyond their count because of this
    /// question's answer (the repeats whose repeat_count reads it), by repeat: what a UI says
    /// beside the count, so the enumerator knows the answers are kept.
    pub fn held_by(&self, node: &NodeRef) -> Vec<(ItemId, usize)> {
        let mut out = Vec::new();
        for &repeat in &self.form.dependents[node.item] {
            let compiled = self.form.item(repeat);
            if compiled.item.item_type != ItemType::Repeat || compiled.exprs.repeat_count.is_none()
            {
                continue;
            }
            let scope = self.form.item(node.item).scope(node.item);
            let common = scope
                .iter()
                .zip(&compiled.repeats)
                .take_while(|(a, b)| a == b)
                .count();
            let held: usize = self
                .paths_under(&compiled.repeats, &node.path[..common.min(node.path.len())])
                .into_iter()
                .filter_map(|parent| self.held.get(&(repeat, parent)))
                .map(Vec::len)
                .sum();
            if held > 0 {
                out.push((repeat, held));
            }
        }
        out
    }

    /// Adds an instance at the end of a repeat that has no repeat_count.
    pub fn add_instance(
        &mut self,
        repeat: ItemId,
        parent: &[u32],
    ) -> Result<(NodeRef, ChangeSet), AnswerError> {
        let compiled = self.form.item(repeat);
        if compiled.item.item_type != ItemType::Repeat || compiled.exprs.repeat_count.is_some() {
            return Err(AnswerError::NotARepeat(compiled.item.name.clone()));
        }
        let mut changes = ChangeSet::default();
        let node = self.create_instance(repeat, parent, &mut changes);
        let seeds = self.structure_seeds(repeat, &node.path);
        self.propagate(seeds, &mut changes);
        Ok((node, changes))
    }

    /// Removes an instance of a repeat that has no repeat_count.
    pub fn remove_instance(&mut self, instance: &NodeRef) -> Result<ChangeSet, AnswerError> {
        let compiled = self.form.item(instance.item);
        if compiled.item.item_type != ItemType::Repeat || compiled.exprs.repeat_count.is_some() {
            return Err(AnswerError::NotARepeat(compiled.item.name.clone()));
        }
        if !self.nodes.contains_key(instance) {
            return Err(AnswerError::NoSuchNode);
        }
        let mut changes = ChangeSet::default();
        self.delete_instance(instance, &mut changes);
        let parent = &instance.path[..instance.path.len() - 1];
        let seeds = self.structure_seeds(instance.item, parent);
        self.propagate(seeds, &mut changes);
        Ok(changes)
    }

    /// Keeps the description of a file captured for this record (one of the same name is
    /// replaced); answering a media question with its name puts it in the record.
    pub fn keep_file(&mut self, file: Attachment) {
        self.files.retain(|f| f.name != file.name);
        self.files.push(file);
    }

    /// The description of a file kept for this record.
    pub fn file(&self, name: &str) -> Option<&Attachment> {
        self.files.iter().find(|f| f.name == name)
    }

    /// The record of this interview: relevant answers (repeats as ordered instances),
    /// calculate values kept, notes and groups left out; the files its answers name.
    pub fn record(&self, status: Status) -> Submission {
        let mut record = self.record_answers(status);
        let named = record.values();
        let files = self
            .files
            .iter()
            .filter(|f| named.contains(f.name.as_str()))
            .cloned()
            .collect();
        record.files = files;
        record
    }

    fn record_answers(&self, status: Status) -> Submission {
        let now = dala_expr::Value::DateTime(self.host.now()).to_xpath_string();
        Submission {
            format: RECORD_FORMAT,
            instance_id: self.instance_id.clone(),
            instrument_id: self.form.instrument.settings.form_id.clone(),
            instrument_version: self.form.instrument.settings.version.clone(),
            status,
            started: self.started.clone(),
            updated: now.clone(),
            finalized: (status == Status::Finalized).then_some(now),
            enumerator: self.enumerator.clone(),
            device_id: self.host.device_id(),
            instance_name: self.instance_name(),
            answers: self.answers(&self.form.top, &[]),
            held: match status {
                Status::Draft => self.held_record(),
                Status::Finalized => Vec::new(),
            },
            files: Vec::new(),
        }
    }

    /// The record's name: the form's `instance_name` evaluated at the top of the form. None
    /// when there is none, or while it names nothing yet (`concat(${district}, '-', ${wave})`
    /// before either is answered gives only the dash).
    pub fn instance_name(&self) -> Option<String> {
        let expr = self.form.instance_name.as_ref()?;
        let top = *self.form.top.first()?;
        let env = NodeEnv::new(
            self,
            &NodeRef {
                item: top,
                path: Vec::new(),
            },
        );
        let name = dala_expr::evaluate(expr, &env).ok()?.to_xpath_string();
        let name = name.trim();
        name.chars()
            .any(char::is_alphanumeric)
            .then(|| name.to_string())
    }

    /// The held instances for a draft, outer containers before the ones inside them.
    fn held_record(&self) -> Vec<HeldInstances> {
        let mut out: Vec<HeldInstances> = self
            .held
            .iter()
            .filter(|(_, ids)| !ids.is_empty())
            .filter_map(|((repeat, parent), ids)| {
                let compiled = self.form.item(*repeat);
                let at = self.positions_of(&compiled.repeats, parent)?;
                let instances = ids
                    .iter()
                    .map(|id| {
                        let mut path = parent.clone();
                        path.push(*id);
                        self.answers(&compiled.children, &path)
                    })
                    .collect();
                Some(HeldInstances {
                    repeat: compiled.item.name.clone(),
                    at,
                    instances,
                })
            })
            .collect();
        out.sort_by(|a, b| (a.at.len(), &a.at, &a.repeat).cmp(&(b.at.len(), &b.at, &b.repeat)));
        out
    }

    /// The instances of a repeat in a container, shown first, then held.
    fn all_instance_ids(&self, repeat: ItemId, parent: &[u32]) -> Vec<u32> {
        let key = (repeat, parent.to_vec());
        let shown = self.containers.get(&key).into_iter().flatten();
        shown
            .chain(self.held.get(&key).into_iter().flatten())
            .copied()
            .collect()
    }

    /// For the enclosing instances `path` of the repeat chain `scope`: each one's index among
    /// its repeat's instances, shown and held.
    fn positions_of(&self, scope: &[ItemId], path: &[u32]) -> Option<Vec<usize>> {
        let mut at = Vec::with_capacity(path.len());
        for (depth, (repeat, id)) in scope.iter().zip(path).enumerate() {
            let ids = self.all_instance_ids(*repeat, &path[..depth]);
            at.push(ids.iter().position(|i| i == id)?);
        }
        Some(at)
    }

    /// The container path of the enclosing instances at `at` (see [`HeldInstances::at`]).
    fn path_at(&self, scope: &[ItemId], at: &[usize]) -> Option<Path> {
        if scope.len() != at.len() {
            return None;
        }
        let mut path = Vec::with_capacity(at.len());
        for (repeat, index) in scope.iter().zip(at) {
            let id = *self.all_instance_ids(*repeat, &path).get(*index)?;
            path.push(id);
        }
        Some(path)
    }

    /// Puts a draft's held instances back, outer ones first (they were saved in that order).
    /// An entry that no longer fits the form (a repeat renamed, no longer counted, or a
    /// container gone) is left out: it was never part of the record.
    fn restore_held(&mut self, held: &[HeldInstances]) {
        for entry in held {
            let Some(repeat) = self.form.id(&entry.repeat) else {
                continue;
            };
            let compiled = self.form.item(repeat);
            if compiled.item.item_type != ItemType::Repeat || compiled.exprs.repeat_count.is_none()
            {
                continue;
            }
            let (scope, children) = (compiled.repeats.clone(), compiled.children.clone());
            let Some(parent) = self.path_at(&scope, &entry.at) else {
                continue;
            };
            // Each is held in front of the ones before: the last saved goes in first.
            for answers in entry.instances.iter().rev() {
                let instance = self.create_instance(repeat, &parent, &mut ChangeSet::default());
                self.restore(&children, &instance.path, answers);
                self.hold_instance(&instance, &mut ChangeSet::default());
            }
        }
    }

    fn answers(&self, items: &[ItemId], path: &[u32]) -> BTreeMap<String, Answer> {
        let mut out = BTreeMap::new();
        for &id in items {
            let compiled = self.form.item(id);
            match compiled.item.item_type {
                ItemType::Note => {}
                ItemType::Group => {
                    if self.relevant(&NodeRef {
                        item: id,
                        path: path.to_vec(),
                    }) {
                        out.extend(self.answers(&compiled.children, path));
                    }
                }
                ItemType::Repeat => {
                    let instances: Vec<BTreeMap<String, Answer>> = self
                        .instances(id, path)
                        .into_iter()
                        .filter(|instance| self.relevant(instance))
                        .map(|instance| self.answers(&compiled.children, &instance.path))
                        .collect();
                    out.insert(compiled.key.clone(), Answer::Repeat(instances));
                }
                _ => {
                    let node = NodeRef {
                        item: id,
                        path: path.to_vec(),
                    };
                    if self.relevant(&node) {
                        out.insert(
                            compiled.key.clone(),
                            Answer::Value(self.value(&node).to_string()),
                        );
                    }
                }
            }
        }
        out
    }

    // ---- structure -------------------------------------------------------------------

    /// Creates the nodes of `items` under `path`, with initial repeat instances.
    /// Creates the nodes of `items` at `path`. `first`: this is the form as it starts, where a
    /// repeat without a count has one instance, as an XForm's primary instance has (and so
    /// has each repeat inside that first instance); a repeat inside an instance added later
    /// starts with none, as an instance made from an XForm's template does.
    fn build(
        &mut self,
        path: &[u32],
        items: &[ItemId],
        first: bool,
        changes: Option<&mut ChangeSet>,
    ) {
        let mut changes = changes;
        for &id in items {
            let compiled = self.form.item(id);
            if compiled.item.item_type == ItemType::Repeat {
                self.containers.entry((id, path.to_vec())).or_default();
                if first && compiled.exprs.repeat_count.is_none() {
                    let mut scratch = ChangeSet::default();
                    self.create_instance_as(id, path, true, &mut scratch);
                    if let Some(c) = changes.as_deref_mut() {
                        c.changes.extend(scratch.changes);
                    }
                }
                continue;
            }
            let node = NodeRef {
                item: id,
                path: path.to_vec(),
            };
            // A default is stored as an answer would be; one the type refuses (`foo` for
            // an integer) is left out, as ODK leaves it.
            let value = compiled
                .default_value
                .as_deref()
                .and_then(|v| values::normalise(&self.form, id, v, None).ok())
                .unwrap_or_default();
            self.nodes.insert(
                node,
                NodeState {
                    value,
                    relevant: true,
                    constraint_ok: true,
                    ..NodeState::default()
                },
            );
            let children = compiled.children.clone();
            self.build(path, &children, first, changes.as_deref_mut());
        }
    }

    /// A new instance at the end of a repeat, as one made from an XForm's template: the
    /// repeats inside it start empty.
    fn create_instance(
        &mut self,
        repeat: ItemId,
        parent: &[u32],
        changes: &mut ChangeSet,
    ) -> NodeRef {
        self.create_instance_as(repeat, parent, false, changes)
    }

    fn create_instance_as(
        &mut self,
        repeat: ItemId,
        parent: &[u32],
        first: bool,
        changes: &mut ChangeSet,
    ) -> NodeRef {
        let id = self.next_instance;
        self.next_instance += 1;
        if first {
            self.from_form.insert(id);
        }
        self.containers
            .entry((repeat, parent.to_vec()))
            .or_default()
            .push(id);
        let mut path = parent.to_vec();
        path.push(id);
        let node = NodeRef {
            item: repeat,
            path: path.clone(),
        };
        self.nodes.insert(
            node.clone(),
            NodeState {
                relevant: true,
                constraint_ok: true,
                ..NodeState::default()
            },
        );
        let children = self.form.item(repeat).children.clone();
        self.build(&path, &children, first, Some(changes));
        changes.changes.push(Change {
            node: node.clone(),
            what: What::InstanceAdded,
        });
        self.compute_instance(&node);
        node
    }

    /// Computes an instance's own nodes once, in dependency order.
    fn compute_instance(&mut self, instance: &NodeRef) {
        let mut inside: Vec<ItemId> = self.descendants(instance.item);
        inside.push(instance.item);
        inside.sort_by_key(|i| self.form.rank[*i]);
        for item in inside {
            for node in self.nodes_under(item, &instance.path) {
                self.recompute(&node, &mut ChangeSet::default());
            }
        }
    }

    /// Moves a counted repeat's instance out of its container into the held ones, in front
    /// (the last shown is the first to come back), answers and all.
    fn hold_instance(&mut self, instance: &NodeRef, changes: &mut ChangeSet) {
        let parent = instance.path[..instance.path.len() - 1].to_vec();
        let id = *instance.path.last().unwrap_or(&0);
        let key = (instance.item, parent);
        if let Some(ids) = self.containers.get_mut(&key) {
            ids.retain(|i| *i != id);
        }
        self.held.entry(key).or_default().insert(0, id);
        changes.changes.push(Change {
            node: instance.clone(),
            what: What::InstanceRemoved,
        });
    }

    /// Brings back the next held instance of a container, if there is one.
    fn bring_back(&mut self, repeat: ItemId, parent: &[u32], changes: &mut ChangeSet) -> bool {
        let key = (repeat, parent.to_vec());
        let Some(id) = self
            .held
            .get_mut(&key)
            .and_then(|ids| (!ids.is_empty()).then(|| ids.remove(0)))
        else {
            return false;
        };
        self.containers.entry(key).or_default().push(id);
        let mut path = parent.to_vec();
        path.push(id);
        let node = NodeRef { item: repeat, path };
        changes.changes.push(Change {
            node: node.clone(),
            what: What::InstanceAdded,
        });
        self.compute_instance(&node);
        true
    }

    fn delete_instance(&mut self, instance: &NodeRef, changes: &mut ChangeSet) {
        let parent = instance.path[..instance.path.len() - 1].to_vec();
        let id = *instance.path.last().unwrap_or(&0);
        if let Some(ids) = self.containers.get_mut(&(instance.item, parent)) {
            ids.retain(|i| *i != id);
        }
        let prefix = &instance.path;
        self.nodes.retain(|node, _| !node.path.starts_with(prefix));
        self.containers
            .retain(|(_, path), _| !path.starts_with(prefix));
        self.held.retain(|(_, path), _| !path.starts_with(prefix));
        changes.changes.push(Change {
            node: instance.clone(),
            what: What::InstanceRemoved,
        });
    }

    fn descendants(&self, item: ItemId) -> Vec<ItemId> {
        let mut out = Vec::new();
        let mut stack = self.form.item(item).children.clone();
        while let Some(id) = stack.pop() {
            out.push(id);
            stack.extend(self.form.item(id).children.iter().copied());
        }
        out
    }

    /// After instances of `repeat` were added or removed under `at`, everything that reads
    /// the repeat or anything inside it must look again.
    fn structure_seeds(&self, repeat: ItemId, at: &[u32]) -> BTreeMap<ItemId, Vec<Path>> {
        let mut seeds = BTreeMap::new();
        seeds.insert(repeat, vec![at.to_vec()]);
        for d in self.descendants(repeat) {
            seeds.insert(d, vec![at.to_vec()]);
        }
        seeds
    }

    /// Every node of `item` whose path starts with `prefix`.
    fn nodes_under(&self, item: ItemId, prefix: &[u32]) -> Vec<NodeRef> {
        let scope = self.form.item(item).scope(item);
        self.paths_under(&scope, prefix)
            .into_iter()
            .map(|path| NodeRef { item, path })
            .filter(|n| self.nodes.contains_key(n))
            .collect()
    }

    /// Every instance path of the repeat chain `scope` that starts with `prefix`.
    fn paths_under(&self, scope: &[ItemId], prefix: &[u32]) -> Vec<Path> {
        let start = prefix.len().min(scope.len());
        let mut paths: Vec<Path> = vec![prefix[..start].to_vec()];
        for repeat in &scope[start..] {
            let mut next = Vec::new();
            for path in &paths {
                if let Some(ids) = self.containers.get(&(*repeat, path.clone())) {
                    for id in ids {
                        let mut p = path.clone();
                        p.push(*id);
                        next.push(p);
                    }
                }
            }
            paths = next;
        }
        paths
    }

    // ---- recalculation ---------------------------------------------------------------

    fn recompute_all(&mut self) {
        let order = self.form.order.clone();
        for item in order {
            for node in self.nodes_under(item, &[]) {
                self.recompute(&node, &mut ChangeSet::default());
            }
            self.update_counts(item, &[], &mut ChangeSet::default());
        }
    }

    /// For a repeat with a repeat_count: brings every container under `prefix` to its count.
    /// Returns the containers whose instances changed.
    fn update_counts(
        &mut self,
        item: ItemId,
        prefix: &[u32],
        changes: &mut ChangeSet,
    ) -> Vec<Path> {
        let compiled = self.form.item(item);
        if compiled.item.item_type != ItemType::Repeat || compiled.exprs.repeat_count.is_none() {
            return Vec::new();
        }
        let parents = self.paths_under(&compiled.repeats.clone(), prefix);
        parents
            .into_iter()
            .filter(|parent| self.apply_repeat_count(item, parent, changes))
            .collect()
    }

    /// Re-evaluates the dependents of the seeds (item -> paths under which it changed), in
    /// dependency order, and only in the instances the change can reach.
    fn propagate(&mut self, seeds: BTreeMap<ItemId, Vec<Path>>, changes: &mut ChangeSet) {
        let mut changed: HashMap<ItemId, Vec<Path>> = seeds.into_iter().collect();
        // Everything downstream of the seeds, in dependency order.
        let mut affected = BTreeSet::new();
        let mut stack: Vec<ItemId> = changed.keys().copied().collect();
        while let Some(id) = stack.pop() {
            for &d in &self.form.dependents[id] {
                if affected.insert((self.form.rank[d], d)) {
                    stack.push(d);
                }
            }
        }
        for (_, item) in affected {
            let scope = self.form.item(item).scope(item);
            let mut prefixes: BTreeSet<Path> = BTreeSet::new();
            for dep in &self.form.item(item).depends_on {
                let Some(paths) = changed.get(dep) else {
                    continue;
                };
                let dep_scope = self.form.item(*dep).scope(*dep);
                let mut common = scope
                    .iter()
                    .zip(&dep_scope)
                    .take_while(|(a, b)| a == b)
                    .count();
                // Read across the instances of a repeat: every instance of it.
                if let Some((_, outside)) = compiled_reads_across(&self.form, item, *dep) {
                    common = common.min(outside);
                }
                for path in paths {
                    prefixes.insert(path[..common.min(path.len())].to_vec());
                }
            }
            let mut changed_here = Vec::new();
            for prefix in prefixes {
                for node in self.nodes_under(item, &prefix) {
                    if self.recompute_with_trigger(&node, &changed, changes) {
                        changed_here.push(node.path.clone());
                    }
                }
                changed_here.extend(self.update_counts(item, &prefix, changes));
            }
            if !changed_here.is_empty() {
                changed.insert(item, changed_here);
            }
        }
    }

    fn recompute_with_trigger(
        &mut self,
        node: &NodeRef,
        changed: &HashMap<ItemId, Vec<Path>>,
        changes: &mut ChangeSet,
    ) -> bool {
        let trigger = self.form.item(node.item).trigger;
        let run_calculation = trigger.is_none_or(|t| changed.contains_key(&t));
        self.recompute_inner(node, changes, run_calculation)
    }

    fn recompute(&mut self, node: &NodeRef, changes: &mut ChangeSet) -> bool {
        let trigger = self.form.item(node.item).trigger;
        self.recompute_inner(node, changes, trigger.is_none())
    }

    /// Recomputes one node's state; records what changed; true if anything did.
    fn recompute_inner(
        &mut self,
        node: &NodeRef,
        changes: &mut ChangeSet,
        run_calculation: bool,
    ) -> bool {
        // Borrowed, not cloned: this runs for every node an answer reaches.
        let Some(old) = self.nodes.get(node) else {
            return false;
        };
        let compiled = self.form.item(node.item);
        let mut new = old.clone();
        new.error = None;
        let mut error = |e: dala_expr::Diagnostic, column: &'static str| {
            new.error.get_or_insert((column, e));
        };
        let env = NodeEnv::new(self, node);
        let parent_relevant = match compiled.parent {
            Some(parent) => {
                let parent_path = node.path[..self.form.item(parent).scope(parent).len()].to_vec();
                self.relevant(&NodeRef {
                    item: parent,
                    path: parent_path,
                })
            }
            None => true,
        };
        let own_relevant = match &compiled.exprs.relevant {
            Some(e) => dala_expr::evaluate_boolean(e, &env).unwrap_or_else(|d| {
                error(d, "relevant");
                true
            }),
            None => true,
        };
        new.relevant = parent_relevant && own_relevant;
        new.required = compiled.always_required
            || compiled.exprs.required.as_ref().is_some_and(|e| {
                dala_expr::evaluate_boolean(e, &env).unwrap_or_else(|d| {
                    error(d, "required");
                    false
                })
            });
        new.read_only = compiled.always_read_only
            || matches!(
                compiled.item.item_type,
                ItemType::Calculate | ItemType::Note
            )
            || compiled.exprs.read_only.as_ref().is_some_and(|e| {
                dala_expr::evaluate_boolean(e, &env).unwrap_or_else(|d| {
                    error(d, "read_only");
                    false
                })
            });
        // A trigger without a calculation clears the value when the trigger changes (ODK's
        // setvalue with no value).
        if run_calculation && compiled.trigger.is_some() && compiled.exprs.calculation.is_none() {
            new.value = String::new();
        }
        // A geopoint the device fills: on its trigger, or once when its node is made.
        match compiled.item.capture {
            Some(Capture::Trigger) if run_calculation && compiled.trigger.is_some() => {
                new.value = self.location(node.item).unwrap_or_default();
            }
            Some(Capture::Start) if !old.initialized && old.value.is_empty() => {
                new.value = self.location(node.item).unwrap_or_default();
            }
            _ => {}
        }
        if run_calculation && let Some(e) = &compiled.exprs.calculation {
            new.value = if new.relevant {
                match dala_expr::evaluate(e, &env) {
                    Ok(v) => values::stored(&compiled.item.item_type, &v),
                    Err(d) => {
                        error(d, "calculation");
                        String::new()
                    }
                }
            } else {
                String::new()
            };
        }
        if let Some(e) = &compiled.exprs.default
            && !old.initialized
            && old.value.is_empty()
        {
            match dala_expr::evaluate(e, &env) {
                Ok(v) => new.value = values::stored(&compiled.item.item_type, &v),
                Err(d) => error(d, "default"),
            }
        }
        new.initialized = true;
        new.constraint_ok = match &compiled.exprs.constraint {
            Some(e) if !new.value.is_empty() && new.relevant => {
                let env = env.with_current(&new.value);
                dala_expr::evaluate_boolean(e, &env).unwrap_or_else(|d| {
                    error(d, "constraint");
                    false
                })
            }
            _ => true,
        };
        if let Some(source) = compiled.list_from {
            new.offered = Some(self.answers_offered(&env, source, compiled, &mut error));
        } else if let Some(e) = &compiled.exprs.choice_filter
            && let Some(kept) = self.indexed_choices(&env, compiled, e)
        {
            new.choices = Some(kept);
        } else if let Some(e) = &compiled.exprs.choice_filter {
            let list = self.form.list(node.item);
            let mut kept = Vec::new();
            for (i, choice) in list.iter().enumerate() {
                match dala_expr::evaluate_boolean(e, &env.for_choice(choice)) {
                    Ok(true) => kept.push(i),
                    Ok(false) => {}
                    Err(d) => error(d, "choice_filter"),
                }
            }
            new.choices = Some(kept);
        }
        let language = self.form.default_language().unwrap_or("default");
        drop(env);
        new.label = if compiled.label.refs.is_empty() {
            String::new()
        } else {
            self.fill(node, &compiled.label.text, language)
        };
        new.hint = if compiled.hint.refs.is_empty() {
            String::new()
        } else {
            self.fill(node, &compiled.hint.text, language)
        };

        let mut any = false;
        for (what, differs) in [
            (What::Value, new.value != old.value),
            (What::Relevant, new.relevant != old.relevant),
            (What::Required, new.required != old.required),
            (What::ReadOnly, new.read_only != old.read_only),
            (What::Constraint, new.constraint_ok != old.constraint_ok),
            (What::Label, new.label != old.label),
            (What::Hint, new.hint != old.hint),
            (
                What::Choices,
                new.choices != old.choices || new.offered != old.offered,
            ),
        ] {
            if differs {
                any = true;
                changes.changes.push(Change {
                    node: node.clone(),
                    what,
                });
            }
        }
        // A filtered select whose answer is no longer offered loses it.
        let offered = |code: &str| match (&new.offered, &new.choices) {
            (Some(answers), _) => answers.iter().any(|c| c.name == code),
            (None, Some(kept)) => kept.iter().any(|i| {
                self.form
                    .list(node.item)
                    .get(*i)
                    .is_some_and(|c| c.name == code)
            }),
            (None, None) => true,
        };
        if compiled.item.item_type == ItemType::SelectOne
            && !new.value.is_empty()
            && !offered(&new.value)
        {
            new.value.clear();
            if !changes.contains(node, What::Value) {
                changes.changes.push(Change {
                    node: node.clone(),
                    what: What::Value,
                });
            }
            any = true;
        }
        self.nodes.insert(node.clone(), new);
        any
    }

    /// Makes the number of instances of a counted repeat in the container at `parent` match
    /// its repeat_count; true if it changed.
    fn apply_repeat_count(
        &mut self,
        repeat: ItemId,
        parent: &[u32],
        changes: &mut ChangeSet,
    ) -> bool {
        let Some(e) = self.form.item(repeat).exprs.repeat_count.clone() else {
            return false;
        };
        let parent = parent.to_vec();
        let node = NodeRef {
            item: repeat,
            path: parent.clone(),
        };
        // Inside a group (or an instance) that is not relevant, the count is not taken: the
        // repeat keeps the instances it has (none, if the group was never relevant), hidden
        // with the group, and is counted again when the group is relevant. As in ODK, which
        // reads a repeat_count through a calculate beside the repeat (pyxform's NAME_count),
        // empty there, and keeps the count it had.
        let container = self.form.item(repeat).parent.map(|p| NodeRef {
            item: p,
            path: parent[..self.form.item(p).scope(p).len()].to_vec(),
        });
        if container.is_some_and(|c| !self.relevant(&c)) {
            return false;
        }
        let wanted = {
            let env = NodeEnv::new(self, &node);
            dala_expr::evaluate(&e, &env).map_or(0.0, |v| v.to_number())
        };
        // A count is capped so a typo (10000 household members) cannot freeze the tablet.
        let wanted = if wanted.is_finite() {
            wanted.clamp(0.0, 1000.0) as usize
        } else {
            0
        };
        let current = self
            .containers
            .get(&(repeat, parent.clone()))
            .map_or(0, Vec::len);
        if wanted == current {
            return false;
        }
        let mut local = ChangeSet::default();
        for _ in current..wanted {
            if !self.bring_back(repeat, &parent, &mut local) {
                // The first instance, inside instances that are the form's own, is the
                // primary instance's copy.
                let first = self.instances(repeat, &parent).is_empty()
                    && parent.iter().all(|id| self.from_form.contains(id));
                self.create_instance_as(repeat, &parent, first, &mut local);
            }
        }
        for _ in wanted..current {
            let last = self.instances(repeat, &parent).pop();
            if let Some(last) = last {
                self.hold_instance(&last, &mut local);
            }
        }
        changes.changes.extend(local.changes);
        let seeds = self.structure_seeds(repeat, &parent);
        self.propagate(seeds, changes);
        true
    }

    fn fill(&self, node: &NodeRef, text: &crate::instrument::Text, language: &str) -> String {
        let Some(raw) = text.get(language, self.form.default_language()) else {
            return String::new();
        };
        if !raw.contains("${") {
            return raw.to_string();
        }
        let env = NodeEnv::new(self, node);
        let mut out = String::with_capacity(raw.len());
        let mut written = 0;
        for (range, name) in dala_expr::text_references(raw) {
            out.push_str(&raw[written..range.start]);
            let value = env
                .value_of(name)
                .map(|v| v.to_xpath_string())
                .unwrap_or_default();
            out.push_str(&value);
            written = range.end;
        }
        out.push_str(&raw[written..]);
        out
    }

    fn restore(&mut self, items: &[ItemId], path: &[u32], answers: &BTreeMap<String, Answer>) {
        for &id in items {
            // Only what is needed, not a clone of the compiled item (its expressions).
            let compiled = self.form.item(id);
            let item_type = compiled.item.item_type;
            let answer = answers.get(&compiled.key);
            match item_type {
                ItemType::Group => {
                    let children = compiled.children.clone();
                    self.restore(&children, path, answers);
                }
                ItemType::Repeat => {
                    let Some(Answer::Repeat(saved)) = answer else {
                        continue;
                    };
                    let children = compiled.children.clone();
                    let mut scratch = ChangeSet::default();
                    while self.instances(id, path).len() < saved.len() {
                        self.create_instance(id, path, &mut scratch);
                    }
                    // The record's instances, no more: the one a new form starts with may
                    // have been removed.
                    while self.instances(id, path).len() > saved.len() {
                        if let Some(extra) = self.instances(id, path).pop() {
                            self.delete_instance(&extra, &mut scratch);
                        }
                    }
                    for (instance, saved) in self.instances(id, path).iter().zip(saved) {
                        self.restore(&children, &instance.path, saved);
                    }
                }
                _ => {
                    if let Some(Answer::Value(v)) = answer
                        && let Some(state) = self.nodes.get_mut(&NodeRef {
                            item: id,
                            path: path.to_vec(),
                        })
                    {
                        state.value = v.clone();
                    }
                }
            }
        }
    }

    pub(crate) fn typed_value(&self, node: &NodeRef) -> Value {
        match self.state(node) {
            Some(s) if s.relevant => {
                values::typed(self.form.item(node.item).item.item_type, &s.value)
            }
            _ => Value::empty(),
        }
    }

    pub(crate) fn containers(&self) -> &HashMap<(ItemId, Path), Vec<u32>> {
        &self.containers
    }

    pub(crate) fn last_saved(&self) -> &BTreeMap<String, Answer> {
        &self.last_saved
    }

    pub(crate) fn host(&self) -> &dyn Host {
        self.host.as_ref()
    }

    pub(crate) fn nodes_of(&self, item: ItemId, prefix: &[u32]) -> Vec<NodeRef> {
        self.nodes_under(item, prefix)
    }
}

/// How `item` reads `dep` across a repeat's instances, if it does.
fn compiled_reads_across(form: &Form, item: ItemId, dep: ItemId) -> Option<(ItemId, usize)> {
    form.item(item)
        .reads_across
        .iter()
        .find(|(d, _)| *d == dep)
        .copied()
}
