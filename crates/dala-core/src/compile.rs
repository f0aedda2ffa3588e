//! Instrument -> compiled form: every expression parsed once, items flattened into a table,
//! and the dependency graph ordered once, so an answer re-evaluates only its dependents.

use crate::column::Column;
use crate::index::Index;
use crate::instrument::{Choice, Instrument, Item, ItemType, Text};
use crate::validate::{Diagnostic, Finding, VCode, validate};
use dala_expr::Expr;
use std::collections::{BTreeMap, HashMap};

/// Index of an item in [`Form::items`].
pub type ItemId = usize;

/// A label or hint with `${name}` references to fill in (ODK's output values).
#[derive(Clone, Debug)]
pub struct Template {
    pub text: Text,
    /// Names referenced in any language's text.
    pub refs: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Expressions {
    pub relevant: Option<Expr>,
    pub required: Option<Expr>,
    pub constraint: Option<Expr>,
    pub calculation: Option<Expr>,
    pub read_only: Option<Expr>,
    pub choice_filter: Option<Expr>,
    pub repeat_count: Option<Expr>,
    /// A default that is an expression (`today()`, `${other}`); a plain default is `default_value`.
    pub default: Option<Expr>,
}

impl Expressions {
    /// The parsed expression of a column (a trigger is a name, not parsed here).
    pub fn get(&self, column: Column) -> Option<&Expr> {
        match column {
            Column::Relevant => self.relevant.as_ref(),
            Column::Required => self.required.as_ref(),
            Column::Constraint => self.constraint.as_ref(),
            Column::Calculation => self.calculation.as_ref(),
            Column::ReadOnly => self.read_only.as_ref(),
            Column::ChoiceFilter => self.choice_filter.as_ref(),
            Column::RepeatCount => self.repeat_count.as_ref(),
            Column::Default => self.default.as_ref(),
            _ => None,
        }
    }

    /// The expressions an item's state and value are computed from, each with its column: a
    /// calculation that runs on a trigger instead reads the trigger alone.
    fn read(&self, triggered: bool) -> impl Iterator<Item = (Column, &Expr)> {
        Column::EXPRESSIONS
            .into_iter()
            .filter(move |c| !(triggered && *c == Column::Calculation))
            .filter_map(|c| self.get(c).map(|e| (c, e)))
    }
}

#[derive(Clone, Debug)]
pub struct CompiledItem {
    pub item: Item,
    /// The key of its answer in a record ([`crate::index`]: its name, or its path of groups
    /// where another answer of the same scope shares the name).
    pub key: String,
    pub parent: Option<ItemId>,
    /// The repeats this item is inside, outermost first (not counting itself).
    pub repeats: Vec<ItemId>,
    pub children: Vec<ItemId>,
    pub exprs: Expressions,
    pub default_value: Option<String>,
    /// `required`/`read_only` written as yes/true.
    pub always_required: bool,
    pub always_read_only: bool,
    pub label: Template,
    pub hint: Template,
    /// Items whose state this item's expressions or labels read.
    pub depends_on: Vec<ItemId>,
    /// The item named in `trigger`, if any: the calculation runs only when it changes.
    pub trigger: Option<ItemId>,
    /// For `select_one ${name}`: the question whose answers (one per repeat instance) are the
    /// choices.
    pub list_from: Option<ItemId>,
    /// Items read across the instances of a repeat (`${t}[1]/s` reads `s` in another
    /// instance of `t`), each with the number of repeats around `t`: a change to one of them
    /// reaches this item in every instance of `t`.
    pub reads_across: Vec<(ItemId, usize)>,
}

impl CompiledItem {
    /// The repeat chain of this item's own instances: its enclosing repeats, plus itself if it
    /// is a repeat.
    pub fn scope(&self, id: ItemId) -> Vec<ItemId> {
        let mut scope = self.repeats.clone();
        if self.item.item_type == ItemType::Repeat {
            scope.push(id);
        }
        scope
    }
}

/// A validated instrument, ready for the engine.
#[derive(Clone, Debug)]
pub struct Form {
    pub instrument: Instrument,
    pub items: Vec<CompiledItem>,
    pub top: Vec<ItemId>,
    pub by_name: HashMap<String, ItemId>,
    /// Whether an expression reads the record saved last (`${last-saved#name}`): a device
    /// then starts an interview with that record ([`crate::Engine::new_after`]).
    pub reads_last_saved: bool,
    /// Items in dependency order: an item comes after everything it reads.
    pub order: Vec<ItemId>,
    /// Position of each item in `order`.
    pub rank: Vec<usize>,
    /// For each item, the items that read it (directly).
    pub dependents: Vec<Vec<ItemId>>,
    pub instance_name: Option<Expr>,
    /// The rows of the attached files the form reads as lists (`villages.csv`), by
    /// attachment name: the choices of `select_one_from_file`, the items of
    /// `instance('villages')`, what `pulldata('villages', ...)` searches.
    pub lists: Lists,
    /// For each (list, column) a choice filter matches on, the positions of the rows by
    /// their value in that column: a cascade over a 16,000-row list of villages is a lookup,
    /// not 16,000 evaluations, on every answer that reaches it. Built once, when the form
    /// is compiled.
    pub filter_indexes: HashMap<(String, String), HashMap<String, Vec<usize>>>,
}

/// A choice filter of the shape `column = ${question}` (either way round): the column of the
/// list and the reference, which [`Form::filter_indexes`] answers without a scan.
pub fn filter_by_column(filter: &Expr) -> Option<(&str, &Expr)> {
    use dala_expr::ast::{BinaryOp, ExprKind};
    let ExprKind::Binary(BinaryOp::Eq, left, right) = &filter.kind else {
        return None;
    };
    let is_ref = |e: &Expr| matches!(e.kind, ExprKind::Ref(_));
    match (column_name(left), column_name(right)) {
        (Some(column), None) if is_ref(right) => Some((column, right)),
        (None, Some(column)) if is_ref(left) => Some((column, left)),
        _ => None,
    }
}

/// The column a choice filter names with a one-step relative path (`region`), but not the
/// label: it is read in a language, and an index of one language would be wrong.
fn column_name(e: &Expr) -> Option<&str> {
    use dala_expr::ast::{Axis, ExprKind, NodeTest, PathStart};
    let ExprKind::Path(path) = &e.kind else {
        return None;
    };
    let (PathStart::Relative, [step]) = (&path.start, path.steps.as_slice()) else {
        return None;
    };
    match &step.test {
        NodeTest::Name(name)
            if step.axis == Axis::Child
                && step.predicates.is_empty()
                && name.as_ref() != "label" =>
        {
            Some(name.as_ref())
        }
        NodeTest::Name(_) | NodeTest::Any => None,
    }
}

/// Attached files read as lists of rows, by attachment name (the caller parses the bytes:
/// dala-xlsform reads CSV, XML and GeoJSON).
pub type Lists = BTreeMap<String, Vec<Choice>>;

/// The instrument with the lists of its attached files as choice lists under the files'
/// names: what reads labels by list name (exports, codebooks, tables, the analyst's views)
/// then labels `select_one_from_file` answers like any other.
pub fn with_lists(instrument: &Instrument, lists: &Lists) -> Instrument {
    let mut out = instrument.clone();
    let mut lists = lists.clone();
    fn visit(items: &mut [crate::Item], lists: &mut Lists) {
        for item in items {
            if let Some(name) = remap_list(item, lists) {
                item.list = Some(name);
            }
            visit(&mut item.children, lists);
        }
    }
    visit(&mut out.survey, &mut lists);
    for (name, rows) in lists {
        out.choices.entry(name).or_insert(rows);
    }
    out
}

/// XLSForm's `value=` and `label=` parameters of a select from an attached file: the
/// columns its choices take their value and label from (`name` and `label` by default).
fn value_and_label(item: &crate::Item) -> Option<(&str, &str)> {
    let list = item.list.as_deref()?;
    let value = item.parameters.get("value").map(|v| v.trim());
    let label = item.parameters.get("label").map(|l| l.trim());
    if !is_list_file(list) || (value.is_none() && label.is_none()) {
        return None;
    }
    Some((value.unwrap_or("name"), label.unwrap_or("label")))
}

/// For a select from a file with `value=`/`label=` parameters, its rows with their value and
/// label taken from those columns, kept in `lists` under a name of their own
/// (`cities.csv?value=val&label=lbl`), which is returned; None for any other item or a file
/// not among the lists. A row keeps every column, so a choice filter reads them as before.
fn remap_list(item: &crate::Item, lists: &mut Lists) -> Option<String> {
    let (value, label) = value_and_label(item)?;
    let file = item.list.as_deref()?;
    let name = format!("{file}?value={value}&label={label}");
    if !lists.contains_key(&name) {
        let cell = |row: &Choice, column: &str| -> Option<String> {
            match column {
                "name" => Some(row.name.clone()),
                _ => row.extra.get(column).cloned(),
            }
        };
        let rows = lists
            .get(file)?
            .iter()
            .map(|row| Choice {
                name: cell(row, value).unwrap_or_default(),
                label: if label == "label" {
                    row.label.clone()
                } else {
                    cell(row, label)
                        .map(|text| Text::one("default", &text))
                        .unwrap_or_default()
                },
                extra: row.extra.clone(),
            })
            .collect();
        lists.insert(name.clone(), rows);
    }
    Some(name)
}

/// Whether an attachment is one a form reads as a list of rows.
pub fn is_list_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".csv", ".xml", ".geojson"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

fn yes(source: &Option<String>) -> bool {
    matches!(
        source
            .as_deref()
            .map(|s| s.trim().to_ascii_lowercase())
            .as_deref(),
        Some("yes" | "true" | "true()")
    )
}

fn expression(source: &Option<String>, yes_no: bool) -> Option<Expr> {
    let source = source.as_deref()?.trim();
    if source.is_empty()
        || (yes_no
            && matches!(
                source.to_ascii_lowercase().as_str(),
                "yes" | "no" | "true" | "false"
            ))
    {
        return None;
    }
    Some(dala_expr::parse(source).expr)
}

fn template(text: &Text) -> Template {
    let mut refs = Vec::new();
    for value in text.0.values() {
        refs.extend(
            dala_expr::text_references(value)
                .into_iter()
                .map(|(_, name)| name.to_string()),
        );
    }
    refs.sort();
    refs.dedup();
    Template {
        text: text.clone(),
        refs,
    }
}

impl Form {
    /// Compiles a valid instrument. Errors (not warnings) from [`validate`] refuse it.
    pub fn compile(instrument: &Instrument) -> Result<Form, Vec<Diagnostic>> {
        Form::compile_validated(instrument, &validate(instrument))
    }

    /// [`Form::compile`] with the lists of the instrument's attached files. Each list
    /// attachment the document names must be among them (V022): a form whose villages are
    /// missing must not open with an empty list.
    pub fn compile_with(instrument: &Instrument, lists: Lists) -> Result<Form, Vec<Diagnostic>> {
        let mut diagnostics = validate(instrument);
        for (i, attachment) in instrument.attachments.iter().enumerate() {
            if is_list_file(&attachment.name) && !lists.contains_key(&attachment.name) {
                diagnostics.push(Diagnostic {
                    code: VCode::MissingAttachment,
                    location: crate::validate::Location {
                        pointer: format!("/attachments/{i}"),
                        question: None,
                        column: None,
                        span: None,
                    },
                    finding: Finding::MissingAttachment {
                        name: attachment.name.clone(),
                    },
                });
            }
        }
        let mut form = Form::compile_validated(instrument, &diagnostics)?;
        form.attach(lists);
        Ok(form)
    }

    /// Gives a compiled form the lists of its attached files (the designer's preview, which
    /// has validated already, runs with the lists of the version it edits).
    pub fn attach(&mut self, lists: Lists) {
        self.lists = lists;
        for compiled in &mut self.items {
            if let Some(name) = remap_list(&compiled.item, &mut self.lists) {
                compiled.item.list = Some(name);
            }
        }
        self.index_filters();
    }

    /// Builds [`Form::filter_indexes`] for every choice filter of the `column = ${q}` shape.
    fn index_filters(&mut self) {
        let mut wanted = Vec::new();
        for id in 0..self.items.len() {
            let compiled = &self.items[id];
            let (Some(filter), Some(list)) =
                (&compiled.exprs.choice_filter, compiled.item.list.as_deref())
            else {
                continue;
            };
            if let Some((column, _)) = filter_by_column(filter) {
                wanted.push((list.to_string(), column.to_string()));
            }
        }
        for (list, column) in wanted {
            if self
                .filter_indexes
                .contains_key(&(list.clone(), column.clone()))
            {
                continue;
            }
            let Some(rows) = self.list_named(&list) else {
                continue;
            };
            let mut index: HashMap<String, Vec<usize>> = HashMap::new();
            for (position, row) in rows.iter().enumerate() {
                let value = if column == "name" {
                    Some(&row.name)
                } else {
                    row.extra.get(&column)
                };
                // A column a row does not have (a blank cell of the choices sheet) is no node,
                // and no node equals anything; an empty cell of a CSV is an empty node.
                if let Some(value) = value {
                    index.entry(value.clone()).or_default().push(position);
                }
            }
            self.filter_indexes.insert((list, column), index);
        }
    }

    /// [`Form::compile`] for a caller that has just validated `instrument` and holds its
    /// `diagnostics` (the designer validates after every edit already).
    pub fn compile_validated(
        instrument: &Instrument,
        diagnostics: &[Diagnostic],
    ) -> Result<Form, Vec<Diagnostic>> {
        let errors: Vec<Diagnostic> = diagnostics
            .iter()
            .filter(|d| !d.code.is_warning())
            .cloned()
            .collect();
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut form = Form {
            instrument: instrument.clone(),
            items: Vec::new(),
            top: Vec::new(),
            by_name: HashMap::new(),
            reads_last_saved: false,
            order: Vec::new(),
            rank: Vec::new(),
            dependents: Vec::new(),
            instance_name: expression(&instrument.settings.instance_name, false),
            lists: Lists::new(),
            filter_indexes: HashMap::new(),
        };
        form.top = instrument
            .survey
            .iter()
            .map(|item| form.add(item, None, &[]))
            .collect();
        // Items are added in the index's order (each before its children), so an item's id is
        // its place in the index.
        for (compiled, entry) in form.items.iter_mut().zip(Index::new(instrument).entries()) {
            compiled.key.clone_from(&entry.key);
        }
        form.link();
        form.sort();
        form.index_filters();
        Ok(form)
    }

    fn add(&mut self, item: &Item, parent: Option<ItemId>, repeats: &[ItemId]) -> ItemId {
        let id = self.items.len();
        // An item that takes no answer (a note, a calculate, a group) has no requirement or
        // constraint to check: pyxform keeps such columns and ODK never asks for them, so
        // they are left out here (validation warns, V012).
        let answered = item.item_type.takes_input();
        let when_answered = |e: &Option<String>| if answered { e.clone() } else { None };
        let date_like = matches!(
            item.item_type,
            ItemType::Date
                | ItemType::DateTime
                | ItemType::Geopoint
                | ItemType::Geotrace
                | ItemType::Geoshape
        );
        let default_is_expression = item
            .default
            .as_deref()
            .is_some_and(|d| dala_expr::is_dynamic_default(d, date_like));
        self.items.push(CompiledItem {
            item: Item {
                children: Vec::new(),
                ..item.clone()
            },
            key: item.name.clone(),
            parent,
            repeats: repeats.to_vec(),
            children: Vec::new(),
            exprs: Expressions {
                relevant: expression(&item.relevant, false),
                required: expression(&when_answered(&item.required), true),
                constraint: expression(&when_answered(&item.constraint), false),
                calculation: expression(&item.calculation, false),
                read_only: expression(&item.read_only, true),
                choice_filter: expression(&item.choice_filter, false),
                repeat_count: expression(&item.repeat_count, false),
                default: if default_is_expression {
                    expression(&item.default, false)
                } else {
                    None
                },
            },
            default_value: if default_is_expression {
                None
            } else {
                item.default.clone()
            },
            always_required: answered && yes(&item.required),
            always_read_only: yes(&item.read_only),
            label: template(&item.label),
            hint: template(&item.hint),
            depends_on: Vec::new(),
            trigger: None,
            list_from: None,
            reads_across: Vec::new(),
        });
        // The first of a name: two items share one only in different repeats, and validation
        // refuses a `${name}` that could mean either.
        self.by_name.entry(item.name.clone()).or_insert(id);
        let mut inner = repeats.to_vec();
        if item.item_type == ItemType::Repeat {
            inner.push(id);
        }
        let children = item
            .children
            .iter()
            .map(|child| self.add(child, Some(id), &inner))
            .collect();
        self.items[id].children = children;
        id
    }

    /// Resolves every reference to an item id and builds the reverse (dependents) map.
    fn link(&mut self) {
        let n = self.items.len();
        self.dependents = vec![Vec::new(); n];
        let path_deps: Vec<Vec<(ItemId, Option<usize>)>> =
            (0..n).map(|id| self.path_dependencies(id)).collect();
        for (id, paths) in path_deps.into_iter().enumerate() {
            let compiled = &self.items[id];
            let mut names: Vec<String> = Vec::new();
            let e = &compiled.exprs;
            let trigger = compiled.item.trigger.as_deref().map(|t| {
                t.trim()
                    .trim_start_matches("${")
                    .trim_end_matches('}')
                    .to_string()
            });
            // With a trigger, the calculation runs when the trigger changes, not when its
            // inputs do.
            for (_, expr) in e.read(trigger.is_some()) {
                names.extend(
                    dala_expr::references(expr)
                        .into_iter()
                        .map(|r| r.name.to_string()),
                );
            }
            names.extend(trigger.clone());
            let list_from = compiled.item.list_from_answers().map(str::to_string);
            names.extend(list_from.clone());
            if names.iter().any(|n| n.starts_with(dala_expr::LAST_SAVED)) {
                self.reads_last_saved = true;
            }
            names.extend(compiled.label.refs.iter().cloned());
            names.extend(compiled.hint.refs.iter().cloned());
            let mut depends_on: Vec<ItemId> = names
                .iter()
                .filter_map(|name| self.by_name.get(name).copied())
                .collect();
            depends_on.extend(paths.iter().map(|(target, _)| *target));
            // A child's relevance follows its group's.
            if let Some(parent) = compiled.parent {
                depends_on.push(parent);
            }
            depends_on.sort_unstable();
            depends_on.dedup();
            depends_on.retain(|d| *d != id);
            for d in &depends_on {
                self.dependents[*d].push(id);
            }
            self.items[id].trigger = trigger.and_then(|t| self.by_name.get(&t).copied());
            self.items[id].list_from = list_from.and_then(|l| self.by_name.get(&l).copied());
            self.items[id].reads_across = paths
                .iter()
                .filter_map(|&(target, across)| Some((target, across?)))
                .collect();
            self.items[id].depends_on = depends_on;
        }
    }

    /// The items an item's expressions name by an XPath path (`../age`, `${t}[1]/s`) rather
    /// than by `${}`: dependencies too, with, for one read across a repeat's instances, the
    /// number of repeats around that repeat. A calculation with a trigger runs on the trigger
    /// alone.
    fn path_dependencies(&self, id: ItemId) -> Vec<(ItemId, Option<usize>)> {
        let compiled = &self.items[id];
        let mut out = Vec::new();
        for (_, expr) in compiled.exprs.read(compiled.item.trigger.is_some()) {
            dala_expr::walk(expr, &mut |x| {
                if let dala_expr::ast::ExprKind::Path(path) = &x.kind
                    && !path.is_current()
                    && let Some(target) = self.path_target(id, path)
                {
                    let across = match &path.start {
                        dala_expr::ast::PathStart::Filtered(start, _) => match &start.kind {
                            dala_expr::ast::ExprKind::Ref(name) => {
                                self.id(name).map(|t| self.items[t].repeats.len())
                            }
                            _ => None,
                        },
                        _ => None,
                    };
                    out.push((target, across));
                }
            });
        }
        out
    }

    /// Kahn's algorithm, taking items in document order when several are ready, so the
    /// order is stable. Validation has already refused cycles.
    fn sort(&mut self) {
        let n = self.items.len();
        let mut missing: Vec<usize> = self.items.iter().map(|i| i.depends_on.len()).collect();
        let mut ready: std::collections::BTreeSet<ItemId> =
            (0..n).filter(|i| missing[*i] == 0).collect();
        while let Some(id) = ready.pop_first() {
            self.order.push(id);
            for &d in &self.dependents[id] {
                missing[d] -= 1;
                if missing[d] == 0 {
                    ready.insert(d);
                }
            }
        }
        // Anything left is in a cycle that validation let through (a self-reference in a
        // label, say): evaluate it last, in document order, rather than never.
        let placed: std::collections::HashSet<ItemId> = self.order.iter().copied().collect();
        self.order.extend((0..n).filter(|i| !placed.contains(i)));
        self.rank = vec![0; n];
        for (position, id) in self.order.iter().enumerate() {
            self.rank[*id] = position;
        }
    }

    /// Whether a question takes the device's location by itself (`start-geopoint`,
    /// `background-geopoint`): a device then follows its position while the form is open.
    pub fn takes_location(&self) -> bool {
        self.items.iter().any(|i| i.item.capture.is_some())
    }

    pub fn item(&self, id: ItemId) -> &CompiledItem {
        &self.items[id]
    }

    /// The item an XPath location path names from the item `from` (`../age`, `./name`,
    /// `/data/household/age`), read through the form's tree: `.` is the item itself, `..` its
    /// group or repeat, a name a child of it; from the root, the first step is the form's
    /// own element, whatever its name. None for a path that leaves the form, a step with a
    /// predicate, or a node the form does not have (a child of a question).
    pub fn resolve_path(&self, from: ItemId, path: &dala_expr::ast::Path) -> Option<ItemId> {
        use dala_expr::ast::{Axis, NodeTest, PathStart};
        // None stands for the root of the form (the parent of the top-level items).
        let (mut at, steps) = match path.start {
            PathStart::Relative => (Some(from), path.steps.as_slice()),
            PathStart::Root => (None, path.steps.get(1..)?),
            PathStart::Expr(_) | PathStart::Filtered(..) => return None,
        };
        for step in steps {
            if !step.predicates.is_empty() {
                return None;
            }
            at = match (step.axis, &step.test) {
                (Axis::SelfNode, _) => at,
                (Axis::Parent, _) => self.items[at?].parent,
                (Axis::Child, NodeTest::Name(name)) => {
                    let children = match at {
                        Some(id) => &self.items[id].children,
                        None => &self.top,
                    };
                    Some(
                        *children
                            .iter()
                            .find(|&&c| self.items[c].item.name == **name)?,
                    )
                }
                _ => return None,
            };
        }
        at
    }

    /// The item a path ends at, from the item `from`: [`Form::resolve_path`], and for
    /// `${t}[...]/s` the steps from `t`.
    pub fn path_target(&self, from: ItemId, path: &dala_expr::ast::Path) -> Option<ItemId> {
        use dala_expr::ast::{ExprKind, Path, PathStart};
        match &path.start {
            PathStart::Filtered(start, _) => {
                let ExprKind::Ref(name) = &start.kind else {
                    return None;
                };
                let steps = Path {
                    start: PathStart::Relative,
                    steps: path.steps.clone(),
                };
                self.resolve_path(self.id(name)?, &steps)
            }
            _ => self.resolve_path(from, path),
        }
    }

    /// The item of a name (the first of it), or at a path (`head/age`: the names from the top
    /// of the form down, for a name several items share).
    pub fn id(&self, name: &str) -> Option<ItemId> {
        if let Some(&id) = self.by_name.get(name) {
            return Some(id);
        }
        let mut names = name.split('/');
        let first = names.next()?;
        let mut id = *self
            .top
            .iter()
            .find(|&&t| self.items[t].item.name == first)?;
        for next in names {
            id = *self.items[id]
                .children
                .iter()
                .find(|&&c| self.items[c].item.name == next)?;
        }
        Some(id)
    }

    /// The choices of a select's list (before any filter).
    pub fn list(&self, id: ItemId) -> &[Choice] {
        self.items[id]
            .item
            .list
            .as_deref()
            .and_then(|l| self.list_named(l))
            .unwrap_or(&[])
    }

    /// A list by the name a form uses: a choice list of the choices sheet, an attached file
    /// (`villages.csv`), or an attached file by its name without the extension, as
    /// `instance('villages')` and `pulldata('villages', ...)` name it.
    pub fn list_named(&self, name: &str) -> Option<&[Choice]> {
        if let Some(choices) = self.instrument.choices.get(name) {
            return Some(choices);
        }
        if let Some(rows) = self.lists.get(name) {
            return Some(rows);
        }
        self.lists
            .iter()
            .find(|(file, _)| file.rsplit_once('.').is_some_and(|(stem, _)| stem == name))
            .map(|(_, rows)| rows.as_slice())
    }

    pub fn default_language(&self) -> Option<&str> {
        self.instrument.settings.default_language.as_deref()
    }

    /// The files a label with these media columns (an item's attributes, a choice's extra
    /// columns) shows in `language`, each as the form attaches it; a file the form does not
    /// attach (not given when it was imported) is left out, and the label shows its text.
    pub fn label_media(
        &self,
        columns: &BTreeMap<String, String>,
        language: &str,
    ) -> Vec<(crate::MediaKind, &crate::Attachment)> {
        crate::label_media(columns, language, self.default_language())
            .into_iter()
            .filter_map(|m| {
                let file = self
                    .instrument
                    .attachments
                    .iter()
                    .find(|a| a.name == m.file)?;
                Some((m.kind, file))
            })
            .collect()
    }
}
