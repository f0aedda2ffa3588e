//! What the Design screen shows, worked out natively: the outline of the question tree, the
//! problems of one column with the offending part of the text marked, fresh names for new
//! questions and instruments. The editing rules themselves are dala-core's `design`.

use dala_core::design::ItemPath;
use dala_core::{Column, Diagnostic, Instrument, Item, ItemType, Text};

/// Where a design in progress is kept (the meta store, beside the settings): one per form.
pub fn draft_key(form_id: &str) -> String {
    format!("design/{form_id}")
}

/// One line of the outline.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Row {
    pub path: ItemPath,
    pub depth: usize,
    pub name: String,
    pub item_type: ItemType,
    pub label: String,
}

/// The question tree as indented lines, in form order.
pub fn outline(instrument: &Instrument, language: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    let default = instrument.settings.default_language.as_deref();
    add_rows(
        &instrument.survey,
        &mut Vec::new(),
        language,
        default,
        &mut rows,
    );
    rows
}

fn add_rows(
    items: &[Item],
    path: &mut ItemPath,
    language: &str,
    default: Option<&str>,
    rows: &mut Vec<Row>,
) {
    for (i, item) in items.iter().enumerate() {
        path.push(i);
        rows.push(Row {
            path: path.clone(),
            depth: path.len() - 1,
            name: item.name.clone(),
            item_type: item.item_type,
            label: item
                .label
                .get(language, default)
                .unwrap_or_default()
                .to_string(),
        });
        add_rows(&item.children, path, language, default, rows);
        path.pop();
    }
}

/// The path of the item named `name`.
pub fn find(instrument: &Instrument, name: &str) -> Option<ItemPath> {
    outline(instrument, "")
        .into_iter()
        .find(|r| r.name == name)
        .map(|r| r.path)
}

/// A problem of one column, with the text split around the part it is about.
#[derive(Clone, Debug, PartialEq)]
pub struct Marked {
    pub message: String,
    pub before: String,
    pub marked: String,
    pub after: String,
}

/// The problems `diagnostics` report for `column` of the question `name`, each with the span
/// it names in `source` marked (a problem at the very end marks nothing, the caret goes there),
/// in the interface language `lang`.
pub fn column_problems(
    diagnostics: &[Diagnostic],
    name: &str,
    column: Column,
    source: &str,
    lang: crate::i18n::Lang,
) -> Vec<Marked> {
    diagnostics
        .iter()
        .filter(|d| {
            d.location.question.as_deref() == Some(name) && d.location.column == Some(column)
        })
        .map(|d| {
            let (start, end) = d
                .location
                .span
                .map_or((0, 0), |s| (s.start as usize, s.end as usize));
            let clamp = |i: usize| {
                let mut i = i.min(source.len());
                while !source.is_char_boundary(i) {
                    i -= 1;
                }
                i
            };
            let (start, end) = (clamp(start), clamp(end.max(start)));
            Marked {
                message: crate::problems::instrument_problem(lang, d),
                before: source[..start].to_string(),
                marked: source[start..end].to_string(),
                after: source[end..].to_string(),
            }
        })
        .collect()
}

/// `stem_1`, `stem_2`, ...: the first that no item of the instrument has.
pub fn fresh_name(instrument: &Instrument, stem: &str) -> String {
    let names: Vec<String> = outline(instrument, "")
        .into_iter()
        .map(|r| r.name)
        .collect();
    (1..)
        .map(|n| format!("{stem}_{n}"))
        .find(|candidate| !names.contains(candidate))
        .unwrap_or_else(|| stem.to_string())
}

/// A new question for the designer to fill in, named freshly.
pub fn new_item(instrument: &Instrument, item_type: ItemType) -> Item {
    let stem = match item_type {
        ItemType::Group => "group",
        ItemType::Repeat => "repeat",
        _ => "question",
    };
    Item::new(item_type, &fresh_name(instrument, stem))
}

/// An empty instrument with a form id none of `taken` has.
pub fn new_instrument(taken: &[String]) -> Instrument {
    let form_id = (1..)
        .map(|n| format!("new_form_{n}"))
        .find(|id| !taken.contains(id))
        .unwrap_or_else(|| "new_form".into());
    Instrument::from_json(&format!(
        r#"{{"format": 1, "settings": {{"form_id": "{form_id}", "version": "1", "title": {{"en": "New form"}}, "default_language": "en"}}, "survey": []}}"#
    ))
    .unwrap_or_else(|_| unreachable_instrument())
}

/// A copy of `instrument` under a form id none of `taken` has, at version 1: a new
/// instrument, not a version of the old one.
pub fn duplicate(instrument: &Instrument, taken: &[String]) -> Instrument {
    let stem = format!("{}_copy", instrument.settings.form_id);
    let form_id = std::iter::once(stem.clone())
        .chain((2..).map(|n| format!("{stem}{n}")))
        .find(|id| !taken.contains(id))
        .unwrap_or(stem);
    let mut copy = instrument.clone();
    copy.settings.form_id = form_id;
    copy.settings.version = "1".into();
    copy
}

// `new_instrument`'s text is a fixed, valid document; this only satisfies the type.
fn unreachable_instrument() -> Instrument {
    Instrument {
        format: dala_core::FORMAT,
        settings: dala_core::Settings {
            form_id: "new_form".into(),
            version: "1".into(),
            title: Text::default(),
            default_language: None,
            instance_name: None,
            allow_choice_duplicates: false,
        },
        survey: Vec::new(),
        choices: Default::default(),
        attachments: Vec::new(),
    }
}

/// The languages a designer edits texts in: the instrument's, or its default alone.
pub fn edit_languages(instrument: &Instrument) -> Vec<String> {
    let mut languages = instrument.languages();
    if languages.is_empty() {
        languages.push(
            instrument
                .settings
                .default_language
                .clone()
                .unwrap_or_else(|| "en".into()),
        );
    }
    languages
}

/// Every question type a designer can pick, in the order XLSForm users know them.
pub const TYPES: [ItemType; 23] = [
    ItemType::Text,
    ItemType::Integer,
    ItemType::Decimal,
    ItemType::SelectOne,
    ItemType::SelectMultiple,
    ItemType::Rank,
    ItemType::Date,
    ItemType::Time,
    ItemType::DateTime,
    ItemType::Note,
    ItemType::Acknowledge,
    ItemType::Range,
    ItemType::Geopoint,
    ItemType::Geotrace,
    ItemType::Geoshape,
    ItemType::Image,
    ItemType::Audio,
    ItemType::Video,
    ItemType::File,
    ItemType::Barcode,
    ItemType::Calculate,
    ItemType::Group,
    ItemType::Repeat,
];

#[cfg(test)]
mod tests {
    use super::*;
    use dala_core::validate;

    fn police() -> Instrument {
        let text = include_str!("../../../surveys/police-gender-representation/instrument.json");
        Instrument::from_json(text).expect("police")
    }

    #[test]
    fn the_outline_indents_groups_and_finds_names() {
        let rows = outline(&police(), "ru");
        assert_eq!(rows[0].name, "wave");
        let district = rows
            .iter()
            .find(|r| r.name == "district")
            .expect("district");
        assert_eq!((district.path.clone(), district.depth), (vec![2, 0, 1], 2));
        assert_eq!(find(&police(), "staff_total"), Some(vec![2, 1, 0]));
        assert_eq!(find(&police(), "nothing"), None);
    }

    #[test]
    fn a_problem_marks_its_span_in_the_column() {
        let mut i = police();
        i.survey[2].children[0].children[5].relevant = Some("${staff_categry} = 'ranked'".into());
        let diagnostics = validate(&i);
        let problems = column_problems(
            &diagnostics,
            "rank",
            Column::Relevant,
            "${staff_categry} = 'ranked'",
            crate::i18n::Lang::Ru,
        );
        assert_eq!(
            problems[0].message,
            "Выражение (relevant) ссылается на вопрос «staff_categry», которого нет"
        );
        assert_eq!(problems.len(), 1, "{diagnostics:?}");
        assert_eq!(problems[0].before, "");
        assert_eq!(problems[0].marked, "${staff_categry}");
        assert_eq!(problems[0].after, " = 'ranked'");
        assert!(
            column_problems(
                &diagnostics,
                "rank",
                Column::Constraint,
                "",
                crate::i18n::Lang::En
            )
            .is_empty()
        );
    }

    #[test]
    fn fresh_names_and_form_ids() {
        let mut i = police();
        assert_eq!(fresh_name(&i, "question"), "question_1");
        i.survey.push(new_item(&i, ItemType::Text));
        assert_eq!(i.survey.last().map(|q| q.name.as_str()), Some("question_1"));
        assert_eq!(fresh_name(&i, "question"), "question_2");
        assert_eq!(
            new_instrument(&["new_form_1".into()]).settings.form_id,
            "new_form_2"
        );
        let copy = duplicate(&police(), &["police_gender_representation_copy".into()]);
        assert_eq!(copy.settings.form_id, "police_gender_representation_copy2");
        assert_eq!(copy.settings.version, "1");
        assert_eq!(copy.survey, police().survey);
    }
}
