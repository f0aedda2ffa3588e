//! `validate(&Instrument)`: every problem at once, each with a stable code, a location (JSON
//! pointer, question name and column, and the span inside an expression) and what was found
//! as data ([`Finding`]). The words are chosen at the edge: the command line's English in
//! dala-words, the app's languages in the app.

pub use crate::column::Column;
use crate::instrument::{Capture, Instrument, Item, ItemType};
use dala_expr::ast::{Axis, ExprKind, NodeTest, PathStart};
use dala_expr::{Expr, Function, Span};
use std::collections::{BTreeSet, HashMap};

/// Stable codes for instrument problems. Tests and tools match on these, never on text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VCode {
    /// V001 two items share a name where they may not: siblings (as in pyxform), or two
    /// repeats (a draft finds a repeat's held instances by its name).
    DuplicateName,
    /// V002 a name that is not a valid XML name.
    InvalidName,
    /// V003 an expression that does not parse (the expression's own code is kept).
    ExpressionSyntax,
    /// V004 `${name}` names no question.
    UnknownReference,
    /// V005 a reference into a repeat from outside it, other than through an aggregate: a
    /// warning, as ODK Web Forms evaluates it (all the instances' answers as one node-set).
    RepeatReference,
    /// V006 calculations, relevance, defaults or requirements that depend on themselves.
    Cycle,
    /// V007 selected(), count-selected(), selected-at() or jr:choice-name() on a non-select.
    SelectedOnNonSelect,
    /// V008 a select without a choice list, or with one that does not exist.
    MissingChoiceList,
    /// V009 a choice list on a question that is not a select.
    ListOnNonSelect,
    /// V010 a choice_filter that names a column the list does not have.
    UnknownChoiceColumn,
    /// V011 a label without a translation in the default language.
    MissingDefaultLanguage,
    /// V012 a constraint (or required) on an item that takes no answer: a warning, as it has
    /// no effect (pyxform keeps it; ODK never asks).
    ConstraintOnNonInput,
    /// V013 a question with no label and no hint (pyxform refuses it too). One with a
    /// calculation is a typed calculate, not asked, and needs none.
    MissingLabel,
    /// V014 a calculate without a calculation.
    MissingCalculation,
    /// V015 two choices of a list share a name, or a list is empty.
    BadChoiceList,
    /// V016 children on a question.
    BadNesting,
    /// V017 repeat_count on something other than a repeat.
    RepeatCountOnNonRepeat,
    /// V018 settings without form_id or version.
    MissingSetting,
    /// V020 `${name}` where several items have that name (in different groups or repeats).
    AmbiguousReference,
    /// V019 a group or repeat without items: a warning (pyxform leaves it out of the form).
    EmptyContainer,
    /// V021 a question the device fills (`capture`) that cannot be filled as written.
    BadCapture,
    /// V022 an attached file the form reads is not there.
    MissingAttachment,
    /// V023 a media question's parameter that cannot be used (`max-pixels=foo`).
    BadParameter,
}

impl VCode {
    pub fn as_str(self) -> &'static str {
        match self {
            VCode::DuplicateName => "V001",
            VCode::InvalidName => "V002",
            VCode::ExpressionSyntax => "V003",
            VCode::UnknownReference => "V004",
            VCode::RepeatReference => "V005",
            VCode::Cycle => "V006",
            VCode::SelectedOnNonSelect => "V007",
            VCode::MissingChoiceList => "V008",
            VCode::ListOnNonSelect => "V009",
            VCode::UnknownChoiceColumn => "V010",
            VCode::MissingDefaultLanguage => "V011",
            VCode::ConstraintOnNonInput => "V012",
            VCode::MissingLabel => "V013",
            VCode::MissingCalculation => "V014",
            VCode::BadChoiceList => "V015",
            VCode::BadNesting => "V016",
            VCode::RepeatCountOnNonRepeat => "V017",
            VCode::MissingSetting => "V018",
            VCode::EmptyContainer => "V019",
            VCode::AmbiguousReference => "V020",
            VCode::BadCapture => "V021",
            VCode::MissingAttachment => "V022",
            VCode::BadParameter => "V023",
        }
    }

    /// Warnings do not stop an instrument from being used; errors do. A choice_filter on a
    /// column the list lacks is one: ODK evaluates the column to empty, and forms that run in
    /// ODK must load here.
    pub fn is_warning(self) -> bool {
        matches!(
            self,
            VCode::ListOnNonSelect
                | VCode::MissingDefaultLanguage
                | VCode::UnknownChoiceColumn
                | VCode::ConstraintOnNonInput
                | VCode::EmptyContainer
                | VCode::RepeatReference
        )
    }
}

/// A code prints as itself (`V004`): the stable part of a problem, whatever words go with it.
impl std::fmt::Display for VCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Location {
    /// JSON pointer into the instrument document, e.g. `/survey/2/children/0/relevant`.
    pub pointer: String,
    pub question: Option<String>,
    pub column: Option<Column>,
    /// Byte span inside the expression of `column`, when the problem is in one.
    pub span: Option<Span>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub code: VCode,
    pub location: Location,
    pub finding: Finding,
}

impl Diagnostic {
    /// For V003: the expression language's own code (E001...).
    pub fn expression_code(&self) -> Option<dala_expr::Code> {
        match &self.finding {
            Finding::Syntax(d) => Some(d.code),
            _ => None,
        }
    }
}

/// What validation found, with the data a sentence about it needs (the question is in the
/// diagnostic's location). Each belongs to one [`VCode`].
#[derive(Clone, Debug, PartialEq)]
pub enum Finding {
    /// V001 the name is already used by the item at `first_at` (a JSON pointer).
    DuplicateName { name: String, first_at: String },
    /// V002
    InvalidName { name: String },
    /// V003 the expression's own diagnostic.
    Syntax(dala_expr::Diagnostic),
    /// V004
    UnknownReference { name: String },
    /// V005 `name` is inside `repeat`, read from outside it without an aggregate.
    RepeatReference { name: String, repeat: String },
    /// V006 the questions of the cycle in the order they depend, the first again at the end.
    Cycle { path: Vec<String> },
    /// V007 `function` (selected, count-selected...) on `name`, a question of `item_type`.
    SelectedOnNonSelect {
        function: &'static str,
        name: String,
        item_type: ItemType,
    },
    /// V008 a select without a list.
    NoChoiceList,
    /// V008 a select whose list is not in the choices.
    UnknownChoiceList { list: String },
    /// V009
    ListOnNonSelect,
    /// V010 `column` is not one of the list's `columns`.
    UnknownChoiceColumn {
        list: String,
        column: String,
        columns: Vec<String>,
    },
    /// V011
    MissingDefaultLanguage { language: String },
    /// V012 a `column` (constraint or required) on an item of `item_type`, which takes no
    /// answer.
    ConstraintOnNonInput { item_type: ItemType, column: Column },
    /// V013
    MissingLabel,
    /// V014
    MissingCalculation,
    /// V015
    EmptyChoiceList { list: String },
    /// V015
    DuplicateChoice { list: String, choice: String },
    /// V019 a group or repeat without items.
    EmptyContainer { item_type: ItemType },
    /// V016 a question with items inside.
    ChildrenOnQuestion,
    /// V017
    RepeatCountOnNonRepeat,
    /// V018 `setting` is `form_id` or `version`.
    MissingSetting { setting: &'static str },
    /// V020 `${name}` could mean any of the items of that name.
    AmbiguousReference { name: String },
    /// V021 the device fills only a geopoint with its location, not an item of `item_type`.
    CaptureOnNonGeopoint { item_type: ItemType },
    /// V021 a `background-geopoint` needs the question whose changes it follows (`trigger`).
    CaptureWithoutTrigger,
    /// V021 a question the device fills cannot also be calculated.
    CaptureWithCalculation,
    /// V022 the document names the attachment `name`, whose rows were not given.
    MissingAttachment { name: String },
    /// V023 the parameter `parameter` of a media question holds `value`, which it cannot
    /// (`max-pixels` a whole number of pixels above 0, an audio's `quality` one of
    /// [`AUDIO_QUALITIES`]), as pyxform refuses them.
    BadParameter { parameter: String, value: String },
}

/// The `quality` an audio question may ask for (ODK's `odk:quality`).
pub const AUDIO_QUALITIES: [&str; 4] = ["voice-only", "low", "normal", "external"];

impl Finding {
    pub fn code(&self) -> VCode {
        match self {
            Finding::DuplicateName { .. } => VCode::DuplicateName,
            Finding::InvalidName { .. } => VCode::InvalidName,
            Finding::Syntax(_) => VCode::ExpressionSyntax,
            Finding::UnknownReference { .. } => VCode::UnknownReference,
            Finding::RepeatReference { .. } => VCode::RepeatReference,
            Finding::Cycle { .. } => VCode::Cycle,
            Finding::SelectedOnNonSelect { .. } => VCode::SelectedOnNonSelect,
            Finding::NoChoiceList | Finding::UnknownChoiceList { .. } => VCode::MissingChoiceList,
            Finding::ListOnNonSelect => VCode::ListOnNonSelect,
            Finding::UnknownChoiceColumn { .. } => VCode::UnknownChoiceColumn,
            Finding::MissingDefaultLanguage { .. } => VCode::MissingDefaultLanguage,
            Finding::ConstraintOnNonInput { .. } => VCode::ConstraintOnNonInput,
            Finding::MissingLabel => VCode::MissingLabel,
            Finding::MissingCalculation => VCode::MissingCalculation,
            Finding::EmptyChoiceList { .. } | Finding::DuplicateChoice { .. } => {
                VCode::BadChoiceList
            }
            Finding::EmptyContainer { .. } => VCode::EmptyContainer,
            Finding::ChildrenOnQuestion => VCode::BadNesting,
            Finding::RepeatCountOnNonRepeat => VCode::RepeatCountOnNonRepeat,
            Finding::MissingSetting { .. } => VCode::MissingSetting,
            Finding::AmbiguousReference { .. } => VCode::AmbiguousReference,
            Finding::CaptureOnNonGeopoint { .. }
            | Finding::CaptureWithoutTrigger
            | Finding::CaptureWithCalculation => VCode::BadCapture,
            Finding::MissingAttachment { .. } => VCode::MissingAttachment,
            Finding::BadParameter { .. } => VCode::BadParameter,
        }
    }
}

/// The expression columns of an item, with their column (a default apart: it is an
/// expression only when it reads as one).
fn expressions(item: &Item) -> Vec<(Column, &str)> {
    Column::expressions_of(item)
        .into_iter()
        .filter(|(c, _)| *c != Column::Default)
        .collect()
}

/// `required` and `read_only` also take the XLSForm words yes/no/true/false.
fn is_yes_no(column: Column, source: &str) -> bool {
    matches!(column, Column::Required | Column::ReadOnly)
        && matches!(
            source.trim().to_ascii_lowercase().as_str(),
            "yes" | "no" | "true" | "false" | ""
        )
}

struct Context<'a> {
    instrument: &'a Instrument,
    out: Vec<Diagnostic>,
    /// name -> (item, the repeats it is inside, innermost last), the first of that name
    items: HashMap<&'a str, (&'a Item, Vec<&'a str>, String)>,
    /// Names more than one item has (in different groups or repeats).
    ambiguous: BTreeSet<&'a str>,
}

impl Context<'_> {
    fn push(
        &mut self,
        pointer: String,
        question: Option<&str>,
        column: Option<Column>,
        span: Option<Span>,
        finding: Finding,
    ) {
        self.out.push(Diagnostic {
            code: finding.code(),
            location: Location {
                pointer,
                question: question.map(str::to_string),
                column,
                span,
            },
            finding,
        });
    }
}

pub fn validate(instrument: &Instrument) -> Vec<Diagnostic> {
    let mut cx = Context {
        instrument,
        out: Vec::new(),
        items: HashMap::new(),
        ambiguous: BTreeSet::new(),
    };
    if instrument.settings.form_id.trim().is_empty() {
        cx.push(
            "/settings/form_id".into(),
            None,
            Some(Column::Settings),
            None,
            Finding::MissingSetting { setting: "form_id" },
        );
    }
    if instrument.settings.version.trim().is_empty() {
        cx.push(
            "/settings/version".into(),
            None,
            Some(Column::Settings),
            None,
            Finding::MissingSetting { setting: "version" },
        );
    }
    let walk = instrument.walk();

    // Names: valid, and unique among siblings (as in pyxform) and among repeats (a draft
    // finds a repeat's held instances by its name). Elsewhere ODK tells two items apart by
    // their path, and so does a record (see `index`: two answers of one scope that share a
    // name are keyed by their group path); only a `${name}` that could mean either is an
    // error (V020).
    let mut scopes: HashMap<(Option<&str>, &str), String> = HashMap::new();
    let mut siblings: HashMap<(&str, &str), String> = HashMap::new();
    for (pointer, item, parents) in &walk {
        let repeats: Vec<&str> = parents
            .iter()
            .filter(|p| p.item_type == ItemType::Repeat)
            .map(|p| p.name.as_str())
            .collect();
        if !dala_expr::is_ncname(&item.name) {
            cx.push(
                format!("{pointer}/name"),
                Some(&item.name),
                Some(Column::Name),
                None,
                Finding::InvalidName {
                    name: item.name.clone(),
                },
            );
        }
        let mut keys = Vec::new();
        if item.item_type == ItemType::Repeat {
            keys.push((None, item.name.as_str()));
        }
        // And, as in pyxform, nothing shares a name with a sibling (groups included).
        let parent = pointer.rfind("/children/").map_or("", |at| &pointer[..at]);
        let sibling = siblings.get(&(parent, item.name.as_str())).cloned();
        if sibling.is_none() {
            siblings.insert((parent, item.name.as_str()), pointer.clone());
        }
        match sibling.or_else(|| keys.iter().find_map(|k| scopes.get(k)).cloned()) {
            Some(first) => cx.push(
                format!("{pointer}/name"),
                Some(&item.name),
                Some(Column::Name),
                None,
                Finding::DuplicateName {
                    name: item.name.clone(),
                    first_at: first,
                },
            ),
            None => {
                for key in keys {
                    scopes.insert(key, pointer.clone());
                }
            }
        }
        if cx.items.contains_key(item.name.as_str()) {
            cx.ambiguous.insert(&item.name);
        } else {
            cx.items
                .insert(&item.name, (item, repeats, pointer.clone()));
        }
    }

    // Per item: structure, choice lists, labels, and every expression. The dependency edges
    // join items by their pointer: two items may share a name.
    let mut edges: HashMap<String, BTreeSet<String>> = HashMap::new();
    let parent_of = |pointer: &str| -> Option<String> {
        pointer
            .rfind("/children/")
            .map(|at| pointer[..at].to_string())
    };
    for (pointer, item, parents) in &walk {
        check_item(&mut cx, pointer, item);
        let own_repeats: Vec<&str> = parents
            .iter()
            .filter(|p| p.item_type == ItemType::Repeat)
            .map(|p| p.name.as_str())
            .collect();
        // A child's relevance depends on its group's.
        if let Some(parent) = parent_of(pointer) {
            edges.entry(pointer.clone()).or_default().insert(parent);
        }
        let mut columns = expressions(item);
        if let Some(default) = item.default.as_deref().filter(|d| d.contains("${")) {
            columns.push((Column::Default, default));
        }
        for (column, source) in columns {
            if is_yes_no(column, source) {
                continue;
            }
            let at = format!("{pointer}/{}", column.as_str());
            let parsed = parse_expression(&mut cx, source, &at, Some(&item.name), column);
            for dala_expr::Reference {
                name,
                span,
                aggregated,
            } in dala_expr::references(&parsed.expr)
            {
                // What is wrong with the reference, if anything, and the item it names.
                let (finding, target) =
                    reference_finding(&cx, item, &own_repeats, column, name, aggregated);
                if let Some(finding) = finding {
                    cx.push(
                        at.clone(),
                        Some(&item.name),
                        Some(column),
                        Some(span),
                        finding,
                    );
                }
                let Some(target_at) = target else {
                    continue;
                };
                if column.feeds_state() {
                    edges.entry(pointer.clone()).or_default().insert(target_at);
                }
            }
            check_selects(&mut cx, &parsed.expr, &at, item, column);
            if column == Column::ChoiceFilter && item.list_from_answers().is_none() {
                check_choice_filter(&mut cx, &parsed.expr, &at, item);
            }
        }
    }
    if let Some(name_expr) = &instrument.settings.instance_name {
        parse_expression(
            &mut cx,
            name_expr,
            "/settings/instance_name",
            None,
            Column::InstanceName,
        );
    }
    check_choice_lists(&mut cx);
    let names: HashMap<&str, &str> = walk
        .iter()
        .map(|(pointer, item, _)| (pointer.as_str(), item.name.as_str()))
        .collect();
    check_cycles(&mut cx, &edges, &names);
    cx.out
}

/// Parses one expression column, reporting its syntax diagnostics as V003 at `pointer`.
fn parse_expression(
    cx: &mut Context<'_>,
    source: &str,
    pointer: &str,
    question: Option<&str>,
    column: Column,
) -> dala_expr::Parsed {
    let parsed = dala_expr::parse(source);
    for d in &parsed.diagnostics {
        cx.push(
            pointer.to_string(),
            question,
            Some(column),
            Some(d.span),
            Finding::Syntax(d.clone()),
        );
    }
    parsed
}

/// What a `${name}` in `column` of `item` breaks, if anything (V004, V005, V020), and the
/// pointer of the item it names when it names one that is a dependency.
fn reference_finding(
    cx: &Context<'_>,
    item: &Item,
    own_repeats: &[&str],
    column: Column,
    name: &str,
    aggregated: bool,
) -> (Option<Finding>, Option<String>) {
    let unknown = |name: &str| {
        Some(Finding::UnknownReference {
            name: name.to_string(),
        })
    };
    // The record saved last: any question of the form, read as it was saved, so no
    // dependency here (a calculation may read its own last value).
    if let Some(earlier) = name.strip_prefix(dala_expr::LAST_SAVED) {
        let finding = if cx.items.contains_key(earlier) {
            None
        } else {
            unknown(earlier)
        };
        return (finding, None);
    }
    if cx.ambiguous.contains(name) {
        return (
            Some(Finding::AmbiguousReference {
                name: name.to_string(),
            }),
            None,
        );
    }
    let Some((_, target_repeats, target_at)) = cx.items.get(name) else {
        let finding = if name == crate::record::INSTANCE_ID_NAME {
            None
        } else {
            unknown(name)
        };
        return (finding, None);
    };
    // Inside a repeat the target is not in, from outside: only aggregates may look in. The
    // filter of choices taken from a repeat's answers is read in each of its instances.
    let outside = target_repeats
        .iter()
        .any(|r| !own_repeats.contains(r) && *r != item.name);
    let per_instance = column == Column::ChoiceFilter && item.list_from_answers().is_some();
    let finding = (outside && !aggregated && !per_instance).then(|| Finding::RepeatReference {
        name: name.to_string(),
        repeat: target_repeats
            .last()
            .copied()
            .unwrap_or_default()
            .to_string(),
    });
    (finding, Some(target_at.clone()))
}

fn check_selects(cx: &mut Context<'_>, expr: &Expr, at: &str, item: &Item, column: Column) {
    let mut found = Vec::new();
    dala_expr::walk(expr, &mut |e| {
        if let ExprKind::Call(function, args) = &e.kind
            && matches!(
                function,
                Function::Selected
                    | Function::CountSelected
                    | Function::SelectedAt
                    | Function::ChoiceName
            )
            && let Some(Expr {
                kind: ExprKind::Ref(name),
                span,
            }) = args.first()
        {
            found.push((*function, name.to_string(), *span));
        }
    });
    for (function, name, span) in found {
        let Some((target, _, _)) = cx.items.get(name.as_str()) else {
            continue;
        };
        // A calculate holds any string (often a computed list of codes): ODK evaluates
        // selected() and its kin on it, and so does the engine.
        if !target.item_type.is_select() && target.item_type != ItemType::Calculate {
            let item_type = target.item_type;
            cx.push(
                at.to_string(),
                Some(&item.name),
                Some(column),
                Some(span),
                Finding::SelectedOnNonSelect {
                    function: function.name(),
                    name,
                    item_type,
                },
            );
        }
    }
}

fn check_choice_filter(cx: &mut Context<'_>, expr: &Expr, at: &str, item: &Item) {
    let Some(list) = item
        .list
        .as_deref()
        .and_then(|l| cx.instrument.choices.get(l))
    else {
        return;
    };
    let mut columns: BTreeSet<&str> = BTreeSet::from(["name", "label"]);
    for choice in list {
        columns.extend(choice.extra.keys().map(String::as_str));
    }
    let mut unknown = Vec::new();
    dala_expr::walk(expr, &mut |e| {
        if let ExprKind::Path(path) = &e.kind
            && matches!(path.start, PathStart::Relative)
            && let Some(step) = path.steps.first()
            && step.axis == Axis::Child
            && let NodeTest::Name(name) = &step.test
            && !columns.contains(name.as_ref())
            && !name.starts_with("label:")
        {
            unknown.push((name.to_string(), e.span));
        }
    });
    for (name, span) in unknown {
        let finding = Finding::UnknownChoiceColumn {
            list: item.list.clone().unwrap_or_default(),
            column: name,
            columns: columns
                .iter()
                .map(std::string::ToString::to_string)
                .collect(),
        };
        cx.push(
            at.to_string(),
            Some(&item.name),
            Some(Column::ChoiceFilter),
            Some(span),
            finding,
        );
    }
}

fn check_item(cx: &mut Context<'_>, pointer: &str, item: &Item) {
    let name = Some(item.name.as_str());
    let t = item.item_type;
    if t.is_select()
        && let Some(source) = item.list_from_answers()
    {
        if !cx.items.contains_key(source) {
            cx.push(
                format!("{pointer}/list"),
                name,
                Some(Column::List),
                None,
                Finding::UnknownReference {
                    name: source.to_string(),
                },
            );
        }
    } else if t.is_select() {
        match item.list.as_deref() {
            None => cx.push(
                format!("{pointer}/list"),
                name,
                Some(Column::List),
                None,
                Finding::NoChoiceList,
            ),
            Some(list)
                if !cx.instrument.choices.contains_key(list)
                    && !cx.instrument.attachments.iter().any(|a| a.name == list) =>
            {
                cx.push(
                    format!("{pointer}/list"),
                    name,
                    Some(Column::List),
                    None,
                    Finding::UnknownChoiceList {
                        list: list.to_string(),
                    },
                );
            }
            Some(_) => {}
        }
    } else if item.list.is_some() {
        cx.push(
            format!("{pointer}/list"),
            name,
            Some(Column::List),
            None,
            Finding::ListOnNonSelect,
        );
    }
    if !t.takes_input() {
        for (column, value) in [
            (Column::Constraint, &item.constraint),
            (Column::Required, &item.required),
        ] {
            if value
                .as_deref()
                .is_some_and(|v| !matches!(v.trim(), "" | "no" | "false" | "false()"))
            {
                cx.push(
                    format!("{pointer}/{}", column.as_str()),
                    name,
                    Some(column),
                    None,
                    Finding::ConstraintOnNonInput {
                        item_type: t,
                        column,
                    },
                );
            }
        }
    }
    if let Some(capture) = item.capture {
        capture_findings(cx, item, capture, pointer, name);
    }
    if let Some((parameter, value)) = bad_media_parameter(item) {
        cx.push(
            format!("{pointer}/parameters/{parameter}"),
            name,
            Some(Column::Parameters),
            None,
            Finding::BadParameter {
                parameter: parameter.to_string(),
                value: value.to_string(),
            },
        );
    }
    // A calculate with a default and no calculation keeps its default (pyxform allows it).
    if t == ItemType::Calculate
        && item
            .calculation
            .as_deref()
            .is_none_or(|c| c.trim().is_empty())
        && item.default.as_deref().is_none_or(|d| d.trim().is_empty())
    {
        cx.push(
            format!("{pointer}/calculation"),
            name,
            Some(Column::Calculation),
            None,
            Finding::MissingCalculation,
        );
    }
    if t.takes_input()
        && item.label.is_empty()
        && item.hint.is_empty()
        && !item.has_media_label()
        && !item.is_calculated_only()
    {
        cx.push(
            format!("{pointer}/label"),
            name,
            Some(Column::Label),
            None,
            Finding::MissingLabel,
        );
    }
    if let Some(default_language) = cx.instrument.settings.default_language.clone()
        && !item.label.is_empty()
        && !item.label.0.contains_key(&default_language)
    {
        cx.push(
            format!("{pointer}/label"),
            name,
            Some(Column::Label),
            None,
            Finding::MissingDefaultLanguage {
                language: default_language,
            },
        );
    }
    if t.is_container() && item.children.is_empty() {
        cx.push(
            pointer.to_string(),
            name,
            Some(Column::Type),
            None,
            Finding::EmptyContainer { item_type: t },
        );
    }
    if !t.is_container() && !item.children.is_empty() {
        cx.push(
            format!("{pointer}/children"),
            name,
            Some(Column::Type),
            None,
            Finding::ChildrenOnQuestion,
        );
    }
    if t != ItemType::Repeat && item.repeat_count.is_some() {
        cx.push(
            format!("{pointer}/repeat_count"),
            name,
            Some(Column::RepeatCount),
            None,
            Finding::RepeatCountOnNonRepeat,
        );
    }
}

/// V023: the first parameter of a media question that cannot be used as it stands.
fn bad_media_parameter(item: &Item) -> Option<(&str, &str)> {
    let get = |key: &str| item.parameters.get_key_value(key);
    let bad = match item.item_type {
        ItemType::Image => get("max-pixels").filter(|(_, v)| max_pixels(v).is_none()),
        ItemType::Audio => get("quality").filter(|(_, v)| !AUDIO_QUALITIES.contains(&v.trim())),
        _ => None,
    };
    bad.map(|(k, v)| (k.as_str(), v.as_str()))
}

/// An image's `max-pixels`: the longest side, in pixels, a photo is scaled down to before it
/// is stored (ODK's `orx:max-pixels`); None when it is not a whole number above 0.
pub fn max_pixels(value: &str) -> Option<u32> {
    value.trim().parse::<u32>().ok().filter(|n| *n > 0)
}

/// V021: the device fills only a geopoint, a background one follows a trigger, and neither
/// has a calculation besides (pyxform refuses both of those too).
fn capture_findings(
    cx: &mut Context<'_>,
    item: &Item,
    capture: Capture,
    pointer: &str,
    name: Option<&str>,
) {
    let mut finding = |column: Column, finding: Finding| {
        cx.push(
            format!("{pointer}/{}", column.as_str()),
            name,
            Some(column),
            None,
            finding,
        );
    };
    if item.item_type != ItemType::Geopoint {
        finding(
            Column::Type,
            Finding::CaptureOnNonGeopoint {
                item_type: item.item_type,
            },
        );
    }
    if capture == Capture::Trigger && item.trigger.as_deref().is_none_or(|t| t.trim().is_empty()) {
        finding(Column::Trigger, Finding::CaptureWithoutTrigger);
    }
    if item
        .calculation
        .as_deref()
        .is_some_and(|c| !c.trim().is_empty())
    {
        finding(Column::Calculation, Finding::CaptureWithCalculation);
    }
}

fn check_choice_lists(cx: &mut Context<'_>) {
    let mut found = Vec::new();
    for (list, choices) in &cx.instrument.choices {
        if choices.is_empty() {
            found.push((
                format!("/choices/{list}"),
                Finding::EmptyChoiceList { list: list.clone() },
            ));
        }
        let mut seen = BTreeSet::new();
        if cx.instrument.settings.allow_choice_duplicates {
            continue;
        }
        for (i, choice) in choices.iter().enumerate() {
            if !seen.insert(choice.name.as_str()) {
                found.push((
                    format!("/choices/{list}/{i}/name"),
                    Finding::DuplicateChoice {
                        list: list.clone(),
                        choice: choice.name.clone(),
                    },
                ));
            }
        }
    }
    for (pointer, finding) in found {
        cx.push(pointer, None, Some(Column::Choices), None, finding);
    }
}

/// Reports each cycle once, naming the questions in it, in the order they depend.
fn check_cycles(
    cx: &mut Context<'_>,
    edges: &HashMap<String, BTreeSet<String>>,
    names_at: &HashMap<&str, &str>,
) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Active,
        Done,
    }
    let mut marks: HashMap<&str, Mark> = HashMap::new();
    let mut names: Vec<&str> = edges.keys().map(String::as_str).collect();
    names.sort_unstable();
    let mut cycles = Vec::new();
    for start in names {
        if marks.contains_key(start) {
            continue;
        }
        // Iterative DFS: the stack holds each node with the list of its remaining successors.
        let mut stack: Vec<(&str, Vec<&str>)> = vec![(
            start,
            edges
                .get(start)
                .map(|s| s.iter().map(String::as_str).collect())
                .unwrap_or_default(),
        )];
        marks.insert(start, Mark::Active);
        while let Some((node, successors)) = stack.last_mut() {
            let node = *node;
            match successors.pop() {
                Some(next) => match marks.get(next) {
                    None => {
                        marks.insert(next, Mark::Active);
                        stack.push((
                            next,
                            edges
                                .get(next)
                                .map(|s| s.iter().map(String::as_str).collect())
                                .unwrap_or_default(),
                        ));
                    }
                    Some(Mark::Active) => {
                        let from = stack.iter().position(|(n, _)| *n == next).unwrap_or(0);
                        let mut cycle: Vec<&str> = stack[from..].iter().map(|(n, _)| *n).collect();
                        cycle.push(next);
                        cycles.push(
                            cycle
                                .iter()
                                .map(std::string::ToString::to_string)
                                .collect::<Vec<_>>(),
                        );
                    }
                    Some(Mark::Done) => {}
                },
                None => {
                    marks.insert(node, Mark::Done);
                    stack.pop();
                }
            }
        }
    }
    for cycle in cycles {
        let pointer = cycle[0].clone();
        let path: Vec<String> = cycle
            .iter()
            .map(|p| names_at.get(p.as_str()).copied().unwrap_or(p).to_string())
            .collect();
        let first = path[0].clone();
        cx.push(pointer, Some(&first), None, None, Finding::Cycle { path });
    }
}
