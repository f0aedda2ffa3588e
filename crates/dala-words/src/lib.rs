//! The English words for what dala-core finds in an instrument: the command line's, the
//! XLSForm reader's report and the app's English interface. The core reports problems as
//! data ([`dala_core::Finding`]); the sentences are written here, once, and other languages
//! are written from the same data in the app.

#[cfg(feature = "aggregate")]
use dala_aggregate::plan::PlanError;
#[cfg(feature = "aggregate")]
use dala_aggregate::wide_csv::WideCsvError;
use dala_core::design::{Breaking, EditError};
use dala_core::record::{
    BUNDLE_FORMAT_RAW_FILES, BUNDLE_KIND, BundleError, FileProblem, LineProblem, RECORD_FORMAT,
};
use dala_core::{AnswerError, Diagnostic, Finding, Refusal};
use dala_expr::Problem;
use dala_expr::functions::Arity;

/// The sentence for a validation problem, the question it is about named in it.
pub fn diagnostic(d: &Diagnostic) -> String {
    let q = d.location.question.as_deref().unwrap_or_default();
    finding(&d.finding, q)
}

/// The sentence for what was found at question `q` (empty when the problem is not at one).
pub fn finding(finding: &Finding, q: &str) -> String {
    match finding {
        Finding::DuplicateName { name, first_at } => {
            format!(
                "the name `{name}` is already used at {first_at}; names must be unique in the form"
            )
        }
        Finding::InvalidName { name } => format!(
            "`{name}` is not a valid name: use letters, digits, `_`, `-` and `.`, starting with a letter or `_`"
        ),
        Finding::Syntax(d) => expression(&d.problem),
        Finding::UnknownReference { name } => format!("there is no question named `{name}`"),
        Finding::RepeatReference { name, repeat } => format!(
            "`{name}` is inside the repeat `{repeat}`: read from outside it, it means every instance's answer at once (a comparison holds if any instance's does; as text, the first instance's), as in ODK Web Forms, while ODK Collect stops with an error once there are two instances; say which with count(), sum(), max(), join() or indexed-repeat()"
        ),
        Finding::Cycle { path } => format!(
            "these depend on each other in a circle: {}",
            path.join(" -> ")
        ),
        Finding::SelectedOnNonSelect {
            function,
            name,
            item_type,
        } => format!(
            "{function}() needs a select question, but `{name}` is a {} question",
            item_type.as_str()
        ),
        Finding::NoChoiceList => format!("the select question `{q}` needs a choice list"),
        Finding::UnknownChoiceList { list } => {
            format!("there is no choice list `{list}` in the choices")
        }
        Finding::ListOnNonSelect => {
            format!("`{q}` is not a select question, so its choice list is not used")
        }
        Finding::UnknownChoiceColumn {
            list,
            column,
            columns,
        } => format!(
            "the choice list `{list}` has no column `{column}` (it has: {})",
            columns.join(", ")
        ),
        Finding::MissingDefaultLanguage { language } => {
            format!("the label of `{q}` has no text in the default language `{language}`")
        }
        Finding::ConstraintOnNonInput { item_type, column } => format!(
            "a {} takes no answer, so it cannot have a {}",
            item_type.as_str(),
            column.as_str()
        ),
        Finding::MissingLabel => format!("the question `{q}` needs a label (or at least a hint)"),
        Finding::MissingCalculation => format!("the calculate `{q}` has no calculation"),
        Finding::EmptyChoiceList { list } => format!("the choice list `{list}` is empty"),
        Finding::DuplicateChoice { list, choice } => {
            format!("the choice `{choice}` appears twice in the list `{list}`")
        }
        Finding::EmptyContainer { item_type } => {
            format!("the {} `{q}` is empty", item_type.as_str())
        }
        Finding::ChildrenOnQuestion => {
            format!("`{q}` is a question, not a group: it cannot contain other items")
        }
        Finding::RepeatCountOnNonRepeat => {
            format!("`{q}` is not a repeat, so it cannot have a repeat_count")
        }
        Finding::MissingSetting { setting } => format!("the form needs a {setting}"),
        Finding::AmbiguousReference { name } => format!(
            "several questions are named `{name}` (in different groups or repeats): `${{{name}}}` could mean any of them"
        ),
        Finding::CaptureOnNonGeopoint { item_type } => format!(
            "the device fills only a geopoint with its location, and `{q}` is a {}",
            item_type.as_str()
        ),
        Finding::CaptureWithoutTrigger => format!(
            "the background-geopoint `{q}` needs a trigger: the question whose changes it follows"
        ),
        Finding::BadParameter { parameter, value } => match parameter.as_str() {
            "max-pixels" => format!(
                "`max-pixels={value}` is not a number of pixels: give the longest side a photo is scaled down to, a whole number above 0 (for example `max-pixels=1024`)"
            ),
            _ => format!(
                "`{parameter}={value}` is not a value it can take: {}",
                dala_core::AUDIO_QUALITIES.join(", ")
            ),
        },
        Finding::MissingAttachment { name } => format!(
            "the form reads the attached file `{name}`, which is not here: give it with the form"
        ),
        Finding::CaptureWithCalculation => {
            format!("`{q}` takes the device's location, so it cannot have a calculation too")
        }
    }
}

/// The sentence for a problem in an expression.
pub fn expression(problem: &Problem) -> String {
    match problem {
        Problem::UnexpectedChar(c) => format!("`{c}` cannot appear here"),
        Problem::UnterminatedString => "this string has no closing quote".into(),
        Problem::EndsTooEarly => "the expression ends too early".into(),
        Problem::ExpectedValue { found } => format!("expected a value, found `{found}`"),
        Problem::ExpectedOperator { found } => {
            format!("expected an operator or the end, found `{found}`")
        }
        Problem::UnmatchedClose => "this `)` has no matching `(`".into(),
        Problem::ExpectedPathStep { found } => format!("expected a path step, found `{found}`"),
        Problem::ExpectedAttributeName => "expected an attribute name after `@`".into(),
        Problem::Unclosed { open, found: None } => format!("this `{open}` is never closed"),
        Problem::Unclosed {
            open,
            found: Some(found),
        } => {
            let closer = if *open == '(' { ')' } else { ']' };
            format!("this `{open}` is not closed: expected `{closer}` before `{found}`")
        }
        Problem::UnknownFunction { name } => format!("there is no function `{name}`"),
        Problem::WrongArity {
            function,
            takes,
            given,
        } => format!("`{function}` takes {}, not {given}", arity(*takes)),
        Problem::MissingArgument { function } => format!("`{function}` is missing an argument"),
        Problem::IndexAfterEachRepeat => "indexed-repeat() needs an index after each repeat".into(),
        Problem::TooDeep { limit } => {
            format!("the expression is nested more than {limit} levels deep")
        }
        Problem::Empty => "the expression is empty".into(),
        Problem::InvalidReferenceName { name } => {
            format!("`{name}` is not a valid question name")
        }
        Problem::UnclosedReference => "this reference has no closing `}`".into(),
        Problem::ExpectedReference {
            function: Some(function),
        } => format!("{function}() expects a question reference such as ${{name}} here"),
        Problem::ExpectedReference { function: None } => {
            "expected a question reference such as ${name}".into()
        }
        Problem::TooLong { bytes, limit } => {
            format!("expression is {bytes} bytes long; the limit is {limit}")
        }
        Problem::TooMuchWork => "the expression does too much work".into(),
        Problem::NotADate {
            value,
            date_time,
            shape,
        } => match (date_time, shape) {
            (false, false) => format!("`{value}` is not a date"),
            (false, true) => format!("`{value}` is not a date (expected YYYY-MM-DD)"),
            (true, false) => format!("`{value}` is not a dateTime"),
            (true, true) => {
                format!("`{value}` is not a dateTime (expected YYYY-MM-DDTHH:MM:SS)")
            }
        },
        Problem::NotAGeopoint { value } => {
            format!("`{value}` is not a geopoint (latitude longitude)")
        }
        Problem::BadRegex { detail } => format!("invalid regular expression: {detail}"),
        Problem::UnknownQuestion { name } => format!("there is no question `{name}`"),
        Problem::UnknownRepeat { name } => format!("there is no repeat `{name}`"),
        Problem::InstanceGone => "this repeat instance no longer exists".into(),
        Problem::PathsUnavailable => "paths are not available here; use ${name}".into(),
        Problem::PositionOutsideRepeat => "position() is only available inside a repeat".into(),
        Problem::NoRepeats { name } => {
            format!("indexed-repeat() of `{name}` needs a form with repeats")
        }
        Problem::InstanceNotAtStart => {
            "instance() is only meaningful at the start of a path".into()
        }
        Problem::ResultTooLong { limit } => format!("the result is longer than {limit} bytes"),
        Problem::UuidLength => "uuid(n) takes a length from 0 to 4096".into(),
        Problem::UnknownDigestAlgorithm { algorithm } => format!(
            "digest() does not know the algorithm `{algorithm}` (MD5, SHA-1, SHA-256, SHA-384, SHA-512)"
        ),
        Problem::UnknownDigestEncoding { encoding } => {
            format!("digest() does not know the encoding `{encoding}` (base64, hex)")
        }
    }
}

/// How many arguments a function takes, in words.
pub fn arity(arity: Arity) -> String {
    let plural = |k: u8| if k == 1 { "argument" } else { "arguments" };
    match arity {
        Arity::Exactly(k) => format!("{k} {}", plural(k)),
        Arity::Range(lo, hi) => format!("{lo} to {hi} arguments"),
        Arity::AtLeast(lo) => format!("at least {lo} {}", plural(lo)),
        Arity::WeightedPairs => "2 bounds then value/weight pairs".to_string(),
        Arity::IndexedRepeat => "3, 5 or 7 arguments".to_string(),
    }
}

/// An expression's problem the way a compiler prints it: `error[E003]: ...`, then the source
/// with a caret under the span. The command line's form.
pub fn render_expression(d: &dala_expr::Diagnostic, source: &str) -> String {
    format!(
        "error[{}]: {}{}",
        d.code,
        expression(&d.problem),
        dala_expr::caret_lines(source, d.span)
    )
}

#[cfg(feature = "aggregate")]
/// A problem with an analysis plan, its code first: `P003 table \`w\`: ...`.
pub fn plan_error(e: &PlanError) -> String {
    let code = e.code();
    match e {
        PlanError::Toml {
            line: Some(line),
            detail,
        } => format!("line {line}: {code} {detail}"),
        PlanError::Toml { line: None, detail } => format!("{code} {detail}"),
        PlanError::Missing { table, key } => format!("{code} table `{table}`: `{key}` is needed"),
        PlanError::UnknownQuestion { table, key, name } => {
            format!("{code} table `{table}`: {key}: there is no question `{name}`")
        }
        PlanError::Filter {
            table,
            filter,
            problem,
        } => format!(
            "{code} table `{table}`: filter: {}",
            render_expression(problem, filter)
        ),
    }
}

#[cfg(feature = "aggregate")]
/// Why a wide CSV cannot be read, with its line and code.
pub fn wide_csv_error(e: &WideCsvError) -> String {
    let (line, code) = (e.line(), e.code());
    match e {
        WideCsvError::MissingColumn {
            question,
            looked_for,
        } => format!(
            "line {line}: {code} the CSV has no column for question `{question}` (looked for {})",
            looked_for
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(" or ")
        ),
        WideCsvError::Malformed { detail, .. } => format!("line {line}: {code} {detail}"),
    }
}

/// Why an answer was refused.
pub fn refusal(why: &Refusal) -> String {
    match why {
        Refusal::NotAWholeNumber => "expected a whole number".into(),
        Refusal::NotANumber => "expected a number".into(),
        Refusal::OutOfRange { start, end } => format!("expected a number from {start} to {end}"),
        Refusal::NotAChoice(code) => format!("`{code}` is not one of the choices"),
        Refusal::NotADate => "expected a date as YYYY-MM-DD".into(),
        Refusal::NotATime => "expected a time as HH:MM".into(),
        Refusal::NotADateTime => "expected a date and time as YYYY-MM-DDTHH:MM".into(),
        Refusal::NotAGeopoint => {
            "expected latitude and longitude (and optionally altitude and accuracy)".into()
        }
        Refusal::NotAGeotrace => {
            "expected at least two points, each latitude and longitude, separated by `;`".into()
        }
        Refusal::NotAGeoshape => {
            "expected at least three distinct points, each latitude and longitude, separated by `;`"
                .into()
        }
        Refusal::NotAnAcknowledgement => "an acknowledgement is `OK` or empty".into(),
        Refusal::NotAFileName => {
            "a file's name is one name without a folder (no `/` or `\\`) or control characters"
                .into()
        }
    }
}

/// Why the engine did not take an answer or a change to a repeat.
pub fn answer_error(e: &AnswerError) -> String {
    match e {
        AnswerError::NoSuchNode => "there is no such question or instance".into(),
        AnswerError::NotAnswerable(q) => {
            format!("`{q}` cannot be answered: it is calculated, read-only, a note or not relevant")
        }
        AnswerError::Invalid {
            question,
            value,
            reason,
        } => format!(
            "`{value}` is not a valid answer to `{question}`: {}",
            refusal(reason)
        ),
        AnswerError::NotARepeat(q) => {
            format!("`{q}` is not a repeat whose instances the enumerator adds and removes")
        }
        AnswerError::ReadOnly => "this record is finalized: it is read, not changed".into(),
    }
}

/// Why the designer's edit was refused.
pub fn edit_error(e: &EditError) -> String {
    match e {
        EditError::NoItem(at) => format!("there is no item at {at:?}"),
        EditError::BadIndex { index, len } => {
            format!("position {index} is outside the {len} items there")
        }
        EditError::NotAContainer => "only a group or a repeat holds questions".into(),
        EditError::InvalidName(name) => format!(
            "`{name}` is not a valid name: start with a letter or _, then letters, digits, _ . or -"
        ),
        EditError::NameTaken(name) => format!("the name `{name}` is already used"),
        EditError::UnknownType(name) => format!("`{name}` is not a question type"),
        EditError::GroupNotEmpty => "a group with questions in it cannot become a question".into(),
        EditError::Empty(what) => format!("`{what}` cannot be empty"),
        EditError::NoMove => "that move goes nowhere".into(),
        EditError::LanguageTaken(language) => {
            format!("the instrument already has the language `{language}`")
        }
        EditError::NoLanguage(language) => format!("the instrument has no language `{language}`"),
    }
}

/// What publishing would break for data already collected.
pub fn breaking(b: &Breaking) -> String {
    match b {
        Breaking::TypeChanged { name, from, to } => format!(
            "`{name}` changes from {} to {}, and has answers",
            from.as_str(),
            to.as_str()
        ),
        Breaking::Removed { name } => format!("`{name}` is removed, and has answers"),
        Breaking::ChoiceRemoved { name, choice } => {
            format!("choice `{choice}` of `{name}` is removed, and answers use it")
        }
    }
}

/// Why a line of a bundle was not taken, its code first.
pub fn line_problem(problem: &LineProblem) -> String {
    let code = problem.code();
    match problem {
        LineProblem::NotJson { detail } => format!("{code} not JSON: {detail}"),
        LineProblem::NotARecord { detail } => format!("{code} not a record: {detail}"),
        LineProblem::RecordFormat(format) => {
            format!("{code} record format {format} is not {RECORD_FORMAT}")
        }
        LineProblem::OtherInstrument { record, bundle } => {
            format!("{code} the record is for `{record}`, the bundle for `{bundle}`")
        }
        LineProblem::SecondHeader { instrument } => format!(
            "{code} a second bundle header (of `{instrument}`): two bundles joined into one file?"
        ),
        LineProblem::NotUtf8 { at } => {
            format!("{code} not UTF-8 text from byte {at} of the line (a damaged copy?)")
        }
        LineProblem::TooLong { bytes } => {
            format!("{code} the line is {bytes} bytes long; a record line is at most 16 MiB")
        }
        LineProblem::BadFile { name, why } => {
            let why = match why {
                FileProblem::NotListed => "no record before it lists it".to_string(),
                FileProblem::OutOfOrder { part, expected } => {
                    format!("part {part} came where part {expected} should")
                }
                FileProblem::NotBase64 => "its data is not base64".to_string(),
                FileProblem::NotAsDescribed => {
                    "it is not the file its record describes (size or SHA-256)".to_string()
                }
                FileProblem::Incomplete { parts, got } => {
                    format!("{got} of its {parts} parts came (the bundle was cut short?)")
                }
                FileProblem::TooLarge { bytes } => format!(
                    "it is {bytes} bytes, more than the {} MiB a bundle's file may have",
                    dala_core::record::MAX_BUNDLE_FILE_BYTES >> 20
                ),
            };
            format!("{code} the file `{name}` is left out, its record kept: {why}")
        }
    }
}

/// Why a whole bundle was refused, with its line and code.
pub fn bundle_error(e: &BundleError) -> String {
    let (line, code) = (e.line(), e.code());
    match e {
        BundleError::Header { detail, .. } => {
            format!("line {line}: {code} this is not a Dala bundle: {detail}")
        }
        BundleError::OtherKind { kind, .. } => format!(
            "line {line}: {code} this is not a Dala bundle: its kind is `{kind}`, not `{BUNDLE_KIND}`"
        ),
        BundleError::HeaderTooLong { bytes, .. } => format!(
            "line {line}: {code} this is not a Dala bundle: its first line is {bytes} bytes long"
        ),
        BundleError::UnsupportedFormat { format, .. } => format!(
            "line {line}: {code} this is bundle format {format}; this version of Dala reads formats {RECORD_FORMAT} to {BUNDLE_FORMAT_RAW_FILES}"
        ),
        BundleError::Empty => format!("line {line}: {code} the file is empty"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dala_core::Instrument;

    fn problems(survey: &str) -> Vec<String> {
        let instrument = Instrument::from_json(&format!(
            r#"{{"format": 1, "settings": {{"form_id": "t", "version": "1"}}, "survey": {survey}}}"#
        ))
        .expect("well-formed");
        dala_core::validate(&instrument)
            .iter()
            .map(diagnostic)
            .collect()
    }

    #[test]
    fn a_problem_reads_with_the_names_it_is_about() {
        assert_eq!(
            problems(
                r#"[{"type": "integer", "name": "age", "label": {"default": "Age"}, "relevant": "${agee} > 1"}]"#
            ),
            ["there is no question named `agee`"]
        );
        assert_eq!(
            problems(r#"[{"type": "select_one", "name": "sex", "label": {"default": "Sex"}}]"#),
            ["the select question `sex` needs a choice list"]
        );
        assert_eq!(
            problems(
                r#"[{"type": "note", "name": "n", "label": {"default": "Note"}, "constraint": ". > 1"}]"#
            ),
            ["a note takes no answer, so it cannot have a constraint"]
        );
    }
}
