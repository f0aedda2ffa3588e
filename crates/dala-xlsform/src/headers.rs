//! Column headers as designers write them: case, spaces, old spellings and language suffixes.

/// The columns of the survey and choices sheets that Dala understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    Type,
    Name,
    Label,
    Hint,
    Required,
    RequiredMessage,
    Constraint,
    ConstraintMessage,
    Relevant,
    Calculation,
    Default,
    ReadOnly,
    ChoiceFilter,
    RepeatCount,
    Appearance,
    Trigger,
    Parameters,
    ListName,
}

impl Column {
    pub fn translatable(self) -> bool {
        matches!(
            self,
            Column::Label | Column::Hint | Column::RequiredMessage | Column::ConstraintMessage
        )
    }

    /// The name dala-core's validation uses for this column, when it has one.
    pub fn core_name(self) -> &'static str {
        match self {
            Column::Type => "type",
            Column::Name => "name",
            Column::Label => "label",
            Column::Hint => "hint",
            Column::Required => "required",
            Column::RequiredMessage => "required_message",
            Column::Constraint => "constraint",
            Column::ConstraintMessage => "constraint_message",
            Column::Relevant => "relevant",
            Column::Calculation => "calculation",
            Column::Default => "default",
            Column::ReadOnly => "read_only",
            Column::ChoiceFilter => "choice_filter",
            Column::RepeatCount => "repeat_count",
            Column::Appearance => "appearance",
            Column::Trigger => "trigger",
            Column::Parameters => "parameters",
            Column::ListName => "list_name",
        }
    }
}

fn canonical(name: &str) -> Option<Column> {
    let mut n = name.trim().to_lowercase().replace([' ', '-'], "_");
    // Older forms write the bind and body prefixes with one colon (`bind:relevant`), which
    // pyxform reads as the two-colon spelling.
    for prefix in ["bind:", "body:", "control:"] {
        if n.starts_with(prefix) && !n[prefix.len()..].starts_with(':') {
            n.insert(prefix.len(), ':');
        }
    }
    Some(match n.as_str() {
        "type" => Column::Type,
        "name" | "value" => Column::Name,
        "label" | "caption" => Column::Label,
        "hint" => Column::Hint,
        "required" | "bind::required" => Column::Required,
        "required_message" | "jr:requiredmsg" | "bind::jr:requiredmsg" | "required_msg" => {
            Column::RequiredMessage
        }
        "constraint" | "bind::constraint" => Column::Constraint,
        "constraint_message" | "jr:constraintmsg" | "bind::jr:constraintmsg" | "constraint_msg" => {
            Column::ConstraintMessage
        }
        "relevant" | "relevance" | "bind::relevant" => Column::Relevant,
        "calculation" | "calculate" | "bind::calculate" => Column::Calculation,
        "default" => Column::Default,
        "read_only" | "readonly" | "bind::readonly" => Column::ReadOnly,
        "choice_filter" => Column::ChoiceFilter,
        "repeat_count" | "jr:count" | "count" => Column::RepeatCount,
        "appearance" | "body::appearance" | "control::appearance" => Column::Appearance,
        "trigger" => Column::Trigger,
        "parameters" => Column::Parameters,
        "list_name" => Column::ListName,
        _ => return None,
    })
}

/// A parsed header: a known column (with its language for translatable ones), or an extra
/// column kept as an attribute under its name as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Header {
    Known(Column, Option<String>),
    Extra(String),
    /// A column whose header starts with `#`: a designer's comment.
    Comment,
}

/// `label::Русский (ru)`, `label:English`, `jr:constraintMsg::English (en)`, `Label`, `relevance`.
pub fn parse(header: &str) -> Header {
    let h = header.trim();
    if h.starts_with('#') {
        return Header::Comment;
    }
    if let Some(column) = canonical(h) {
        return Header::Known(column, None);
    }
    if let Some((base, language)) = h.split_once("::")
        && let Some(column) = canonical(base)
    {
        return if column.translatable() {
            Header::Known(column, Some(language.trim().to_string()))
        } else {
            Header::Extra(h.to_string())
        };
    }
    if let Some((base, language)) = h.rsplit_once(':')
        && let Some(column) = canonical(base)
        && column.translatable()
    {
        return Header::Known(column, Some(language.trim().to_string()));
    }
    Header::Extra(h.to_string())
}
