//! Problems found in an expression, as data. Rendering (a caret under the span, an inline
//! message in the UI) happens at the edge, in the CLI or the app.

use crate::Span;
use std::fmt;

/// A stable code for every kind of problem. Tests and tools match on the code, never on the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Code {
    /// E001 a character that starts no token.
    UnexpectedChar,
    /// E002 a string literal without its closing quote.
    UnterminatedString,
    /// E003 a token where it cannot stand (or the expression ends too early).
    UnexpectedToken,
    /// E004 an opening parenthesis or bracket that is never closed.
    Unclosed,
    /// E005 a function that does not exist.
    UnknownFunction,
    /// E006 a function called with the wrong number of arguments.
    WrongArity,
    /// E007 nesting deeper than the parser accepts.
    TooDeep,
    /// E008 nothing to parse.
    Empty,
    /// E009 `${` without `}`, or a reference whose name is not a valid XML name.
    BadReference,
    /// E010 an argument that must be a reference (`${name}`) is something else.
    NotAReference,
    /// E011 the expression is longer than the parser accepts.
    TooLong,
    /// R001 evaluation used up its work budget.
    BudgetExceeded,
    /// R002 a value of the wrong type (for example a date that is not a date).
    TypeMismatch,
    /// R003 a regular expression that does not compile or is too large.
    BadRegex,
    /// R004 a reference the environment cannot resolve.
    UnresolvedReference,
    /// R005 a construct the environment does not support (a path outside a form, say).
    Unsupported,
    /// R006 a result larger than the evaluator produces.
    TooLarge,
    /// R007 an argument outside the range a function accepts.
    BadArgument,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::UnexpectedChar => "E001",
            Code::UnterminatedString => "E002",
            Code::UnexpectedToken => "E003",
            Code::Unclosed => "E004",
            Code::UnknownFunction => "E005",
            Code::WrongArity => "E006",
            Code::TooDeep => "E007",
            Code::Empty => "E008",
            Code::BadReference => "E009",
            Code::NotAReference => "E010",
            Code::TooLong => "E011",
            Code::BudgetExceeded => "R001",
            Code::TypeMismatch => "R002",
            Code::BadRegex => "R003",
            Code::UnresolvedReference => "R004",
            Code::Unsupported => "R005",
            Code::TooLarge => "R006",
            Code::BadArgument => "R007",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem: what (code and message) and where (span in the expression source).
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub code: Code,
    pub span: Span,
    pub message: String,
}

impl Diagnostic {
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            span,
            message: message.into(),
        }
    }

    /// The diagnostic as text with the source line and a caret under the span, the way a
    /// compiler prints it. Used by the CLI; the app renders its own inline message.
    pub fn render(&self, source: &str) -> String {
        format!(
            "error[{}]: {}{}",
            self.code,
            self.message,
            caret_lines(source, self.span)
        )
    }
}

/// Two lines to append to a message: the source, and carets under `span` (characters, not
/// bytes, so the caret sits under the right letter in Cyrillic text). A span outside the
/// source is clamped to it.
pub fn caret_lines(source: &str, span: Span) -> String {
    let start = (span.start as usize).min(source.len());
    let end = (span.end as usize).clamp(start, source.len());
    let pad = source.get(..start).map_or(0, |s| s.chars().count());
    let width = source
        .get(start..end)
        .map_or(1, |s| s.chars().count().max(1));
    format!(
        "\n  | {source}\n  | {}{}",
        " ".repeat(pad),
        "^".repeat(width)
    )
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at {}..{}: {}",
            self.code, self.span.start, self.span.end, self.message
        )
    }
}

impl std::error::Error for Diagnostic {}
