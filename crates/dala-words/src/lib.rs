//! The English words for what dala-core finds in an instrument: the command line's, the
//! XLSForm reader's report and the app's English interface. The core reports problems as
//! data ([`dala_core::Finding`]); the sentences are written here, once, and other languages
//! are written from the same data in the app.

use dala_core::{Diagnostic, Finding};

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
        Finding::Syntax(d) => d.message.clone(),
        Finding::UnknownReference { name } => format!("there is no question named `{name}`"),
        Finding::RepeatReference { name, repeat } => format!(
            "`{name}` is inside the repeat `{repeat}`: from outside it, use count(), sum(), max(), join() or indexed-repeat()"
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
