//! The columns of XLSForm's survey sheet, modelled once: each column's name in the instrument
//! document and the sheet, the spellings designers write it in, what it holds (an expression,
//! a translatable text, a plain value) and where an [`Item`] keeps it. Validation, the
//! designer's edits, the XLSForm reader and writer, the app's designer and the command line all
//! read and write an item's columns through this; adding a column means adding it here.

use crate::instrument::{Item, Text};

/// A column of the survey sheet (and the few places a diagnostic points at outside it: the
/// choices, the settings, the instance name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    Type,
    Name,
    Label,
    Hint,
    RequiredMessage,
    ConstraintMessage,
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
    Parameters,
    /// The choices sheet's list name.
    ListName,
    InstanceName,
    Choices,
    Settings,
}

/// What a column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holds {
    /// An XPath expression with `${name}` references (a trigger is one reference).
    Expression,
    /// A text per language.
    Text,
    /// A value as it is (a type, a name, a list, an appearance, parameters).
    Plain,
}

impl Column {
    /// The translatable columns of an item, in the order a sheet lists them.
    pub const TEXTS: [Column; 4] = [
        Column::Label,
        Column::Hint,
        Column::RequiredMessage,
        Column::ConstraintMessage,
    ];

    /// The expression columns of an item, in the order a sheet lists them.
    pub const EXPRESSIONS: [Column; 9] = [
        Column::Required,
        Column::Relevant,
        Column::Constraint,
        Column::Calculation,
        Column::Default,
        Column::ReadOnly,
        Column::ChoiceFilter,
        Column::RepeatCount,
        Column::Trigger,
    ];

    /// The columns of an item kept as one value each (a list aside: it is written in the
    /// type), in the order Dala writes them in a sheet.
    pub const VALUES: [Column; 10] = [
        Column::Required,
        Column::Relevant,
        Column::Constraint,
        Column::Calculation,
        Column::Default,
        Column::ReadOnly,
        Column::ChoiceFilter,
        Column::RepeatCount,
        Column::Appearance,
        Column::Trigger,
    ];

    /// The name of the column in the instrument document and in the sheets Dala writes.
    pub fn as_str(self) -> &'static str {
        match self {
            Column::Type => "type",
            Column::Name => "name",
            Column::Label => "label",
            Column::Hint => "hint",
            Column::RequiredMessage => "required_message",
            Column::ConstraintMessage => "constraint_message",
            Column::List => "list",
            Column::Relevant => "relevant",
            Column::Required => "required",
            Column::Constraint => "constraint",
            Column::Calculation => "calculation",
            Column::Default => "default",
            Column::ReadOnly => "read_only",
            Column::ChoiceFilter => "choice_filter",
            Column::RepeatCount => "repeat_count",
            Column::Trigger => "trigger",
            Column::Appearance => "appearance",
            Column::Parameters => "parameters",
            Column::ListName => "list_name",
            Column::InstanceName => "instance_name",
            Column::Choices => "choices",
            Column::Settings => "settings",
        }
    }

    /// The other spellings XLSForm designers write the column's header in (lower case, `_`
    /// for spaces and hyphens; the bind and body prefixes with two colons), as pyxform reads
    /// them.
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Column::Name => &["value"],
            Column::Label => &["caption"],
            Column::Required => &["bind::required"],
            Column::RequiredMessage => &["jr:requiredmsg", "bind::jr:requiredmsg", "required_msg"],
            Column::Constraint => &["bind::constraint"],
            Column::ConstraintMessage => &[
                "jr:constraintmsg",
                "bind::jr:constraintmsg",
                "constraint_msg",
            ],
            Column::Relevant => &["relevance", "bind::relevant"],
            Column::Calculation => &["calculate", "bind::calculate"],
            Column::ReadOnly => &["readonly", "bind::readonly"],
            Column::RepeatCount => &["jr:count", "count"],
            Column::Appearance => &["body::appearance", "control::appearance"],
            _ => &[],
        }
    }

    /// The column a sheet's header names (its name or an alias, in any case, with spaces or
    /// hyphens for `_`, and the one-colon prefixes older forms write: `bind:relevant`). The
    /// list of a select is in its type, not a column of its own.
    pub fn from_header(header: &str) -> Option<Column> {
        let mut n = header.trim().to_lowercase().replace([' ', '-'], "_");
        for prefix in ["bind:", "body:", "control:"] {
            if n.starts_with(prefix) && !n[prefix.len()..].starts_with(':') {
                n.insert(prefix.len(), ':');
            }
        }
        // The columns a sheet's header may name.
        [Column::Type, Column::Name]
            .into_iter()
            .chain(Column::TEXTS)
            .chain(Column::VALUES)
            .chain([Column::Parameters, Column::ListName])
            .find(|c| c.as_str() == n || c.aliases().contains(&n.as_str()))
    }

    pub fn holds(self) -> Holds {
        match self {
            Column::Label | Column::Hint | Column::RequiredMessage | Column::ConstraintMessage => {
                Holds::Text
            }
            Column::Relevant
            | Column::Required
            | Column::Constraint
            | Column::Calculation
            | Column::Default
            | Column::ReadOnly
            | Column::ChoiceFilter
            | Column::RepeatCount
            | Column::Trigger
            | Column::InstanceName => Holds::Expression,
            _ => Holds::Plain,
        }
    }

    /// Whether the column's references feed an item's value or state, and so can make a
    /// cycle: the compiler recomputes an item when anything its expressions read changes
    /// (every column, and its label's and hint's references), while validation looks for
    /// cycles among these edges only. A constraint or a choice filter only reads; a default is
    /// read once, when the form or instance starts (ODK's setvalue), so it may read the same
    /// question in the instance before.
    pub fn feeds_state(self) -> bool {
        matches!(
            self,
            Column::Relevant
                | Column::Required
                | Column::Calculation
                | Column::ReadOnly
                | Column::RepeatCount
        )
    }

    pub fn translatable(self) -> bool {
        self.holds() == Holds::Text
    }

    /// The item's text in this column, for a translatable one.
    pub fn text(self, item: &Item) -> Option<&Text> {
        Some(match self {
            Column::Label => &item.label,
            Column::Hint => &item.hint,
            Column::RequiredMessage => &item.required_message,
            Column::ConstraintMessage => &item.constraint_message,
            _ => return None,
        })
    }

    pub fn text_mut(self, item: &mut Item) -> Option<&mut Text> {
        Some(match self {
            Column::Label => &mut item.label,
            Column::Hint => &mut item.hint,
            Column::RequiredMessage => &mut item.required_message,
            Column::ConstraintMessage => &mut item.constraint_message,
            _ => return None,
        })
    }

    /// The item's value in this column, for one an item keeps as an optional string (the
    /// list, the expressions, the appearance).
    pub fn value(self, item: &Item) -> Option<&String> {
        self.slot(item).and_then(Option::as_ref)
    }

    fn slot(self, item: &Item) -> Option<&Option<String>> {
        Some(match self {
            Column::List => &item.list,
            Column::Relevant => &item.relevant,
            Column::Required => &item.required,
            Column::Constraint => &item.constraint,
            Column::Calculation => &item.calculation,
            Column::Default => &item.default,
            Column::ReadOnly => &item.read_only,
            Column::ChoiceFilter => &item.choice_filter,
            Column::RepeatCount => &item.repeat_count,
            Column::Trigger => &item.trigger,
            Column::Appearance => &item.appearance,
            _ => return None,
        })
    }

    /// Where the item keeps this column's value, to set or clear it (see [`Column::value`]).
    pub fn value_mut(self, item: &mut Item) -> Option<&mut Option<String>> {
        Some(match self {
            Column::List => &mut item.list,
            Column::Relevant => &mut item.relevant,
            Column::Required => &mut item.required,
            Column::Constraint => &mut item.constraint,
            Column::Calculation => &mut item.calculation,
            Column::Default => &mut item.default,
            Column::ReadOnly => &mut item.read_only,
            Column::ChoiceFilter => &mut item.choice_filter,
            Column::RepeatCount => &mut item.repeat_count,
            Column::Trigger => &mut item.trigger,
            Column::Appearance => &mut item.appearance,
            _ => return None,
        })
    }

    /// The item's expressions that are set, with their columns, in sheet order.
    pub fn expressions_of(item: &Item) -> Vec<(Column, &str)> {
        Column::EXPRESSIONS
            .into_iter()
            .filter_map(|c| c.value(item).map(|v| (c, v.as_str())))
            .collect()
    }
}
