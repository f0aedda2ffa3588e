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

/// What is wrong in an expression, with the data a sentence about it needs. Words are chosen
/// at the edge: dala-words writes English, the app its interface languages. Each problem
/// belongs to one [`Code`].
#[derive(Clone, Debug, PartialEq)]
pub enum Problem {
    /// E001 a character that starts no token.
    UnexpectedChar(char),
    /// E002
    UnterminatedString,
    /// E003 the expression stops where a value is needed.
    EndsTooEarly,
    /// E003 `found` where a value should be.
    ExpectedValue { found: String },
    /// E003 `found` where an operator or the end should be.
    ExpectedOperator { found: String },
    /// E003 a `)` that closes nothing.
    UnmatchedClose,
    /// E003 `found` where a path step should be.
    ExpectedPathStep { found: String },
    /// E003 `@` without an attribute name.
    ExpectedAttributeName,
    /// E004 `open` (`(` or `[`) never closed; `found` is what stands where its closer should
    /// (`None` at the end of the expression).
    Unclosed { open: char, found: Option<String> },
    /// E005
    UnknownFunction { name: String },
    /// E006 `function` takes `takes`, not `given` arguments.
    WrongArity {
        function: &'static str,
        takes: crate::functions::Arity,
        given: usize,
    },
    /// E006 an argument `function` needs is missing.
    MissingArgument { function: &'static str },
    /// E006 indexed-repeat() with a repeat but no index after it.
    IndexAfterEachRepeat,
    /// E007 nested deeper than `limit`.
    TooDeep { limit: usize },
    /// E008
    Empty,
    /// E009 `${name}` where `name` is not a valid question name.
    InvalidReferenceName { name: String },
    /// E009 `${` without `}`.
    UnclosedReference,
    /// E010 a question reference is needed here (for `function`, when one asks for it).
    ExpectedReference { function: Option<&'static str> },
    /// E011 `bytes` long, past `limit`.
    TooLong { bytes: usize, limit: usize },
    /// R001
    TooMuchWork,
    /// R002 `value` is not a date (`date_time`: not a dateTime); `shape`: it is a string,
    /// not of the shape expected.
    NotADate {
        value: String,
        date_time: bool,
        shape: bool,
    },
    /// R002
    NotAGeopoint { value: String },
    /// R003 the regular expression engine's own account.
    BadRegex { detail: String },
    /// R004
    UnknownQuestion { name: String },
    /// R004
    UnknownRepeat { name: String },
    /// R005 a path where the environment has no document.
    PathsUnavailable,
    /// R005
    PositionOutsideRepeat,
    /// R005 the repeat instance an expression was evaluated for has been removed.
    InstanceGone,
    /// R005 indexed-repeat() of `name` where there are no repeats.
    NoRepeats { name: String },
    /// R005 instance() anywhere but at the start of a path.
    InstanceNotAtStart,
    /// R006 a result longer than `limit` bytes.
    ResultTooLong { limit: usize },
    /// R007 uuid(n) with n outside 0..=4096.
    UuidLength,
    /// R007 digest() with an `algorithm` it does not know.
    UnknownDigestAlgorithm { algorithm: String },
    /// R007 digest() with an `encoding` it does not know.
    UnknownDigestEncoding { encoding: String },
}

impl Problem {
    pub fn code(&self) -> Code {
        match self {
            Problem::UnexpectedChar(_) => Code::UnexpectedChar,
            Problem::UnterminatedString => Code::UnterminatedString,
            Problem::EndsTooEarly
            | Problem::ExpectedValue { .. }
            | Problem::ExpectedOperator { .. }
            | Problem::UnmatchedClose
            | Problem::ExpectedPathStep { .. }
            | Problem::ExpectedAttributeName => Code::UnexpectedToken,
            Problem::Unclosed { .. } => Code::Unclosed,
            Problem::UnknownFunction { .. } => Code::UnknownFunction,
            Problem::WrongArity { .. }
            | Problem::MissingArgument { .. }
            | Problem::IndexAfterEachRepeat => Code::WrongArity,
            Problem::TooDeep { .. } => Code::TooDeep,
            Problem::Empty => Code::Empty,
            Problem::InvalidReferenceName { .. } | Problem::UnclosedReference => Code::BadReference,
            Problem::ExpectedReference { .. } => Code::NotAReference,
            Problem::TooLong { .. } => Code::TooLong,
            Problem::TooMuchWork => Code::BudgetExceeded,
            Problem::NotADate { .. } | Problem::NotAGeopoint { .. } => Code::TypeMismatch,
            Problem::BadRegex { .. } => Code::BadRegex,
            Problem::UnknownQuestion { .. } | Problem::UnknownRepeat { .. } => {
                Code::UnresolvedReference
            }
            Problem::PathsUnavailable
            | Problem::PositionOutsideRepeat
            | Problem::InstanceGone
            | Problem::NoRepeats { .. }
            | Problem::InstanceNotAtStart => Code::Unsupported,
            Problem::ResultTooLong { .. } => Code::TooLarge,
            Problem::UuidLength
            | Problem::UnknownDigestAlgorithm { .. }
            | Problem::UnknownDigestEncoding { .. } => Code::BadArgument,
        }
    }
}

/// One problem: what (its code and data) and where (span in the expression source).
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub code: Code,
    pub span: Span,
    pub problem: Problem,
}

impl Diagnostic {
    pub fn new(span: Span, problem: Problem) -> Diagnostic {
        Diagnostic {
            code: problem.code(),
            span,
            problem,
        }
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

/// For logs and tests: the code, the span and the data (a user reads dala-words' sentence).
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at {}..{}: {:?}",
            self.code, self.span.start, self.span.end, self.problem
        )
    }
}

impl std::error::Error for Diagnostic {}
